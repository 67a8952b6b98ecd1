"""Hidden-test inputs for the inhibitory-error-normalization exercises.

The grader (neuroai.course.judge.check) calls the student's function and the reference on each case
below and compares the outputs. Cases are random but seeded: layers with and without a replica axis,
one or several inhibitory units, non-negative weights as Dale's law has them, activity patterns of
very different means and spreads, errors of every sign.
"""
import torch

DT = torch.float64


def ei_forward_cases(gen):
    cases = []
    for lead, n, n_in, n_e, n_i in (((), 5, 6, 4, 1), ((), 9, 12, 8, 2), ((3,), 4, 10, 6, 1), ((2,), 7, 16, 16, 3)):
        def pos(*shape):
            return torch.rand(lead + shape, generator=gen, dtype=DT) * 0.5
        W_ei = pos(n_e, n_i)
        cases.append({"x": torch.rand(lead + (n, n_in), generator=gen, dtype=DT),
                      "W_ex": pos(n_e, n_in), "W_ix": pos(n_i, n_in), "W_ei": W_ei / W_ei.sum(-1, keepdim=True),
                      "B_ix": pos(n_e, n_in), "B_ei": torch.full(lead + (n_e, n_e), 1.0 / n_e, dtype=DT),
                      "b": torch.randn(lead + (1, n_e), generator=gen, dtype=DT) * 0.1})
    return cases


def inhibitory_local_loss_cases(gen):
    cases = []
    for shape, scale, shift in (((5, 8), 1.0, 0.0), ((3, 16), 3.0, -1.0), ((2, 4, 6), 0.5, 2.0), ((1, 2), 1.0, 0.5),
                                ((7, 64), 1.0, 0.05)):
        cases.append({"z": scale * torch.randn(shape, generator=gen, dtype=DT) + shift})
    return cases


def normalize_error_cases(gen):
    cases = []
    for shape, scale, shift in (((5, 8), 1.0, 0.0), ((3, 16), 3.0, -1.0), ((2, 4, 6), 0.5, 2.0), ((4, 64), 1.0, 0.0)):
        for mode in ("full", "center", "none"):
            cases.append({"delta": torch.randn(shape, generator=gen, dtype=DT) + 0.3,
                          "z": scale * torch.randn(shape, generator=gen, dtype=DT) + shift, "mode": mode})
    return cases


GRADED = {
    # training relies on the gradients of I and sigma (the local loss trains W_IX and B_IX through them)
    "ei_forward": {"cases": ei_forward_cases, "grad": ("W_ex", "W_ix", "B_ix", "b")},
    # the local loss's gradient is what trains inhibition
    "inhibitory_local_loss": {"cases": inhibitory_local_loss_cases, "grad": ("z",)},
    # where the 1e-5 goes (inside the square root or added to the std) changes the value by ~1e-6
    "normalize_error": {"cases": normalize_error_cases, "rtol": 1e-5, "atol": 1e-8},
}


# One plausible student mistake per graded function: (text in the solution, replacement, what it is).
# The tests check that the hidden tests catch each one and that it costs only that function's points.
MISTAKES = {
    "ei_forward": ("return (h_e - inh) / sigma, inh, sigma", "return h_e - inh, inh, sigma",
                   "no divisive normalization"),
    "inhibitory_local_loss": ("z.var(dim=-1, unbiased=False)", "z.var(dim=-1)",
                              "sample (unbiased) variance instead of the population variance"),
    "normalize_error": ("(delta * z_hat).mean(dim=-1, keepdim=True)", "(delta * z_hat).sum(dim=-1, keepdim=True)",
                        "the projection onto z_hat summed, not averaged, over the units"),
}

# Mistakes that keep every value right and cut the gradient training needs: each must lose its points.
GRADIENT_MISTAKES = {
    "ei_forward": ("inh = (x @ W_ix.transpose(-1, -2)) @ W_ei.transpose(-1, -2)",
                   "inh = ((x @ W_ix.transpose(-1, -2)) @ W_ei.transpose(-1, -2)).detach()",
                   "subtractive inhibition detached: the local loss cannot train W_IX"),
}
