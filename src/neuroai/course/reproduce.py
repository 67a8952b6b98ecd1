"""`neuroai reproduce ID --seed N`: a lesson's claim check, run the way a reader runs it.

It calls the reference's `reproduce(seed, device, progress)` (solutions/ID.ipynb's code, in
solutions/ID.py) under the course's one run setting (neuroai.device.configure: device and threads),
saves the figure and a JSON record (stamped with the code's fingerprint) to build/reproduce/, and
prints the claim, the measured numbers against their thresholds and the verdict.
"""
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from neuroai.course import lessons
from neuroai.device import get_device, threads


def reproduce(lesson_id, seed=0, device=None, out_dir=None, progress=True):
    """Run a lesson's claim check in this process. Returns the JSON-able result (figure saved)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from neuroai.device import configure, threads

    lesson = lessons.get(lesson_id)
    ref = lessons.load_reference(lesson_id)
    device = configure(device)               # the course's one setting: device and CPU threads
    torch.manual_seed(seed)
    start = time.perf_counter()
    result = ref.reproduce(seed=seed, device=device, progress=progress)
    seconds = time.perf_counter() - start
    out_dir = Path(out_dir) if out_dir else lessons.course_root() / "build" / "reproduce"
    out_dir.mkdir(parents=True, exist_ok=True)
    figure = out_dir / f"{lesson_id}-seed{seed}.png"
    result["figure"].savefig(figure, dpi=110, bbox_inches="tight")
    plt.close(result["figure"])
    record = {
        "lesson": lesson.id, "module": lesson.module, "title": lesson.title, "seed": seed,
        "device": str(device), "threads": threads(), "claim": result["claim"], "measured": result["measured"],
        "thresholds": result["thresholds"], "holds": bool(result["holds"]), "line": result["line"],
        "seconds": round(seconds, 2), "figure": str(figure),
        "code_sha256": lessons.code_fingerprint(lesson_id),
    }
    (out_dir / f"{lesson_id}-seed{seed}.json").write_text(json.dumps(record, indent=2))
    return record


def parse_seeds(text):
    """"0-9" -> [0, ..., 9]; "0,3,5-7" -> [0, 3, 5, 6, 7]."""
    seeds = []
    for part in str(text).split(","):
        first, _, last = part.strip().partition("-")
        try:
            seeds += list(range(int(first), int(last or first) + 1))
        except ValueError:
            raise ValueError(f"--seeds {text!r}: expected numbers and ranges like 0-9 or 0,3,5-7") from None
    if not seeds:
        raise ValueError(f"--seeds {text!r} names no seed")
    return seeds


def wilson(k, n, z=1.96):
    """The Wilson 95% interval of a proportion k / n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _provenance(lesson_id):
    """Commit (and whether the files the lesson's numbers depend on differed from it), CPU, library
    versions, date: where a record came from."""
    root = lessons.course_root()

    def git(*args):
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
            return done.stdout.strip() if done.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            return None

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import torch
    reference = lessons.get(lesson_id).path("reference")
    science = [str(p) for p in [reference, *lessons.library_modules_used(reference)]]
    return {"commit": git("rev-parse", "HEAD"), "uncommitted_changes": bool(git("status", "--porcelain", "--", *science)),
            "cpu": cpu, "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "cores": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "date": datetime.date.today().isoformat()}


def record_seeds(lesson_id, seeds, device=None, out_dir=None, progress=True, records_dir=None):
    """Run the claim check on every seed and write records/<id>.json: each seed's measurements and
    verdict, the pooled statistic (seeds on which the claim holds, with a Wilson 95% interval; each
    measurement's mean, min and max), where it was run, and the fingerprint of the code that made it
    (the reproducibility page says when the lesson's code has changed since)."""
    runs = []
    for seed in seeds:
        r = reproduce(lesson_id, seed=seed, device=device, out_dir=out_dir, progress=False)
        if progress:
            print(f"  seed {seed}: {'HOLDS' if r['holds'] else 'FAILS'} ({r['seconds']:.1f} s)", flush=True)
        runs.append({"seed": seed, "holds": r["holds"], "measured": r["measured"], "seconds": r["seconds"]})
    k, n = sum(r["holds"] for r in runs), len(runs)
    names = list(runs[0]["measured"])
    pooled = {"holds_on": k, "seeds": n, "fraction": k / n, "wilson_95": list(wilson(k, n)),
              "measured": {name: {"mean": sum(r["measured"][name] for r in runs) / n,
                                  "min": min(r["measured"][name] for r in runs),
                                  "max": max(r["measured"][name] for r in runs)} for name in names}}
    ref = lessons.load_reference(lesson_id)
    record = {"lesson": lesson_id, "claim": ref.CLAIM, "seeds": seeds, "runs": runs, "pooled": pooled,
              "threads": threads(), "device": str(get_device(device)),
              "science_sha256": lessons.science_fingerprint(lesson_id), **_provenance(lesson_id)}
    path = Path(records_dir or lessons.course_root() / "records") / f"{lesson_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return record, path


def cmd_reproduce(args):
    if args.list or not args.lesson:
        for lesson in lessons.LESSONS.values():
            ref = lessons.load_reference(lesson.id)
            print(f"{lesson.id:24s} module {lesson.module}  {lesson.title}\n{'':24s} claim: {ref.CLAIM}")
        if args.list:
            return 0
        print("neuroai reproduce: error: name the lesson to run (one of the above)", file=sys.stderr)
        return 2
    lessons.get(args.lesson)                                  # an unknown lesson or device: one line, at once
    get_device(args.device)
    if args.seeds or args.record:
        seeds = parse_seeds(args.seeds) if args.seeds else [args.seed]
        if not args.record:
            raise ValueError("--seeds runs several seeds for a record: add --record")
        print(f"neuroai reproduce {args.lesson} on seeds {args.seeds or args.seed}, recorded:", flush=True)
        record, path = record_seeds(args.lesson, seeds, device=args.device, out_dir=args.out,
                                    progress=not args.no_progress)
        pooled = record["pooled"]
        low, high = pooled["wilson_95"]
        print(f"the claim holds on {pooled['holds_on']} of {pooled['seeds']} seeds (Wilson 95% interval "
              f"{low:.2f}-{high:.2f}); record: {path}")
        return 0 if pooled["holds_on"] == pooled["seeds"] else 1
    record = reproduce(args.lesson, seed=args.seed, device=args.device, out_dir=args.out,
                       progress=not args.json and not args.no_progress)
    if args.json:
        print(json.dumps(record))
    else:
        print(f"Claim: {record['claim']}")
        for key, value in record["measured"].items():
            print(f"  {key:28s} {value:10.4f}   threshold {record['thresholds'].get(key, '(see claim)')}")
        print(record["line"])
        print(f"Verdict: the claim {'HOLDS' if record['holds'] else 'does NOT hold'} "
              f"(seed {record['seed']}, {record['seconds']:.1f} s on {record['device']}); "
              f"figure: {record['figure']}")
    return 0 if record["holds"] else 1
