"""The embodied-turing-test reference: each function does what its equation says, and the claim check
can fail. (The library it runs on, neuroai.sim and neuroai.turing, is tested in tests/library/.)"""
import math

import pytest
import torch

from neuroai.course import lessons

ref = lessons.load_reference("embodied-turing-test")
F64 = torch.float64


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


def _fake_out(auc_A=0.99, auc_B=0.75, auc_avg=0.97, speed_A=0.16, speed_animal=0.12, gain=0.3, auc_A_spread=0.97,
              auc_self=0.5):
    return {("test", "A (task reward)"): {"auc": auc_A}, ("test", "B (imitation)"): {"auc": auc_B},
            ("test", "B, average stroke"): {"auc": auc_avg},
            ("test", "A, with the animal's spread"): {"auc": auc_A_spread},
            ("test", "animal, other episodes"): {"auc": auc_self},
            ("speed", "animal"): speed_animal, ("speed", "A (task reward)"): speed_A, ("speed", "B (imitation)"): 0.12,
            "speed_controller_only": 0.2, "speed_codesign": 0.2 * (1 + gain)}


@pytest.mark.parametrize("change, holds", [
    ({}, True),
    ({"auc_A": 0.85, "auc_B": 0.7}, False),   # the task-trained swimmer is not told apart
    ({"auc_B": 0.85}, False),                 # the imitating swimmer is told apart too
    ({"auc_avg": 0.8}, False),                # the average stroke is hard to tell apart
    ({"speed_A": 0.11}, False),               # the task-trained swimmer is slower than the animal
    ({"auc_A_spread": 0.8}, False),           # A was told apart only for being too regular
    ({"auc_self": 0.7}, False),               # the judge tells the animal from itself: false positives
    ({"gain": -0.2}, True),                   # co-design is reported, not tested
])
def test_claim_check_can_fail(change, holds):
    _, _, verdict = ref.check(_fake_out(**change))
    assert verdict is holds
