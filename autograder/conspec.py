"""Hidden-test inputs for the conspec exercises.

The grader (neuroai.course.judge.check) calls the student's function and the reference on each case
below and compares the outputs. Cases are random but seeded and plain data (tensors, numbers): several
shapes, heads whose ReLUs silence every unit (score 0), scores with ties and plateaus above the
threshold, episodes at the edges of the window, a single success or failure, other weights and windows.
"""
import torch

DT = torch.float64


def prototype_scores_cases(gen):
    cases = []
    for lead, D, M, H in (((7, 3), 5, 4, 6), ((2,), 3, 1, 2), ((4, 2, 3), 6, 3, 5), ((11, 8), 9, 6, 16)):
        x = torch.randn(*lead, D, generator=gen, dtype=DT)
        W1 = torch.randn(M, H, D, generator=gen, dtype=DT)
        W2 = torch.randn(M, H, H, generator=gen, dtype=DT)
        P = torch.randn(M, H, generator=gen, dtype=DT)
        cases.append({"x": x, "W1": W1, "W2": W2, "prototypes": P})
    x = torch.rand(5, 4, 3, generator=gen, dtype=DT)                  # nonnegative inputs ...
    W1 = -torch.rand(2, 4, 3, generator=gen, dtype=DT)                # ... and a head that is silent
    cases.append({"x": x, "W1": W1, "W2": torch.randn(2, 4, 4, generator=gen, dtype=DT),
                  "prototypes": torch.randn(2, 4, generator=gen, dtype=DT)})
    return cases


def scores(gen, T, B, M):
    """Scores in (-1, 1), many above 0.6, with some exact ties and plateaus."""
    s = torch.tanh(1.5 * torch.randn(T, B, M, generator=gen, dtype=DT))
    if T > 4:
        s[2] = s[1]                                                   # a tie between neighbours
        s[-3:, 0] = 0.9                                               # a plateau at the end
    return s


def conspec_loss_cases(gen):
    cases = []
    for T, B, M, w in ((10, 6, 3, 0.2), (5, 4, 1, 0.2), (20, 9, 6, 0.2), (8, 5, 4, 1.0), (12, 7, 2, 0.0)):
        is_success = torch.rand(B, generator=gen) < 0.5
        is_success[0], is_success[1] = True, False                    # at least one of each
        cases.append({"s": scores(gen, T, B, M), "is_success": is_success, "diversity_weight": w})
    cases.append({"s": scores(gen, 6, 2, 3), "is_success": torch.tensor([False, True]), "diversity_weight": 0.2})
    return cases


def intrinsic_reward_cases(gen):
    cases = []
    for T, B, M, lam, thr, window in ((12, 3, 4, 0.2, 0.6, 3), (30, 5, 6, 0.2, 0.6, 3), (4, 2, 2, 0.5, 0.3, 3),
                                      (15, 4, 3, 1.0, 0.5, 1), (20, 2, 5, 0.2, 0.6, 5), (9, 6, 1, 0.3, 0.0, 2)):
        used = (torch.rand(M, generator=gen) < 0.7).to(DT)
        used[0] = 1.0
        cases.append({"s": scores(gen, T, B, M), "used": used, "lam": lam, "threshold": thr, "window": window})
    return cases


GRADED = {
    "prototype_scores": {"cases": prototype_scores_cases},
    "conspec_loss": {"cases": conspec_loss_cases},
    "intrinsic_reward": {"cases": intrinsic_reward_cases},
}


# One plausible student mistake per graded function: (text in the solution, replacement, what it is).
# The tests check that the hidden tests catch each one and that it costs only that function's points.
MISTAKES = {
    "prototype_scores": ('torch.relu(torch.einsum("...d,mhd->...mh", x, W1))', 'torch.einsum("...d,mhd->...mh", x, W1)',
                         "no ReLU after the first layer"),
    "conspec_loss": ("best = s.max(dim=0).values", "best = s.mean(dim=0)",
                     "the mean score of an episode instead of its best match"),
    "intrinsic_reward": ("0.5 ** (j - 1)", "0.5 ** j", "an echo that starts at one half"),
}
