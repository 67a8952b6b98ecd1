"""`neuroai grade`: the sandboxed grader, through the command an instructor runs.

For every lesson (LESSON-DONE item 4): the instructor notebook gets full marks, the blank release 0,
and a submission with one planted mistake (autograder/<lesson>.py MISTAKES) loses exactly that
function's points. A batch of its own puts the adversarial corpus (tests/course/adversarial.py) among the
first lesson's honest submissions: submissions that fake the check, try to leak, exhaust the sandbox or
are malformed. Each must get its right score, leak nothing, and leave the others graded normally.
Then: grading twice reuses the stored grades, a killed run resumes without losing or doubling
any, and without a sandbox the grader refuses to run.
"""
import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from helpers import solved

from neuroai.course import lessons

ROOT = Path(__file__).resolve().parents[2]
LESSON_IDS = list(lessons.LESSONS)
ROBUSTNESS_LESSON = "plasticity-geometry"
# Short limits keep the corpus's hanging cases cheap: 2 s per call of a graded function, and the grader's
# backstop kill 2 s after the sandbox's own limit (5 s by default) for code that ignores that limit.
ENV = dict(os.environ, NEUROAI_CASE_SECONDS="2", NEUROAI_GRACE_SECONDS="2", NEUROAI_LEAK_CANARY="CANARY-4f1d")


