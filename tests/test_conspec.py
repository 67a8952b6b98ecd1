"""The conspec reference and the course's reinforcement-learning kit (neuroai.envs, neuroai.rl): the
environment follows its rules and the gymnasium API, the RL parts compute what they say, ConSpec's
functions do what the paper's equations say, and the claim check can fail."""
import gymnasium
import numpy as np
import pytest
import torch

from neuroai.course import lessons
from neuroai.envs import KeyChainEnv
from neuroai.rl import ActorCritic, EpisodeMemory, collect_episodes, gae, success_rate

ref = lessons.load_reference("conspec")
DT = torch.float64


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


# --- ConSpec (solutions/conspec.py) ---------------------------------------------------------------------

def test_step_features_read_what_was_picked():
    env = KeyChainEnv(num_envs=4, keys=ref.KEYS, distractor_steps=ref.DISTRACTORS, apple_prob=1.0)
    obs, _ = env.reset(seed=0)
    obs = torch.as_tensor(obs)[None]                                          # (1, 4, D): a choice step
    key = torch.as_tensor(env.key_slot[:, 0])[None]
    x = ref.step_features(obs, key)
    K = ref.KEYS
    assert x.shape == (1, 4, 2 * K + 2 + ref.DISTRACTORS)
    assert (x[0, :, -K - 1] == 1).all() and (x[0, :, -K:] == 0).all()   # the key of colour 0, no apple
    x = ref.step_features(obs, (key + 1) % 3)
    assert (x[0, :, -K - 1:] == 0).all()                                     # picked no key


def test_prototype_scores_are_cosines_of_the_heads():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, 5, generator=gen, dtype=DT)
    W1, W2 = torch.randn(2, 6, 5, generator=gen, dtype=DT), torch.randn(2, 6, 6, generator=gen, dtype=DT)
    P = torch.randn(2, 6, generator=gen, dtype=DT)
    s = ref.prototype_scores(x, W1, W2, P)
    for i in range(2):
        g = torch.relu(torch.relu(x @ W1[i].T) @ W2[i].T)
        assert torch.allclose(s[..., i], torch.nn.functional.cosine_similarity(g, P[i].expand_as(g), dim=-1))


def test_conspec_loss_prefers_prototypes_that_separate_and_differ():
    s = torch.zeros(8, 4, 2, dtype=DT)
    s[2, :2, 0], s[5, :2, 1] = 1.0, 1.0                     # two prototypes, two steps, successes only
    is_success = torch.tensor([True, True, False, False])
    assert float(ref.conspec_loss(s, is_success)) < 1e-9
    fails_too = s.clone()
    fails_too[2, 2:, 0] = 1.0
    assert float(ref.conspec_loss(fails_too, is_success)) == pytest.approx(1.0)
    same_step = s.clone()
    same_step[5, :2, 1], same_step[2, :2, 1] = 0.0, 1.0
    assert float(ref.conspec_loss(same_step, is_success)) == pytest.approx(0.2 / 2 * 2 * 2, rel=1e-6)
    s.requires_grad_(True)
    ref.conspec_loss(s + 0.1, is_success).backward()           # differentiable
    assert s.grad is not None and torch.isfinite(s.grad).all()


def test_intrinsic_reward_pays_once_at_the_onset():
    s = torch.zeros(12, 1, 1, dtype=DT)
    s[3:9, 0, 0] = 0.9                                          # a long plateau
    r = ref.intrinsic_reward(s, torch.ones(1, dtype=DT))
    assert torch.nonzero(r[:, 0]).flatten().tolist() == [3]
    assert float(r[3, 0]) == pytest.approx(0.2 * 0.9)
    s[6, 0, 0] = 0.95                                          # a higher peak inside: pays there, less the echo
    r = ref.intrinsic_reward(s, torch.ones(1, dtype=DT))
    assert float(r[6, 0]) == pytest.approx(0.2 * 0.95)         # the echo of t = 3 lies outside the window
    assert float(r[3, 0]) == 0.0                               # t = 3 is no longer the local maximum


def _fake_out(success_conspec=0.95, success_ppo=0.1, auc_conspec=0.5, auc_ppo=0.1, precision=1.0, recall=0.67):
    return {"conspec": {"success": success_conspec, "used": torch.ones(2), "curve": [auc_conspec] * 10},
            "ppo": {"success": success_ppo, "curve": [auc_ppo] * 10}, "precision": precision, "recall": recall}


@pytest.mark.parametrize("change, holds", [
    ({}, True),
    ({"success_conspec": 0.3}, True),                          # ends barely better, but learned much faster
    ({"auc_conspec": 0.1}, True),                              # learned no faster, but ends far better
    ({"success_conspec": 0.3, "auc_conspec": 0.15}, False),    # neither better nor much faster
    ({"success_ppo": 0.8, "auc_ppo": 0.45}, False),            # PPO learned it too, as fast
    ({"precision": 0.5}, False),                               # prototypes fire at other steps
    ({"recall": 0.3}, False),                                  # prototypes cover one key only
])
def test_claim_check_can_fail(change, holds):
    _, _, verdict = ref.check(_fake_out(**change))
    assert verdict is holds


def test_learning_curve_area_is_the_mean_success_over_training():
    assert ref.learning_curve_area([0.0, 0.5, 1.0, 0.5]) == pytest.approx(0.5)
    measured, _, _ = ref.check(_fake_out(auc_conspec=0.6, auc_ppo=0.2))
    assert measured["auc_gap"] == pytest.approx(0.4) and measured["success_gap"] == pytest.approx(0.85)


def test_a_short_run_trains_and_measures():
    out = ref.run(seed=0, progress=False, iterations=3)
    measured, thresholds, holds = ref.check(out)
    named = {name.strip() for key in thresholds for name in key.split(" or ")}
    assert named <= set(measured) and isinstance(holds, bool)
    assert all(isinstance(v, float) for v in measured.values())
    assert len(out["ppo"]["curve"]) == 3 and len(out["conspec"]["curve"]) == 3


def test_run_restores_the_thread_count():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        ref.run(seed=0, progress=False, iterations=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
