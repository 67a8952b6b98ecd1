"""The untrusted half of grading: runs INSIDE the sandbox, as the student, on grader-made inputs.

    python -m neuroai.course.worker /job/in /job/out [--progress-fd N]

/job/in holds job.json (the notebook's code cells to run, the graded functions, their hidden-case
inputs as plain data, and for each function's dependencies the reference's answers to the calls the
reference itself made on that case) and arrays.npz. Nothing in /job/in is secret: it has no expected
outputs and no reference code. The worker

1. runs the cells in order in an IPython shell (magics work), each under a time limit, keeping what
   each prints for the student's feedback;
2. for each graded function, forks a fresh child (so functions cannot disturb each other), silences
   its output, calls the function on every case, and writes what it returned as plain data
   (neuroai.course.wire) to /job/out/result-NAME.json/.npz. While the function runs, the graded functions
   it builds on answer from the reference's recorded calls when called with the same arguments, so
   a mistake in one exercise costs only that exercise's points.

Everything here runs in the student's process and can be subverted by the student's code; that is
by design. The grader trusts none of it: it rebuilds the returned values as builtin types and
compares them itself with the reference it computed outside.
"""
import argparse
import io
import json
import os
import signal
import sys
import time
import traceback

import numpy as np

from neuroai.course import probe, wire

MAX_CELL_OUTPUT = 20_000


def _progress(fd, text):
    if fd is not None:
        try:
            os.write(fd, (text.replace("\n", " ") + "\n").encode())
        except OSError:
            pass


def _write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


class _Timeout(Exception):
    pass


def _alarm(seconds):
    def on_alarm(signum, frame):
        raise TimeoutError(f"ran longer than {seconds:g} s")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _close(a, b, rtol=1e-6, atol=1e-9):
    """Does a student's call match a recorded reference call's argument?"""
    if isinstance(a, np.ndarray) or hasattr(a, "detach"):
        if not (isinstance(b, np.ndarray) or hasattr(b, "detach")):
            return False
        a = np.asarray(a.detach().cpu() if hasattr(a, "detach") else a)
        b = np.asarray(b.detach().cpu() if hasattr(b, "detach") else b)
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= atol + rtol * abs(b)
    return type(a) is type(b) and a == b


def _proxy(name, params, defaults, calls, own):
    """Stands in for graded function `name` while another graded function runs: the reference's
    answer for a recorded call, else the student's own version."""
    def stand_in(*args, **kwargs):
        bound = dict(defaults)
        bound.update(zip(params, args))
        bound.update(kwargs)
        for recorded, output in calls:
            if recorded.keys() == bound.keys() and all(_close(bound[k], recorded[k]) for k in bound):
                return wire.decode(*output)
        if own is None:
            raise NameError(f"name {name!r} is not defined")
        return own(*args, **kwargs)
    stand_in.__name__ = name
    return stand_in


def _only_me(pid):
    """A process the notebook forked returns here too, as a copy of the worker: it must stop, not go
    on running cells or write results."""
    if os.getpid() != pid:
        os._exit(0)


def _status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return fields


