"""The autograder's entry point: it passes the reference, catches wrong, raising, slow and
wrongly-shaped answers, isolates each exercise from the others, and never shows reference values."""
import re

import pytest
import torch

from neuroai.course import judge as autograde, lessons

LESSON = "plasticity-geometry"
ref = lessons.load_reference(LESSON)
spec = lessons.load_autograder_spec(LESSON)


@pytest.mark.parametrize("name", list(spec.GRADED))
def test_reference_passes(name):
    assert autograde.check(LESSON, name, getattr(ref, name)) is None   # no number: nbgrader reads it as a score


def test_every_graded_function_is_in_the_reference_and_the_notebook():
    source = lessons.get(LESSON).path("source").read_text()
    for name in spec.GRADED:
        assert callable(getattr(ref, name))
        assert f'check(\\"{LESSON}\\", \\"{name}\\", {name})' in source


def test_wrong_answer_fails_without_showing_reference_values():
    def gaussianity_distance(diff):          # biased std instead of unbiased: a subtle mistake
        z = (diff - diff.mean()) / diff.std(unbiased=False)
        x = torch.linspace(-5, 5, 1001, dtype=diff.dtype)
        F = (z[None, :] <= x[:, None]).to(diff.dtype).mean(dim=1)
        return torch.trapezoid((F - 0.5 * (1 + torch.erf(x / 2 ** 0.5))).abs(), x)
    with pytest.raises(autograde.GradingFailure) as info:
        autograde.check(LESSON, "gaussianity_distance", gaussianity_distance)
    message = str(info.value)
    assert "hidden case" in message and "diff: tensor of shape (" in message
    assert not re.search(r"expected \d|reference value", message)


def test_wrong_shape_and_type():
    with pytest.raises(autograde.GradingFailure, match="shape"):
        autograde.check(LESSON, "potential_grad", lambda w, potential: w.flatten())
    with pytest.raises(autograde.GradingFailure, match="expected a tensor"):
        autograde.check(LESSON, "potential_grad", lambda w, potential: w.tolist())
    with pytest.raises(autograde.GradingFailure, match="not a function"):
        autograde.check(LESSON, "potential_grad", 42)


def test_not_implemented_and_raising():
    def stub(w, potential):
        raise NotImplementedError()
    with pytest.raises(autograde.GradingFailure, match="not implemented yet"):
        autograde.check(LESSON, "potential_grad", stub)

    def broken(w, potential):
        return w / undefined_name  # noqa: F821
    with pytest.raises(autograde.GradingFailure, match="raised NameError"):
        autograde.check(LESSON, "potential_grad", broken)


def test_a_function_that_loops_forever_is_stopped(monkeypatch):
    monkeypatch.setattr(autograde, "CASE_SECONDS", 0.5)

    def potential_grad(w, potential):
        while True:
            pass
    with pytest.raises(autograde.GradingFailure, match="ran longer than"):
        autograde.check(LESSON, "potential_grad", potential_grad)


def test_exercises_are_isolated():
    """mirror_step is graded with the reference potential_grad, even if the student's is wrong."""
    namespace = {"torch": torch}
    exec("def potential_grad(w, potential):\n    return w * 0\n"          # wrong
         "def potential_inv_grad(u, potential, sign):\n    return u * 0\n"  # wrong
         "def mirror_step(w, g, lr, potential):\n"
         "    u = potential_grad(w, potential) - lr * g\n"
         "    return potential_inv_grad(u, potential, torch.sign(w))\n", namespace)
    autograde.check(LESSON, "mirror_step", namespace["mirror_step"])
    assert namespace["potential_grad"](torch.ones(2), "euclidean").sum() == 0   # restored afterwards
    with pytest.raises(autograde.GradingFailure):
        autograde.check(LESSON, "potential_grad", namespace["potential_grad"])


def test_unknown_names_are_clear_errors():
    with pytest.raises(KeyError, match="not a graded function"):
        autograde.check(LESSON, "train", ref.train)
    with pytest.raises(KeyError, match="unknown lesson"):
        autograde.check("no-such-lesson", "f", ref.train)


def test_compare():
    t = torch.tensor([1.0, 2.0])
    assert autograde.compare(t, t) is None
    assert "differ" in autograde.compare(t + 1e-3, t)
    assert "NaN" in autograde.compare(torch.tensor([float("nan"), 2.0]), t)
    assert "floating-point" in autograde.compare(torch.tensor([1, 2]), t)
    assert autograde.compare(2.0, 2.0) is None and "differs" in autograde.compare(2.1, 2.0)


def solution_sources(lesson_id):
    """{function: source of its solution cell, markers removed} from the instructor notebook."""
    import nbformat
    nb = nbformat.read(lessons.get(lesson_id).path("source"), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: "\n".join(
        line for line in c.source.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
        for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


@pytest.mark.parametrize("lesson_id", list(lessons.LESSONS))
def test_every_planted_mistake_is_caught_and_costs_only_its_function(lesson_id):
    spec = lessons.load_autograder_spec(lesson_id)
    assert set(spec.MISTAKES) == set(spec.GRADED), "one planted mistake per graded function"
    sources = solution_sources(lesson_id)
    planted = [*spec.MISTAKES.items(), *getattr(spec, "GRADIENT_MISTAKES", {}).items()]
    for wrong, (old, new, what) in planted:
        namespace = {}
        exec("import math\nimport torch\n", namespace)
        for name, source in sources.items():
            if name == wrong:
                assert old in source, f"{wrong}: {old!r} is not in the solution"
                source = source.replace(old, new, 1)
            exec(source, namespace)
        for name in spec.GRADED:
            if name == wrong:
                with pytest.raises(autograde.GradingFailure):
                    autograde.check(lesson_id, name, namespace[name])
            else:
                autograde.check(lesson_id, name, namespace[name])   # the mistake costs nothing here


def test_the_gradient_probe():
    from neuroai.course import probe
    x = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    out = probe.call(lambda x, c: (x * c, x.sum()), {"x": x, "c": 2.0}, grad=("x",))
    w0, w1 = probe.cotangent(torch.empty(3), 0).double(), probe.cotangent(torch.empty(()), 1).double()
    assert torch.equal(out["value"][0], 2 * x) and not out["value"][0].requires_grad
    assert torch.allclose(out["grad"]["x"], 2 * w0 + w1)                     # d/dx <w0, 2x> + w1 sum(x)
    cut = probe.call(lambda x, c: (x * c).detach(), {"x": x, "c": 2.0}, grad=("x",))
    assert torch.equal(cut["grad"]["x"], torch.zeros(3, dtype=torch.float64))
    assert probe.call(lambda x: x + 1, {"x": x}) is not None and not x.requires_grad   # inputs untouched


def test_a_case_is_described_without_its_numbers():
    import torch
    from neuroai.course.judge import describe
    text = describe({"w": torch.zeros(3, 2), "lr": 0.0018812, "steps": 17, "potential": "entropy",
                     "scales": [0.25, 4.0]})
    assert "(3, 2)" in text and "'entropy'" in text
    for secret in ("0.0018", "17", "0.25", "4.0"):
        assert secret not in text, (secret, text)
