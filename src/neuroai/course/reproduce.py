"""`neuroai reproduce ID --seed N`: a lesson's claim check, run the way a reader runs it.

It calls the reference's `reproduce(seed, device, progress)` (solutions/ID.ipynb's code, in
solutions/ID.py) under the course's one run setting (neuroai.device.configure: device and threads),
saves the figure and a JSON record (stamped with the code's fingerprint) to build/reproduce/, and
prints the claim, the measured numbers against their thresholds and the verdict.
"""
import json
import time
from pathlib import Path

from neuroai.course import lessons


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


def cmd_reproduce(args):
    if args.list or not args.lesson:
        for lesson in lessons.LESSONS.values():
            ref = lessons.load_reference(lesson.id)
            print(f"{lesson.id:24s} module {lesson.module}  {lesson.title}\n{'':24s} claim: {ref.CLAIM}")
        return 0 if args.list else 2
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
