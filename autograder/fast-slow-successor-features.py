"""Hidden-test inputs for the fast-slow-successor-features exercises.

The grader (neuroai.course.judge.check) calls the student's function and the reference on each case
below and compares the outputs. Cases are random but seeded and plain data (tensors, numbers): chains of
2 to 9 beakers, other couplings g and recall rates lr_c, beakers of several shapes, masks half open,
steps on either side of a timescale and exactly on one; for the TD loss, episodes that end (done) and
ones that do not, a task vector shared by the batch and one per transition, and the gradients with
respect to psi (what trains the SFs) and psi_next (which must be none: the target is held fixed).
"""
import torch

DT = torch.float64


def capacities(K):
    return 2.0 ** torch.arange(K + 1, dtype=DT)


def recall_mask_cases(gen):
    cases = []
    for K, g in ((9, 0.05), (3, 0.05), (6, 0.1), (2, 0.025), (5, 0.05)):
        scales = torch.ceil(capacities(K)[:-1] / g)                         # (K,) 20 * 2^k for g = 0.05
        steps = [0, int(scales[0]), int(scales[0]) + 1, int(scales[min(2, K - 1)]) + 3,
                 int(scales[-1]), int(scales[-1]) + 1, 10 ** 6]
        steps.append(int(torch.randint(0, int(scales[-1]) + 50, (), generator=gen)))
        cases += [{"step": s, "scales": scales} for s in steps]
    scales = torch.tensor([3.0, 7.0, 7.0, 40.0], dtype=DT)                  # a tie between two beakers
    cases += [{"step": s, "scales": scales} for s in (3, 4, 7, 8, 41)]
    return cases


def benna_fusi_step_cases(gen):
    cases = []
    for K, shape, g, lr_c in ((9, (3,), 0.05, 1.0), (2, (4, 2), 0.05, 1.0), (3, (5,), 0.1, 0.5),
                              (6, (2, 3, 2), 0.05, 1.0), (4, (), 0.2, 2.0), (9, (6,), 0.05, 1.0)):
        U = torch.randn(K, *shape, generator=gen, dtype=DT)
        open_ = int(torch.randint(0, K + 1, (), generator=gen))               # the first `open_` recall
        mask = (torch.arange(K) < open_).to(DT)
        cases.append({"U": U, "caps": capacities(K), "g": g, "lr_c": lr_c, "mask": mask})
    U = torch.randn(5, 3, generator=gen, dtype=DT)
    cases.append({"U": U, "caps": capacities(5), "g": 0.05, "lr_c": 1.0, "mask": torch.ones(5, dtype=DT)})
    cases.append({"U": U, "caps": capacities(5), "g": 0.05, "lr_c": 1.0, "mask": torch.zeros(5, dtype=DT)})
    caps = torch.tensor([1.0, 3.0, 5.0, 11.0], dtype=DT)                    # capacities that are not 2^k
    cases.append({"U": torch.randn(3, 4, generator=gen, dtype=DT), "caps": caps, "g": 0.07, "lr_c": 1.0,
                  "mask": torch.tensor([1.0, 0.0, 1.0], dtype=DT)})
    return cases


def sf_q_td_loss_cases(gen):
    cases = []
    for B, A, d, gamma, shared_w, with_done in ((6, 4, 5, 0.9, True, True), (1, 2, 3, 0.95, True, False),
                                                (9, 4, 25, 0.95, False, True), (4, 3, 2, 0.0, True, True),
                                                (7, 5, 4, 0.99, False, False)):
        psi = torch.randn(B, d, generator=gen, dtype=DT)
        w = torch.randn(d, generator=gen, dtype=DT) if shared_w else torch.randn(B, d, generator=gen, dtype=DT)
        r = (torch.rand(B, generator=gen) < 0.3).to(DT)
        psi_next = torch.randn(B, A, d, generator=gen, dtype=DT)
        case = {"psi": psi, "w": w, "r": r, "psi_next": psi_next, "gamma": gamma}
        if with_done:
            done = torch.rand(B, generator=gen) < 0.4
            done[0] = True
            case["done"] = done
        cases.append(case)
    return cases


GRADED = {
    "recall_mask": {"cases": recall_mask_cases},
    "benna_fusi_step": {"cases": benna_fusi_step_cases},
    # training relies on the loss's gradient with respect to psi; none may reach psi_next (a fixed target)
    "sf_q_td_loss": {"cases": sf_q_td_loss_cases, "grad": ("psi", "psi_next")},
}


# One plausible student mistake per graded function: (text in the solution, replacement, what it is).
# The tests check that the hidden tests catch each one and that it costs only that function's points.
MISTAKES = {
    "recall_mask": ("torch.cat([alive[:1], alive[:-1]])", "alive",
                    "each beaker gated by its own timescale instead of the one before it"),
    "benna_fusi_step": ("U[last] = U[last] - g / caps[K] * U[last]", "U[last] = U[last]",
                        "no leak from the last beaker"),
    "sf_q_td_loss": ("target = (r + gamma * target).detach()", "target = r + gamma * target",
                     "the TD target is not held fixed: the gradient also reaches psi_next"),
}