def points(lesson_id):
    """{grade cell id: points} from the instructor notebook."""
    nb = nbformat.read(lessons.get(lesson_id).path("source"), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


def cases(lesson_id, corpus=False):
    """{student: (notebook | "source" | "student" | bytes, points per grade cell, forbidden, status)}:
    the honest submissions of a lesson, and with corpus=True the adversarial corpus among them."""
    full = points(lesson_id)
    spec = lessons.load_autograder_spec(lesson_id)
    out = {"instructor": ("source", full, [], "graded"),
           "blank": ("student", {k: 0 for k in full}, [], "graded")}
    for name, (old, new, _what) in spec.MISTAKES.items():
        out[f"mistake_in_{name}"] = (solved(lesson_id, {name: (old, new)}), {**full, f"test_{name}": 0}, [], "graded")
    for name, (old, new, _what) in getattr(spec, "GRADIENT_MISTAKES", {}).items():   # right values, no gradient
        out[f"no_gradient_in_{name}"] = (solved(lesson_id, {name: (old, new)}), {**full, f"test_{name}": 0}, [],
                                         "graded")
    if corpus:
        import adversarial
        out.update(adversarial.corpus(full))
    return out


def write(folder, lesson_id, entries):
    lesson = lessons.get(lesson_id)
    for student, (nb, *_) in entries.items():
        path = folder / f"{student}.ipynb"
        if nb in ("source", "student"):
            path.write_text(lesson.path(nb).read_text())
        elif isinstance(nb, bytes):
            path.write_bytes(nb)
        else:
            nbformat.write(nb, path)


def grade(folder, out, *extra, timeout=5):
    """`neuroai grade`; 5 s per cell is plenty for the first lesson's exercise cells and keeps the
    corpus's hanging cells short."""
    return subprocess.run([sys.executable, "-m", "neuroai.course", "grade", str(folder), "--out", str(out), "--timeout",
                           str(timeout), "--no-progress", *extra], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800, env=ENV)


def rows(out):
    with open(out / "grades.csv") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def timeout_of(batch):
    """Seconds per cell: 5 for the corpus (plenty for the first lesson's exercise cells, and it keeps the
    hanging cells short), 60 for a lesson's honest batch."""
    return 5 if batch == CORPUS else 60


CORPUS = "corpus"     # the adversarial corpus, graded as its own batch (on ROBUSTNESS_LESSON)
HOST_SECRET = "HOST-SECRET-9c2e"   # the first line of a file outside the submissions folder


def not_regular_files(folder, lesson_id, full):
    """Submissions that are not regular files inside the folder: symlinks to a host file, to the
    instructor notebook, to another student's submission, to /dev/zero and to the folder itself; a
    student folder that is a symlink; a named pipe. Each must get 0 and its own status, read nothing, and
    leave the others graded (the pipe would hang a reader, /dev/zero would fill its memory)."""
    host = folder.parent / f"host-file-{folder.name}.ipynb"
    host.write_text(HOST_SECRET + "\n")
    zero = {k: 0 for k in full}
    links = {"link_to_host_file": host, "link_to_instructor": lessons.get(lesson_id).path("source"),
             "link_to_classmate": folder / "instructor.ipynb", "link_to_dev_zero": Path("/dev/zero"),
             "link_to_folder": folder}
    out = {}
    for student, target in links.items():
        (folder / f"{student}.ipynb").symlink_to(target)
        out[student] = (None, zero, [HOST_SECRET], "could not read the file")
    (folder / "linked_folder").symlink_to(folder.parent / "elsewhere", target_is_directory=True)
    (folder.parent / "elsewhere").mkdir(exist_ok=True)
    (folder.parent / "elsewhere" / f"{lesson_id}.ipynb").write_text(lessons.get(lesson_id).path("source").read_text())
    out["linked_folder"] = (None, zero, [], "could not read the file")
    os.mkfifo(folder / "named_pipe.ipynb")
    out["named_pipe"] = (None, zero, [], "could not read the file")
    return out


@pytest.fixture(scope="module", params=[*LESSON_IDS, CORPUS])
def graded(request, tmp_path_factory):
    """One grading batch per lesson (its honest submissions) and one for the corpus; every test below
    reads the same batch (conftest.py keeps a batch's tests on one worker)."""
    batch = request.param
    lesson_id = ROBUSTNESS_LESSON if batch == CORPUS else batch
    folder = tmp_path_factory.mktemp(f"submissions-{batch}")
    expected = cases(lesson_id, corpus=batch == CORPUS)
    write(folder, lesson_id, expected)
    if batch == CORPUS:
        expected.update(not_regular_files(folder, lesson_id, points(lesson_id)))
    out = folder.parent / f"graded-{batch}"
    done = grade(folder, out, "--lesson", lesson_id, timeout=timeout_of(batch))
    assert done.returncode == 0, done.stdout + done.stderr
    return lesson_id, expected, folder, out, rows(out), done.stdout


def test_scores(graded):
    lesson_id, expected, _, _, got_rows, _ = graded
    assert set(got_rows) == set(expected)
    full = points(lesson_id)
    wrong = []
    for student, (_, want, _, _) in expected.items():
        got = {k: float(got_rows[student][k]) for k in full}
        if got != {k: float(v) for k, v in want.items()} or float(got_rows[student]["max"]) != sum(full.values()):
            wrong.append(f"{student}: got {got}, want {want} ({got_rows[student]['status']})")
    assert not wrong, "\n".join(wrong)


def test_status_and_batch_survives(graded):
    _, expected, _, _, got_rows, stdout = graded
    for student, (*_, status) in expected.items():
        assert got_rows[student]["status"].startswith(status), (student, got_rows[student]["status"])
    n_bad = sum(status != "graded" for *_, status in expected.values())
    assert f"graded {len(expected) - n_bad} of {len(expected)} submissions" in stdout


def test_feedback_leaks_nothing(graded):
    lesson_id, expected, _, out, _, _ = graded
    log = (out / "grading.log").read_text()
    import adversarial
    for text in ["BEGIN HIDDEN TESTS", *adversarial.HIDDEN]:
        assert text not in log, text
    for student, (_, _, forbidden, status) in expected.items():
        html = (out / "feedback" / f"{student}.html").read_text()      # every student gets a page
        if status != "graded":
            assert "It was not graded:" in html and status in html, (student, html[:500])
            assert "<script" not in html
        else:
            assert not re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="(?:https?:)?//', html), student  # offline
            assert "Test cell" not in html and "Test of <code>" in html, student   # the summary names functions
            if (out / "feedback" / "mathjax" / "tex-svg.js").exists():
                assert '<script src="mathjax/tex-svg.js">' in html
        for text in ["BEGIN HIDDEN TESTS", *forbidden]:
            escaped = text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
            assert text not in html and escaped not in html, (student, text)
        assert 'check("' not in html and "check(&quot;" not in html
    wrong = next(s for s in expected if s.startswith("mistake_in_"))
    html = (out / "feedback" / f"{wrong}.html").read_text()
    assert "FAILED" in html and "hidden case" in html          # the student learns what failed


def test_grading_again_reuses_the_stored_grades(graded):
    lesson_id, expected, folder, out, got_rows, _ = graded
    batch = CORPUS if "patch_allclose" in expected else lesson_id
    stored = {p: p.stat().st_mtime_ns for p in (out / "store").glob("*.json")}
    rendered = {p: p.stat().st_mtime_ns for p in [*(out / "feedback").glob("*.html"), out / "course" / "gradebook.db",
                                                  *(out / "course" / "release").rglob("*.ipynb")]}
    done = grade(folder, out, "--lesson", lesson_id, timeout=timeout_of(batch))
    assert done.returncode == 0, done.stderr
    n_bad = sum(status != "graded" for *_, status in expected.values())
    assert f"{len(expected) - n_bad} already graded before" in done.stdout or \
        f"{len(expected)} already graded before" in done.stdout, done.stdout
    assert rows(out) == got_rows
    # reused, not redone: no stored grade of a graded submission was written again (a wall-clock bound
    # here failed on a slower machine: 66 s against 60)
    rewritten = [p for p, mtime in stored.items() if p.stat().st_mtime_ns != mtime]
    assert len(rewritten) <= n_bad, rewritten
    # incremental: no release, gradebook or feedback made again for unchanged submissions
    assert len(rendered) > n_bad and all(p.stat().st_mtime_ns == mtime for p, mtime in rendered.items())
    assert "== feedback: 0 written" in (out / "grading.log").read_text()


def test_a_killed_run_resumes_without_lost_or_doubled_grades(tmp_path):
    lesson_id = ROBUSTNESS_LESSON
    entries = {k: v for k, v in cases(lesson_id).items() if k in ("instructor", "blank") or k.startswith("mistake_in_")}
    for i in range(3):
        entries[f"copy_{i}"] = entries["instructor"]                 # same content: graded once
    folder, out = tmp_path / "submissions", tmp_path / "graded"
    folder.mkdir()
    write(folder, lesson_id, entries)
    proc = subprocess.Popen([sys.executable, "-m", "neuroai.course", "grade", str(folder), "--out", str(out), "--lesson",
                             lesson_id, "--jobs", "1", "--timeout", "5", "--no-progress"], cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((out / "store").glob("*.json"))) < 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = len(list((out / "store").glob("*.json")))
    assert 2 <= stored < 6 and not (out / "grades.csv").exists()
    done = grade(folder, out, "--lesson", lesson_id)             # the same limits (5 s per cell): resumed
    assert done.returncode == 0, done.stderr
    got = rows(out)
    assert sorted(got) == sorted(entries)                          # every student once
    assert len(list((out / "store").glob("*.json"))) == 6          # one grade per distinct submission
    full = points(lesson_id)
    for student, (_, want, *_rest) in entries.items():
        assert {k: float(got[student][k]) for k in full} == {k: float(v) for k, v in want.items()}, student


def test_refuses_to_grade_without_a_sandbox(tmp_path, monkeypatch, capsys):
    from neuroai.course import cli, sandbox
    monkeypatch.setattr(sandbox, "_probe", {"mode": sandbox.SandboxUnavailable("no namespaces here")})
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.ipynb").write_text(lessons.get(ROBUSTNESS_LESSON).path("source").read_text())
    assert cli.main(["grade", str(tmp_path / "s"), "--out", str(tmp_path / "o")]) == 3
    assert "no namespaces here" in capsys.readouterr().err
    assert not (tmp_path / "o" / "grades.csv").exists()


def test_grade_rejects_a_missing_folder(tmp_path):
    done = subprocess.run([sys.executable, "-m", "neuroai.course", "grade", str(tmp_path / "nope")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_no_two_submissions_share_a_student_id(tmp_path):
    from neuroai.course.batch import find_submissions
    for name in ("a.b.ipynb", "a_b.ipynb", "a b.ipynb"):
        (tmp_path / name).write_text("{}")
    found = find_submissions(tmp_path)
    assert len(found) == 3 and len(set(found.values())) == 3


@pytest.mark.slow
def test_grading_benchmark_agrees_with_plain_nbgrader(tmp_path):
    """`neuroai bench --grading` on a few submissions: both graders run and give the same scores."""
    done = subprocess.run([sys.executable, "-m", "neuroai.course", "bench", "--grading", ROBUSTNESS_LESSON, "--submissions",
                           "3", "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    result = __import__("json").loads((tmp_path / "grading.json").read_text())
    assert result["submissions"] == 3 and result["graded_by_nbgrader"] == 3 and result["scores_agree"]
    assert result["nbgrader_seconds"] > 0 and result["neuroai_seconds"] > 0
    assert "Speed-up" in (tmp_path / "grading.md").read_text()


def test_nothing_outside_the_folder_is_read(graded):
    lesson_id, expected, _, out, got_rows, _ = graded
    if "link_to_host_file" not in expected:
        pytest.skip("the not-regular-file cases are in the corpus batch")
    for name in ("grades.csv", "grading.log"):
        assert HOST_SECRET not in (out / name).read_text(), name
    assert float(got_rows["link_to_instructor"]["total"]) == 0 and float(got_rows["instructor"]["total"]) > 0


def test_one_notebook_of_another_lesson_does_not_decide_the_batch(tmp_path):
    from neuroai.course import batch
    other = next(i for i in LESSON_IDS if i != ROBUSTNESS_LESSON)
    for n in range(3):
        (tmp_path / f"s{n}.ipynb").write_text(lessons.get(ROBUSTNESS_LESSON).path("student").read_text())
    (tmp_path / "odd.ipynb").write_text(lessons.get(other).path("student").read_text())
    assert batch._infer_lesson(batch.find_submissions(tmp_path), tmp_path) == ROBUSTNESS_LESSON
    (tmp_path / "odd2.ipynb").write_text(lessons.get(other).path("student").read_text())
    (tmp_path / "odd3.ipynb").write_text(lessons.get(other).path("student").read_text())
    with pytest.raises(ValueError, match="different lessons"):         # 3 against 3: the instructor decides
        batch._infer_lesson(batch.find_submissions(tmp_path), tmp_path)


def test_a_grade_is_reused_only_under_the_same_limits(tmp_path):
    from neuroai.course import batch
    from neuroai.course.protocol import Settings
    plan = {"version": "v1"}
    short, long = batch._store_path(tmp_path, plan, b"nb", Settings(cell_seconds=1)), \
        batch._store_path(tmp_path, plan, b"nb", Settings(cell_seconds=60))
    assert short != long and short == batch._store_path(tmp_path, plan, b"nb", Settings(cell_seconds=1))


def test_student_text_is_inert_in_feedback(graded):
    _, expected, _, out, _, _ = graded
    if "script_in_feedback" not in expected:
        pytest.skip("the feedback-page cases are in the corpus batch")
    page = (out / "feedback" / "script_in_feedback.html").read_text()
    for live in ('<script>alert("XSS', "<img src=x onerror", "<svg onload", 'href="javascript', "href='javascript"):
        assert live not in page, live                               # a live tag, handler or link
    assert "XSS-1" in page and "XSS-5" in page                      # shown, as text
    for student in ("pasted_image", "attachment_bomb"):
        assert (out / "feedback" / f"{student}.html").exists(), student


def test_a_second_grader_on_the_same_folder_is_refused(tmp_path):
    import fcntl
    folder, out = tmp_path / "submissions", tmp_path / "graded"
    folder.mkdir()
    write(folder, ROBUSTNESS_LESSON, {"blank": ("student",)})
    out.mkdir()
    with open(out / ".grading.lock", "w") as lock:                 # a first grader, still running
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = grade(folder, out, "--lesson", ROBUSTNESS_LESSON)
    assert done.returncode == 4 and "another `neuroai grade` is writing" in done.stderr
    assert not (out / "course").exists() and not (out / "grades.csv").exists()     # it touched nothing
