"""The grader's side of the sandbox protocol: what it sends the sandboxed worker and what it makes of
what comes back, for one submission.

`grading_plan` holds what the student never sees (the graded cells, the hidden cases and the
reference's answers); `grade_submission` runs the submission's cells in a sandbox
(neuroai.course.sandbox, neuroai.course.worker), sends the hidden inputs once the cells have run,
watches the progress channel for hangs and forged messages, reruns without a cell that hung or
crashed, and hands each function's returned values to the judge (neuroai.course.judge.judge).
Everything that decides a score happens in the grader's own process.
"""
import hashlib
import inspect
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from neuroai.course import judge, lessons, sandbox, wire
from neuroai.course.release import _nbgrader_meta


GRADER_FILES = ("batch.py", "protocol.py", "release.py", "worker.py", "sandbox.py", "wire.py", "judge.py",
                "lessons.py", "probe.py")


CHECK_CALL = re.compile(r"""check\(\s*["']([\w-]+)["']\s*,\s*["'](\w+)["']""")


@dataclass
class Settings:
    cell_seconds: float = 60          # one notebook cell (`--timeout`)
    call_seconds: float = float(os.environ.get("NEUROAI_CASE_SECONDS", 10))   # one call of a function
    # the sandbox's own limits act first; the grader kills what ignores them this much later
    grace_seconds: float = float(os.environ.get("NEUROAI_GRACE_SECONDS", 5))
    submission_seconds: float = 900   # all runs of one submission (reruns without a cell that stopped it)

    @property
    def function_seconds(self):       # all hidden cases of one function
        return 3 * self.call_seconds


def grading_plan(lesson_id, cases=True):
    """What the grader knows and the student never sees: the graded cells and their points, the
    functions each one checks, and every hidden case with the reference's answer (`cases=False`:
    everything but the hidden cases, which need the reference to run; enough to read stored grades)."""
    lesson = lessons.get(lesson_id)
    source = nbformat.read(lesson.path("source"), as_version=4)
    release = nbformat.read(lesson.path("student"), as_version=4)
    tests = {}
    for cell in source.cells:
        meta = _nbgrader_meta(cell)
        if meta.get("grade") and cell.cell_type == "code":
            names = [n for lid, n in CHECK_CALL.findall(cell.source) if lid == lesson_id]
            tests[meta["grade_id"]] = {"points": float(meta.get("points", 0)), "functions": names}
    spec = lessons.load_autograder_spec(lesson_id).GRADED
    functions = {}
    for name in dict.fromkeys(n for t in tests.values() for n in t["functions"]) if cases else ():
        reference = lessons.load_reference(lesson_id)
        functions[name] = {"cases": judge.reference_cases(lesson_id, name),
                           "rtol": spec[name].get("rtol", 1e-6), "atol": spec[name].get("atol", 1e-9),
                           "uses": list(spec[name].get("uses", ())), "grad": list(spec[name].get("grad", ())),
                           "signatures": {dep: _signature(getattr(reference, dep))
                                          for dep in spec[name].get("uses", ())}}
    digest = hashlib.sha256()
    for path in [lesson.path("reference"), lesson.path("autograder"), lesson.path("source"), lesson.path("student"),
                 *(Path(__file__).parent / f for f in GRADER_FILES)]:
        digest.update(Path(path).read_bytes())
    return {"lesson": lesson_id, "release": release, "tests": tests, "functions": functions,
            "version": digest.hexdigest()[:16]}


def _signature(fn):
    params = inspect.signature(fn).parameters
    defaults = {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}
    return list(params), defaults


def job_cells(nb, plan):
    """The code cells to run, nbgrader's way: test and locked cells come from the release (a student
    cannot edit a test), solution cells and cells the student added from the submission. Cells
    after the last test cell (the experiment) are not run. Returns (cells, notes for feedback)."""
    release = {}
    for i, cell in enumerate(plan["release"].cells):
        gid = _nbgrader_meta(cell).get("grade_id")
        if gid:
            release[gid] = (i, cell)
    last_test = max((release[g][0] for g in plan["tests"] if g in release), default=len(plan["release"].cells))
    last_gid = next((g for g, (i, _) in release.items() if i == last_test), None)
    # where the exercises end: the last copy of the last test cell (a copy of it pasted higher up does
    # not cut the notebook short); without one, the first cell the release has after it
    stop = max((i for i, c in enumerate(nb.cells) if _nbgrader_meta(c).get("grade_id") == last_gid), default=None)
    cells, used, notes = [], set(), []
    for index, cell in enumerate(nb.cells):
        meta = _nbgrader_meta(cell)
        gid = meta.get("grade_id")
        position = None
        if isinstance(gid, str) and gid in release and gid not in used:
            used.add(gid)
            position, original = release[gid]
            if not _nbgrader_meta(original).get("solution"):
                cell = original                                        # tests and locked cells: release text
        if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
            cells.append({"index": index, "source": cell["source"], "grade_id": gid if position is not None else None})
        if index == stop or (stop is None and position is not None and position >= last_test):
            break
    missing = [g for g in release if g not in used and release[g][0] <= last_test]
    if missing:
        notes.append("cells missing from the submission (deleted, or their metadata changed): " + ", ".join(missing))
    kernel = nb.get("metadata", {}).get("kernelspec", {})
    if isinstance(kernel, dict) and kernel.get("language", "python") != "python":
        notes.append(f"the notebook says its kernel is {kernel.get('language')!r}; it was run as Python")
    return cells, notes


