"""One source per lesson: the student notebook is generated from the instructor notebook and is not
stale; the notebook's code is the reference's, character for character; the student notebook runs
with only the exercises raising; a solved student notebook needs nothing from solutions/."""
import ast
from pathlib import Path

import nbformat
import pytest
from helpers import solved
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

from neuroai.course import lessons, release

ROOT = Path(__file__).resolve().parents[2]
LESSON_IDS = list(lessons.LESSONS)
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def definitions(source):
    """{name: source text} of the top-level functions and UPPERCASE constants in Python source."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            name = node.name
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id.isupper():
            name = node.targets[0].id
        else:
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        found[name] = "\n".join(lines[start:node.end_lineno])
    return found


def notebook_definitions(nb):
    found = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = TransformerManager().transform_cell(cell.source)     # %magics -> Python
        source = "\n".join(line for line in source.splitlines() if line.strip() not in MARKERS)
        found.update(definitions(source))
    return found


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_student_notebook_is_not_stale(lesson_id):
    lesson = lessons.get(lesson_id)
    committed = lesson.path("student").read_text()
    assert committed == release._dumps(release.student_notebook(lesson_id)), (
        f"{lesson.path('student').relative_to(ROOT)} is stale: run `neuroai release {lesson_id}` and commit it")


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_notebook_code_is_the_reference(lesson_id):
    lesson = lessons.get(lesson_id)
    in_notebook = notebook_definitions(nbformat.read(lesson.path("source"), as_version=4))
    in_reference = definitions(lesson.path("reference").read_text())
    graded = lessons.load_autograder_spec(lesson_id).GRADED
    assert set(graded) <= set(in_notebook), "every graded function is an exercise in the notebook"
    assert set(in_notebook) <= set(in_reference), (
        f"defined in the notebook but not in the reference: {set(in_notebook) - set(in_reference)}")
    for name, text in in_notebook.items():
        assert text == in_reference[name], f"{name} differs between the notebook and solutions/{lesson_id}.py"


def test_the_drift_check_can_fail():
    ref = "def f(x):\n    return x + 1\n"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return x + 2\n    ### END SOLUTION")])
    assert notebook_definitions(nb)["f"] != definitions(ref)["f"]


def execute(nb, cwd, allow_errors):
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def assigned_names(source):
    tree = ast.parse(TransformerManager().transform_cell(source))
    return {t.id for node in tree.body if isinstance(node, ast.Assign) for t in ast.walk(node.targets[0])
            if isinstance(t, ast.Name)} | {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_student_notebook_raises_only_where_expected(lesson_id, tmp_path):
    """Set-up and definitions run clean. Cells tagged raises-exception raise NotImplementedError (they
    call an exercise) or NameError for a name that an earlier raising cell failed to define."""
    nb = execute(nbformat.read(lessons.get(lesson_id).path("student"), as_version=4), tmp_path, True)
    undefined, raised = set(), 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errs = errors(cell)
        if release.RAISES_TAG not in cell.metadata.get("tags", []):
            assert not errs, f"cell {i} raised {errs[0].ename}: {errs[0].evalue}"
            continue
        assert len(errs) == 1, f"cell {i} was expected to raise: {cell.source[:80]!r}"
        err = errs[0]
        if err.ename == "NameError":
            name = err.evalue.split("'")[1]
            assert name in undefined, f"cell {i}: NameError for {name!r}, which no exercise cell was to define"
        else:
            assert err.ename == "NotImplementedError", f"cell {i} raised {err.ename}: {err.evalue}"
        undefined |= assigned_names(cell.source)
        raised += 1
    assert raised >= len(lessons.load_autograder_spec(lesson_id).GRADED)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_solved_student_notebook_needs_nothing_from_solutions(lesson_id, tmp_path, monkeypatch):
    """A student who solves the exercises passes every visible check with no access to solutions/.
    (Run up to the last exercise: the experiment after it is the instructor notebook's code, which
    nbval runs, and the student notebook keeps it unchanged, which the staleness test checks.)"""
    nb = solved(lesson_id)
    graded = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")]
    nb.cells = nb.cells[: graded[-1] + 1]
    monkeypatch.setenv("NEUROAI_COURSE_ROOT", str(tmp_path / "no-course-here"))   # the kernel inherits it
    nb = execute(nb, tmp_path, False)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    checks = [c for c in nb.cells if "exercise-dependent" in c.metadata.get("tags", [])]
    assert checks and printed.count("visible checks passed") == len(checks)
