"""Hidden-test inputs for the poyo exercises.

The grader (neuroai.course.judge.check) calls the student's function and the reference on each case
below and compares the outputs. Cases are random but seeded: spikes before, inside and after the
window, one exactly at its start (kept) and one exactly at its end (dropped), unsorted spikes, empty
windows; rotations of several shapes with times that broadcast over heads, negative times and
frequencies that are zero; attention with padding masks, without a mask, with and without rotated values.
"""
import math

import torch


def tokenize_spikes_cases(gen):
    cases = []
    for n_spikes, n_units, (t0, t1) in ((30, 5, (0.5, 1.5)), (200, 12, (2.0, 3.0)), (7, 3, (0.0, 0.25)),
                                        (60, 40, (1.0, 1.1))):
        times = (t0 - 0.3) + (t1 - t0 + 0.6) * torch.rand(n_spikes, generator=gen, dtype=torch.float64)
        times[0], times[1] = t0, t1                                        # at the start: in; at the end: out
        units = torch.randint(0, n_units, (n_spikes,), generator=gen)
        cases.append({"times": times, "units": units, "n_units": n_units, "t0": t0, "t1": t1})
    cases.append({"times": torch.tensor([5.0, 6.0], dtype=torch.float64), "units": torch.tensor([0, 1]),
                  "n_units": 2, "t0": 0.0, "t1": 1.0})                      # no spike in the window
    cases.append({"times": torch.rand(50, generator=gen), "units": torch.randint(0, 6, (50,), generator=gen),
                  "n_units": 6, "t0": 0.2, "t1": 0.7})                      # float32 times, unsorted
    return cases


def frequencies(dim, gen):
    """Angular frequencies (dim // 2,): log-spaced periods on some pairs, zero on the rest."""
    n = int(torch.randint(1, dim // 2 + 1, (), generator=gen))
    periods = torch.exp(torch.linspace(math.log(0.01), math.log(2.0), n, dtype=torch.float64))
    return torch.cat([2 * math.pi / periods, torch.zeros(dim // 2 - n, dtype=torch.float64)])


def rotate_cases(gen):
    cases = []
    for B, H, N, D in ((1, 1, 3, 2), (2, 2, 5, 8), (3, 4, 7, 16)):
        x = torch.randn(B, H, N, D, generator=gen, dtype=torch.float64)
        t = 2 * torch.rand(B, 1, N, generator=gen, dtype=torch.float64) - 0.5        # some negative
        cases.append({"x": x, "t": t, "omega": frequencies(D, gen)})
    x = torch.randn(6, 4, generator=gen, dtype=torch.float64)                        # (N, D), t (N,)
    cases.append({"x": x, "t": torch.rand(6, generator=gen, dtype=torch.float64), "omega": frequencies(4, gen)})
    return cases


def rotary_attention_cases(gen):
    cases = []
    for B, H, Nq, Nk, Dh in ((1, 1, 2, 5, 4), (2, 2, 4, 9, 8), (3, 2, 6, 12, 16)):
        mask = torch.rand(B, Nk, generator=gen) < 0.7
        mask[:, 0] = True                                                            # one real token at least
        for rotate_value, m in ((True, mask), (False, mask), (True, None)):
            cases.append({"q": torch.randn(B, H, Nq, Dh, generator=gen, dtype=torch.float64),
                          "k": torch.randn(B, H, Nk, Dh, generator=gen, dtype=torch.float64),
                          "v": torch.randn(B, H, Nk, Dh, generator=gen, dtype=torch.float64),
                          "t_q": torch.rand(B, Nq, generator=gen, dtype=torch.float64),
                          "t_k": torch.rand(B, Nk, generator=gen, dtype=torch.float64),
                          "omega": frequencies(Dh, gen), "mask": m, "rotate_value": rotate_value})
    return cases


GRADED = {
    "tokenize_spikes": {"cases": tokenize_spikes_cases},
    "rotate": {"cases": rotate_cases},
    "rotary_attention": {"cases": rotary_attention_cases, "uses": ("rotate",)},
}


# One plausible student mistake per graded function: (text in the solution, replacement, what it is).
# The tests check that the hidden tests catch each one and that it costs only that function's points.
MISTAKES = {
    "tokenize_spikes": ("(times >= t0) & (times < t1)", "(times >= t0) & (times <= t1)",
                        "a spike exactly at the window's end kept (the window is half-open)"),
    "rotate": ("(t[..., None] * omega).to(x.dtype)", "(-t[..., None] * omega).to(x.dtype)",
               "pairs turned the wrong way"),
    "rotary_attention": ("out = rotate(out, -t_q[:, None], omega)", "out = rotate(out, t_q[:, None], omega)",
                         "the output turned forward by the query's time instead of back"),
}
