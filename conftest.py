"""Each lesson's notebook is executed once per test run, not twice.

nbval executes every instructor notebook (solutions/<id>.ipynb) cell by cell. When all its cells
pass, the notebook is saved with those outputs to build/executed/<id>.ipynb, stamped with the code
fingerprint (lessons.code_fingerprint), and the book test, which runs last, renders it instead of
executing it again. The reproduce tests likewise leave their records in build/reproduce/ for the
book's reproducibility page. A saved result is used only while the code that made it is unchanged.
"""
from pathlib import Path

import nbformat
import pytest

from neuroai.course import lessons

ROOT = Path(__file__).resolve().parent
_runs = {}   # notebook path -> {"outputs": {cell_num: outputs}, "failed": bool}


def _lesson_of(path):
    path = Path(str(path)).resolve()
    for lesson in lessons.LESSONS.values():
        if path == lesson.path("source").resolve():
            return lesson
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not hasattr(item, "test_outputs") or _lesson_of(item.path) is None:
        return
    run = _runs.setdefault(str(item.path), {"outputs": {}, "failed": False})
    if report.failed or report.skipped:
        run["failed"] = True
    if call.when == "call" and item.test_outputs is not None:
        run["outputs"][item.cell_num] = item.test_outputs


def pytest_runtest_teardown(item, nextitem):
    lesson = _lesson_of(item.path) if hasattr(item, "test_outputs") else None
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


def pytest_collection_modifyitems(session, config, items):
    """The book test runs last: it renders what nbval executed and what the reproduce tests measured."""
    items.sort(key=lambda item: Path(str(item.path)).name == "test_book.py")


def pytest_configure(config):
    """Kernels inherit this process's environment: with MPLBACKEND=Agg they would draw no figures."""
    import os
    if os.environ.get("MPLBACKEND", "").lower() == "agg":
        os.environ.pop("MPLBACKEND")
