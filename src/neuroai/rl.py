"""A small, readable reinforcement-learning kit for the course's gridworld lessons (CleanRL spirit).

    agent = ActorCritic(obs_dim, n_actions, agents=4)           # 4 independent MLP policies and value functions
    batch = collect_episodes(env, agent, gen, device)           # whole episodes from a vector env
    adv, ret = gae(batch["rewards"], batch["values"], gamma, lam)   # advantages (Schulman et al. 2016)
    ppo_update(agent, optimizer, batch, adv, ret, gen)          # clipped PPO (Schulman et al. 2017)
    memory = EpisodeMemory(capacity=16)                        # recent successes and failures

Episodes have a fixed length (as in neuroai.envs.KeyChainEnv), so a batch is a set of whole episodes
with time first: tensors of shape (T, B, ...). All randomness comes from a torch.Generator.

Several independent agents train side by side in one run, one set of weights each, as a batch: with
`agents = A` the env's B copies are split into A equal groups (copy b belongs to agent b // (B / A)),
and every agent learns from its own group only. Per-seed RL results vary a lot; a claim pooled over
independent agents is steadier than one agent's curve, at little extra cost on a CPU.
"""
import math

from dataclasses import dataclass

import torch
from torch import nn


class AgentsLinear(nn.Module):
    """`agents` independent linear layers side by side (nn.Linear's initialization for each):
    x (..., agents, n, d_in) -> x W_a + b_a, shape (..., agents, n, d_out)."""

    def __init__(self, agents, d_in, d_out):
        super().__init__()
        bound = 1 / math.sqrt(d_in)
        self.weight = nn.Parameter(torch.empty(agents, d_in, d_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(agents, 1, d_out).uniform_(-bound, bound))

    def forward(self, x):
        return x @ self.weight + self.bias


class ActorCritic(nn.Module):
    """Policy logits and state value from two separate MLPs over the observation, for `agents`
    independent agents (one set of weights each)."""

    def __init__(self, obs_dim, n_actions, hidden=64, agents=1):
        super().__init__()
        self.agents = agents
        self.actor = nn.Sequential(AgentsLinear(agents, obs_dim, hidden), nn.Tanh(),
                                   AgentsLinear(agents, hidden, hidden), nn.Tanh(), AgentsLinear(agents, hidden, n_actions))
        self.critic = nn.Sequential(AgentsLinear(agents, obs_dim, hidden), nn.Tanh(),
                                    AgentsLinear(agents, hidden, hidden), nn.Tanh(), AgentsLinear(agents, hidden, 1))

    def forward(self, obs):
        """obs (..., B, obs_dim), row b seen by agent b // (B / agents) -> logits (..., B, n_actions), value (..., B)."""
        x = obs.unflatten(-2, (self.agents, -1))                             # (..., A, B / A, obs_dim)
        return self.actor(x).flatten(-3, -2), self.critic(x).flatten(-3, -1)


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


def split_agents(x, agents):
    """(T, B, ...) with the B env copies agent-major (copy b belongs to agent b // (B / agents))
    -> (agents, T, B / agents, ...): each agent's own episodes."""
    return x.unflatten(1, (agents, -1)).transpose(0, 1)


def clip_grad_norm_per_agent(parameters, max_norm):
    """nn.utils.clip_grad_norm_ for each agent on its own: every parameter's first dimension is the agent."""
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = torch.stack([g.flatten(1).pow(2).sum(1) for g in grads]).sum(0).sqrt()       # (A,)
    scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view(-1, *[1] * (g.dim() - 1)))


def ppo_update(agent, optimizer, batch, advantages, returns, gen, cfg=PPOConfig()):
    """Clipped PPO on a batch of episodes: L = -min(rho A, clip(rho, 1 +- eps) A) + c_v (V - R)^2 - c_H H,
    for each agent on its own episodes (the agents' losses are summed: their gradients do not mix)."""
    A = agent.agents
    per_agent = lambda x: split_agents(x, A).flatten(1, 2)   # noqa: E731  (T, B, ...) -> (A, T * B / A, ...)
    obs, actions, old_logp = per_agent(batch["obs"]), per_agent(batch["actions"]), per_agent(batch["logprobs"])
    adv, ret = per_agent(advantages), per_agent(returns)      # (A, N)
    n = obs.shape[1]
    for _ in range(cfg.epochs):
        order = torch.randperm(n, generator=gen).to(obs.device)
        for idx in order.chunk(cfg.minibatches):
            logits, value = agent(obs[:, idx].flatten(0, 1))                   # (A * m, n_actions), (A * m,)
            logits, value = logits.unflatten(0, (A, -1)), value.unflatten(0, (A, -1))
            logp_all = torch.log_softmax(logits, -1)                           # (A, m, n_actions)
            logp = logp_all.gather(-1, actions[:, idx, None]).squeeze(-1)      # (A, m)
            ratio = torch.exp(logp - old_logp[:, idx])
            a = adv[:, idx]
            a = (a - a.mean(1, keepdim=True)) / (a.std(1, keepdim=True) + 1e-8)   # normalized advantages
            policy_loss = -torch.min(ratio * a, ratio.clamp(1 - cfg.clip, 1 + cfg.clip) * a).mean(1)
            value_loss = ((value - ret[:, idx]) ** 2).mean(1)
            entropy = -(logp_all.exp() * logp_all).sum(-1).mean(1)
            loss = (policy_loss + cfg.value * value_loss - cfg.entropy * entropy).sum()   # sum over agents
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_per_agent(agent.parameters(), cfg.max_grad_norm)
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
    """Fraction of `episodes` fresh episodes each agent completes (in batches of env.num_envs, split
    among the agents). Returns a float for one agent, a tensor (agents,) for several."""
    wins, n = 0, 0
    while n < episodes:
        batch = collect_episodes(env, agent, gen, device, greedy=greedy)
        wins = wins + batch["success"].unflatten(0, (agent.agents, -1)).float().sum(1)   # (A,)
        n += batch["success"].numel() // agent.agents
    rates = (wins / n).cpu()
    return float(rates[0]) if agent.agents == 1 else rates


__all__ = ["AgentsLinear", "ActorCritic", "split_agents", "clip_grad_norm_per_agent", "sample", "collect_episodes",
           "gae", "PPOConfig", "ppo_update", "EpisodeMemory", "success_rate"]
