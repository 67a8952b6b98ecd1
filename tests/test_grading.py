"""The instructor's flow: `neuroai grade` on a folder of submissions, through nbgrader.

For every lesson (LESSON-DONE item 4): the instructor notebook gets full marks, the blank release 0,
and a submission with one planted mistake (autograder/<lesson>.py MISTAKES) loses exactly that
function's points. For the first lesson also the failures an instructor meets: a function that
raises, one that loops forever, a cell that hangs at top level, a file that is not a notebook. Each
loses only its own points and stops none of the others. Feedback shows no hidden test code.
"""
import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import solved

from neuroai import lessons

ROOT = Path(__file__).resolve().parents[1]
LESSON_IDS = list(lessons.LESSONS)
ROBUSTNESS_LESSON = "plasticity-geometry"


def points(lesson_id):
    """{grade cell id: points} from the instructor notebook."""
    nb = nbformat.read(lessons.get(lesson_id).path("source"), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


def cases(lesson_id):
    """{student: (notebook, or "source"/"student", or raw text; expected points per grade cell)}."""
    full = points(lesson_id)
    spec = lessons.load_autograder_spec(lesson_id)
    test_of = {name: f"test_{name}" for name in spec.GRADED}
    out = {"instructor": ("source", full), "blank": ("student", {k: 0 for k in full})}
    for name, (old, new, _what) in spec.MISTAKES.items():
        out[f"mistake_in_{name}"] = (solved(lesson_id, {name: (old, new)}), {**full, test_of[name]: 0})
    if lesson_id == ROBUSTNESS_LESSON:
        out.update({
            "raises": (solved(lesson_id, {"mirror_step": ("u = potential_grad",
                                                          "raise RuntimeError('oops')\n    u = potential_grad")}),
                       {**full, "test_mirror_step": 0}),
            "loops_in_function": (solved(lesson_id, {"potential_inv_grad": (
                'if potential == "euclidean":', 'while True:\n        pass\n    if potential == "euclidean":')}),
                {**full, "test_potential_inv_grad": 0}),
            "hangs_at_top_level": (solved(lesson_id, prefix={"gaussianity_distance": "while True:\n    pass\n\n"}),
                                   {**full, "test_gaussianity_distance": 0}),
            "malformed": ('{"cells": [ this is not json', {k: 0 for k in full}),
        })
    return out


@pytest.fixture(scope="module", params=LESSON_IDS)
def graded(request, tmp_path_factory):
    lesson_id = request.param
    lesson = lessons.get(lesson_id)
    folder = tmp_path_factory.mktemp(f"submissions-{lesson_id}")
    expected = cases(lesson_id)
    for student, (nb, _) in expected.items():
        path = folder / f"{student}.ipynb"
        if nb in ("source", "student"):
            path.write_text(lesson.path(nb).read_text())
        elif isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, path)
    out = folder.parent / f"graded-{lesson_id}"
    env = dict(os.environ, NEUROAI_CASE_SECONDS="3")   # a looping function is stopped after 3 s
    done = subprocess.run([sys.executable, "-m", "neuroai", "grade", str(folder), "--out", str(out),
                           "--timeout", "15"], cwd=ROOT, capture_output=True, text=True, timeout=1800, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "grades.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return lesson_id, expected, out, rows, done.stdout


def test_scores(graded):
    lesson_id, expected, _, rows, _ = graded
    assert set(rows) == set(expected)
    full = points(lesson_id)
    for student, (_, want) in expected.items():
        got = {k: float(rows[student][k]) for k in full}
        assert got == {k: float(v) for k, v in want.items()}, student
        assert float(rows[student]["total"]) == sum(want.values()), student
        assert float(rows[student]["max"]) == sum(full.values())


def test_bad_submission_is_reported_not_fatal(graded):
    lesson_id, expected, _, rows, stdout = graded
    unreadable = {s for s in expected if s == "malformed"}
    for student in expected:
        if student in unreadable:
            assert rows[student]["status"].startswith("could not read the notebook")
        else:
            assert rows[student]["status"] == "graded", (student, rows[student]["status"])
    assert f"graded {len(expected) - len(unreadable)} of {len(expected)} submissions" in stdout


def test_feedback_hides_hidden_tests(graded):
    lesson_id, expected, out, _, _ = graded
    for student in expected:
        if student == "malformed":
            continue
        html = (out / "feedback" / f"{student}.html").read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "neuroai.autograde" not in html
        assert "check(&quot;" not in html and 'check("' not in html
    wrong = next(s for s in expected if s.startswith("mistake_in_"))
    html = (out / "feedback" / f"{wrong}.html").read_text()
    assert "GradingFailure" in html and "hidden case" in html     # the student learns what failed


def test_grade_rejects_a_missing_folder(tmp_path):
    done = subprocess.run([sys.executable, "-m", "neuroai", "grade", str(tmp_path / "nope")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_no_two_submissions_share_a_student_id(tmp_path):
    from neuroai.grading import find_submissions
    for name in ("a.b.ipynb", "a_b.ipynb", "a b.ipynb"):
        (tmp_path / name).write_text("{}")
    found = find_submissions(tmp_path)
    assert len(found) == 3 and len(set(found.values())) == 3
