"""How a hidden case calls a graded function, in the grader's process and in the sandbox alike.

A case usually compares values. Where training relies on a function's gradient (a spike's surrogate
derivative, the router score that MoD must keep differentiable), its autograder entry names the tensor
inputs to differentiate, `"grad": ("v", "current")`, and the case compares the gradient as well: the
inputs are made to require grad, the outputs are contracted with fixed pseudo-random weights (the same
on both sides) into one number, and its gradient with respect to each named input joins the value. A
function that returns the right numbers but cuts the gradient (a `.detach()`, a missing surrogate) fails.
"""
import torch


def _tensors(tree):
    """The floating-point tensors of a returned value (a tensor, or tuples, lists and dicts of them)."""
    if isinstance(tree, torch.Tensor):
        return [tree] if tree.is_floating_point() else []
    if isinstance(tree, (list, tuple)):
        return [t for item in tree for t in _tensors(item)]
    if isinstance(tree, dict):
        return [t for key in sorted(tree, key=str) for t in _tensors(tree[key])]
    return []


def detached(tree):
    """The same structure with every tensor detached (so it can be copied and sent as data)."""
    if isinstance(tree, torch.Tensor):
        return tree.detach()
    if isinstance(tree, tuple):
        return tuple(detached(item) for item in tree)
    if isinstance(tree, list):
        return [detached(item) for item in tree]
    if isinstance(tree, dict):
        return {key: detached(value) for key, value in tree.items()}
    return tree


def cotangent(tensor, index):
    """The fixed weights that contract the index-th output tensor into the probed number."""
    gen = torch.Generator().manual_seed(7919 + index)
    return torch.randn(tuple(tensor.shape), generator=gen, dtype=torch.float64).to(tensor.dtype)


def call(fn, kwargs, grad=()):
    """fn(**kwargs); with `grad`, {"value": the output, "grad": {input name: its gradient}}."""
    if not grad:
        return fn(**kwargs)
    kwargs = dict(kwargs)
    for name in grad:
        kwargs[name] = kwargs[name].detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = fn(**kwargs)
        terms = [(t * cotangent(t, i).to(t.device)).sum() for i, t in enumerate(_tensors(out)) if t.requires_grad]
        inputs = [kwargs[name] for name in grad]
        grads = torch.autograd.grad(sum(terms), inputs, allow_unused=True) if terms else [None] * len(inputs)
    return {"value": detached(out),
            "grad": {name: (torch.zeros_like(x) if g is None else g).detach() for name, g, x in zip(grad, grads, inputs)}}
