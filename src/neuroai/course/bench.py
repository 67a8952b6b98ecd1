"""`neuroai bench`: how long each lesson takes on this machine, and whether its claim holds.

For each lesson it executes the solution notebook (solutions/ID.ipynb) in a fresh kernel and runs
`neuroai reproduce ID --seed 0 --json`, each as its own process, and records wall seconds and peak
resident memory (of the process and the kernel it starts). It writes build/bench/bench.md (a table)
and build/bench/bench.json, and exits 1 if a notebook fails, a claim fails or a budget is exceeded.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from neuroai.course import lessons

EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
"""


def _measure(cmd, cwd):
    """Run cmd; return (seconds, peak MB of it and its waited-for children, returncode, stdout, stderr)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("MPLBACKEND", None)   # the notebook runs as a student runs it: figures drawn inline
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)     # reaps the child and returns its resource usage
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return seconds, usage.ru_maxrss / 1024, proc.returncode, out.read(), err.read()


def bench_lesson(lesson):
    root = lessons.course_root()
    source = lesson.path("source")
    nb_s, nb_mb, nb_rc, _, nb_err = _measure([sys.executable, "-c", EXECUTE, str(source), str(source.parent)], root)
    rp_s, rp_mb, rp_rc, rp_out, rp_err = _measure(
        [sys.executable, "-m", "neuroai.course", "reproduce", lesson.id, "--seed", "0", "--json"], root)
    try:
        record = json.loads(rp_out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        record = {"holds": False}
    row = {
        "lesson": lesson.id,
        "notebook_seconds": round(nb_s, 1), "notebook_budget_s": lesson.budget_notebook_s,
        "notebook_peak_mb": round(nb_mb), "notebook_ok": nb_rc == 0,
        "reproduce_seconds": round(rp_s, 1), "reproduce_budget_s": lesson.budget_reproduce_s,
        "reproduce_peak_mb": round(rp_mb), "holds": bool(record.get("holds")) and rp_rc == 0,
        "cores": os.cpu_count(),
    }
    row["within_budget"] = (row["notebook_seconds"] <= lesson.budget_notebook_s
                            and row["reproduce_seconds"] <= lesson.budget_reproduce_s)
    if nb_rc != 0:
        row["notebook_error"] = nb_err.strip().splitlines()[-1][:300] if nb_err.strip() else "failed"
    return row


def table(rows):
    lines = ["| lesson | notebook s (budget) | notebook peak MB | reproduce s (budget) | reproduce peak MB "
             "| claim | within budget | last test run s (budget) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        nb = f"{r['notebook_seconds']:.1f} ({r['notebook_budget_s']:.0f})" + ("" if r["notebook_ok"] else " FAILED")
        lines.append(f"| {r['lesson']} | {nb} | {r['notebook_peak_mb']} | "
                     f"{r['reproduce_seconds']:.1f} ({r['reproduce_budget_s']:.0f}) | {r['reproduce_peak_mb']} | "
                     f"{'holds' if r['holds'] else 'FAILS'} | {'yes' if r['within_budget'] else 'NO'} | "
                     + (f"{r['test_seconds']:.0f} ({r['test_budget_s']:.0f})" if r.get("test_seconds") else "not measured")
                     + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# `neuroai bench --test-cost`: what each lesson cost the last test run (conftest.py writes build/test-times/).

TEST_PARTS = ("notebook", "claim (3 seeds)", "grading", "checks", "reference tests")


def test_cost(folder=None):
    """{lesson id or "course and library": {part: seconds}} and {outcome: count} from the test run's
    per-test records. Seconds are summed over both workers: what the lesson adds to one core's work."""
    folder = Path(folder) if folder else lessons.course_root() / "build" / "test-times"
    cost, outcomes = {}, {}
    if not folder.is_dir():
        return cost, outcomes
    for path in sorted(folder.glob("*.json")):
        for row in json.loads(path.read_text()):
            who = row["lesson"] or "course and library"
            part = row["part"] if row["lesson"] else "tests"
            cost.setdefault(who, {}).setdefault(part, 0.0)
            cost[who][part] += row["seconds"]
            outcomes[row.get("outcome", "passed")] = outcomes.get(row.get("outcome", "passed"), 0) + 1
    return cost, outcomes


def test_workers(folder=None):
    """How many pytest-xdist workers the main stage ran on (one file of times each)."""
    folder = Path(folder) if folder else lessons.course_root() / "build" / "test-times"
    return max(1, len(list(folder.glob("tests-gw*.json"))))


