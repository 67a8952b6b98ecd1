"""`neuroai grade`: a folder of submissions graded in parallel sandboxes, stored, and reported.

    neuroai grade DIR [--lesson ID]     autograde every submission in DIR; write grades.csv and feedback
    neuroai grade-one DIR --index I     grade one submission and store its grade (a Kubernetes Job's pod)

Each submission is graded by neuroai.course.protocol in its own sandbox, so one bad submission never
stops the others; its record is stored by content hash and grader version, so a rerun grades nothing
twice. Then nbgrader (its gradebook, `generate_feedback`) turns the records into the instructor's
gradebook and each student's feedback, and grades.csv gets one row per student.
"""
import contextlib
import copy
import csv
import fcntl
import hashlib
import html
import io
import json
import os
import re
import shutil
import stat
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat

from neuroai.course import lessons, sandbox
from neuroai.course.protocol import MAX_SUBMISSION_BYTES, Settings, grading_plan, grade_submission, read_submission
from neuroai.course.release import _course_folder, _nbgrader, _nbgrader_meta


def default_out(folder):
    """Where `neuroai grade FOLDER` writes by default: FOLDER-graded, next to it."""
    return Path(str(Path(folder).resolve()) + "-graded")


# ---------------------------------------------------------------------------------------------------
# Grading

def _student_id(name):
    """nbgrader student ids: letters, digits, '-', '_' (anything else becomes '_')."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "student"


def find_submissions(folder, lesson_id=None):
    """{student: notebook path} from FOLDER/STUDENT.ipynb or FOLDER/STUDENT/*.ipynb. Every entry is
    listed, symlinks and other non-regular files too, so that each is reported for its student alone;
    read_regular() refuses to read them. A student folder that is a symlink is not looked into."""
    folder = Path(folder)
    if folder.is_file():
        raise ValueError(f"{folder} is a file; grade takes a folder with one notebook per student "
                         "(STUDENT.ipynb or STUDENT/LESSON.ipynb): put the notebook in a folder of its own")
    if not folder.is_dir():
        raise FileNotFoundError(f"submissions folder {folder} does not exist")
    found = {}

    def add(name, notebook):
        student, n = _student_id(name), 2
        while student in found:               # "a.b" and "a_b" must not overwrite each other
            student, n = f"{_student_id(name)}_{n}", n + 1
        found[student] = notebook

    for path in sorted(folder.iterdir()):
        if path.suffix == ".ipynb" and (path.is_symlink() or not path.is_dir()):
            add(path.stem, path)                                     # a file, or something posing as one
        elif path.is_symlink():
            add(path.name, path)                                     # a linked folder: reported, not read
        elif path.is_dir() and not path.name.startswith("."):
            notebooks = sorted(path.glob("*.ipynb")) or sorted(path.glob("*/*.ipynb"))  # nbgrader's submitted/
            preferred = [p for p in notebooks if lesson_id and p.stem == lesson_id]
            if preferred or notebooks:
                add(path.name, (preferred or notebooks)[0])
    if not found:
        raise FileNotFoundError(f"no notebooks in {folder} (expected STUDENT.ipynb or STUDENT/LESSON.ipynb)")
    return found


