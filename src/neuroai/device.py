"""One run setting for the whole course: the device and the number of CPU threads.

Lessons run on the CPU, on one thread, by default. Set ``NEUROAI_DEVICE=cuda`` (or ``auto``: a GPU
when one is present) in the environment, or pass ``--device`` to ``neuroai reproduce``, and the same
code runs on the GPU: every lesson creates its tensors on the device ``configure()`` returns. Set
``NEUROAI_THREADS=N`` to let torch use N CPU threads (0: torch's own default).

The notebooks (their set-up cell), ``neuroai reproduce`` and the test suite all call ``configure()``,
so a seed gives the same numbers in all three. One thread is the default because the lessons' tensors
are small: a second thread costs more than it saves, and the last bits of a sum can depend on how the
work was split between threads, which reinforcement learning amplifies into a different run.
"""
import os
import re

import torch

DEFAULT_THREADS = 1


def get_device(name=None):
    """Return the torch device to use: ``name``, else $NEUROAI_DEVICE, else ``"cpu"``."""
    name = str(name or os.environ.get("NEUROAI_DEVICE", "cpu")).strip().lower()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if not re.fullmatch(r"cpu|cuda(:\d+)?|mps", name):
        raise ValueError(f"unknown device {name!r}: use cpu, cuda (or cuda:N), mps or auto")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but torch sees no GPU; use cpu")
    if name.startswith("cuda:") and int(name[5:]) >= torch.cuda.device_count():
        raise ValueError(f"device {name!r} asked for, but torch sees {torch.cuda.device_count()} GPU(s)")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' asked for, but torch sees no Apple GPU; use cpu")
    return torch.device(name)


def threads(n=None):
    """The number of CPU threads to use: ``n``, else $NEUROAI_THREADS, else 1 (0 means torch's default)."""
    value = n if n is not None else os.environ.get("NEUROAI_THREADS", DEFAULT_THREADS)
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"NEUROAI_THREADS must be a whole number of threads, not {value!r}") from None
    if value < 0:
        raise ValueError(f"NEUROAI_THREADS must be 0 (torch's default) or more, not {value}")
    return value


def configure(device=None, n_threads=None):
    """Apply the course's run setting: set torch's CPU threads and return the device to compute on.
    In a notebook it also makes a failed `assert` show the values it compared (neuroai.checks)."""
    n = threads(n_threads)
    if n > 0:
        torch.set_num_threads(n)
    from neuroai.checks import show_values_in_asserts
    show_values_in_asserts()                 # in a notebook: a failed visible check shows its values
    return get_device(device)
