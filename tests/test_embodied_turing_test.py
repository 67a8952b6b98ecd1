"""The embodied-turing-test reference and the package parts it brought (neuroai.sim, neuroai.turing):
each function does what its equation says, the harness can tell distributions apart and fails to
where there is nothing to tell, and the claim check can fail."""
import math

import numpy as np
import pytest
import torch

from neuroai import sim, turing
from neuroai.course import lessons

ref = lessons.load_reference("embodied-turing-test")
F64 = torch.float64


# neuroai.sim: the body as a gymnasium environment

def test_swimmer_is_a_gymnasium_env_and_seeded():
    env = sim.make_swimmer()
    obs, info = env.reset(seed=3)
    assert env.action_space.shape == (2,) and obs.shape == env.observation_space.shape
    actions = np.tile([[0.5, -0.5]], (20, 1))
    a, b = sim.rollout(env, actions, seed=3), sim.rollout(env, actions, seed=3)
    c = sim.rollout(env, actions, seed=4)
    assert a["qpos"].shape == (21, 5) and a["com"].shape == (21, 3) and a["reward"].shape == (20,)
    assert np.array_equal(a["qpos"], b["qpos"]) and not np.array_equal(a["qpos"], c["qpos"])
    assert math.isclose(a["dt"], 0.04)
    env.close()


def test_the_body_is_a_parameter():
    short_head = sim.make_swimmer((0.5, 1.25, 1.25)).unwrapped.model
    default = sim.make_swimmer().unwrapped.model
    assert short_head.nu == default.nu == 2
    assert not np.allclose(short_head.body_pos, default.body_pos)
    four_links = sim.make_swimmer((0.75, 0.75, 0.75, 0.75)).unwrapped
    assert four_links.action_space.shape == (3,) and four_links.model.nq == 6


def test_a_travelling_wave_swims_forward_and_a_still_body_does_not():
    env = sim.make_swimmer()
    t = torch.arange(300, dtype=F64) * 0.04
    wave = sim.rollout(env, ref.cpg_action(t, 0.7, 0.5, 1.0, 2).numpy(), seed=0)
    still = sim.rollout(sim.make_swimmer(reset_noise=0.0), np.zeros((300, 2)), seed=0)
    assert wave["com"][-1, 0] - wave["com"][0, 0] > 1.0          # metres in 12 s
    assert np.abs(still["com"][-1] - still["com"][0]).max() < 1e-9
    assert np.isclose(wave["forward_speed"].mean(), (wave["com"][-1, 0] - wave["com"][0, 0]) / 12)


def test_trajectory_figure_and_animation_without_a_renderer(monkeypatch):
    qpos = np.zeros((30, 5))
    fig = sim.trajectory_figure(qpos, 0.04, "still")
    assert len(fig.axes) == 2
    html = sim.animation_html([np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)])
    assert html.startswith('<img src="data:image/gif;base64,')

    def no_gl(*args, **kwargs):
        raise RuntimeError("no OpenGL here")
    monkeypatch.setattr(sim, "render_frames", no_gl)
    fig = sim.show_rollout(sim.swimmer_xml(), qpos, 0.04, animate=False)   # falls back to the plot
    assert len(fig.axes) == 2


def test_rendering_where_egl_works():
    try:
        frames = sim.render_frames(sim.swimmer_xml(), np.zeros((3, 5)), every=1, width=64, height=48)
    except RuntimeError as err:
        pytest.skip(f"no OpenGL on this machine: {err}")
    assert len(frames) == 3 and frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    assert frames[0].std() > 0                                          # not a blank image


# neuroai.turing: the test harness

def test_roc_auc_matches_its_definition():
    scores = torch.tensor([0.1, 0.4, 0.35, 0.8, 0.4])
    labels = torch.tensor([0, 0, 1, 1, 1])
    # positives 0.35, 0.8, 0.4 vs negatives 0.1, 0.4: wins 1 + 2 + 1, one tie (0.4 vs 0.4) -> 4.5 / 6
    assert math.isclose(turing.roc_auc(scores, labels), 4.5 / 6)
    assert turing.roc_auc(torch.tensor([1.0, 2.0]), torch.tensor([0, 1])) == 1.0


