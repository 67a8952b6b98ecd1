"""`neuroai reproduce`: the claim holds on 3 seeds, measured by the command a reader would run."""
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from neuroai.course import cli, lessons

ROOT = Path(__file__).resolve().parents[1]


def neuroai(*args):
    return subprocess.run([sys.executable, "-m", "neuroai.course", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


# Seeds on which a lesson's claim, as measured (never re-tuned until it passes), is known to fail:
# {(lesson id, seed): the numbers}. That seed's test is an expected failure, strict: should the claim start
# to hold there, the test fails until the entry is removed. The lesson's chapter reports the failure.
KNOWN_FAILURES = {
    ("conspec", 1): "conspec seed 1: the claim FAILS as measured. Final success PPO + ConSpec 0.64 vs PPO 0.63 "
                    "(gap 0.01 < 0.25); mean success over training 0.44 vs 0.31 (gap 0.13 < 0.27, the "
                    "threshold fixed on seeds 0-4); prototypes: 2 used, precision 1.00, recall 0.67 (these hold). On an "
                    "AVX2-only AMD EPYC it fails too: 0.64 vs 0.43 (gap 0.21), area gap 0.14",
}


# Seeds whose verdict depends on the CPU: the run is repeatable on one machine, but CPUs with other vector
# instructions round differently in the last bits, and reinforcement learning amplifies that into another
# run. Such a seed may pass or fail here (a non-strict expected failure); the chapter gives both measurements.
CPU_DEPENDENT = {
    ("conspec", 0): "conspec seed 0 depends on the CPU: it HOLDS on the machine the lesson was built on (final "
                    "success 0.95 vs 0.61, 2 prototypes, recall 0.67) and FAILS on an AVX2-only AMD EPYC (0.95 vs "
                    "0.34, area gap 0.16 < 0.27, 1 prototype, recall 0.33 < 0.6)",
}


def _claim_cases():
    for seed in (0, 1, 2):
        for lesson_id in lessons.LESSONS:
            reason = KNOWN_FAILURES.get((lesson_id, seed))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            if (lesson_id, seed) in CPU_DEPENDENT:
                marks = [pytest.mark.xfail(strict=False, reason=CPU_DEPENDENT[(lesson_id, seed)])]
            yield pytest.param(lesson_id, seed, marks=marks, id=f"{seed}-{lesson_id}")


@pytest.mark.parametrize("lesson_id, seed", list(_claim_cases()))
def test_claim_holds(lesson_id, seed):
    done = neuroai("reproduce", lesson_id, "--seed", str(seed), "--json")   # saved in build/reproduce/ for the book
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads(done.stdout)
    for key in ("lesson", "claim", "measured", "thresholds", "holds", "seconds"):
        assert key in record
    assert record["lesson"] == lesson_id and record["seed"] == seed and record["holds"] is True
    assert all(isinstance(v, float) for v in record["measured"].values())
    assert Path(record["figure"]).stat().st_size > 10_000


def test_human_output_and_list(tmp_path):
    done = neuroai("reproduce", "plasticity-geometry", "--seed", "0", "--out", str(tmp_path), "--no-progress")
    assert done.returncode == 0
    assert "Claim:" in done.stdout and "Verdict: the claim HOLDS" in done.stdout
    listed = neuroai("reproduce", "--list")
    assert listed.returncode == 0 and "plasticity-geometry" in listed.stdout


def test_unknown_lesson_is_a_clear_error():
    done = neuroai("reproduce", "no-such-lesson")
    assert done.returncode == 2 and "unknown lesson 'no-such-lesson'" in done.stderr


def test_exit_code_is_1_when_the_claim_fails(monkeypatch, tmp_path, capsys):
    import matplotlib.pyplot as plt
    fake = types.SimpleNamespace(CLAIM="x", reproduce=lambda seed, device, progress: {
        "claim": "x", "measured": {"m": 1.0}, "thresholds": {"m": "< 0"}, "holds": False,
        "line": "x -> claim FAILS", "figure": plt.figure()})
    monkeypatch.setattr(lessons, "load_reference", lambda lesson_id: fake)
    assert cli.main(["reproduce", "plasticity-geometry", "--json", "--out", str(tmp_path)]) == 1
    assert json.loads(capsys.readouterr().out)["holds"] is False
