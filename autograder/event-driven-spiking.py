"""Hidden-test inputs for the event-driven-spiking exercises.

The grader (neuroai.course.judge.check) calls the student's function and the reference on each case
below and compares the outputs. Cases are random but seeded: potentials exactly at, just below and
well above the threshold, several shapes, slopes, decay factors and fan-outs, spike tensors whose time
and batch sizes differ.
"""
import torch

SHAPES = [(1,), (7,), (4, 5), (3, 2, 6)]


def fast_sigmoid_surrogate_cases(gen):
    cases = []
    for shape in SHAPES:
        for slope in (1.0, 10.0, 25.0):
            x = 2 * torch.randn(shape, generator=gen, dtype=torch.float64)
            x.view(-1)[0] = 0.0                                        # exactly at the threshold
            cases.append({"x": x, "slope": slope})
    cases.append({"x": torch.linspace(-1, 1, 21), "slope": 5.0})      # float32, through zero
    return cases


def lif_step_cases(gen):
    cases = []
    for batch, neurons in ((1, 1), (4, 8), (16, 3)):
        for beta, threshold, slope in ((0.9, 1.0, 10.0), (0.5, 0.7, 2.0), (0.99, 2.0, 25.0)):
            v = threshold * torch.rand(batch, neurons, generator=gen, dtype=torch.float64)
            current = threshold * 1.5 * torch.randn(batch, neurons, generator=gen, dtype=torch.float64)
            cases.append({"v": v, "current": current, "beta": beta, "threshold": threshold, "slope": slope})
    v = torch.zeros(2, 3)                                              # float32, some far above threshold
    current = torch.tensor([[0.5, 1.0, 3.0], [-1.0, 1.5, 0.99]])
    cases.append({"v": v, "current": current, "beta": 0.8, "threshold": 1.0, "slope": 10.0})
    return cases


def synaptic_ops_cases(gen):
    cases = []
    for steps, batch, neurons in ((5, 3, 4), (20, 8, 16), (1, 2, 1), (7, 1, 9)):
        for rate in (0.02, 0.3):
            spikes = (torch.rand(steps, batch, neurons, generator=gen) < rate).float()
            fan_out = int(torch.randint(1, 200, (), generator=gen))
            cases.append({"spikes": spikes, "fan_out": fan_out})
    cases.append({"spikes": torch.zeros(4, 3, 5), "fan_out": 10})     # silence costs nothing
    return cases


GRADED = {
    "fast_sigmoid_surrogate": {"cases": fast_sigmoid_surrogate_cases},
    # training relies on lif_step's surrogate gradient: the hidden cases check d/dv and d/dcurrent too
    "lif_step": {"cases": lif_step_cases, "uses": ("fast_sigmoid_surrogate",), "grad": ("v", "current")},
    "synaptic_ops": {"cases": synaptic_ops_cases},
}


# One plausible student mistake per graded function: (text in the solution, replacement, what it is).
# The tests check that the hidden tests catch each one and that it costs only that function's points.
MISTAKES = {
    "fast_sigmoid_surrogate": ("(1.0 + slope * x.abs()) ** 2", "(1.0 + slope * x.abs())",
                               "the fast sigmoid itself instead of its derivative (no square)"),
    "lif_step": ("v = v - threshold * spikes", "v = v * (1 - spikes)",
                 "reset to zero instead of reset by subtraction"),
    "synaptic_ops": ("spikes.sum() * fan_out / spikes.shape[1]", "spikes.sum() * fan_out / spikes.shape[0]",
                     "averaged over time steps instead of over the batch"),
}

# Mistakes that keep every value right and cut the gradient training needs: each must lose its points.
GRADIENT_MISTAKES = {
    "lif_step": ("spikes = spikes + (x - x.detach()) * grad.detach()", "spikes = spikes",
                 "the spikes carry no surrogate gradient"),
}
