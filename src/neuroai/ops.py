"""Count the operations a forward pass actually performs, and time it.

Lessons about spending computation only where it matters (Mixture-of-Depths, event-driven spiking
networks) check their compute claims with counted operations, not with numbers read off the design:

    from neuroai import ops
    counted = ops.measure(model, x)          # runs model(x) under the counter, then times it
    counted.macs, counted.acs, counted.seconds, counted.by_op

How it counts. A `torch.utils._python_dispatch.TorchDispatchMode` sees every aten operator that
actually runs, with its real operand shapes, after autograd and module code have been resolved. So a
token that a router skips, or a layer that is never called, costs nothing, and nothing that did run
is missed, whichever module or functional call issued it.

- Matrix products (mm, addmm, bmm, baddbmm; `nn.Linear` and `@` become these): an (m, k) @ (k, n)
  product is m * k * n multiply-accumulates (MACs).
- Attention (`F.scaled_dot_product_attention` on any backend): queries (.., L, E), keys (.., S, E),
  values (.., S, Ev) cost L * S * E MACs for the scores plus L * S * Ev for the weighted sum, per
  batch and head. Softmax and masking are not counted.
- Convolutions: every output element costs (in_channels / groups) * kernel size MACs.
- Events (`events=True`, the default): when one operand of a matrix product holds only 0s and 1s
  (spikes), an event-driven substrate does no multiplication at all. Each nonzero entry (a spike)
  adds one row of weights to its targets: for (m, k) binary @ (k, n) that is nnz * n accumulates
  (ACs), and zeros cost nothing. With `events=False` the same product counts as dense MACs, which
  is what a GPU running the spiking network with dense matrices does.

Elementwise operations (activations, bias adds, membrane updates, normalization) are not counted in
MACs or ACs; `by_op` lists every operator that ran, with how often, so nothing is hidden. A MAC is
often quoted as 2 FLOPs; this module reports MACs and ACs because energy models of neuromorphic
hardware price the two differently (an AC costs roughly 5x less energy than a MAC in 45 nm CMOS,
Horowitz 2014).
"""
import math
import time
from collections import Counter
from dataclasses import dataclass, field

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten


@dataclass
class OpCount:
    macs: int = 0                        # multiply-accumulates
    acs: int = 0                         # accumulates triggered by binary events (spikes)
    events: int = 0                      # nonzero entries of binary operands that drove ACs
    seconds: float = float("nan")        # median wall time of the forward pass, counter off
    by_op: Counter = field(default_factory=Counter)   # aten operator name -> calls

    def __str__(self):
        return (f"{self.macs:,} MACs, {self.acs:,} ACs ({self.events:,} events), "
                f"{self.seconds * 1e3:.2f} ms")


def _is_binary(t):
    return t.numel() > 0 and not t.is_complex() and bool(((t == 0) | (t == 1)).all())


def _product(a, b, count, events):
    """(.., m, k) @ (.., k, n): dense MACs, or ACs per nonzero when one side is binary spikes."""
    batch = math.prod(a.shape[:-2])
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    if events and _is_binary(a):
        nnz = int(torch.count_nonzero(a))
        count.events += nnz
        count.acs += nnz * n
    elif events and _is_binary(b):
        nnz = int(torch.count_nonzero(b))
        count.events += nnz
        count.acs += nnz * m
    else:
        count.macs += batch * m * k * n


_SDPA = {name for name in ("_scaled_dot_product_flash_attention_for_cpu",
                           "_scaled_dot_product_flash_attention",
                           "_scaled_dot_product_efficient_attention",
                           "_scaled_dot_product_cudnn_attention")}


class _Counter(TorchDispatchMode):
    def __init__(self, count, events):
        super().__init__()
        self.count, self.events = count, events

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func.overloadpacket.__name__
        self.count.by_op[name] += 1
        if func.overloadpacket in (aten.mm, aten.bmm):
            _product(args[0], args[1], self.count, self.events)
        elif func.overloadpacket in (aten.addmm, aten.baddbmm):
            _product(args[1], args[2], self.count, self.events)
        elif name in _SDPA:
            q, k, v = args[:3]
            heads = math.prod(q.shape[:-2])
            self.count.macs += heads * q.shape[-2] * k.shape[-2] * (q.shape[-1] + v.shape[-1])
        elif func.overloadpacket is aten.convolution:
            out = func(*args, **kwargs)
            weight = args[1]             # (out_channels, in_channels / groups, *kernel)
            self.count.macs += out.numel() * weight.shape[1] * math.prod(weight.shape[2:])
            return out
        return func(*args, **kwargs)


class count:
    """Context manager: `with ops.count() as c: model(x)`, then c.macs, c.acs, c.by_op."""

    def __init__(self, events=True):
        self.result = OpCount()
        self._mode = _Counter(self.result, events)

    def __enter__(self):
        self._mode.__enter__()
        return self.result

    def __exit__(self, *exc):
        return self._mode.__exit__(*exc)


def _sync(device):
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(fn, *args, events=True, repeat=5, **kwargs):
    """Count the operations of one call fn(*args, **kwargs) and time it (median of `repeat` calls
    without the counter, after one warm-up). Runs under torch.no_grad()."""
    device = next((a.device for a in args if isinstance(a, torch.Tensor)), None)
    with torch.no_grad():
        with count(events=events) as counted:
            fn(*args, **kwargs)
        fn(*args, **kwargs)                                   # warm-up
        times = []
        for _ in range(max(1, repeat)):
            _sync(device)
            start = time.perf_counter()
            fn(*args, **kwargs)
            _sync(device)
            times.append(time.perf_counter() - start)
    counted.seconds = sorted(times)[len(times) // 2]
    return counted
