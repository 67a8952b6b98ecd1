"""The autograder's single entry point, called by every hidden test of every lesson:

    from neuroai.course.judge import check
    check("plasticity-geometry", "mirror_step", mirror_step)

`check` calls the student's function and the reference implementation (solutions/<lesson>.py) on the
same randomized inputs (made by autograder/<lesson>.py) and compares the outputs, in-process: that is
the instructor's own run of the notebook (and nbval's). `neuroai grade` does not trust the student's
kernel: it reads from each `check(...)` line which function a graded cell checks, and then uses
`reference_cases` and `compare` below from its own process, with the student's code in a sandbox
(neuroai.course.batch, neuroai.course.sandbox). It raises
`GradingFailure` (an AssertionError) with a message that names the case but shows no reference values.
How the comparison runs can change here, in one place, without touching any lesson.

A lesson's autograder spec, autograder/<lesson>.py, defines

    GRADED = {"function_name": {"cases": make_cases,     # make_cases(gen) -> list of kwargs dicts
                                "uses": ("other_fn",),   # graded functions it may call (isolated)
                                "grad": ("x",),          # tensor inputs whose gradient is checked too
                                "rtol": 1e-6, "atol": 1e-9}}
    MISTAKES = {"function_name": ("text in the solution", "its replacement", "what the mistake is")}

MISTAKES are the tests' evidence that the hidden cases are sharp: each plausible mistake must fail.

"uses" isolates each exercise: while `mirror_step` is checked, the names it calls resolve to the
reference versions, so one wrong function costs only its own points.
"""
import builtins
import copy
import inspect
import io
import json
import math
import os
import signal
import threading
import zlib
from contextlib import contextmanager

import numpy as np
import torch

from neuroai.course import lessons, probe, wire

CASE_SECONDS = float(os.environ.get("NEUROAI_CASE_SECONDS", 10))   # limit for one call of a student's function


class GradingFailure(AssertionError):
    """A graded function gave a wrong answer, raised, or ran too long."""


@contextmanager
def _time_limit(seconds, what):
    """Interrupt a call that runs longer than `seconds` (Unix, main thread; elsewhere no limit)."""
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise TimeoutError(f"{what} ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _isolated(fn, names, reference):
    """Let `fn` see the reference versions of `names` (the functions it builds on) while it runs."""
    namespace = getattr(fn, "__globals__", None)
    if namespace is None or not names:
        yield
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in names}
    namespace.update({name: getattr(reference, name) for name in names})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def describe(kwargs):
    """A short description of a case's inputs: the shapes of arrays, the kind of each number, and the
    option names (strings, as the docstring lists them); never a number's value (a hidden learning
    rate, say) and never the expected output."""
    parts = []
    for key, value in kwargs.items():
        if isinstance(value, torch.Tensor):
            parts.append(f"{key}: tensor of shape {tuple(value.shape)}")
        elif isinstance(value, np.ndarray):
            parts.append(f"{key}: array of shape {value.shape}")
        elif isinstance(value, str) and len(value) <= 40:
            parts.append(f"{key}={value!r}")
        else:                                           # numbers, lists, anything else: its kind only
            parts.append(f"{key}: a {type(value).__name__}")
    return ", ".join(parts)