def test_cost_table(cost, workers=2):
    """Seconds per lesson and part, summed over the workers (one core's work), and the wall-clock share
    of the run (divided by the workers), which the budget bounds."""
    lines = [f"Seconds of one core's work per part; wall = total / {workers} workers, what the lesson adds to "
             "the run's wall-clock time.", "",
             "| lesson | " + " | ".join(TEST_PARTS) + " | total (core s) | wall s | budget (wall s) |",
             "|---|" + "---|" * (len(TEST_PARTS) + 3)]
    order = [lid for lid in lessons.LESSONS if lid in cost] + [k for k in cost if k not in lessons.LESSONS]
    for who in order:
        parts = cost[who]
        total = sum(parts.values())
        if who in lessons.LESSONS:
            budget = lessons.get(who).budget_test_s
            cells = [f"{parts.get(part, 0.0):.0f}" for part in TEST_PARTS]
            flag = "" if total / workers <= budget else " OVER"
            lines.append(f"| {who} | " + " | ".join(cells) + f" | {total:.0f} | {total / workers:.0f} | "
                         f"{budget:.0f}{flag} |")
        else:
            lines.append(f"| {who} | " + " | ".join("" for _ in TEST_PARTS) + f" | {total:.0f} | "
                         f"{total / workers:.0f} | |")
    per_lesson = [sum(cost[w].values()) / workers for w in cost if w in lessons.LESSONS]
    if per_lesson:
        lines.append(f"\nPer lesson on average: {sum(per_lesson) / len(per_lesson):.0f} s of the run's wall-clock "
                     f"time (budget {lessons.TEST_COST_BUDGET_S:.0f} s); all tests: "
                     f"{sum(sum(p.values()) for p in cost.values()):.0f} s of one core's work.")
    return "\n".join(lines)


def outcome_line(outcomes):
    """pytest's closing line for the whole run (both stages), in the plain form CI reads. Expected
    failures (declared known failures) count as skipped, unexpected passes of non-strict ones as passed."""
    passed = outcomes.get("passed", 0) + outcomes.get("xpassed", 0)
    skipped = outcomes.get("skipped", 0) + outcomes.get("xfailed", 0)
    return f"tests: {passed} passed, {outcomes.get('failed', 0)} failed, {skipped} skipped"


def cmd_bench(args):
    if args.test_cost:
        cost, outcomes = test_cost(args.test_cost_dir)
        if not cost:
            print("no test times recorded (run `python3 course.py test` first)")
            return 1
        print("What each lesson cost this test run:\n")
        print(test_cost_table(cost, test_workers(args.test_cost_dir)))
        print(outcome_line(outcomes))
        return 0
    if args.grading:
        lesson_id = (args.lessons or ["plasticity-geometry"])[0]
        result = bench_grading(lesson_id, args.submissions, args.out, args.jobs)
        why = ([] if result["nbgrader_ok"] else ["plain `nbgrader autograde` failed"]) + \
              ([] if result["scores_agree"] else [f"the two graders disagree on {len(result['disagree'])} "
                                                  f"submissions, e.g. {result['disagree'][:3]}"])
        if why:
            print("neuroai bench --grading: FAILED: " + "; ".join(why), file=sys.stderr)
        return 1 if why else 0
    ids = args.lessons or list(lessons.LESSONS)
    rows = []
    cost, _ = test_cost()
    for lesson_id in ids:
        lesson = lessons.get(lesson_id)
        print(f"bench {lesson.id} ...", flush=True)
        row = bench_lesson(lesson)
        row["test_budget_s"] = lesson.budget_test_s          # what the lesson may add to the test run
        row["test_seconds"] = round(sum(cost.get(lesson_id, {}).values()) / test_workers(), 1) or None
        rows.append(row)
    out = Path(args.out) if args.out else lessons.course_root() / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    text = table(rows)
    (out / "bench.md").write_text(f"Measured on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}.\n\n{text}\n")
    (out / "bench.json").write_text(json.dumps(rows, indent=2))
    print(text)
    print(f"written: {out / 'bench.md'}, {out / 'bench.json'}")
    why = [f"{r['lesson']}: " + ", ".join(problems(r)) for r in rows if problems(r)]
    if why:
        print("neuroai bench: FAILED: " + "; ".join(why), file=sys.stderr)
    return 1 if why else 0


def problems(row):
    """What is wrong with one lesson's bench row, in words (empty when it is fine)."""
    over = [f"{part} {row[f'{part}_seconds']:.0f} s > {row[f'{part}_budget_s']:.0f} s"
            for part in ("notebook", "reproduce") if row[f"{part}_seconds"] > row[f"{part}_budget_s"]]
    return (([f"its notebook failed ({row.get('notebook_error', 'failed')})"] if not row["notebook_ok"] else []) +
            (["its claim FAILS on seed 0"] if not row["holds"] else []) + (["over budget: " + ", ".join(over)]
                                                                          if over else []))


