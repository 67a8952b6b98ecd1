"""The embodied-turing-test reference: each function does what its equation says, and the claim check
can fail. (The library it runs on, neuroai.sim and neuroai.turing, is tested in tests/library/.)"""
import math

import numpy as np
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


def test_held_out_features_read_a_known_recoil():
    dt, T = 0.04, 201
    t = torch.arange(T, dtype=F64) * dt
    heading = 0.02 * t + 0.3 * torch.sin(2 * math.pi * 0.5 * t)                   # a slow turn and a 0.3 rad yaw
    direction = torch.tensor([math.cos(0.7), math.sin(0.7)], dtype=F64)          # swimming at 0.7 rad
    across = torch.tensor([-math.sin(0.7), math.cos(0.7)], dtype=F64)
    xy = 0.1 * t[:, None] * direction + 0.05 * torch.sin(2 * math.pi * 0.5 * t)[:, None] * across
    traj = torch.cat([xy, heading[:, None], torch.zeros(T, 2, dtype=F64)], 1)
    H = ref.held_out_features(traj, dt, 100)
    assert H.shape == (2, 2)

    def residual_std(y):                    # std about a least-squares line, by numpy's polyfit
        i = np.arange(len(y))
        return float(np.std(y - np.polyval(np.polyfit(i, y, 1), i), ddof=1))
    wave = torch.sin(2 * math.pi * 0.5 * t[:100]).numpy()                         # each window: the same 2 cycles
    assert torch.allclose(H[:, 0], torch.full((2,), 0.3 * residual_std(wave), dtype=F64), atol=1e-9)   # turn removed
    assert torch.allclose(H[:, 1], torch.full((2,), 0.05 * residual_std(wave), dtype=F64), atol=1e-4)  # across travel
    assert 0.9 * 0.3 / math.sqrt(2) < H[0, 0] < 0.3 / math.sqrt(2)                # about a sine's std
    straight = traj.clone()
    straight[:, :3] = torch.cat([xy[:, :1] * 0, 0.1 * t[:, None], torch.zeros(T, 1, dtype=F64)], 1)
    assert torch.allclose(ref.held_out_features(straight, dt, 100), torch.zeros(2, 2, dtype=F64), atol=1e-9)


def test_b_objective_does_not_see_the_held_out_features():
    qpos = ref.simulate(ref.animal_params(3, seed=0), 150, seed=0)
    F_objective, _ = ref.features(qpos)                 # what imitation_score (Eq. 6) compares
    F_judge, _ = ref.judge_features(qpos)
    assert F_objective.shape[1] == 6 and F_judge.shape[1] == 8
    assert torch.equal(F_judge[:, ref.OBJECTIVE], F_objective)
    assert ref.VIEWS["held out"] == ref.HELD_OUT and ref.VERDICT_VIEW == "all"


def _fake_out(auc_A=0.99, auc_B=0.75, auc_avg=0.97, speed_A=0.16, speed_animal=0.12, gain=0.3, auc_A_spread=0.97,
              auc_self=0.5, auc_B_held=0.6, auc_avg_held=0.95, auc_self_held=0.5, auc_B_objective=0.6):
    aucs = {"A (task reward)": auc_A, "B (imitation)": auc_B, "B, average stroke": auc_avg,
            "A, with the animal's spread": auc_A_spread, "animal, other episodes": auc_self}
    held = {**aucs, "B (imitation)": auc_B_held, "B, average stroke": auc_avg_held, "animal, other episodes": auc_self_held}
    out = {("test", name, "all"): {"auc": auc} for name, auc in aucs.items()}
    out.update({("test", name, "held out"): {"auc": auc} for name, auc in held.items()})
    out.update({("test", name, "objective"): {"auc": auc} for name, auc in aucs.items()})
    out["test", "B (imitation)", "objective"] = {"auc": auc_B_objective}
    return {**out, ("speed", "animal"): speed_animal, ("speed", "A (task reward)"): speed_A,
            ("speed", "B (imitation)"): 0.12, "speed_controller_only": 0.2, "speed_codesign": 0.2 * (1 + gain),
            "theta_C": torch.tensor([0.7, 0.5, 1.0, 0.5], dtype=F64)}


@pytest.mark.parametrize("change, holds", [
    ({}, True),
    ({"auc_A": 0.85, "auc_B": 0.7}, False),   # the task-trained swimmer is not told apart
    ({"auc_B": 0.85}, False),                 # the imitating swimmer is told apart too
    ({"auc_avg": 0.8}, False),                # the average stroke is hard to tell apart
    ({"speed_A": 0.11}, False),               # the task-trained swimmer is slower than the animal
    ({"auc_A_spread": 0.8}, False),           # A was told apart only for being too regular
    ({"auc_self": 0.7}, False),               # the judge tells the animal from itself: false positives
    ({"auc_B_held": 0.85}, False),            # B matches its objective but not the held-out recoil
    ({"auc_avg_held": 0.8}, False),           # the held-out features cannot even spot the average stroke
    ({"auc_self_held": 0.7}, False),          # the held-out judge tells the animal from itself
    ({"auc_B_objective": 0.95}, True),        # the objective-only judge is reported, not tested
    ({"gain": -0.2}, True),                   # co-design is reported, not tested
])
def test_claim_check_can_fail(change, holds):
    measured, thresholds, verdict = ref.check(_fake_out(**change))
    assert verdict is holds
    assert set(measured) == set(thresholds) and all(isinstance(v, float) for v in measured.values())
