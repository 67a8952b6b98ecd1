"""The book's reproducibility page: each lesson's claim over its recorded seeds, from what
`neuroai reproduce` measured (and `neuroai bench`'s table when it was run). Nothing on it is typed by
hand: `neuroai book build` writes it to book/_generated/reproducibility.md.
"""
import datetime
import json
import os
import platform
import shutil
from pathlib import Path

from neuroai.course import lessons


def saved_record(lesson_id, seed):
    """The record `neuroai reproduce` saved for this lesson and seed, if the same code made it."""
    path = lessons.course_root() / "build" / "reproduce" / f"{lesson_id}-seed{seed}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    current = record.get("code_sha256") == lessons.code_fingerprint(lesson_id)
    return record if current and Path(record.get("figure", "")).exists() else None


def run_reproduce(seeds, fresh=False):
    """{lesson id: [record per seed]} from neuroai.course.reproduce, the same code as `neuroai reproduce`.
    A record that `neuroai reproduce` saved from the current code is shown as it is (the runs are
    seeded, so rerunning would give the same numbers), unless `fresh`."""
    from neuroai.course.reproduce import reproduce

    records = {}
    for lesson in lessons.LESSONS.values():
        records[lesson.id] = []
        for seed in range(seeds):
            record = None if fresh else saved_record(lesson.id, seed)
            if record is not None:
                say(f"neuroai reproduce {lesson.id} --seed {seed}: saved by the current code, not rerun")
            else:
                say(f"neuroai reproduce {lesson.id} --seed {seed}")
                record = reproduce(lesson.id, seed=seed, progress=False)
            say(f"  {'HOLDS' if record['holds'] else 'FAILS'} in {record['seconds']:.1f} s")
            records[lesson.id].append(record)
    return records


def read_bench():
    """The rows of build/bench/bench.json written by `neuroai bench`, or None if it was not run."""
    path = lessons.course_root() / "build" / "bench" / "bench.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = data.get("rows", []) if isinstance(data, dict) else data
    return {row["lesson"]: row for row in rows if isinstance(row, dict) and "lesson" in row}


def _number(value, fmt="{:.4g}"):
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    return fmt.format(value) if isinstance(value, (int, float)) else str(value)


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _verdict(holds):
    return "**HOLDS**" if holds else "**FAILS**"


def _joint_threshold(name, thresholds):
    """The part of a joint threshold ("a or b": "< -0.5 or > 0.03") that belongs to `name`."""
    for key, text in thresholds.items():
        for word in ("or", "and"):
            names = [k.strip() for k in key.split(f" {word} ")]
            if name in names:
                parts = [t.strip() for t in text.split(f" {word} ")]
                others = ", ".join(f"`{n}`" for n in names if n != name)
                mine = parts[names.index(name)] if len(parts) == len(names) else text
                return f"{mine} ({word} {others})"
    return "reported (no threshold)"


def _known(lesson, seed):
    """Why the claim is known to fail on this seed (the registry's known failures and CPU-dependent
    seeds), or None."""
    return dict(lesson.known_failures).get(seed) or dict(lesson.cpu_dependent).get(seed)


def _known_lines(lesson, runs):
    """For every seed of this build on which the claim fails, what the registry knows about it."""
    lines = []
    for r in runs:
        if not r["holds"]:
            why = _known(lesson, r["seed"])
            lines += [f"**Seed {r['seed']} fails.** " + (f"A known failure: {why}." if why else
                      "Not a known failure: the lesson's code or this machine changed its result."), ""]
    return lines


def recorded_run(lesson_id):
    """records/<id>.json, the lesson's recorded multi-seed run (`neuroai reproduce ID --seeds 0-9 --record`),
    with "current": whether the lesson's reference and library are the code that made it; or None."""
    path = lessons.course_root() / "records" / f"{lesson_id}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    record["current"] = record.get("science_sha256") == lessons.science_fingerprint(lesson_id)
    return record


