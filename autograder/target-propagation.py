"""Hidden-test inputs for the target-propagation exercises.

The grader (neuroai.course.judge.check) calls the student's function and the reference on each case
below and compares the outputs. Cases are random but seeded: with and without a replica dimension,
several widths and batch sizes, hidden and logit (last=True) feedback layers, float32 and float64.
The two feedback losses are what training differentiates, so their gradients with respect to the
feedback weights V and c are checked too.
"""
import torch

SHAPES = [(1, 3, 2), (5, 4, 3), (8, 6, 10)]          # (batch, n_in, n_out)


def _t(gen, *shape, scale=1.0, dtype=torch.float64):
    return scale * torch.randn(*shape, generator=gen, dtype=dtype)


def first_target_cases(gen):
    cases = []
    for B, C in ((1, 2), (6, 10), (4, 3)):
        for beta in (0.7, 0.1, 2.0):
            cases.append({"logits": _t(gen, B, C, scale=3.0), "y": torch.randint(0, C, (B,), generator=gen),
                          "beta": beta})
    cases.append({"logits": _t(gen, 3, 5, 10), "y": torch.randint(0, 10, (5,), generator=gen), "beta": 0.7})
    cases.append({"logits": torch.randn(4, 7, generator=gen), "y": torch.randint(0, 7, (4,), generator=gen),
                  "beta": 0.5})                                                  # float32
    return cases


def dtp_target_cases(gen):
    cases = []
    for B, n_in, n_out in SHAPES:
        for last in (False, True):
            h = _t(gen, B, n_out)
            cases.append({"h_prev": _t(gen, B, n_in), "h": h, "t": h + _t(gen, B, n_out, scale=0.3),
                          "V": _t(gen, n_in, n_out), "c": _t(gen, n_in), "last": last})
    h = _t(gen, 2, 5, 4)
    cases.append({"h_prev": _t(gen, 2, 5, 6), "h": h, "t": h + 0.1, "V": _t(gen, 2, 6, 4), "c": _t(gen, 2, 6),
                  "last": False})                                                # replicas
    return cases


def _layer(gen, B, n_in, n_out, last, R=None):
    lead = () if R is None else (R,)
    x, W, b = _t(gen, *lead, B, n_in), _t(gen, *lead, n_out, n_in, scale=0.5), _t(gen, *lead, n_out, scale=0.1)
    dx = _t(gen, *lead, B, n_in, scale=0.1)
    f = (lambda z: z @ W.transpose(-1, -2) + b.unsqueeze(-2))
    act = (lambda z: f(z)) if last else (lambda z: torch.tanh(f(z)))
    V, c = _t(gen, *lead, n_in, n_out, scale=0.5), _t(gen, *lead, n_in, scale=0.1)
    return x, dx, act(x), act(x + dx), V, c


def vanilla_dtp_feedback_loss_cases(gen):
    cases = []
    for B, n_in, n_out in SHAPES:
        for last in (False, True):
            x, dx, _, y_noisy, V, c = _layer(gen, B, n_in, n_out, last)
            cases.append({"x": x, "dx": dx, "y_noisy": y_noisy, "V": V, "c": c, "last": last})
    x, dx, _, y_noisy, V, c = _layer(gen, 4, 5, 3, False, R=2)
    cases.append({"x": x, "dx": dx, "y_noisy": y_noisy, "V": V, "c": c, "last": False})
    return cases


def ldrl_feedback_loss_cases(gen):
    cases = []
    for B, n_in, n_out in SHAPES:
        for last in (False, True):
            x, dx, y, y_noisy, V, c = _layer(gen, B, n_in, n_out, last)
            cases.append({"dx": dx, "y": y, "y_noisy": y_noisy, "dy": _t(gen, *y.shape, scale=0.1),
                          "V": V, "c": c, "last": last})
    x, dx, y, y_noisy, V, c = _layer(gen, 4, 5, 3, False, R=2)
    cases.append({"dx": dx, "y": y, "y_noisy": y_noisy, "dy": _t(gen, *y.shape, scale=0.1), "V": V, "c": c,
                  "last": False})
    return cases


GRADED = {
    "first_target": {"cases": first_target_cases, "rtol": 1e-5, "atol": 1e-6},
    "dtp_target": {"cases": dtp_target_cases, "rtol": 1e-5, "atol": 1e-8},
    # training differentiates the feedback losses with respect to G's weights: gradients are checked
    "vanilla_dtp_feedback_loss": {"cases": vanilla_dtp_feedback_loss_cases, "grad": ("V", "c"),
                                  "rtol": 1e-5, "atol": 1e-8},
    "ldrl_feedback_loss": {"cases": ldrl_feedback_loss_cases, "grad": ("V", "c"), "rtol": 1e-5, "atol": 1e-8},
}


# One plausible student mistake per graded function: (text in the solution, replacement, what it is).
# The tests check that the hidden tests catch each one and that it costs only that function's points.
MISTAKES = {
    "first_target": ("logits - beta * (torch.softmax", "logits + beta * (torch.softmax",
                     "a step up the loss instead of down"),
    "dtp_target": ("h_prev + G(t) - G(h)", "G(t)",
                   "plain target propagation, without the difference correction"),
    "vanilla_dtp_feedback_loss": ("((x + dx - r) ** 2)", "((x - r) ** 2)",
                                  "reconstructing the clean input instead of the noisy one"),
    "ldrl_feedback_loss": ("(-2 * (dx * dr).sum(dim=-1) + (dr_y ** 2).sum(dim=-1))",
                           "(-(dx * dr).sum(dim=-1) + (dr_y ** 2).sum(dim=-1))",
                           "the cross term without its factor 2"),
}

# Mistakes that keep every value right and cut the gradient training needs: each must lose its points.
GRADIENT_MISTAKES = {
    "ldrl_feedback_loss": ("r = G(y)  ", "r = G(y).detach()  ",
                           "no gradient through G(F(x))"),
}
