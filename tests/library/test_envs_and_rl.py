"""neuroai.envs and neuroai.rl, the course's reinforcement-learning kit: the key-chain environment follows
its rules and the gymnasium vector API; GAE, the episode memory and the rollout collector compute what
they say."""
import copy

import gymnasium
import numpy as np
import torch

from neuroai.envs import KeyChainEnv
from neuroai.rl import ActorCritic, EpisodeMemory, collect_episodes, gae, ppo_update, success_rate


# --- neuroai.envs.KeyChainEnv ---------------------------------------------------------------------------

def play(env, policy, seed=0):
    """Run one episode per env copy with policy(env, obs) -> actions; return (obs list, rewards, info)."""
    obs, _ = env.reset(seed=seed)
    seen, total, done, info = [obs], np.zeros(env.num_envs), False, {}
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy(env, obs))
        seen.append(obs)
        total += reward
        done = terminated.all()
    return seen, total, info


def key_picker(env, obs):
    room, step = divmod(env.t, env.room_len)
    return env.key_slot[:, room] if step == 0 else np.zeros(env.num_envs, dtype=int)


def test_env_is_a_gymnasium_vector_env():
    env = KeyChainEnv(num_envs=5, keys=3, distractor_steps=4)
    assert isinstance(env, gymnasium.vector.VectorEnv)
    obs, info = env.reset(seed=1)
    assert obs.shape == (5, env.obs_dim) and obs.dtype == np.float32
    assert env.observation_space.contains(obs)
    assert env.single_action_space.n == 3 and env.horizon == 3 * 5
    assert list(env.key_steps()) == [0, 5, 10]


def test_door_pays_only_with_every_key():
    env = KeyChainEnv(num_envs=64, keys=3, distractor_steps=4, apple_prob=0.0)
    _, total, info = play(env, key_picker)
    assert info["success"].all() and np.allclose(total, 1.0)

    def miss_the_last_key(env, obs):
        actions = key_picker(env, obs)
        return (actions + 1) % 3 if env.t == 2 * env.room_len else actions
    _, total, info = play(env, miss_the_last_key)
    assert not info["success"].any() and np.allclose(total, 0.0)


def test_random_agent_succeeds_one_time_in_27():
    env = KeyChainEnv(num_envs=20000, keys=3, distractor_steps=1, apple_prob=0.0)
    _, _, info = play(env, lambda env, obs: env.rng.integers(0, 3, env.num_envs))
    assert abs(info["success"].mean() - 1 / 27) < 0.006


def test_keys_held_are_invisible_and_apples_pay():
    env = KeyChainEnv(num_envs=256, keys=2, distractor_steps=3, apple_prob=1.0, apple_reward=0.5)
    seen_a, _, _ = play(env, key_picker, seed=3)
    seen_b, _, _ = play(env, lambda env, obs: (key_picker(env, obs) + 1) % 3, seed=3)   # never a key
    for t in range(1, env.horizon):      # same seed: every observation after the start is the same
        assert np.array_equal(seen_a[t], seen_b[t]), t
    apple_block = slice(env.obs_dim - 3, env.obs_dim)

    def apples_only(env, obs):
        return (key_picker(env, obs) + 1) % 3 if env.t % env.room_len == 0 else obs[:, apple_block].argmax(-1)
    _, total, _ = play(env, apples_only, seed=4)
    assert np.allclose(total, 0.5 * 2 * 3)        # every apple picked, no key: 6 apples, no door


# --- neuroai.rl ---------------------------------------------------------------------------------------

def test_gae_with_lambda_one_is_the_discounted_return():
    rewards = torch.tensor([[0.0], [1.0], [0.0], [2.0]])
    values = torch.zeros(5, 1)
    adv, ret = gae(rewards, values, gamma=0.5, lam=1.0)
    expected = torch.tensor([[1.0 * 0.5 + 2.0 * 0.125], [1.0 + 2.0 * 0.25], [2.0 * 0.5], [2.0]])
    assert torch.allclose(adv, expected) and torch.allclose(ret, expected)


def test_gae_with_lambda_zero_is_the_td_error():
    gen = torch.Generator().manual_seed(0)
    rewards, values = torch.randn(6, 3, generator=gen), torch.randn(7, 3, generator=gen)
    values[-1] = 0
    adv, _ = gae(rewards, values, gamma=0.9, lam=0.0)
    assert torch.allclose(adv, rewards + 0.9 * values[1:] - values[:-1])


def test_episode_memory_keeps_the_newest():
    memory = EpisodeMemory(capacity=2)
    episodes = torch.arange(5.0)[None, :, None].expand(3, 5, 1)         # (T=3, B=5, 1): episode b is all b
    memory.add(episodes, torch.tensor([True, False, True, True, False]))
    assert not memory.ready() or len(memory.failure) == 2
    memory.add(episodes[:, :1] + 10, torch.tensor([False]))
    assert memory.ready()
    assert memory.successes()[0, :, 0].tolist() == [2.0, 3.0]
    assert memory.failures()[0, :, 0].tolist() == [4.0, 10.0]
    assert memory.successes().shape == (3, 2, 1)


def test_collect_episodes_shapes_and_repeatability():
    env = KeyChainEnv(num_envs=8, keys=2, distractor_steps=2)
    agent = ActorCritic(env.obs_dim, 3)
    a = collect_episodes(env, agent, torch.Generator().manual_seed(5))
    b = collect_episodes(env, agent, torch.Generator().manual_seed(5))
    T = env.horizon
    assert a["obs"].shape == (T, 8, env.obs_dim) and a["actions"].shape == (T, 8)
    assert a["values"].shape == (T + 1, 8) and (a["values"][-1] == 0).all()
    assert a["success"].shape == (8,) and a["success"].dtype == torch.bool
    assert torch.equal(a["actions"], b["actions"]) and torch.equal(a["rewards"], b["rewards"])
    assert 0.0 <= success_rate(env, agent, torch.Generator().manual_seed(0), episodes=16) <= 1.0


def test_agents_train_side_by_side_without_mixing():
    """Two agents in one ActorCritic: agent 0's update does not depend on agent 1's episodes (its own
    advantages normalized, its own gradient clipped)."""
    env = KeyChainEnv(num_envs=8, keys=2, distractor_steps=2)
    torch.manual_seed(0)
    agent = ActorCritic(env.obs_dim, 3, agents=2)
    batch = collect_episodes(env, agent, torch.Generator().manual_seed(1))
    adv, ret = gae(batch["rewards"], batch["values"])
    start = copy.deepcopy(agent.state_dict())

    def update(rewards_scale):
        agent.load_state_dict(start)
        opt = torch.optim.Adam(agent.parameters(), lr=1e-2)
        a, r = adv.clone(), ret.clone()
        a[:, 4:] *= rewards_scale                                # agent 1 owns env copies 4..7
        r[:, 4:] *= rewards_scale
        ppo_update(agent, opt, batch, a, r, torch.Generator().manual_seed(2))
        return {k: v.clone() for k, v in agent.state_dict().items()}

    one, other = update(1.0), update(-30.0)
    for k in one:
        assert torch.equal(one[k][0], other[k][0]), k            # agent 0 untouched by agent 1's data
    assert any(not torch.equal(one[k][1], other[k][1]) for k in one)
    logits, value = agent(batch["obs"])
    assert logits.shape == (env.horizon, 8, 3) and value.shape == (env.horizon, 8)
    rates = success_rate(env, agent, torch.Generator().manual_seed(0), episodes=16)
    assert rates.shape == (2,) and ((rates >= 0) & (rates <= 1)).all()