def compare(got, expected, rtol=1e-6, atol=1e-9):
    """None if `got` matches `expected`, else the reason it does not (no expected values shown)."""
    if isinstance(expected, (torch.Tensor, np.ndarray)):
        if not isinstance(got, (torch.Tensor, np.ndarray)):
            return f"returned {type(got).__name__}, expected a tensor"
        got_t = torch.as_tensor(got).detach().cpu()
        exp_t = torch.as_tensor(expected).detach().cpu()
        if tuple(got_t.shape) != tuple(exp_t.shape):
            return f"returned shape {tuple(got_t.shape)}, expected shape {tuple(exp_t.shape)}"
        if exp_t.is_floating_point() and not got_t.is_floating_point():
            return f"returned dtype {got_t.dtype}, expected a floating-point tensor"
        got_t, exp_t = got_t.to(torch.float64), exp_t.to(torch.float64)
        if not torch.equal(torch.isnan(got_t), torch.isnan(exp_t)):
            return "NaN where a number was expected (or the other way round)"
        close = torch.isclose(got_t, exp_t, rtol=rtol, atol=atol, equal_nan=True)
        if not bool(close.all()):
            # How far off is not said: with one value, the size of the error gives the answer away.
            return f"{int((~close).sum())} of {close.numel()} values differ beyond the tolerance"
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            return f"expected a dict with keys {sorted(expected)}"
        for key in expected:
            reason = compare(got[key], expected[key], rtol, atol)
            if reason:
                return f"key {key!r}: {reason}"
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"expected a sequence of {len(expected)} items"
        for i, (g, e) in enumerate(zip(got, expected)):
            reason = compare(g, e, rtol, atol)
            if reason:
                return f"item {i}: {reason}"
        return None
    if isinstance(expected, (float, int)) and not isinstance(expected, bool):
        try:
            value = float(got)
        except (TypeError, ValueError):
            return f"returned {type(got).__name__}, expected a number"
        if not math.isclose(value, expected, rel_tol=rtol, abs_tol=atol):
            return "value differs beyond the tolerance"
        return None
    return None if got == expected else "value differs"


def reference_cases(lesson_id, name, seed=None):
    """The hidden cases of one graded function, computed with the reference, in the grader's process:
    a list of (kwargs, expected output, {dependency: [(its bound arguments, its output), ...]}).
    The last item records every call the reference made to the graded functions it uses on that
    case, so the sandboxed grader can answer the same calls from a student's function with the
    reference's answers (isolation) without the reference's code ever entering the sandbox."""
    spec = lessons.load_autograder_spec(lesson_id).GRADED
    if name not in spec:
        raise KeyError(f"{name!r} is not a graded function of {lesson_id!r} (graded: {', '.join(spec)})")
    entry = spec[name]
    reference = lessons.load_reference(lesson_id)
    reference_fn = getattr(reference, name)
    seed = zlib.crc32(f"{lesson_id}/{name}".encode()) if seed is None else seed
    out = []
    for kwargs in entry["cases"](torch.Generator().manual_seed(seed)):
        calls = {dep: [] for dep in entry.get("uses", ())}
        originals = {dep: getattr(reference, dep) for dep in calls}

        def recorder(dep):
            original, signature = originals[dep], inspect.signature(originals[dep])

            def record(*args, **kw):
                bound = signature.bind(*args, **kw)
                bound.apply_defaults()
                result = original(*args, **kw)
                calls[dep].append((copy.deepcopy(probe.detached(dict(bound.arguments))),
                                   copy.deepcopy(probe.detached(result))))
                return result
            return record

        try:
            for dep in calls:
                setattr(reference, dep, recorder(dep))
            expected = probe.call(reference_fn, copy.deepcopy(kwargs), entry.get("grad", ()))
        finally:
            for dep, original in originals.items():
                setattr(reference, dep, original)
        out.append((kwargs, expected, calls))
    return out


