"""Every command refuses bad arguments with one line that says what was wrong, exit status 2, and no
traceback; nothing runs before the arguments are checked."""
import json
import shutil
import subprocess
import sys

import pytest

from neuroai.course import cli, lessons

BAD = [
    (["reproduce", "plasticity-geometry", "--device", "tpu"], "unknown device 'tpu'"),
    (["reproduce", "plasticity-geometry", "--device", "cuda:x"], "unknown device"),
    (["reproduce", "plasticity-geometry", "--seed", "-1"], "a seed is 0 or more"),
    (["reproduce", "plasticity-geometry", "--seed", "one"], "not a whole number"),
    (["reproduce", "plasticity-geometry", "--seeds", "0-x", "--record"], "--seeds '0-x'"),
    (["reproduce", "no-such-lesson"], "unknown lesson 'no-such-lesson'"),
    (["reproduce"], "name the lesson"),
    (["grade", "SUBMISSIONS", "--jobs", "0"], "--jobs: 0 is too small"),
    (["grade", "SUBMISSIONS", "--timeout", "-1"], "--timeout: -1 is too small"),
    (["grade", "SUBMISSIONS", "--lesson", "no-such-lesson"], "unknown lesson"),
    (["grade", "SUBMISSIONS", "--lesson", "poyo"], "--lesson poyo, but 1 of the 1 notebooks"),
    (["grade", "SUBMISSIONS/alice.ipynb"], "is a file; grade takes a folder"),
    (["grade", "MISSING"], "does not exist"),
    (["grade-one", "SUBMISSIONS", "--index", "-2"], "--index: -2 is too small"),
    (["bench", "no-such-lesson"], "unknown lesson"),
    (["bench", "--grading", "--submissions", "0"], "--submissions: 0 is too small"),
    (["book", "build", "--seeds", "0"], "--seeds: 0 is too small"),
    (["no-such-command"], "invalid choice"),
]


@pytest.fixture
def submissions(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    shutil.copy(lessons.get("plasticity-geometry").path("student"), folder / "alice.ipynb")
    return folder


def _argv(argv, folder):
    return [a.replace("SUBMISSIONS", str(folder)).replace("MISSING", str(folder / "missing")) for a in argv]


@pytest.mark.parametrize("argv,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_arguments_get_one_line_and_exit_2(argv, message, submissions, capsys, monkeypatch):
    monkeypatch.setattr("neuroai.course.sandbox.mode", lambda: "test")    # reach the argument checks
    try:
        rc = cli.main(_argv(argv, submissions))
    except SystemExit as exit_:                                           # argparse's own refusals
        rc = exit_.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err and message in err[-1], err
    assert not any("Traceback" in line for line in err)
    assert len([line for line in err if "error" in line]) == 1, err


def test_a_bad_device_stops_before_any_work(submissions):
    """Through the real entry point: one line on stderr, nothing on stdout, no figure written."""
    proc = subprocess.run([sys.executable, "-m", "neuroai.course", "reproduce", "plasticity-geometry",
                           "--device", "tpu", "--out", str(submissions / "out")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1
    assert not (submissions / "out").exists()


def test_grading_a_notebook_of_the_lesson_named_is_not_refused(submissions, monkeypatch):
    """The control: the lesson check refuses a contradicted --lesson only, never the right one."""
    from neuroai.course import batch
    batch._check_lesson("plasticity-geometry", batch.find_submissions(submissions), submissions)
    nb = json.loads((submissions / "alice.ipynb").read_text())
    nb["metadata"].pop("neuroai", None)                                    # a notebook that names no lesson
    (submissions / "alice.ipynb").write_text(json.dumps(nb))
    batch._check_lesson("poyo", batch.find_submissions(submissions), submissions)


def test_bench_says_why_it_failed():
    from neuroai.course.bench import problems
    row = {"notebook_ok": False, "notebook_error": "NameError: x", "holds": False, "notebook_seconds": 50.0,
           "notebook_budget_s": 40.0, "reproduce_seconds": 5.0, "reproduce_budget_s": 20.0}
    assert problems(row) == ["its notebook failed (NameError: x)", "its claim FAILS on seed 0",
                             "over budget: notebook 50 s > 40 s"]
    assert problems(dict(row, notebook_ok=True, holds=True, notebook_seconds=39.0)) == []