def test_fit_logistic_finds_the_optimum():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(200, 3, generator=gen, dtype=F64)
    y = (X @ torch.tensor([2.0, -1.0, 0.0], dtype=F64) + 0.3 * torch.randn(200, generator=gen, dtype=F64) > 0).to(F64)
    w, b = turing.fit_logistic(X, y, l2=1e-2)
    theta = torch.cat([w, b[None]]).requires_grad_(True)
    A = torch.cat([X, torch.ones(200, 1, dtype=F64)], 1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(A @ theta, y) + 0.5e-2 * (theta[:3] ** 2).sum()
    (grad,) = torch.autograd.grad(loss, theta)
    assert grad.abs().max() < 1e-6 and w[0] > 0 > w[1]


def test_turing_test_chance_for_the_same_distribution_and_one_for_different_ones():
    gen = torch.Generator().manual_seed(1)
    animal = torch.randn(200, 4, generator=gen, dtype=F64)
    same = torch.randn(200, 4, generator=gen, dtype=F64)
    shifted = torch.randn(200, 4, generator=gen, dtype=F64) + torch.tensor([2.0, 0, 0, 0], dtype=F64)
    narrow = 0.2 * torch.randn(200, 4, generator=gen, dtype=F64)     # same mean, less variable
    groups = torch.arange(200) // 4                                   # 4 windows per episode
    t_same = turing.turing_test(animal, same, groups, groups, n_boot=200)
    assert 0.35 < t_same["auc"] < 0.65 and t_same["ci"][0] < 0.5 < t_same["ci"][1]
    assert turing.turing_test(animal, shifted, groups, groups, n_boot=200)["auc"] > 0.9
    assert turing.turing_test(animal, narrow, groups, groups, n_boot=200)["auc"] > 0.9       # needs the squares
    assert turing.turing_test(animal, narrow, groups, groups, n_boot=200, quadratic=False)["auc"] < 0.7


def test_folds_keep_episodes_together():
    groups = torch.arange(40) // 4
    fold = turing._folds(groups, 5, torch.Generator().manual_seed(0))
    for g in range(10):
        assert len(set(fold[groups == g].tolist())) == 1
    assert sorted(torch.bincount(fold).tolist()) == [8] * 5


# the reference's own functions

def test_cpg_is_a_travelling_wave():
    t = torch.linspace(0, 4, 101, dtype=F64)
    a = ref.cpg_action(t, 0.8, 0.5, 1.2, 3)
    assert a.shape == (101, 3) and a.abs().max() <= 0.8
    # joint j at time t is joint 0 at time t - j * lag / (2 pi f)
    shift = 1.2 / (2 * math.pi * 0.5)
    assert torch.allclose(a[:, 1], ref.cpg_action(t - shift, 0.8, 0.5, 1.2, 1)[:, 0])


def test_features_read_a_known_wave():
    dt, T = 0.04, 401
    t = torch.arange(T, dtype=F64) * dt
    q = ref.cpg_action(t, 0.6, 0.5, 0.9, 2)                                       # (T, 2)
    x = 0.1 * t                                                                    # 0.1 m/s forward
    traj = torch.cat([x[:, None], torch.zeros(T, 2, dtype=F64), q], 1)
    F = ref.kinematic_features(traj, dt, 100)
    assert F.shape == (4, 6)
    std, freq, cos, sin, speed = F[:, :2], F[:, 2], F[:, 3], F[:, 4], F[:, 5]
    assert torch.allclose(std, torch.full_like(std, 0.6 / math.sqrt(2)), atol=0.01)
    assert torch.allclose(freq, torch.full_like(freq, 0.5), atol=0.03)   # a 4 s window holds 2 cycles: leakage
    assert torch.allclose(torch.atan2(sin, cos), torch.full_like(cos, 0.9), atol=0.05)
    assert torch.allclose(speed, torch.full_like(speed, 0.1))


def test_cem_update_keeps_the_best():
    params = torch.tensor([[0.0], [1.0], [2.0], [3.0]], dtype=F64)
    mean, std = ref.cem_update(params, torch.tensor([0.0, 1.0, 3.0, 2.0], dtype=F64), 0.5, 0.01)
    assert torch.allclose(mean, torch.tensor([2.5], dtype=F64))
    assert torch.allclose(std, torch.tensor([math.sqrt(0.5)], dtype=F64))
    _, std = ref.cem_update(torch.ones(8, 2, dtype=F64), torch.arange(8.0), 0.25, 0.05)
    assert torch.equal(std, torch.full((2,), 0.05, dtype=F64))       # floored


def test_behaviour_distance_sees_mean_and_spread():
    gen = torch.Generator().manual_seed(2)
    animal = torch.randn(4000, 3, generator=gen, dtype=F64)
    assert ref.behaviour_distance(torch.randn(4000, 3, generator=gen, dtype=F64), animal) < 0.01
    shifted = torch.randn(4000, 3, generator=gen, dtype=F64) + 1
    assert math.isclose(float(ref.behaviour_distance(shifted, animal)), 1.0, abs_tol=0.1)
    narrow = 0.5 * torch.randn(4000, 3, generator=gen, dtype=F64)
    assert math.isclose(float(ref.behaviour_distance(narrow, animal)), math.log(2) ** 2, abs_tol=0.05)
    average = animal.mean(0).expand(10, 3)                            # the average animal, repeated
    assert ref.behaviour_distance(average, animal) > 40


def test_cem_climbs_a_simple_hill():
    target = torch.tensor([0.3, -0.2], dtype=F64)
    _, best, history = ref.cem(lambda c, seed: -((c - target) ** 2).sum(1), torch.zeros(2, dtype=F64),
                            torch.ones(2, dtype=F64), -torch.ones(2, dtype=F64), torch.ones(2, dtype=F64),
                            iters=15, pop=20, seed=0, progress=False)
    assert torch.allclose(best, target, atol=0.05) and history[-1] > history[0]


def test_animal_varies_from_episode_to_episode_within_bounds():
    p = ref.animal_params(200, seed=0)
    assert torch.allclose(p.mean(0), torch.tensor(ref.ANIMAL["mean"], dtype=F64), atol=0.03)
    assert torch.allclose(p.std(0), torch.tensor(ref.ANIMAL["std"], dtype=F64), rtol=0.2)
    assert torch.equal(p, ref.animal_params(200, seed=0))


def _fake_out(auc_A=0.99, auc_B=0.75, auc_avg=0.97, speed_A=0.16, speed_animal=0.12, gain=0.3):
    return {("test", "A (task reward)"): {"auc": auc_A}, ("test", "B (imitation)"): {"auc": auc_B},
            ("test", "B, average stroke"): {"auc": auc_avg},
            ("speed", "animal"): speed_animal, ("speed", "A (task reward)"): speed_A, ("speed", "B (imitation)"): 0.12,
            "speed_controller_only": 0.2, "speed_codesign": 0.2 * (1 + gain)}


@pytest.mark.parametrize("change, holds", [
    ({}, True),
    ({"auc_A": 0.85, "auc_B": 0.7}, False),   # the task-trained swimmer is not told apart
    ({"auc_B": 0.85}, False),                 # the imitating swimmer is told apart too
    ({"auc_avg": 0.8}, False),                # the average stroke is hard to tell apart
    ({"speed_A": 0.11}, False),               # the task-trained swimmer is slower than the animal
    ({"gain": -0.2}, True),                   # co-design is reported, not tested
])
def test_claim_check_can_fail(change, holds):
    _, _, verdict = ref.check(_fake_out(**change))
    assert verdict is holds