def kill_strays():
    """Kill every process the notebook left running (daemons, fork bombs): all processes of this uid
    in the sandbox except this one and its ancestors. Then reap what were our children."""
    me, uid = os.getpid(), str(os.getuid())
    keep, pid = {1, me}, me
    try:
        while pid > 1:
            pid = int(_status(pid)["PPid"][0])
            keep.add(pid)
    except (OSError, KeyError, IndexError, ValueError):
        pass
    for _ in range(100):
        victims = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in keep:
                try:
                    if _status(entry)["Uid"][0] == uid:
                        victims.append(int(entry))
                except (OSError, KeyError, IndexError):
                    pass
        for victim in victims:
            try:
                os.kill(victim, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        if not victims:
            return
        time.sleep(0.01)


def run_cells(shell, cells, cell_seconds, out_dir, progress_fd):
    from IPython.utils.capture import capture_output

    me = os.getpid()
    records = []
    for cell in cells:
        _progress(progress_fd, f"cell {cell['index']} start")
        error = None
        with capture_output(display=True) as captured:
            try:
                _alarm(cell_seconds)
                result = shell.run_cell(cell["source"], store_history=False, silent=False)
                if result.error_in_exec is not None or result.error_before_exec is not None:
                    e = result.error_in_exec or result.error_before_exec
                    error = f"{type(e).__name__}: {e}"[:500]
            except BaseException as e:                     # a TimeoutError raised outside run_cell
                error = f"{type(e).__name__}: {e}"[:500]
            finally:
                _only_me(me)
                signal.setitimer(signal.ITIMER_REAL, 0)
        _only_me(me)
        kill_strays()                              # what the cell forked does not outlive it
        text = (captured.stdout + captured.stderr)[-MAX_CELL_OUTPUT:]
        records.append({"index": cell["index"], "output": text, "error": error})
        _progress(progress_fd, "record " + json.dumps(records[-1]))
        _progress(progress_fd, f"cell {cell['index']} done")
    return records


def grade_function(shell, spec, arrays, out_dir, call_seconds):
    """Child process: call one graded function on its cases; write its outputs as plain data."""
    name = spec["name"]
    me = os.getpid()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    fn = shell.user_ns.get(name)
    outputs, out_arrays = [], {}
    status = {"kind": "ok"}
    if not callable(fn):
        status = {"kind": "missing" if fn is None else "not-callable"}
    else:
        for i, case in enumerate(spec["cases"]):
            for dep in spec.get("deps", []):                # this case's recorded reference calls
                calls = [(wire.decode(c[0], arrays), (c[1], arrays)) for c in dep["calls"][i]]
                shell.user_ns[dep["name"]] = _proxy(dep["name"], dep["params"], wire.decode(dep["defaults"], arrays),
                                                    calls, dep.get("_own"))
            try:
                kwargs = wire.decode(case, arrays)
                _alarm(call_seconds)
                got = probe.call(fn, kwargs, spec.get("grad", ()))   # the gradient too, where it is graded
                signal.setitimer(signal.ITIMER_REAL, 0)
                tree, arrs = wire.encode(got)
            except BaseException as e:
                _only_me(me)
                signal.setitimer(signal.ITIMER_REAL, 0)
                status = {"case": i, "error": type(e).__name__,
                          "kind": "not-plain-data" if isinstance(e, wire.WireError) else "raised"}
                break
            _only_me(me)
            renamed = {}
            for key, a in arrs.items():
                renamed[key] = f"c{i}_{key}"
                out_arrays[renamed[key]] = a
            outputs.append(wire.rename(tree, renamed))
    _only_me(me)
    wire.save_arrays(os.path.join(out_dir, f"result-{name}.npz"), out_arrays)
    _write_json(os.path.join(out_dir, f"result-{name}.json"), {"name": name, "status": status, "outputs": outputs})


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("job")
    p.add_argument("out")
    p.add_argument("--progress-fd", type=int, default=None)
    args = p.parse_args(argv)
    with open(os.path.join(args.job, "cells.json")) as f:
        job = json.load(f)
    for name in os.listdir(args.job):                      # the grader's matplotlib font cache
        if name.startswith("fontlist-") and os.environ.get("MPLCONFIGDIR"):
            with open(os.path.join(args.job, name), "rb") as src, \
                    open(os.path.join(os.environ["MPLCONFIGDIR"], name), "wb") as dst:
                dst.write(src.read())
    fd = args.progress_fd

    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    sys.setrecursionlimit(3000)
    os.chdir(args.out)
    run_cells(shell, job["cells"], job["cell_seconds"], args.out, fd)

    kill_strays()
    # Only now does the grader send the hidden cases (on stdin): nothing the notebook prints from here
    # on reaches the student's feedback, so the cases and the reference's recorded answers cannot leak.
    _progress(fd, "ready")
    stdin = sys.stdin.buffer
    size = int.from_bytes(stdin.read(8), "big")
    job.update(json.loads(stdin.read(size)))
    arrays = wire.load_arrays(io.BytesIO(stdin.read()))
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)

    for spec in job["functions"]:
        for dep in spec.get("deps", []):                     # the student's own versions, saved
            own = shell.user_ns.get(dep["name"])
            dep["_own"] = own if callable(own) else None
        _progress(fd, f"function {spec['name']} start")
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.setpgid(0, 0)                   # its own process group: whatever it forks dies with it
            try:
                grade_function(shell, spec, arrays, args.out, job["call_seconds"])
            finally:
                os._exit(0)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        deadline = start + job["function_seconds"]
        status = None
        while status is None:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = (f"exit {os.waitstatus_to_exitcode(code)}")
            elif time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                status = "timeout"
            else:
                time.sleep(0.005)
        kill_strays()                          # processes the function left behind (a fork bomb)
        _write_json(os.path.join(args.out, f"status-{spec['name']}.json"),
                    {"name": spec["name"], "ended": status, "seconds": time.monotonic() - start})
        _progress(fd, f"function {spec['name']} done")
    _progress(fd, "finished")


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        traceback.print_exc()
        raise
