"""Hidden-test inputs for the mixture-of-depths exercises.

The grader (neuroai.course.judge.check) calls the student's function and the reference on each case
below and compares the outputs. Cases are random but seeded: several batch sizes, sequence lengths
and capacities (including ones where capacity * S is not a whole number), scores of both signs, and
routed positions that are not in order of score.
"""
import torch

SHAPES = [(1, 8), (3, 16), (2, 32), (4, 5)]
CAPACITIES = (0.125, 0.25, 0.3, 0.5, 1.0)


def topk_route_cases(gen):
    cases = []
    for B, S in SHAPES:
        for capacity in CAPACITIES:
            cases.append({"scores": torch.randn(B, S, generator=gen, dtype=torch.float64), "capacity": capacity})
    cases.append({"scores": torch.randn(2, 16, generator=gen, dtype=torch.float64), "capacity": 0.01})  # k = 1
    return cases


def routed_positions(gen, B, S, k):
    """(B, k) distinct positions per row, sorted, as topk_route returns them."""
    return torch.rand(B, S, generator=gen).argsort(dim=1)[:, :k].sort(dim=1).values


def mod_update_cases(gen):
    cases = []
    for B, S in SHAPES:
        for D in (1, 4):
            k = max(1, S // 4)
            cases.append({"x": torch.randn(B, S, D, generator=gen, dtype=torch.float64),
                          "f_out": torch.randn(B, k, D, generator=gen, dtype=torch.float64),
                          "scores": 2 * torch.randn(B, S, generator=gen, dtype=torch.float64),
                          "idx": routed_positions(gen, B, S, k)})
    return cases


def predictor_loss_cases(gen):
    cases = []
    for B, S in SHAPES:
        k = max(1, S // 4)
        cases.append({"pred_logits": 3 * torch.randn(B, S, generator=gen, dtype=torch.float64),
                      "idx": routed_positions(gen, B, S, k)})
    return cases


GRADED = {
    "topk_route": {"cases": topk_route_cases},
    # the router learns only through r_i f_i: the hidden cases check the gradient for x, f_out and scores
    "mod_update": {"cases": mod_update_cases, "grad": ("x", "f_out", "scores")},
    "predictor_loss": {"cases": predictor_loss_cases},
}


# One plausible student mistake per graded function: (text in the solution, replacement, what it is).
# The tests check that the hidden tests catch each one and that it costs only that function's points.
MISTAKES = {
    "topk_route": ("return torch.sort(idx, dim=1).values", "return idx",
                   "routed positions left in order of score, so causal attention among them is wrong"),
    "mod_update": ("r[:, :, None] * f_out", "f_out", "the block's output not scaled by the router score"),
    "predictor_loss": ("binary_cross_entropy_with_logits(pred_logits, targets)",
                       "binary_cross_entropy_with_logits(pred_logits, targets, reduction=\"sum\")",
                       "summed instead of averaged over the tokens"),
}

# Mistakes that keep every value right and cut the gradient training needs: each must lose its points.
GRADIENT_MISTAKES = {
    "mod_update": ("r = torch.gather(scores, 1, idx)", "r = torch.gather(scores, 1, idx).detach()",
                   "the router's gradient is cut"),
}
