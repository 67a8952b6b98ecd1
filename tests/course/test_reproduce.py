"""`neuroai reproduce`: the claim holds on 3 seeds, measured by the command a reader would run, with no
network (in a network namespace with no interfaces, where the machine allows one)."""
import json
import math
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from neuroai.course import cli, lessons

ROOT = Path(__file__).resolve().parents[2]


def _offline_prefix():
    """`unshare -n`: a new network namespace with no interfaces (root, Linux), so a claim check that
    tried to download anything would fail; [] where that is not possible."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n"]
    return []


OFFLINE = _offline_prefix()


def neuroai(*args, offline=False):
    return subprocess.run([*(OFFLINE if offline else []), sys.executable, "-m", "neuroai.course", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def _claim_cases():
    for seed in (0, 1, 2):
        for lesson_id in lessons.LESSONS:
            lesson = lessons.get(lesson_id)              # known failures are declared in the registry
            reason = dict(lesson.known_failures).get(seed)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            if seed in dict(lesson.cpu_dependent):
                marks = [pytest.mark.xfail(strict=False, reason=dict(lesson.cpu_dependent)[seed])]
            yield pytest.param(lesson_id, seed, marks=marks, id=f"{seed}-{lesson_id}")


@pytest.mark.parametrize("lesson_id, seed", list(_claim_cases()))
def test_claim_holds(lesson_id, seed):
    # saved in build/reproduce/ for the book; run without network where the machine can cut it
    done = neuroai("reproduce", lesson_id, "--seed", str(seed), "--json", offline=True)
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads(done.stdout)
    for key in ("lesson", "claim", "measured", "thresholds", "holds", "seconds"):
        assert key in record
    assert record["lesson"] == lesson_id and record["seed"] == seed and record["holds"] is True
    assert all(isinstance(v, float) for v in record["measured"].values())
    assert Path(record["figure"]).stat().st_size > 10_000


def test_the_claim_runs_offline():
    if not OFFLINE and sys.platform == "linux" and os.geteuid() == 0:
        pytest.fail("running as root on Linux, but `unshare -n` failed: the claim checks ran with a network")
    if not OFFLINE:
        pytest.skip("needs `unshare -n` (root, Linux) to cut the network; the claim checks ran with it")
    done = subprocess.run([*OFFLINE, sys.executable, "-c", "import socket; socket.create_connection(('1.1.1.1', 53), 2)"],
                          capture_output=True, text=True)
    assert done.returncode != 0, "the network namespace of the claim checks reaches the network"


def _fake_reference(holds):
    import matplotlib.pyplot as plt
    return types.SimpleNamespace(CLAIM="x", reproduce=lambda seed, device, progress: {
        "claim": "The claim.", "measured": {"m": 1.0}, "thresholds": {"m": "< 2"}, "holds": holds,
        "line": "m 1.0 -> claim " + ("HOLDS" if holds else "FAILS"), "figure": plt.figure()})


def test_human_output_and_list(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(lessons, "load_reference", lambda lesson_id: _fake_reference(True))
    assert cli.main(["reproduce", "plasticity-geometry", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Claim: The claim." in out and "Verdict: the claim HOLDS" in out and "threshold < 2" in out
    monkeypatch.undo()                                     # the real references, for the list of claims
    assert cli.main(["reproduce", "--list"]) == 0
    listed = capsys.readouterr().out
    for lesson_id in lessons.LESSONS:
        assert lesson_id in listed and lessons.load_reference(lesson_id).CLAIM[:40] in listed


def test_unknown_lesson_is_a_clear_error():
    done = neuroai("reproduce", "no-such-lesson")
    assert done.returncode == 2 and "unknown lesson 'no-such-lesson'" in done.stderr


def test_exit_code_is_1_when_the_claim_fails(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(lessons, "load_reference", lambda lesson_id: _fake_reference(False))
    assert cli.main(["reproduce", "plasticity-geometry", "--json", "--out", str(tmp_path)]) == 1
    assert json.loads(capsys.readouterr().out)["holds"] is False


def test_seed_ranges_and_the_wilson_interval():
    from neuroai.course.reproduce import parse_seeds, wilson
    assert parse_seeds("0-3") == [0, 1, 2, 3] and parse_seeds("0,3,5-6") == [0, 3, 5, 6]
    with pytest.raises(ValueError, match="--seeds"):
        parse_seeds("a-b")
    low, high = wilson(30, 30)
    assert math.isclose(low, 0.8865, abs_tol=1e-3) and high == 1.0
    low, high = wilson(5, 10)
    assert math.isclose(low, 0.2366, abs_tol=1e-3) and math.isclose(high, 0.7634, abs_tol=1e-3)


def test_a_recorded_run_pools_the_seeds_and_the_page_shows_it(monkeypatch, tmp_path):
    from neuroai.course import reproducibility
    from neuroai.course.reproduce import record_seeds

    def fake_reference(lesson_id):
        import matplotlib.pyplot as plt
        return types.SimpleNamespace(CLAIM="The claim.", reproduce=lambda seed, device, progress: {
            "claim": "The claim.", "measured": {"m": float(seed)}, "thresholds": {"m": "< 2"}, "holds": seed < 2,
            "line": "-> claim", "figure": plt.figure()})
    monkeypatch.setattr(lessons, "load_reference", fake_reference)
    record, path = record_seeds("plasticity-geometry", [0, 1, 2, 3], out_dir=tmp_path / "out",
                                progress=False, records_dir=tmp_path / "records")
    saved = json.loads(path.read_text())
    assert saved["pooled"]["holds_on"] == 2 and saved["pooled"]["seeds"] == 4
    assert saved["pooled"]["measured"]["m"] == {"mean": 1.5, "min": 0.0, "max": 3.0}
    assert [r["holds"] for r in saved["runs"]] == [True, True, False, False]
    for key in ("commit", "cpu", "date", "torch", "threads", "science_sha256"):
        assert key in saved
    lesson = lessons.get("plasticity-geometry")
    saved["current"] = True
    text = "\n".join(reproducibility.recorded_run_markdown(lesson, saved))
    assert "**2 of 4** seeds" in text and "Seeds on which it fails: 2, 3." in text and "older than" not in text
    assert "| `m` | 1.5 | 0 | 3 |" in text and lesson.paper_result[:30] in text
    saved["current"] = False
    assert "older than the lesson's code" in "\n".join(reproducibility.recorded_run_markdown(lesson, saved))


def test_the_record_goes_stale_when_the_lessons_code_changes(tmp_path, monkeypatch):
    from neuroai.course import reproducibility
    monkeypatch.setenv("NEUROAI_COURSE_ROOT", str(tmp_path))
    (tmp_path / "solutions").mkdir()
    (tmp_path / "records").mkdir()
    reference = tmp_path / "solutions" / "plasticity-geometry.py"
    reference.write_text((ROOT / "solutions" / "plasticity-geometry.py").read_text())
    (tmp_path / "records" / "plasticity-geometry.json").write_text(json.dumps(
        {"science_sha256": lessons.science_fingerprint("plasticity-geometry")}))
    assert reproducibility.recorded_run("plasticity-geometry")["current"] is True
    reference.write_text(reference.read_text() + "\n# an edit\n")
    assert reproducibility.recorded_run("plasticity-geometry")["current"] is False


def test_a_record_depends_only_on_the_library_modules_its_reference_imports():
    names = {lesson_id: {p.name for p in lessons.library_modules_used(lessons.get(lesson_id).path("reference"))}
             for lesson_id in ("plasticity-geometry", "poyo")}
    assert "data.py" in names["plasticity-geometry"] and "neural.py" not in names["plasticity-geometry"]
    assert "neural.py" in names["poyo"] and "data.py" not in names["poyo"]
    assert all("course" not in name for found in names.values() for name in found)