def read_regular(path, folder, limit):
    """The bytes of a submission, read only if it is a regular file inside `folder` reached through no
    symlink: a symlink (to a host file, another student's work, the instructor notebook), a named pipe
    or a device is refused without being opened for reading. Raises OSError with the reason."""
    path, folder = Path(path), Path(folder)
    rel = path.relative_to(folder)
    for k in range(1, len(rel.parts) + 1):                          # no link on the way, the file included
        if (folder / Path(*rel.parts[:k])).is_symlink():
            raise OSError("it is a symlink, not a regular file (only regular files are graded)")
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise OSError("it is not a regular file (a pipe, device or folder is not a submission)")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):                   # swapped since the check
            raise OSError("it is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    return data


def _lesson_votes(submissions, folder):
    """{lesson id: how many submissions are that lesson}, by file name, else by the notebook's metadata."""
    votes = {}
    for path in submissions.values():
        lesson_id = path.stem if path.stem in lessons.LESSONS else None
        if lesson_id is None:
            try:
                meta = json.loads(read_regular(path, folder, MAX_SUBMISSION_BYTES)).get("metadata", {})
                lesson_id = meta.get("neuroai", {}).get("lesson")
            except (ValueError, OSError, AttributeError, TypeError):
                continue
        if isinstance(lesson_id, str) and lesson_id in lessons.LESSONS:
            votes[lesson_id] = votes.get(lesson_id, 0) + 1
    return votes


def _infer_lesson(submissions, folder):
    """The lesson most submissions are. One student's notebook of another lesson does not decide for the
    batch: a strict majority of the submissions that name a lesson must name the same one, else the
    instructor is asked for --lesson."""
    votes = _lesson_votes(submissions, folder)
    if votes:
        best = max(votes, key=votes.get)
        if 2 * votes[best] > sum(votes.values()):
            return best
        raise ValueError(f"these notebooks are of different lessons ({votes}); pass --lesson")
    raise ValueError("cannot tell which lesson these notebooks are; pass --lesson")


def _check_lesson(lesson_id, submissions, folder):
    """Refuse a --lesson that the notebooks contradict: when most of the submissions that name a lesson
    name another one, grading them as `lesson_id` would give every student 0 as "graded"."""
    lessons.get(lesson_id)                                  # an unknown id: one line naming the known ones
    votes = _lesson_votes(submissions, folder)
    named = sum(votes.values())
    if named and 2 * votes.get(lesson_id, 0) <= named:
        raise ValueError(f"--lesson {lesson_id}, but {named - votes.get(lesson_id, 0)} of the {named} notebooks "
                         f"that name their lesson are another one ({votes}); check --lesson")


# ---------------------------------------------------------------------------------------------------
# Hardened grading: the student's code runs in a sandbox (neuroai.course.sandbox, neuroai.course.worker);
# everything that decides a score happens here, in the grader's own process.


# ---------------------------------------------------------------------------------------------------
# A batch: parallel, stored once per (submission content, grader version), then nbgrader's gradebook
# and feedback.

def _store_path(out, plan, data, settings=None):
    """Where a grade is stored: by the submission's content, the grader's version and the limits it was
    graded under (a grade made under a too-short --timeout is not reused under a longer one)."""
    limits = hashlib.sha256(repr(settings or Settings()).encode()).hexdigest()[:12]
    return out / "store" / f"{hashlib.sha256(data).hexdigest()}-{plan['version']}-{limits}.json"


def _write_atomic(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8", errors="replace")     # no student's text stops the writing
    os.replace(tmp, path)


def grade_and_store(plan, data, out, settings=None, slot=0):
    """The per-submission job: grade one submission's bytes in the sandbox and store the record under
    OUT/store by content hash and grader version (atomically). Returns the record. The local executor
    runs it in threads; a Kubernetes Job runs it in one pod per submission (`neuroai grade-one`)."""
    stored = _store_path(out, plan, data, settings)
    if stored.exists():
        try:
            return json.loads(stored.read_text())
        except ValueError:
            pass
    record = grade_submission(plan, data, settings, slot)
    _write_atomic(stored, json.dumps(record))
    return record


def cmd_grade_one(args):
    """`neuroai grade-one DIR --index I`: the I-th submission of DIR (in `neuroai grade`'s order)."""
    try:
        sandbox.mode()
    except sandbox.SandboxUnavailable as err:
        print(f"neuroai grade-one: {err}", file=sys.stderr)
        return 3
    if args.lesson:
        _check_lesson(args.lesson, find_submissions(args.submissions), args.submissions)
    lesson_id = args.lesson or _infer_lesson(find_submissions(args.submissions), args.submissions)
    submissions = list(find_submissions(args.submissions, lesson_id).items())
    if not 0 <= args.index < len(submissions):
        raise ValueError(f"--index {args.index} is out of range: {len(submissions)} submissions")
    student, path = submissions[args.index]
    out = Path(args.out) if args.out else default_out(args.submissions)
    try:
        data = read_regular(path, args.submissions, MAX_SUBMISSION_BYTES)
    except OSError as err:
        print(json.dumps({"student": student, "status": f"could not read the file: {err}", "scores": {}}))
        return 0
    record = grade_and_store(grading_plan(lesson_id), data, out, Settings(cell_seconds=args.timeout))
    print(json.dumps({"student": student, "status": record["status"], "scores": record["scores"]}))
    return 0


def _inert(text):
    """A student's markdown as the feedback page shows it: verbatim, as preformatted text, every HTML
    character escaped, so no tag, link or script of theirs is live in a page the grader writes (and no
    attachment is carried over)."""
    return "<pre>" + html.escape(text, quote=True) + "</pre>"


def _feedback_notebook(plan, nb, record):
    """The notebook nbgrader turns into the student's feedback: the release's cells (so the gradebook's
    grade cells all exist), the student's answers in the solution cells, what each cell printed when it
    ran, and the grader's verdict under each test. No hidden test code, no reference outputs."""
    release = {_nbgrader_meta(c).get("grade_id"): c for c in plan["release"].cells if _nbgrader_meta(c).get("grade_id")}
    out = copy.deepcopy(plan["release"])
    cells, used = [], set()
    for index, cell in enumerate(nb.cells if nb is not None else []):
        gid = _nbgrader_meta(cell).get("grade_id")
        if isinstance(gid, str) and gid in release and gid not in used:
            used.add(gid)
            shown = copy.deepcopy(release[gid])              # the release's metadata: nbgrader's grade cells
            if _nbgrader_meta(shown).get("solution") and isinstance(cell.get("source"), str):
                shown.source = cell["source"] if shown.cell_type == "code" else _inert(cell["source"])
        elif cell.get("cell_type") in ("code", "markdown") and isinstance(cell.get("source"), str):
            shown = nbformat.v4.new_code_cell(cell["source"]) if cell["cell_type"] == "code" else \
                nbformat.v4.new_markdown_cell(_inert(cell["source"]))   # the student's own cell, no metadata
        else:
            continue
        if shown.cell_type == "code":
            ran = record["cells"].get(str(index))
            text = (ran["output"] if ran else "") + (f"{ran['error']}\n" if ran and ran["error"] else "")
            shown.outputs = []
            shown.execution_count = None
            if gid in plan["tests"] and gid in used:
                verdicts = [record["functions"].get(n, (False, f"{n}: not graded"))
                            for n in plan["tests"][gid]["functions"]]
                text += "".join(("PASSED  " if ok else "FAILED  ") + message + "\n" for ok, message in verdicts)
            if text:
                shown.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        cells.append(shown)
    for gid, cell in release.items():                          # grade cells the student deleted
        if gid not in used and _nbgrader_meta(cell).get("grade"):
            shown = copy.deepcopy(cell)
            if shown.cell_type == "code":
                verdicts = [record["functions"].get(n, (False, f"{n}: not graded"))
                            for n in plan["tests"].get(gid, {}).get("functions", [])]
                shown.outputs = [nbformat.v4.new_output("stream", name="stdout", text="".join(
                    ("PASSED  " if ok else "FAILED  ") + message + "\n" for ok, message in verdicts))]
            cells.append(shown)
    out.cells = cells
    if record["notes"]:
        out.cells.insert(0, nbformat.v4.new_markdown_cell("**Grading notes**\n\n" + "\n".join(
            f"- {note}" for note in record["notes"])))
    return out


def _gradebook(course, lesson_id, results):
    """Write the grader's scores into nbgrader's gradebook (auto_score of each grade cell)."""
    import warnings

    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        warnings.simplefilter("ignore")              # nbgrader's API trips SQLAlchemy's autoflush warnings
        for student, record in results.items():
            gb.update_or_create_student(student)
            gb.update_or_create_submission(lesson_id, student)
            for gid, score in record["scores"].items():
                grade = gb.find_grade(gid, lesson_id, lesson_id, student)
                grade.auto_score = float(score)
            gb.db.commit()


def grade(folder, lesson_id=None, out=None, timeout=60, progress=True, jobs=None):
    """Grade every submission in `folder` in the sandbox, `jobs` at a time. Returns the grades.csv rows.
    Incremental: grades are stored under OUT/store by content hash and grader version, so a second run,
    or a run restarted after it was killed, reuses them; nbgrader's course folder (release, gradebook)
    is kept while the grader version is the same, and the gradebook and feedback are written only for
    the students whose graded submission changed. A rerun where nothing changed runs no sandbox, no
    reference and no nbgrader command."""
    sandbox.mode()                                          # refuse now if there is no sandbox
    out = Path(out) if out else default_out(folder)
    out.mkdir(parents=True, exist_ok=True)
    with _only_grader(out):
        return _grade(folder, lesson_id, out, timeout, progress, jobs)


class GraderBusy(RuntimeError):
    """Another `neuroai grade` is writing to the same output folder."""


@contextlib.contextmanager
def _only_grader(out):
    """Hold OUT/.grading.lock for the whole run: a second grader on the same folder is refused at once,
    before it touches nbgrader's gradebook (sqlite) or the feedback. (`grade-one` pods write only the
    store, atomically, and need no lock.)"""
    with open(out / ".grading.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GraderBusy(f"another `neuroai grade` is writing to {out}; wait for it to finish, or "
                             "grade into another --out folder") from None
        yield


def _grade(folder, lesson_id, out, timeout, progress, jobs):
    from tqdm.auto import tqdm

    if lesson_id:
        _check_lesson(lesson_id, find_submissions(folder), folder)
    lesson_id = lesson_id or _infer_lesson(find_submissions(folder), folder)
    lesson = lessons.get(lesson_id)
    submissions = find_submissions(folder, lesson_id)
    plan = grading_plan(lesson_id, cases=False)            # the hidden cases only if something is graded
    settings = Settings(cell_seconds=timeout)
    jobs = max(1, jobs or os.cpu_count() or 1)
    start = time.perf_counter()

    contents, results, todo, keys = {}, {}, {}, {}
    for student, path in submissions.items():
        try:
            contents[student] = read_regular(path, folder, MAX_SUBMISSION_BYTES)
        except OSError as err:
            results[student] = {"status": f"could not read the file: {err}", "scores": {g: 0.0 for g in plan["tests"]},
                                "functions": {}, "cells": {}, "notes": []}
            continue
        stored = _store_path(out, plan, contents[student], settings)
        keys[student] = stored.name
        if stored.exists():
            try:
                results[student] = json.loads(stored.read_text())
                continue
            except ValueError:
                pass                                        # a torn file cannot happen (atomic), but regrade
        todo.setdefault(stored, []).append(student)
    reused = len(results)

    if todo:
        plan = grading_plan(lesson_id)
    slots = list(range(jobs))
    failures = 0
    with ThreadPoolExecutor(jobs) as pool, tqdm(total=len(todo), desc=f"grading {lesson_id}", unit="submission",
                                                 disable=not progress or not todo) as bar:
        def work(stored, student):
            slot = slots.pop()
            try:
                return grade_and_store(plan, contents[student], out, settings, slot)
            finally:
                slots.append(slot)

        futures = {pool.submit(work, stored, students[0]): stored for stored, students in todo.items()}
        for future in as_completed(futures):
            stored = futures[future]
            try:
                record = future.result()
            except sandbox.SandboxUnavailable:
                raise
            except Exception as err:                        # a grader bug: report it, keep the others
                failures += 1
                record = {"status": f"grading failed: {type(err).__name__}: {err}",
                          "scores": {g: 0.0 for g in plan["tests"]}, "functions": {}, "cells": {}, "notes": []}
                for student in todo[stored]:
                    keys.pop(student, None)                 # not stored: its feedback is not kept as current
            for student in todo[stored]:
                results[student] = record
            bar.update()

    log = _feedback(out, lesson, plan, results, contents, keys)
    max_points = {gid: t["points"] for gid, t in plan["tests"].items()}
    rows = []
    for student in submissions:
        record = results[student]
        row = {"student": student, "lesson": lesson_id}
        for gid in max_points:
            row[gid] = float(record["scores"].get(gid, 0.0))
        row["total"] = sum(row[g] for g in max_points)
        row["max"] = sum(max_points.values())
        row["status"] = record["status"]
        rows.append(row)
        log.append(f"== {student}: {record['status']}; " + "; ".join(
            m for _, m in record.get("functions", {}).values()) + "".join(f"\n   note: {n}" for n in record["notes"]))
    _write_atomic(out / "grades.csv", _csv(rows))
    _write_atomic(out / "grading.log", "\n".join(log) + "\n")
    summary = {"graded": sum(r["status"] == "graded" for r in rows),
               "failed": sum(r["status"] != "graded" for r in rows), "reused": reused,
               "seconds": round(time.perf_counter() - start, 1), "jobs": jobs}
    return rows, summary


def _feedback(out, lesson, plan, results, contents, keys):
    """nbgrader's gradebook and each student's feedback (rendered by nbgrader from the grader's
    notebooks), for the graded students whose stored grade is not the one their feedback shows.
    OUT/feedback/.current.json records which stored grade each feedback file shows. Returns log lines."""
    lesson_id = lesson.id
    course, feedback = out / "course", out / "feedback"
    stamp = course / ".neuroai-grader-version"
    manifest_path = feedback / ".current.json"
    if not (stamp.exists() and stamp.read_text() == plan["version"] and (course / "gradebook.db").exists()):
        if course.exists():                                 # another grader or lesson version: start anew
            shutil.rmtree(course)
        course.mkdir(parents=True)
        _course_folder(course, lesson)
        stamp.write_text(plan["version"])
        manifest_path.unlink(missing_ok=True)
    feedback.mkdir(exist_ok=True)
    try:
        current = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        current = {}
    graded = {s: r for s, r in results.items() if r["status"] == "graded"}
    for student in list(current):                          # gone, or no longer graded: no stale feedback
        if student not in graded:
            (feedback / f"{student}.html").unlink(missing_ok=True)
            current.pop(student)
    for student, record in results.items():               # not graded: a page that says what happened
        if record["status"] != "graded":
            page, target = status_page(lesson, plan, student, record), feedback / f"{student}.html"
            if not target.exists() or target.read_text(encoding="utf-8", errors="replace") != page:
                _write_atomic(target, page)
    changed = {s: r for s, r in graded.items()
               if current.get(s) != keys.get(s) or not (feedback / f"{s}.html").exists()}
    log = [f"== feedback: {len(changed)} written, {len(graded) - len(changed)} already current"]
    if changed:
        shutil.rmtree(course / "autograded", ignore_errors=True)      # only this run's students
        for student, record in changed.items():
            try:
                nb = read_submission(contents[student])
            except (ValueError, KeyError):
                nb = None
            target = course / "autograded" / student / lesson_id / f"{lesson_id}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(_feedback_notebook(plan, nb, record), target)
        _gradebook(course, lesson_id, changed)
        done = _nbgrader(course, "generate_feedback", lesson_id)
        log.append(f"== nbgrader generate_feedback\n{done.stderr}")
        if done.returncode != 0:
            print(f"neuroai grade: nbgrader generate_feedback failed (exit {done.returncode}); the feedback of "
                  f"{len(changed)} students is missing, see {out / 'grading.log'}", file=sys.stderr)
        mathjax = local_mathjax(feedback)
        for student in changed:
            page = course / "feedback" / student / lesson_id / f"{lesson_id}.html"
            if page.exists():
                _write_atomic(feedback / f"{student}.html",
                              offline_feedback(page.read_text(encoding="utf-8"), plan, mathjax))
                if student in keys:
                    current[student] = keys[student]
            else:
                current.pop(student, None)
    _write_atomic(manifest_path, json.dumps(current, indent=1, sort_keys=True))
    return log


MATHJAX_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I)


def local_mathjax(feedback):
    """Copy the course's MathJax (book/_static/mathjax, made by `course.py setup`) beside the feedback
    pages; returns the relative path to load it from, or None where the course has no copy."""
    source = lessons.course_root() / "book" / "_static" / "mathjax" / "tex-svg.js"
    if not source.exists():
        source = lessons.course_root() / "node_modules" / "mathjax" / "es5" / "tex-svg.js"
    if not source.exists():
        return None
    (feedback / "mathjax").mkdir(exist_ok=True)
    target = feedback / "mathjax" / "tex-svg.js"
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        shutil.copy(source, target)
    return "mathjax/tex-svg.js"


def offline_feedback(page, plan, mathjax):
    """nbgrader's feedback page, made to work offline and to name what was graded: MathJax from the
    local copy (not a CDN; without a copy the math stays as TeX), no other remote script, and each
    test in the summary named by the functions it grades instead of "Test cell"."""
    local = "" if mathjax is None else (
        '<script>window.MathJax = {tex: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], processEscapes: true, '
        'tags: "ams"}, options: {skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code"]}};'
        f'</script>\n<script src="{mathjax}"></script>')
    page = MATHJAX_BLOCK.sub(lambda _: local, page)
    page = REMOTE_SCRIPT.sub("", page)
    for gid, test in plan["tests"].items():
        names = ", ".join(f"<code>{html.escape(n)}</code>" for n in test["functions"]) or html.escape(gid)
        page = page.replace(f'<a href="#{gid}">Test cell</a>', f'<a href="#{gid}">Test of {names}</a>')
    return page


def status_page(lesson, plan, student, record):
    """The feedback page of a submission that could not be graded: what happened, in plain words."""
    points = sum(t["points"] for t in plan["tests"].values())
    notes = "".join(f"<li>{html.escape(str(n))}</li>" for n in record.get("notes", []))
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(lesson.id)}: '
            f'{html.escape(student)}</title></head>\n<body style="font-family: sans-serif; max-width: 48em; '
            f'margin: 2em auto">\n<h1>{html.escape(lesson.title)}</h1>\n<p>Submission of '
            f'<b>{html.escape(student)}</b>: score 0 / {points:g}.</p>\n<p><b>It was not graded:</b> '
            f'{html.escape(str(record["status"]))}</p>\n' + (f"<ul>{notes}</ul>\n" if notes else "") +
            f'<p>Submit the lesson\'s notebook, <code>{html.escape(lesson.id)}.ipynb</code>, as Jupyter saved '
            "it (a .ipynb file, not a link, a copy of another file or an export), with your functions "
            "written in its exercise cells. Your instructor has this page and can grade it again.</p>\n"
            "</body></html>\n")


def _csv(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def cmd_grade(args):
    try:
        rows, summary = grade(args.submissions, args.lesson, args.out, args.timeout, jobs=args.jobs,
                              progress=not args.no_progress)
    except sandbox.SandboxUnavailable as err:
        print(f"neuroai grade: {err}", file=sys.stderr)
        return 3
    except GraderBusy as err:
        print(f"neuroai grade: {err}", file=sys.stderr)
        return 4
    out = Path(args.out) if args.out else default_out(args.submissions)
    for r in rows:
        print(f"{r['student']:24s} {r['total']:5.1f} / {r['max']:.0f}   {r['status']}")
    print(f"graded {summary['graded']} of {len(rows)} submissions ({summary['failed']} could not be graded, "
          f"{summary['reused']} already graded before) in {summary['seconds']:.0f} s with {summary['jobs']} "
          f"parallel sandboxes; scores: {out / 'grades.csv'}; feedback: {out / 'feedback'}")
    return 0
