"""The instructor's flow: `neuroai grade` on a folder of submissions, through nbgrader. Full marks for
the instructor notebook, 0 for the blank release, exactly one function's points lost for one wrong
function, 0 for a part that raises or loops forever, and one bad submission stops none of the others.
Feedback shows no hidden test code."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import solved

from neuroai import lessons

LESSON = "plasticity-geometry"
ROOT = Path(__file__).resolve().parents[1]
POINTS = {"test_potential_grad": 1, "test_potential_inv_grad": 1, "test_mirror_step": 2,
          "test_gaussianity_distance": 2}


MISTAKES = lessons.load_autograder_spec(LESSON).MISTAKES


def submission(changes=None, prefix=None):
    return solved(LESSON, changes, prefix)


CASES = {
    # student: (notebook or text, expected points per exercise)
    "instructor": ("source", POINTS),
    "blank": ("student", {k: 0 for k in POINTS}),
    "wrong_distance": (submission({"gaussianity_distance": MISTAKES["gaussianity_distance"][:2]}),
                       {**POINTS, "test_gaussianity_distance": 0}),
    # potential_grad is wrong; mirror_step, which calls it, still gets its points (graded in isolation)
    "wrong_grad": (submission({"potential_grad": MISTAKES["potential_grad"][:2]}),
                   {**POINTS, "test_potential_grad": 0}),
    "raises": (submission({"mirror_step": ("u = potential_grad", "raise RuntimeError('oops')\n    u = potential_grad")}),
               {**POINTS, "test_mirror_step": 0}),
    "loops_in_function": (submission({"potential_inv_grad": ('if potential == "euclidean":',
                                                             'while True:\n        pass\n    if potential == "euclidean":')}),
                          {**POINTS, "test_potential_inv_grad": 0}),
    "hangs_at_top_level": (submission(prefix={"gaussianity_distance": "while True:\n    pass\n\n"}),
                           {**POINTS, "test_gaussianity_distance": 0}),
    "malformed": ('{"cells": [ this is not json', {k: 0 for k in POINTS}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    lesson = lessons.get(LESSON)
    for student, (nb, _) in CASES.items():
        path = folder / f"{student}.ipynb"
        if nb in ("source", "student"):
            path.write_text(lesson.path(nb).read_text())
        elif isinstance(nb, str):
            path.write_text(nb)
        else:
            nbformat.write(nb, path)
    out = folder.parent / "graded"
    env = dict(os.environ, NEUROAI_CASE_SECONDS="3")   # a looping function is stopped after 3 s
    done = subprocess.run([sys.executable, "-m", "neuroai", "grade", str(folder), "--out", str(out),
                           "--timeout", "12"], cwd=ROOT, capture_output=True, text=True, timeout=1200, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "grades.csv") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return out, rows, done.stdout


@pytest.mark.parametrize("student", list(CASES))
def test_scores(graded, student):
    _, rows, _ = graded
    expected = CASES[student][1]
    got = {k: float(rows[student][k]) for k in POINTS}
    assert got == {k: float(v) for k, v in expected.items()}
    assert float(rows[student]["total"]) == sum(expected.values())
    assert float(rows[student]["max"]) == sum(POINTS.values())


def test_bad_submission_is_reported_not_fatal(graded):
    out, rows, stdout = graded
    assert rows["malformed"]["status"].startswith("could not read the notebook")
    assert all(rows[s]["status"] == "graded" for s in CASES if s != "malformed")
    assert "graded 7 of 8 submissions" in stdout


def test_feedback_hides_hidden_tests(graded):
    out, _, _ = graded
    for student in ("instructor", "wrong_distance", "raises"):
        html = (out / "feedback" / f"{student}.html").read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "neuroai.autograde" not in html
        assert "check(&quot;" not in html and 'check("' not in html
    wrong = (out / "feedback" / "wrong_distance.html").read_text()
    assert "GradingFailure" in wrong and "values differ" in wrong     # the student learns what failed


def test_grade_rejects_a_missing_folder(tmp_path):
    done = subprocess.run([sys.executable, "-m", "neuroai", "grade", str(tmp_path / "nope")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "does not exist" in done.stderr
