"""The test suite's own machinery: one run setting, the claim line checked, each expensive run once,
both cores at work, and what each lesson cost.

- One run setting. Tests, the notebook kernels nbval starts and the `neuroai reproduce` processes all
  run under neuroai.configure(): NEUROAI_THREADS (default 1) and NEUROAI_DEVICE, inherited.
- The claim is checked in every instructor notebook. The cell tagged `claim` must print a line that
  says the claim holds, whatever nbval's stored outputs are; a lesson may instead declare its
  notebook's failure in the registry (neuroai.course.lessons). A lesson without that cell fails
  tests/course/test_notebooks.py.
- Each notebook is executed once. nbval executes every instructor notebook (solutions/<id>.ipynb)
  cell by cell; when all its cells pass, it is saved with those outputs to build/executed/<id>.ipynb,
  stamped with the code fingerprint, and the book renders it instead of executing it again. The
  reproduce tests likewise leave their records in build/reproduce/ for the reproducibility page.
- Both cores. `python3 course.py test` runs pytest-xdist on two workers: the cells of one notebook, and
  the tests that share one lesson's grading batch, stay together on one worker (`work_unit`); the
  book's browser tests (marker `book`) run after, as a last stage that renders what the first made.
- The slow tier (marker `slow`: the benchmarks) runs only with --slow (`python3 course.py test --slow`).
- What each lesson cost: every test's seconds go to build/test-times/, and `neuroai bench --test-cost`
  (which course.py calls at the end) prints them per lesson.
"""
import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from neuroai.course import lessons

ROOT = Path(__file__).resolve().parent
TIMES = ROOT / "build" / "test-times"
_runs = {}      # notebook path -> {"outputs": {cell_num: outputs}, "failed": bool}
_times = []     # [{"test": nodeid, "lesson": id or None, "part": ..., "seconds": s}]


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run the slow tier (benchmarks)")


def pytest_configure(config):
    # Kernels inherit this process's environment: with MPLBACKEND=Agg they would draw no figures.
    if os.environ.get("MPLBACKEND", "").lower() == "agg":
        os.environ.pop("MPLBACKEND")
    os.environ.setdefault("NEUROAI_THREADS", "1")       # the course's one run setting, for every process
    import neuroai
    neuroai.configure()
    config.addinivalue_line("markers", "slow: the slow tier (benchmarks); runs with --slow")
    config.addinivalue_line("markers", "book: the built book in a browser; the last stage, after the rest")


# --- which lesson a test belongs to ----------------------------------------------------------------

def _lesson_of_notebook(path):
    path = Path(str(path)).resolve()
    for lesson in lessons.LESSONS.values():
        if path == lesson.path("source").resolve():
            return lesson
    return None


def lesson_of(item):
    """(lesson id or None, part) of a test: which lesson's cost it is, and what kind of cost."""
    if Path(str(item.path)).suffix == ".ipynb":          # an nbval cell
        lesson = _lesson_of_notebook(item.path)
        return (lesson.id if lesson else None), "notebook"
    params = getattr(getattr(item, "callspec", None), "params", {})
    name = Path(str(item.path)).name
    if params.get("graded") == "corpus":                 # the adversarial corpus: the grader's, not a lesson's
        return None, "grading"
    for key in ("lesson_id", "graded"):
        if params.get(key) in lessons.LESSONS:
            part = {"test_grading.py": "grading", "test_reproduce.py": "claim (3 seeds)"}.get(name, "checks")
            return params[key], part
    match = re.fullmatch(r"test_(\w+)\.py", name)
    if match and Path(str(item.path)).parent.name == "lessons":
        lesson_id = match.group(1).replace("_", "-")
        if lesson_id in lessons.LESSONS:
            return lesson_id, "reference tests"
    return None, "course and library"


@pytest.hookimpl(tryfirst=True)          # before `-m` deselects by marker
def pytest_collection_modifyitems(session, config, items):
    slow = pytest.mark.skip(reason="slow tier: run `python3 course.py test --slow`")
    for item in items:
        if "slow" in item.keywords and not config.getoption("--slow"):
            item.add_marker(slow)
        if "built_book" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.book)
    # The longest work first (both cores stay busy to the end); the book's tests last: they render what
    # nbval executed and what the reproduce tests measured.
    first = ("notebook", "grading", "claim (3 seeds)")
    items.sort(key=lambda item: ("book" in item.keywords,
                                 first.index(lesson_of(item)[1]) if lesson_of(item)[1] in first else len(first)))