def check(lesson_id, name, student_fn, seed=None):
    """Compare a student's graded function with the reference on the lesson's hidden cases.

    Returns None: nbgrader would read a number left as a test cell's value as partial credit.
    Raises GradingFailure on the first failing case.
    """
    spec = lessons.load_autograder_spec(lesson_id).GRADED
    if name not in spec:
        raise KeyError(f"{name!r} is not a graded function of {lesson_id!r} (graded: {', '.join(spec)})")
    if not callable(student_fn):
        raise GradingFailure(f"{name} is not a function (got {type(student_fn).__name__})")
    entry = spec[name]
    reference = lessons.load_reference(lesson_id)
    reference_fn = getattr(reference, name)
    seed = zlib.crc32(f"{lesson_id}/{name}".encode()) if seed is None else seed
    cases = entry["cases"](torch.Generator().manual_seed(seed))
    for i, kwargs in enumerate(cases, start=1):
        where = f"{name}, hidden case {i} of {len(cases)} ({describe(kwargs)})"
        expected = probe.call(reference_fn, copy.deepcopy(kwargs), entry.get("grad", ()))
        try:
            with _isolated(student_fn, entry.get("uses", ()), reference), _time_limit(CASE_SECONDS, name):
                got = probe.call(student_fn, copy.deepcopy(kwargs), entry.get("grad", ()))
        except NotImplementedError:
            raise GradingFailure(f"{name} is not implemented yet (it raises NotImplementedError)") from None
        except Exception as err:
            raise GradingFailure(f"{where}: raised {type(err).__name__}: {err}") from None
        reason = compare(got, expected, entry.get("rtol", 1e-6), entry.get("atol", 1e-9))
        if reason:
            raise GradingFailure(f"{where}: {reason}")
    print(f"{name}: {len(cases)} hidden cases passed")


# ---------------------------------------------------------------------------------------------------
# The sandboxed grader's verdict: the same comparison, on what the student's process sent back as data.

BUILTIN_ERRORS = {name for name in dir(builtins)
                  if name.endswith(("Error", "Exception", "Exit", "Interrupt", "Warning", "Iteration"))}


STATUS_KINDS = {"ok", "missing", "not-callable", "raised", "not-plain-data"}


def judge(plan, name, files, ended):
    """The grader's verdict on one function from what the sandbox left: (passed, message). Nothing the
    sandbox wrote is shown to the student as text; messages are composed here. Whatever the sandbox
    wrote, this returns a verdict for this function alone and never raises."""
    try:
        return _judge(plan, name, files, ended)
    except Exception:                     # bytes no rule foresaw: this function fails, the others stand
        return False, f"{name}: the grader could not read what it returned"


def _judge(plan, name, files, ended):
    f = plan["functions"][name]
    n = len(f["cases"])
    raw = files.get(f"result-{name}.json")
    if raw is None:
        if ended == "timeout":
            return False, f"{name}: stopped, it ran longer than the time limit on the hidden cases"
        return False, f"{name}: its process ended before it returned (a crash, os._exit or a signal)"
    try:
        result = json.loads(raw)
        status = result["status"]
        kind = status["kind"]
        assert kind in STATUS_KINDS
        arrays = wire.load_arrays(io.BytesIO(files.get(f"result-{name}.npz", b"")))
    except Exception:
        return False, f"{name}: the grader could not read what it returned"
    if kind == "missing":
        return False, f"{name} is not defined (did its cell run?)"
    if kind == "not-callable":
        return False, f"{name} is not a function"
    if kind in ("raised", "not-plain-data"):
        case = status.get("case")
        case = case + 1 if isinstance(case, int) and 0 <= case < n else "?"
        error = status.get("error")
        error = error if isinstance(error, str) and error in BUILTIN_ERRORS else "an exception"
        if error == "NotImplementedError":
            return False, f"{name} is not implemented yet (it raises NotImplementedError)"
        if kind == "not-plain-data":
            return False, (f"{name}, hidden case {case} of {n}: it returned something that is not plain data "
                           "(use tensors, arrays, numbers, strings, lists, tuples or dicts)")
        return False, f"{name}, hidden case {case} of {n}: raised {error} (run the visible test to see the message)"
    outputs = result.get("outputs")
    if not isinstance(outputs, list) or len(outputs) != n:
        return False, f"{name}: the grader could not read what it returned"
    for i, ((kwargs, expected, _), tree) in enumerate(zip(f["cases"], outputs), start=1):
        where = f"{name}, hidden case {i} of {n} ({describe(kwargs)})"
        try:
            got = wire.decode(tree, arrays)
        except (wire.WireError, ValueError, TypeError, KeyError, RecursionError):
            return False, f"{where}: the grader could not read what it returned"
        reason = compare(got, expected, f["rtol"], f["atol"])
        if reason:
            return False, f"{where}: {reason}"
    return True, f"{name}: {n} hidden cases passed"
