"""Hidden-test inputs for the plasticity-geometry exercises.

The grader (neuroai.course.judge.check) calls the student's function and the reference on each case
below and compares the outputs. Cases are random but seeded, cover every potential, several shapes,
broadcast learning rates, weights of both signs and of very different sizes.
"""
import torch

POTENTIALS = ("euclidean", "3-norm", "entropy")
SHAPES = [(1,), (7,), (3, 5), (2, 2, 4)]


def weights(gen, shape):
    """Nonzero weights of both signs over four orders of magnitude."""
    magnitude = torch.exp(2 * torch.randn(shape, generator=gen, dtype=torch.float64))
    sign = torch.where(torch.rand(shape, generator=gen) < 0.5, -1.0, 1.0).to(torch.float64)
    return sign * magnitude


def potential_grad_cases(gen):
    return [{"w": weights(gen, shape), "potential": p} for p in POTENTIALS for shape in SHAPES]


def potential_inv_grad_cases(gen):
    cases = []
    for p in POTENTIALS:
        for shape in SHAPES:
            u = 2 * torch.randn(shape, generator=gen, dtype=torch.float64)
            sign = torch.sign(weights(gen, shape))
            cases.append({"u": u, "potential": p, "sign": sign})
    return cases


def mirror_step_cases(gen):
    cases = []
    for p in POTENTIALS:
        for shape in SHAPES:
            w = weights(gen, shape) * 0.1
            g = torch.randn(shape, generator=gen, dtype=torch.float64)
            lr = float(10 ** (-3 * torch.rand((), generator=gen)))
            cases.append({"w": w, "g": g, "lr": lr, "potential": p})
        w = weights(gen, (4, 6)) * 0.1                       # one learning rate per row
        g = torch.randn(4, 6, generator=gen, dtype=torch.float64)
        lr = torch.logspace(-3, 0, 4, dtype=torch.float64)[:, None]
        cases.append({"w": w, "g": g, "lr": lr, "potential": p})
    return cases


def gaussianity_distance_cases(gen):
    n = 2000
    samples = [
        torch.randn(n, generator=gen, dtype=torch.float64),                            # Gaussian
        3 * torch.randn(n, generator=gen, dtype=torch.float64) - 5,                    # shifted, scaled
        torch.rand(n, generator=gen, dtype=torch.float64),                             # uniform
        -torch.log(torch.rand(n, generator=gen, dtype=torch.float64)),                 # exponential
        torch.randn(n, generator=gen, dtype=torch.float64) ** 3,                       # heavy tails
        torch.randn(37, generator=gen, dtype=torch.float64),                           # few samples
        torch.randn(15, generator=gen, dtype=torch.float64),                           # fewer
        torch.rand(8, generator=gen, dtype=torch.float64),                             # very few
    ]
    return [{"diff": x} for x in samples]


GRADED = {
    "potential_grad": {"cases": potential_grad_cases},
    "potential_inv_grad": {"cases": potential_inv_grad_cases},
    "mirror_step": {"cases": mirror_step_cases, "uses": ("potential_grad", "potential_inv_grad")},
    # The integral of a step function on a grid of spacing 0.01 is exact only to about 1e-3: the official
    # code (strict inequality, a Riemann sum on 1000 points) differs from the reference by up to 8e-4,
    # an exact integration by up to 3e-4. Both are right; the biased-std mistake moves the value by
    # about 0.4 / n (5e-3 at n = 37, 3e-2 at n = 8), which the small samples above catch.
    "gaussianity_distance": {"cases": gaussianity_distance_cases, "atol": 2e-3},
}


# One plausible student mistake per graded function: (text in the solution, replacement, what it is).
# The tests check that the hidden tests catch each one and that it costs only that function's points.
MISTAKES = {
    "potential_grad": ("torch.log(w.abs()) + 1", "torch.log(w.abs())", "entropy gradient without the +1"),
    "potential_inv_grad": ("sign * torch.exp(sign * u - 1)", "sign * torch.exp(u - 1)",
                           "entropy inverse that ignores the sign inside the exponent"),
    "mirror_step": ("potential_grad(w, potential) - lr * g", "potential_grad(w, potential) + lr * g",
                    "a step up the gradient"),
    "gaussianity_distance": ("diff.std()", "diff.std(unbiased=False)", "biased standard deviation"),
}