MAX_SUBMISSION_BYTES = 50 * 2**20


def clean_text(value):
    """`value` with every string made writable as UTF-8: a lone surrogate (valid in JSON as \\ud800, not
    in UTF-8) becomes "?". Applied to whatever a student's notebook or process hands the grader, so
    that no student's text can stop the writing of the log, the gradebook or another's feedback."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return type(value)((clean_text(k), clean_text(v)) for k, v in value.items())
    if isinstance(value, list):
        return [clean_text(v) for v in value]
    return value


def read_submission(data):
    """A submission's bytes -> nbformat v4 notebook (v3 is converted). Raises ValueError when unusable."""
    if len(data) > MAX_SUBMISSION_BYTES:
        raise ValueError(f"could not read the notebook: it is larger than {MAX_SUBMISSION_BYTES // 2**20} MB")
    try:
        nb = nbformat.from_dict(clean_text(nbformat.reads(data.decode("utf-8"), as_version=4)))
    except Exception as err:
        raise ValueError(f"could not read the notebook: {type(err).__name__}: "
                         f"{clean_text(str(err))[:200]}") from None
    if not isinstance(nb.get("cells"), list) or not all(isinstance(c, dict) for c in nb.cells):
        raise ValueError("could not read the notebook: it has no list of cells")
    return nb


def _font_caches():
    try:
        import matplotlib
        return list(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))
    except Exception:
        return []


def _secret(plan, names, settings):
    """The hidden cases for the sandbox, sent on stdin after the notebook's cells have run: inputs and
    the reference's answers to dependency calls, never the expected outputs."""
    arrays, functions = {}, []

    def put(value):
        tree, arrs = wire.encode(value)
        renamed = {k: f"s{len(arrays) + i}" for i, k in enumerate(arrs)}
        for k, a in arrs.items():
            arrays[renamed[k]] = a
        return wire.rename(tree, renamed)

    for name in names:
        f = plan["functions"][name]
        deps = []
        for dep in f["uses"]:
            params, defaults = f["signatures"][dep]
            deps.append({"name": dep, "params": params, "defaults": put(defaults),
                         "calls": [[[put(kw), put(out)] for kw, out in calls[dep]] for _, _, calls in f["cases"]]})
        functions.append({"name": name, "cases": [put(kw) for kw, _, _ in f["cases"]], "deps": deps,
                          "grad": f.get("grad", [])})
    head = json.dumps({"functions": functions, "call_seconds": settings.call_seconds,
                       "function_seconds": settings.function_seconds}).encode()
    buffer = io.BytesIO()
    wire.save_arrays(buffer, arrays)
    return len(head).to_bytes(8, "big") + head + buffer.getvalue()


