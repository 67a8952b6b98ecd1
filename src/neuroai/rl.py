"""A small, readable reinforcement-learning kit for the course's gridworld lessons (CleanRL spirit).

    agent = ActorCritic(obs_dim, n_actions)                     # an MLP policy and value function
    batch = collect_episodes(env, agent, gen, device)           # whole episodes from a vector env
    adv, ret = gae(batch["rewards"], batch["values"], gamma, lam)   # advantages (Schulman et al. 2016)
    ppo_update(agent, optimizer, batch, adv, ret, gen)          # clipped PPO (Schulman et al. 2017)
    memory = EpisodeMemory(capacity=16)                        # recent successes and failures

Episodes have a fixed length (as in neuroai.envs.KeyChainEnv), so a batch is a set of whole episodes
with time first: tensors of shape (T, B, ...). All randomness comes from a torch.Generator.
"""
from dataclasses import dataclass

import torch
from torch import nn


class ActorCritic(nn.Module):
    """Policy logits and state value from two separate MLPs over the observation."""

    def __init__(self, obs_dim, n_actions, hidden=64):
        super().__init__()
        self.actor = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                   nn.Linear(hidden, n_actions))
        self.critic = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                    nn.Linear(hidden, 1))

    def forward(self, obs):
        """obs (..., obs_dim) -> logits (..., n_actions), value (...)."""
        return self.actor(obs), self.critic(obs).squeeze(-1)


def sample(logits, gen):
    """One action per row of logits (..., A) from the categorical policy, drawn with generator gen."""
    probs = torch.softmax(logits, dim=-1)
    flat = probs.reshape(-1, probs.shape[-1]).cpu()
    return torch.multinomial(flat, 1, generator=gen).reshape(probs.shape[:-1]).to(logits.device)


@torch.no_grad()
def collect_episodes(env, agent, gen, device="cpu", greedy=False):
    """Run one whole episode in each of the env's num_envs copies with the agent's policy.

    Returns a dict of tensors, time first (T steps, B = num_envs episodes):
      obs (T, B, D): what the agent saw before each action; next_obs (T, B, D): what it saw after;
      actions, logprobs, rewards (T, B); values (T + 1, B) with 0 after the end; success (B,) bool.
    """
    seed = int(torch.randint(0, 2**31 - 1, (), generator=gen))
    obs, _ = env.reset(seed=seed)
    keys = ("obs", "next_obs", "actions", "logprobs", "rewards", "values")
    out = {k: [] for k in keys}
    done, info = False, {}
    while not done:
        o = torch.as_tensor(obs, device=device)                              # (B, D)
        logits, value = agent(o)                                             # (B, A), (B,)
        action = logits.argmax(-1) if greedy else sample(logits, gen)        # (B,)
        logprob = torch.log_softmax(logits, -1).gather(-1, action[:, None]).squeeze(-1)
        obs, reward, terminated, truncated, info = env.step(action.cpu().numpy())
        done = bool(terminated.all() or truncated.all())
        for k, v in zip(keys, (o, torch.as_tensor(obs, device=device), action, logprob,
                               torch.as_tensor(reward, device=device), value)):
            out[k].append(v)
    out = {k: torch.stack(v) for k, v in out.items()}
    out["values"] = torch.cat([out["values"], torch.zeros_like(out["values"][:1])])   # (T + 1, B)
    out["success"] = torch.as_tensor(info["success"], device=device)
    return out


def gae(rewards, values, gamma=0.99, lam=0.95):
    """Generalized advantage estimation over whole episodes that end at T.

    rewards (T, B); values (T + 1, B), values[T] = 0 at the end.
      delta_t = r_t + gamma V_{t+1} - V_t
      A_t     = delta_t + gamma lam A_{t+1}          (A_T = 0)
    Returns advantages (T, B) and the value targets A + V (T, B).
    """
    T = rewards.shape[0]
    adv = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[0])
    for t in reversed(range(T)):
        delta = rewards[t] + gamma * values[t + 1] - values[t]
        running = delta + gamma * lam * running
        adv[t] = running
    return adv, adv + values[:-1]


@dataclass
class PPOConfig:
    lr: float = 2.5e-3          # Adam learning rate
    epochs: int = 4             # passes over each batch
    minibatches: int = 4        # minibatches per pass
    clip: float = 0.2           # PPO ratio clipping
    entropy: float = 0.01       # entropy bonus
    value: float = 0.5          # value-loss weight
    max_grad_norm: float = 0.5
    gamma: float = 0.99
    lam: float = 0.95


def ppo_update(agent, optimizer, batch, advantages, returns, gen, cfg=PPOConfig()):
    """Clipped PPO on a batch of episodes: L = -min(rho A, clip(rho, 1 +- eps) A) + c_v (V - R)^2 - c_H H."""
    obs = batch["obs"].flatten(0, 1)                          # (T*B, D)
    actions = batch["actions"].flatten(0, 1)                  # (T*B,)
    old_logp = batch["logprobs"].flatten(0, 1)
    adv, ret = advantages.flatten(0, 1), returns.flatten(0, 1)
    n = obs.shape[0]
    for _ in range(cfg.epochs):
        order = torch.randperm(n, generator=gen).to(obs.device)
        for idx in order.chunk(cfg.minibatches):
            logits, value = agent(obs[idx])
            logp_all = torch.log_softmax(logits, -1)
            logp = logp_all.gather(-1, actions[idx, None]).squeeze(-1)
            ratio = torch.exp(logp - old_logp[idx])
            a = adv[idx]
            a = (a - a.mean()) / (a.std() + 1e-8)                              # normalized advantages
            policy_loss = -torch.min(ratio * a, ratio.clamp(1 - cfg.clip, 1 + cfg.clip) * a).mean()
            value_loss = ((value - ret[idx]) ** 2).mean()
            entropy = -(logp_all.exp() * logp_all).sum(-1).mean()
            loss = policy_loss + cfg.value * value_loss - cfg.entropy * entropy
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), cfg.max_grad_norm)
            optimizer.step()


class EpisodeMemory:
    """The most recent `capacity` successful and failed episodes (first in, first out).

    add(episodes, success) stores episodes (T, B, ...) split by success (B,) bool; successes() and
    failures() return what is stored as (T, n, ...) tensors; ready() is True once both are full.
    """

    def __init__(self, capacity=16):
        self.capacity = capacity
        self.success, self.failure = [], []

    def add(self, episodes, success):
        for b in range(episodes.shape[1]):
            bucket = self.success if bool(success[b]) else self.failure
            bucket.append(episodes[:, b])
            del bucket[:-self.capacity]                      # keep the newest `capacity`

    def successes(self):
        return torch.stack(self.success, dim=1)

    def failures(self):
        return torch.stack(self.failure, dim=1)

    def ready(self):
        return len(self.success) == self.capacity and len(self.failure) == self.capacity


def success_rate(env, agent, gen, device="cpu", episodes=512, greedy=False):
    """Fraction of `episodes` fresh episodes the agent completes (in batches of env.num_envs)."""
    wins, n = 0, 0
    while n < episodes:
        batch = collect_episodes(env, agent, gen, device, greedy=greedy)
        wins += int(batch["success"].sum())
        n += batch["success"].numel()
    return wins / n


__all__ = ["ActorCritic", "sample", "collect_episodes", "gae", "PPOConfig", "ppo_update", "EpisodeMemory",
           "success_rate"]