def recorded_run_markdown(lesson, record):
    """The section of a lesson's recorded run: pooled verdict, each measurement over the seeds, where it
    ran, the paper's own result beside it, and a warning when the lesson's code changed since."""
    if record is None:
        return [f"**Recorded run.** None yet: `neuroai reproduce {lesson.id} --seeds 0-9 --record` makes one.", ""]
    pooled, seeds = record["pooled"], record["seeds"]
    low, high = pooled["wilson_95"]
    span = f"seeds {seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else \
        "seeds " + ", ".join(map(str, seeds))
    commit = (record.get("commit") or "unknown")[:10] + (" with uncommitted changes" if record.get("uncommitted_changes") else "")
    lines = [f"**Recorded run** ({span}, `neuroai reproduce {lesson.id} --seeds ... --record`): the claim holds on "
             f"**{pooled['holds_on']} of {pooled['seeds']}** seeds (Wilson 95% interval {low:.2f}-{high:.2f}). "
             f"Run on {record.get('date', '?')}, commit {commit}, {record.get('cpu', '?')} "
             f"({record.get('torch_cpu_capability', '?')}), torch {record.get('torch', '?')}, "
             f"{record.get('threads', '?')} thread(s).", ""]
    if not record["current"]:
        lines += ["```{warning}", f"This record is older than the lesson's code: `solutions/{lesson.id}.py` or the "
                  "library changed since it was made. Its numbers may no longer be what the code gives.", "```", ""]
    failed = [str(r["seed"]) for r in record["runs"] if not r["holds"]]
    if failed:
        lines += [f"Seeds on which it fails: {', '.join(failed)}.", ""]
    lines += ["| Measured | mean | min | max |", "|---|---|---|---|"]
    for name, stats in pooled["measured"].items():
        lines.append(f"| `{name}` | {_number(stats['mean'])} | {_number(stats['min'])} | {_number(stats['max'])} |")
    lines.append("")
    if lesson.paper_result:
        lines += [f"**The paper's own result.** {lesson.paper_result}", ""]
    return lines