# ---------------------------------------------------------------------------------------------------
# `neuroai bench --grading`: plain `nbgrader autograde` against `neuroai grade` on the same submissions.

def honest_submissions(lesson_id, n, folder):
    """n distinct honest submissions (full solutions, blank releases, one planted mistake each), each
    made unique by a comment so no grader can reuse another's result. Returns {student: expected}."""
    import nbformat

    from neuroai.course import release
    spec = lessons.load_autograder_spec(lesson_id)
    kinds = [("solved", {}), ("blank", None)] + [(f"mistake_{k}", {k: v[:2]}) for k, v in spec.MISTAKES.items()]
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for i in range(n):
        kind, changes = kinds[i % len(kinds)]
        if changes is None:
            nb = nbformat.read(lessons.get(lesson_id).path("student"), as_version=4)
        else:
            nb = release.solved_notebook(lesson_id, changes)
        first = next(c for c in nb.cells if c.cell_type == "code")
        first.source += f"\n# submission {i}"
        student = f"s{i:03d}_{kind}"
        nbformat.write(nb, folder / f"{student}.ipynb")
        made[student] = kind
    return made


def _nbgrader_scores(course, lesson_id, students):
    from nbgrader.api import Gradebook, MissingEntry
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            try:
                submission = gb.find_submission_notebook(lesson_id, lesson_id, student)
            except MissingEntry:
                continue
            scores[student] = {g.name: float(g.score) for g in submission.grades}
    return scores


def bench_grading(lesson_id, n=40, out=None, jobs=None):
    import csv
    import shutil

    from neuroai.course import batch, release
    lesson = lessons.get(lesson_id)
    out = Path(out) if out else lessons.course_root() / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="neuroai-bench-grading-") as tmp:
        tmp = Path(tmp)
        made = honest_submissions(lesson_id, n, tmp / "submissions")

        course = tmp / "nbgrader-course"                     # plain nbgrader, as its docs describe
        course.mkdir()
        release._course_folder(course, lesson)
        for student in made:
            target = course / "submitted" / student / lesson_id / f"{lesson_id}.ipynb"
            target.parent.mkdir(parents=True)
            shutil.copy(tmp / "submissions" / f"{student}.ipynb", target)
        print(f"plain nbgrader autograde: {n} submissions ...", flush=True)
        start = time.perf_counter()
        done = release._nbgrader(course, "autograde", lesson_id, timeout=24 * 3600)
        plain_s = time.perf_counter() - start
        plain = _nbgrader_scores(course, lesson_id, made)

        print(f"neuroai grade: {n} submissions ...", flush=True)
        start = time.perf_counter()
        rows, summary = batch.grade(tmp / "submissions", lesson_id, tmp / "graded", progress=False, jobs=jobs)
        ours_s = time.perf_counter() - start
        ours = {r["student"]: {k: float(r[k]) for k in plain.get(r["student"], {})} for r in rows}

    disagree = sorted(s for s in made if plain.get(s) != ours.get(s))
    result = {"lesson": lesson_id, "submissions": n, "cores": os.cpu_count(), "jobs": summary["jobs"],
              "nbgrader_seconds": round(plain_s, 1), "neuroai_seconds": round(ours_s, 1),
              "nbgrader_per_minute": round(60 * n / plain_s, 1), "neuroai_per_minute": round(60 * n / ours_s, 1),
              "speedup": round(plain_s / ours_s, 2), "nbgrader_ok": done.returncode == 0,
              "graded_by_nbgrader": len(plain), "scores_agree": not disagree, "disagree": disagree[:20]}
    text = (f"Grading {n} honest submissions of `{lesson_id}` on {os.cpu_count()} cores, "
            f"{time.strftime('%Y-%m-%d')}.\n\n| grader | seconds | submissions / minute |\n|---|---|---|\n"
            f"| plain `nbgrader autograde` (one kernel per notebook, in series, whole notebook) | "
            f"{plain_s:.1f} | {result['nbgrader_per_minute']} |\n"
            f"| `neuroai grade` ({summary['jobs']} sandboxes in parallel, feedback included) | {ours_s:.1f} | "
            f"{result['neuroai_per_minute']} |\n\nSpeed-up: {result['speedup']}x. Scores agree on every "
            f"submission: {'yes' if not disagree else 'NO: ' + ', '.join(disagree[:10])}.\n")
    (out / "grading.md").write_text(text)
    (out / "grading.json").write_text(json.dumps(result, indent=2))
    with open(out / "grading-scores.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "kind", "nbgrader", "neuroai"])
        for s, kind in made.items():
            writer.writerow([s, kind, sum(plain.get(s, {}).values()), sum(ours.get(s, {}).values())])
    print(text)
    return result
