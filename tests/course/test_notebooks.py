"""One source per lesson: the instructor notebook's code is written from the reference by `neuroai sync`
and is the reference's, character for character; the student notebook is generated from the
instructor notebook and is not stale; the student notebook runs
with only the exercises raising; a solved student notebook needs nothing from solutions/."""
import ast
from pathlib import Path

import nbformat
import pytest
from helpers import solved
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

from neuroai.course import lessons, release, sync

ROOT = Path(__file__).resolve().parents[2]
LESSON_IDS = list(lessons.LESSONS)
definitions = sync.definition_texts           # {name: text} of top-level functions, classes, CONSTANTS
notebook_definitions = sync.notebook_definitions


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_student_notebook_is_not_stale(lesson_id):
    lesson = lessons.get(lesson_id)
    committed = lesson.path("student").read_text()
    assert committed == release._dumps(release.student_notebook(lesson_id)), (
        f"{lesson.path('student').relative_to(ROOT)} is stale: run `neuroai release {lesson_id}` and commit it")


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_stub_names_its_function(lesson_id):
    """A student who runs a cell before writing it learns which function is missing."""
    nb = nbformat.read(lessons.get(lesson_id).path("student"), as_version=4)
    stubs = [c.source for c in nb.cells if c.cell_type == "code" and "NotImplementedError" in c.source]
    assert stubs
    for source in stubs:
        names = ast.parse(source).body
        defined = {n.name for n in names if isinstance(n, ast.FunctionDef)}
        for line in source.splitlines():
            if "raise NotImplementedError" in line:
                named = line.split('write ', 1)[1].split('"')[0]
                assert named in defined, (lesson_id, line)


def test_name_stubs_names_the_enclosing_function():
    stub = release.STUB
    source = f"def a(x):\n    # YOUR CODE HERE\n    {stub}\n\n\ndef b(y):\n    {stub}"
    assert release.name_stubs(source).count('write a")') == 1 and release.name_stubs(source).count('write b")') == 1
    assert release.name_stubs(f"{stub}") == stub                      # no function: left as it is


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


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_instructor_notebook_is_what_sync_writes(lesson_id):
    _nb, changed, unknown = sync.synced_notebook(lesson_id)
    assert not unknown, f"the notebook defines {unknown}, which the reference does not"
    assert not changed, f"cells {sorted(changed)} differ from solutions/{lesson_id}.py: run `neuroai sync {lesson_id}`"


def test_sync_rewrites_a_drifted_exercise_and_keeps_the_rest():
    reference = {"f": 'def f(x):\n    """Add one."""\n    # the step\n    return x + 1', "K": "K = 3"}
    cell = 'import torch\n\nK = 4\n\n\ndef f(x):\n    """Add one."""\n    ### BEGIN SOLUTION\n    return x + 2\n    ### END SOLUTION\n'
    new, names, unknown = sync.synced_cell(cell, reference, solution=True)
    assert new == ('import torch\n\nK = 3\n\n\ndef f(x):\n    """Add one."""\n    ### BEGIN SOLUTION\n'
                   '    # the step\n    return x + 1\n    ### END SOLUTION\n')
    assert sorted(names) == ["K", "f"] and unknown == []
    assert sync.synced_cell(new, reference, solution=True)[0] == new                  # idempotent
    assert sync.synced_cell("def g():\n    pass", reference)[2] == ["g"]             # not in the reference
    assert sync.synced_cell("%pip install x\nK = 1", reference)[0] == "%pip install x\nK = 3"


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_lesson_has_one_claim_cell(lesson_id):
    """The cell whose printed line conftest.py checks (the claim holds, or a declared known failure)."""
    nb = nbformat.read(lessons.get(lesson_id).path("source"), as_version=4)
    claims = [c for c in nb.cells if lessons.CLAIM_TAG in c.metadata.get("tags", [])]
    assert len(claims) == 1, f"solutions/{lesson_id}.ipynb needs exactly one code cell tagged {lessons.CLAIM_TAG!r}"
    assert claims[0].cell_type == "code" and "claim_line(" in claims[0].source
    assert "exercise-dependent" in claims[0].metadata["tags"]


def test_the_claim_line_check_can_fail():
    lesson = lessons.get(LESSON_IDS[0])
    assert lessons.claim_problem(lesson, "x 0.1 (< 0.2) -> claim HOLDS\n") is None
    assert "FAILS" in lessons.claim_problem(lesson, "x 0.3 (< 0.2) -> claim FAILS\n")
    assert "no claim line" in lessons.claim_problem(lesson, "")
    declared = lessons.Lesson("x", 1, "t", "c", notebook_claim_fails="seed 1 is a known failure")
    assert lessons.claim_problem(declared, "x -> claim FAILS") is None


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