def reproducibility_markdown(records, bench=None, figures=None, recorded=None):
    """The page, from the records of `neuroai.course.reproduce` ({id: [record per seed]}) and the rows of
    `neuroai bench` ({id: row} or None). `figures` maps a lesson id to a figure path for the page;
    `recorded` maps a lesson id to its recorded multi-seed run (recorded_run), if any."""
    figures = figures or {}
    recorded = recorded or {}
    order = {lesson_id: i for i, lesson_id in enumerate(lessons.LESSONS)}          # by module, then registry
    records = dict(sorted(records.items(), key=lambda item: (lessons.get(item[0]).module, order.get(item[0], 0))))
    seeds = max((len(r) for r in records.values()), default=0)
    lines = [
        "# Reproducibility",
        "",
        "Every lesson ends in a claim: the paper's key finding, in the lesson's minimal setting, with "
        "numbers and thresholds fixed in advance. This page is generated by `neuroai book build`, "
        "which runs each lesson's claim check (`neuroai reproduce ID --seed N`) for "
        + (f"seeds 0 to {seeds - 1}" if seeds > 1 else "seed 0") + " on the machine that built the book (a "
        "record that `neuroai reproduce` saved from the same code is shown as it is, not rerun). Nothing "
        "on it is typed by hand.",
        "",
        f"Built on {datetime.date.today().isoformat()} with Python {platform.python_version()} "
        f"on {platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores.",
        "",
        "## Summary",
        "",
        "| Lesson | Module | Verdict | `neuroai reproduce` (s), this build | Budget (s) |",
        "|---|---|---|---|---|",
    ]
    for lesson_id, runs in records.items():
        lesson = lessons.get(lesson_id)
        verdicts = ", ".join(f"seed {r['seed']}: {_verdict(r['holds'])}"
                             + (" (known)" if not r["holds"] and _known(lesson, r["seed"]) else "") for r in runs)
        times = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        lines.append(f"| {{doc}}`{lesson_id} <{lesson_id}>` | {lesson.module} | {verdicts} | {times} "
                     f"| {lesson.budget_reproduce_s:g} |")
    lines.append("")
    bench = {k: v for k, v in (bench or {}).items() if k in records} or None
    if bench is not None:                  # only lessons that were benchmarked; a reader's page has no to-do
        lines += [
            "Timings from `neuroai bench` (build/bench/bench.json): the solution notebook run end to "
            "end in a fresh kernel, and the reproduce command, each with its peak memory.",
            "",
            "| Lesson | Notebook (s) | Budget (s) | `neuroai reproduce` (s) | Budget (s) "
            "| Peak memory (MB) | Claim holds |",
            "|---|---|---|---|---|---|---|",
        ]
        for lesson_id in records:
            row = bench.get(lesson_id)
            if row is None:
                continue
            lesson = lessons.get(lesson_id)
            peaks = [row.get(k) for k in ("peak_mem_mb", "notebook_peak_mb", "reproduce_peak_mb")]
            peaks = [p for p in peaks if isinstance(p, (int, float))]
            lines.append(
                f"| `{lesson_id}` | {_number(row.get('notebook_seconds'), '{:.1f}')} "
                f"| {_number(row.get('notebook_budget_s', lesson.budget_notebook_s), '{:g}')} "
                f"| {_number(row.get('reproduce_seconds'), '{:.1f}')} "
                f"| {_number(row.get('reproduce_budget_s', lesson.budget_reproduce_s), '{:g}')} "
                f"| {_number(max(peaks), '{:.0f}') if peaks else ''} "
                f"| {_verdict(row['holds']) if 'holds' in row else ''} |")
        lines.append("")

    for lesson_id, runs in records.items():
        lesson = lessons.get(lesson_id)
        first = runs[0]
        lines += [
            f"## {lesson.title}",
            "",
            f"Lesson `{lesson_id}`, module {lesson.module}: {{doc}}`the chapter <{lesson_id}>`. "
            f"Reproduce it with `neuroai reproduce {lesson_id} --seed 0`.",
            "",
            f"**Claim.** {first['claim']}",
            "",
            "| Measured | Threshold | " + " | ".join(f"seed {r['seed']}" for r in runs) + " |",
            "|---|---|" + "---|" * len(runs),
        ]
        thresholds = dict(first["thresholds"])
        for name in first["measured"]:
            threshold = thresholds.get(name)
            if threshold is None:   # a joint threshold: "a or b": "< -0.5 or > 0.03"
                threshold = _joint_threshold(name, thresholds)
            values = " | ".join(_number(r["measured"].get(name)) for r in runs)
            lines.append(f"| `{name}` | {_cell(threshold)} | {values} |")
        lines += [
            "| **verdict** | | " + " | ".join(_verdict(r["holds"]) for r in runs) + " |",
            "| runtime (s) | | " + " | ".join(f"{r['seconds']:.1f}" for r in runs) + " |",
            "| device | | " + " | ".join(_cell(r["device"]) for r in runs) + " |",
            "",
            *recorded_run_markdown(lesson, recorded.get(lesson_id)),
            *_known_lines(lesson, runs),
            "Printed by the check (seed 0):",
            "",
            "```text",
            first["line"],
            "```",
            "",
        ]
        if lesson_id in figures:
            lines += [f"```{{figure}} {figures[lesson_id]}", ":width: 100%", "",
                      f"The figure of `neuroai reproduce {lesson_id} --seed {first['seed']}`.", "```", ""]
    return "\n".join(lines)


def write_reproducibility(out_dir, seeds, fresh=False):
    """Write OUT_DIR/reproducibility.md (and its figures); returns (path, records)."""
    records = run_reproduce(seeds, fresh)
    figures = {}
    (Path(out_dir) / "figures").mkdir(parents=True, exist_ok=True)
    for lesson_id, runs in records.items():
        figure = Path(runs[0]["figure"])
        if figure.exists():
            target = Path(out_dir) / "figures" / figure.name
            shutil.copy(figure, target)
            figures[lesson_id] = f"figures/{figure.name}"
    path = Path(out_dir) / "reproducibility.md"
    recorded = {lesson_id: recorded_run(lesson_id) for lesson_id in records}
    path.write_text(reproducibility_markdown(records, read_bench(), figures, recorded), encoding="utf-8")
    return path, records


def say(msg):
    print(f"[book] {msg}", flush=True)