def work_unit(nodeid):
    """The tests that must run together on one pytest-xdist worker, from a test's node id: the cells of
    one notebook (they share its kernel, in order), and the tests of one lesson's grading batch (they
    share a module-scoped fixture that grades it once). Every other test is a unit of its own."""
    path, _, rest = nodeid.partition("::")
    if path.endswith(".ipynb"):
        return path
    if path.endswith("test_grading.py"):
        match = re.search(r"\[([\w-]+)\]$", rest)
        if match and (match.group(1) in lessons.LESSONS or match.group(1) == "corpus"):
            return f"grading-{match.group(1)}"
    return nodeid


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's `loadgroup` marks a group by rewriting node ids, which pytest 9 no longer allows;
    a scope scheduler with our own units does the same job."""
    from xdist.scheduler import LoadScopeScheduling

    class LessonScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid)

    return LessonScheduling(config, log)


# --- the claim line, and the executed notebook saved for the book -----------------------------------

def _printed(outputs):
    text = []
    for output in outputs or []:
        output = dict(output)
        text.append(output.get("text", "") if isinstance(output.get("text", ""), str) else "".join(output["text"]))
        data = output.get("data") or {}
        text.append(str(data.get("text/plain", "")))
    return "".join(text)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not hasattr(item, "test_outputs"):
        return
    lesson = _lesson_of_notebook(item.path)
    if lesson is None:
        return
    if call.when == "call" and report.passed and lessons.CLAIM_TAG in getattr(item, "cell", {}).get(
            "metadata", {}).get("tags", []):
        problem = lessons.claim_problem(lesson, _printed(item.test_outputs))
        if problem:
            report.outcome = "failed"
            report.longrepr = f"claim check: {problem}"
    run = _runs.setdefault(str(item.path), {"outputs": {}, "failed": False})
    if report.failed or report.skipped:
        run["failed"] = True
    if call.when == "call" and item.test_outputs is not None:
        run["outputs"][item.cell_num] = item.test_outputs


def pytest_runtest_teardown(item, nextitem):
    lesson = _lesson_of_notebook(item.path) if hasattr(item, "test_outputs") else None
    if lesson is None or (nextitem is not None and nextitem.path == item.path):
        return
    run = _runs.pop(str(item.path), None)
    nb = nbformat.read(lesson.path("source"), as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if run is None or run["failed"] or len(run["outputs"]) != len(code):
        return                       # not a complete, clean run: the book executes the chapter itself
    count = 0
    for num, cell in enumerate(code):
        outputs = run["outputs"].get(num)
        if outputs is None:      # nbval numbers the code cells it collects from 0
            return
        count += 1
        cell.outputs = [nbformat.from_dict(dict(o)) for o in outputs]
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = count
        cell.execution_count = count
    nb.metadata["neuroai"] = {"code_sha256": lessons.code_fingerprint(lesson.id), "executed_by": "nbval"}
    out = ROOT / "build" / "executed" / f"{lesson.id}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)


# --- what each test cost ----------------------------------------------------------------------------

_outcomes = {}


def pytest_runtest_logreport(report):
    """One outcome per test: failed if any phase failed; xfailed / xpassed; skipped; else passed."""
    previous = _outcomes.get(report.nodeid, "passed")
    if report.failed:
        outcome = "failed"
    elif hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    elif report.skipped:
        outcome = "skipped"
    else:
        outcome = "passed"
    order = ["passed", "xpassed", "skipped", "xfailed", "failed"]
    _outcomes[report.nodeid] = max(previous, outcome, key=order.index)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.perf_counter()
    yield
    lesson_id, part = lesson_of(item)
    _times.append({"test": item.nodeid, "lesson": lesson_id, "part": part,
                   "seconds": round(time.perf_counter() - start, 3),
                   "outcome": _outcomes.get(item.nodeid, "passed")})


def pytest_sessionfinish(session, exitstatus):
    if not _times:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    TIMES.mkdir(parents=True, exist_ok=True)
    stage = os.environ.get("NEUROAI_TEST_STAGE", "tests")
    (TIMES / f"{stage}-{worker}.json").write_text(json.dumps(_times))
