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

from neuroai import lessons

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
        [sys.executable, "-m", "neuroai", "reproduce", lesson.id, "--seed", "0", "--json"], root)
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
             "| claim | within budget |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        nb = f"{r['notebook_seconds']:.1f} ({r['notebook_budget_s']:.0f})" + ("" if r["notebook_ok"] else " FAILED")
        lines.append(f"| {r['lesson']} | {nb} | {r['notebook_peak_mb']} | "
                     f"{r['reproduce_seconds']:.1f} ({r['reproduce_budget_s']:.0f}) | {r['reproduce_peak_mb']} | "
                     f"{'holds' if r['holds'] else 'FAILS'} | {'yes' if r['within_budget'] else 'NO'} |")
    return "\n".join(lines)


def cmd_bench(args):
    ids = args.lessons or list(lessons.LESSONS)
    rows = []
    for lesson_id in ids:
        lesson = lessons.get(lesson_id)
        print(f"bench {lesson.id} ...", flush=True)
        rows.append(bench_lesson(lesson))
    out = Path(args.out) if args.out else lessons.course_root() / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    text = table(rows)
    (out / "bench.md").write_text(f"Measured on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}.\n\n{text}\n")
    (out / "bench.json").write_text(json.dumps(rows, indent=2))
    print(text)
    print(f"written: {out / 'bench.md'}, {out / 'bench.json'}")
    ok = all(r["notebook_ok"] and r["holds"] and r["within_budget"] for r in rows)
    return 0 if ok else 1
