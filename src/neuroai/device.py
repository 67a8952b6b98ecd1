"""One device switch for the whole course.

Lessons run on the CPU by default. Set ``NEUROAI_DEVICE=cuda`` (or ``auto``: a GPU when one is
present) in the environment, or pass ``--device`` to ``neuroai reproduce``, and the same code runs on
the GPU: every lesson creates its tensors on ``get_device()``.
"""
import os

import torch


def get_device(name=None):
    """Return the torch device to use: ``name``, else $NEUROAI_DEVICE, else ``"cpu"``."""
    name = name or os.environ.get("NEUROAI_DEVICE", "cpu")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but torch sees no GPU; use NEUROAI_DEVICE=cpu")
    return torch.device(name)