def grade_submission(plan, data, settings=None, slot=0):
    """Grade one submission (its bytes) in the sandbox. Returns a record: scores per test cell,
    verdict per function, what each cell printed (before any hidden case entered the sandbox)."""
    settings = settings or Settings()
    start = time.perf_counter()
    record = {"version": plan["version"], "lesson": plan["lesson"], "scores": {}, "functions": {},
              "cells": {}, "notes": [], "status": "graded"}
    try:
        nb = read_submission(data)
    except ValueError as err:
        record.update(status=str(err), scores={g: 0.0 for g in plan["tests"]})
        return record
    cells, record["notes"] = job_cells(nb, plan)
    remaining = list(plan["functions"])
    skip = set()
    # Every rerun drops the cell or the function that stopped the last run, so len(cells) + len(functions)
    # + 1 runs always suffice; the time budget keeps a notebook of many such cells from holding a slot.
    for attempt in range(len(cells) + len(remaining) + 1):
        if not remaining:
            break
        if attempt and time.perf_counter() - start > settings.submission_seconds:
            record["notes"].append(f"grading stopped after {settings.submission_seconds:g} s and {attempt} runs of "
                                   "the notebook; the functions not graded by then get no points")
            break
        run_cells = [c for c in cells if c["index"] not in skip]
        state = {"ready": False, "cell": None, "cell_start": 0.0, "function": None, "function_start": 0.0,
                 "records": {}, "finished": set(), "last_cell": None, "violation": None}

        def on_progress(line, now, state=state):
            if line is not None:
                word = line.split(" ", 2)
                if line == "ready" and not state["ready"]:
                    state["ready"] = True
                    if state["cell"] is not None:         # sent while a cell was still running: forged
                        state["violation"] = state["cell"]
                        return f"cell {state['cell']} interfered with the grader's protocol"
                elif word[0] == "record" and not state["ready"] and len(word) > 1:
                    try:
                        rec = json.loads(line[len("record "):])
                        state["records"][int(rec["index"])] = {
                            "output": clean_text(str(rec.get("output", ""))[-20000:]),
                            "error": clean_text(str(rec.get("error") or "")[:500])}
                    except (ValueError, KeyError, TypeError):
                        pass
                elif word[0] in ("cell", "record", "ready") and state["ready"]:
                    state["violation"] = state["last_cell"]   # the notebook spoke after "ready": forged
                    return f"cell {state['last_cell']} interfered with the grader's protocol"
                elif word[0] == "cell" and len(word) == 3:
                    state["cell"] = int(word[1]) if word[2] == "start" and word[1].isdigit() else None
                    state["last_cell"] = state["cell"] if state["cell"] is not None else state["last_cell"]
                    state["cell_start"] = now
                elif word[0] == "function" and len(word) == 3 and state["ready"]:
                    state["function"] = word[1] if word[2] == "start" else None
                    if word[2] == "done":
                        state["finished"].add(word[1])
                    state["function_start"] = now
            if state["cell"] is not None and now - state["cell_start"] > settings.cell_seconds + settings.grace_seconds:
                return f"cell {state['cell']} ran longer than {settings.cell_seconds:g} s"
            if state["function"] is not None and (now - state["function_start"] >
                                                  settings.function_seconds + settings.grace_seconds):
                return f"{state['function']} ran longer than {settings.function_seconds:g} s"
            return None

        with tempfile.TemporaryDirectory(prefix="neuroai-job-") as job:
            Path(job, "cells.json").write_text(json.dumps({"cells": run_cells, "cell_seconds": settings.cell_seconds}))
            for font_cache in _font_caches():                # saves matplotlib a font scan per sandbox
                shutil.copy(font_cache, Path(job, font_cache.name))
            os.chmod(job, 0o755)
            for path in Path(job).iterdir():
                os.chmod(path, 0o644)
            limits = sandbox.Limits(wall_seconds=settings.cell_seconds * (len(run_cells) + 1)
                                    + settings.function_seconds * len(remaining) + 60)
            outcome = sandbox.run(job, [sys.executable, "-m", "neuroai.course.worker", "/job/in", "/job/out"],
                                  limits=limits, slot=slot, on_progress=on_progress,
                                  secret=_secret(plan, remaining, settings))
        if not record["cells"] or state["records"]:
            record["cells"] = {str(k): v for k, v in state["records"].items()}
        if state["violation"] is not None:
            skip.add(state["violation"])
            record["notes"].append(f"cell {state['violation']} interfered with the grader (it wrote to the "
                                   "grader's channel); the notebook was run again without it")
            continue
        if outcome.killed and not state["ready"] and state["cell"] is not None:
            skip.add(state["cell"])                       # rerun without the cell that hung or crashed
            record["notes"].append(f"cell {state['cell']} was stopped: {outcome.killed}; the notebook was "
                                   "run again without it")
            continue
        if not state["ready"]:
            crashed = next((c["index"] for c in run_cells if c["index"] not in state["records"]), None)
            if crashed is not None and crashed not in skip:
                skip.add(crashed)
                record["notes"].append(f"cell {crashed} ended the notebook's process; it was run again without it")
                continue
        if outcome.killed:                                 # in the function phase
            name = state["function"]
            if name in remaining:
                record["functions"][name] = judge.judge(plan, name, {}, "timeout")
                remaining.remove(name)
            continue                                       # the others again, in a fresh sandbox
        for name in list(remaining):
            raw = outcome.files.get(f"status-{name}.json")
            if raw is None and f"result-{name}.json" not in outcome.files:
                continue
            try:
                ended = json.loads(raw).get("ended") if raw else None
            except (ValueError, AttributeError):
                ended = None
            record["functions"][name] = judge.judge(plan, name, outcome.files, ended)
            remaining.remove(name)
        if remaining and state["function"] in remaining:   # the worker itself died during this one
            record["functions"][state["function"]] = judge.judge(plan, state["function"], {}, None)
            remaining.remove(state["function"])
    for name in remaining:
        record["functions"][name] = (False, f"{name}: not graded, the notebook's process stopped before it")
    for gid, test in plan["tests"].items():
        passed = all(record["functions"].get(n, (False,))[0] for n in test["functions"]) and test["functions"]
        record["scores"][gid] = test["points"] if passed else 0.0
    record["seconds"] = round(time.perf_counter() - start, 2)
    return record
