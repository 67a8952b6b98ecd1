"""Hidden-test inputs for the embodied-turing-test exercises.

The grader (neuroai.course.judge.check) calls the student's function and the reference on each case
below and compares the outputs. Every input is plain data (tensors, floats, ints), seeded. The
trajectories are synthetic (travelling waves with noise, drifting bodies), not simulated: the
features must be right for any trajectory, not only the swimmer's.
"""
import math

import torch

F64 = torch.float64


def cpg_action_cases(gen):
    cases = []
    for T, J in ((1, 1), (50, 2), (200, 4), (33, 7)):
        t = torch.rand(T, generator=gen, dtype=F64).sort().values * 20                  # (T,) seconds
        amp = float(0.1 + 0.9 * torch.rand((), generator=gen))
        freq = float(0.1 + 2 * torch.rand((), generator=gen))
        lag = float(-math.pi + 2 * math.pi * torch.rand((), generator=gen))
        cases.append({"t": t, "amp": amp, "freq": freq, "phase_lag": lag, "n_joints": J})
    cases.append({"t": torch.arange(100, dtype=torch.float32) * 0.04, "amp": 0.7, "freq": 0.5,
                  "phase_lag": 1.0, "n_joints": 2})                                      # float32 stays float32
    return cases


def trajectory(gen, T, J, dt):
    """A body drifting in the plane while J joints oscillate as a noisy travelling wave."""
    t = torch.arange(T, dtype=F64) * dt
    freq = 0.2 + 1.0 * torch.rand((), generator=gen, dtype=F64)
    lag = -2 + 4 * torch.rand((), generator=gen, dtype=F64)
    amp = 0.3 + torch.rand(J, generator=gen, dtype=F64)
    j = torch.arange(J, dtype=F64)
    q = amp * torch.sin(2 * math.pi * freq * t[:, None] - j * lag) + 0.05 * torch.randn(T, J, generator=gen, dtype=F64)
    xy = torch.cumsum(0.01 * torch.randn(T, 2, generator=gen, dtype=F64) + 0.004, 0)
    heading = 0.3 * torch.sin(2 * math.pi * freq * t)
    return torch.cat([xy, heading[:, None], q], 1)                                       # (T, 3 + J)


def kinematic_features_cases(gen):
    return [{"qpos": trajectory(gen, T, J, dt), "dt": dt, "window": W}
            for T, J, dt, W in ((451, 2, 0.04, 100), (301, 3, 0.04, 100), (250, 2, 0.02, 60), (101, 4, 0.05, 100))]


def cem_update_cases(gen):
    cases = []
    for N, P, frac, min_std in ((10, 3, 0.25, 0.02), (12, 6, 0.25, 0.02), (7, 2, 0.5, 0.1), (40, 4, 0.1, 1e-3),
                                (5, 1, 0.2, 0.05)):
        params = torch.randn(N, P, generator=gen, dtype=F64) * torch.rand(P, generator=gen, dtype=F64)
        scores = torch.randn(N, generator=gen, dtype=F64)
        cases.append({"params": params, "scores": scores, "elite_frac": frac, "min_std": min_std})
    return cases


def behaviour_distance_cases(gen):
    cases = []
    for Nm, Na, F in ((30, 40, 6), (8, 80, 6), (50, 50, 3)):
        F_animal = torch.randn(Na, F, generator=gen, dtype=F64) * 2 + 1
        shift = 0.5 * torch.randn(F, generator=gen, dtype=F64)
        scale = torch.exp(0.5 * torch.randn(F, generator=gen, dtype=F64))
        F_model = (torch.randn(Nm, F, generator=gen, dtype=F64) * 2 * scale + 1 + shift)
        cases.append({"F_model": F_model, "F_animal": F_animal})
    F_animal = torch.randn(60, 6, generator=gen, dtype=F64)
    cases.append({"F_model": F_animal[:1].expand(20, 6).clone(), "F_animal": F_animal})   # no variability at all
    cases.append({"F_model": F_animal[:30].clone(), "F_animal": F_animal[30:].clone()})   # the same distribution
    return cases


GRADED = {
    "cpg_action": {"cases": cpg_action_cases, "atol": 1e-5},
    "kinematic_features": {"cases": kinematic_features_cases},
    "cem_update": {"cases": cem_update_cases},
    "behaviour_distance": {"cases": behaviour_distance_cases},
}


# One plausible student mistake per graded function: (text in the solution, replacement, what it is).
# The tests check that the hidden tests catch each one and that it costs only that function's points.
MISTAKES = {
    "cpg_action": ("- j[None, :] * phase_lag", "+ j[None, :] * phase_lag",
                   "the wave runs from tail to head"),
    "kinematic_features": ("Xk[:, :-1] * Xk[:, 1:].conj()", "Xk[:, :-1].conj() * Xk[:, 1:]",
                           "phase lag measured the wrong way round"),
    "cem_update": ("torch.argsort(scores, descending=True)", "torch.argsort(scores)",
                   "keeps the worst candidates"),
    "behaviour_distance": ("(((m - a) / s) ** 2 + torch.log(sigma / s) ** 2).mean()", "(((m - a) / s) ** 2).mean()",
                           "matches only the mean behaviour, not its spread"),
}
