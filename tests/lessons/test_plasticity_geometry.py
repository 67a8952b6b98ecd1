"""The plasticity-geometry reference: its functions do what the paper's equations say, and its claim
check can fail."""
import math

import pytest
import torch

from neuroai.course import lessons

ref = lessons.load_reference("plasticity-geometry")
DT = torch.float64


@pytest.fixture
def w():
    gen = torch.Generator().manual_seed(0)
    sign = torch.where(torch.rand(50, generator=gen) < 0.5, -1.0, 1.0).to(DT)
    return sign * torch.exp(torch.randn(50, generator=gen, dtype=DT))


@pytest.mark.parametrize("potential", ref.POTENTIALS)
def test_inverse_undoes_gradient(w, potential):
    back = ref.potential_inv_grad(ref.potential_grad(w, potential), potential, torch.sign(w))
    assert torch.allclose(back, w)


@pytest.mark.parametrize("potential", ref.POTENTIALS)
def test_potential_grad_is_the_gradient_of_phi(w, potential):
    phi = {"euclidean": lambda v: 0.5 * (v ** 2).sum(),
           "3-norm": lambda v: (v.abs() ** 3).sum() / 3,
           "entropy": lambda v: (v.abs() * torch.log(v.abs())).sum()}[potential]
    v = w.clone().requires_grad_(True)
    (autograd,) = torch.autograd.grad(phi(v), v)
    assert torch.allclose(ref.potential_grad(w, potential), autograd)


def test_mirror_descent_special_cases(w):
    g = torch.randn_like(w)
    assert torch.allclose(ref.mirror_step(w, g, 0.3, "euclidean"), w - 0.3 * g)
    assert torch.allclose(ref.mirror_step(w, g, 0.3, "entropy"), w * torch.exp(-0.3 * torch.sign(w) * g))
    assert torch.equal(torch.sign(ref.mirror_step(w, 20 * g, 1.0, "entropy")), torch.sign(w))


def test_unknown_potential_is_a_clear_error(w):
    with pytest.raises(ValueError, match="unknown potential"):
        ref.potential_grad(w, "2-norm")


def test_gaussianity_distance_separates_gaussian_from_not():
    gen = torch.Generator().manual_seed(1)
    normal = ref.gaussianity_distance(torch.randn(20000, generator=gen, dtype=DT))
    laplace = ref.gaussianity_distance(torch.distributions.Laplace(0.0, 1.0).sample((20000,)).to(DT))
    assert normal < 0.01 and laplace > 0.05
    # closed form for a uniform sample: integral of |F_U - Phi| for U standardized, about 0.158
    uniform = ref.gaussianity_distance(torch.rand(200000, generator=gen, dtype=DT))
    assert math.isclose(float(uniform), 0.158, abs_tol=0.005)


def test_the_distance_has_a_finite_sample_floor_that_shrinks_like_one_over_sqrt_n():
    small, large = ref.distance_floor(100), ref.distance_floor(2000)
    assert 0.05 < small < 0.12 and 0.01 < large < 0.03            # measured: 0.081 and 0.018
    assert 3 < small / large < 7                                   # sqrt(2000 / 100) = 4.5


def test_relative_dual_change():
    w0 = torch.tensor([1.0, -2.0, 0.5], dtype=DT)
    assert ref.relative_dual_change(w0, w0, "entropy") == 0.0
    assert math.isclose(ref.relative_dual_change(w0, 2 * w0, "euclidean"), 1.0)
    u0, uT = ref.potential_grad(w0, "3-norm"), ref.potential_grad(3 * w0, "3-norm")
    assert math.isclose(ref.relative_dual_change(w0, 3 * w0, "3-norm"), float((uT - u0).norm() / u0.norm()))


def _official_style_distance(diff):
    """The paper's code's way: F(x) = fraction of z < x on 1000 points, a Riemann sum (written here from its
    description, for the tolerance test)."""
    x = torch.linspace(-5, 5, 1000, dtype=diff.dtype)
    z = (diff - diff.mean()) / diff.std()
    F = (x[:, None] > z[None, :]).to(diff.dtype).mean(-1)
    return ((F - 0.5 * (1 + torch.erf(x / math.sqrt(2)))).abs().sum() * (x[1] - x[0]))


def _exact_distance(diff):
    """The integral of |F - Phi| on a grid 200 times finer (F from sorted samples)."""
    z = (diff - diff.mean()) / diff.std()
    x = torch.linspace(-5, 5, 200_001, dtype=diff.dtype)
    F = torch.searchsorted(torch.sort(z).values, x, right=True).to(diff.dtype) / len(z)
    return torch.trapezoid((F - 0.5 * (1 + torch.erf(x / math.sqrt(2)))).abs(), x)


def test_every_correct_distance_passes_the_hidden_cases_and_the_mistake_does_not():
    from neuroai.course import judge
    judge.check("plasticity-geometry", "gaussianity_distance", _official_style_distance)
    judge.check("plasticity-geometry", "gaussianity_distance", _exact_distance)
    spec = lessons.load_autograder_spec("plasticity-geometry")
    old, new, _ = spec.MISTAKES["gaussianity_distance"]
    namespace = {"torch": torch, "math": math}
    exec(__import__("inspect").getsource(ref.gaussianity_distance).replace(old, new), namespace)
    with pytest.raises(judge.GradingFailure):
        judge.check("plasticity-geometry", "gaussianity_distance", namespace["gaussianity_distance"])


def test_training_fits_the_data():
    X, y = ref.regression_task(20, 300, seed=3)
    w0 = torch.randn(300, dtype=DT) / math.sqrt(300)
    for potential in ref.POTENTIALS:
        _, loss = ref.best_run(X, y, w0, potential, torch.logspace(-5, 0, 16, dtype=DT), 300)
        assert loss < 1e-6, (potential, loss)


def _fake_out(eg_flips=0.0, eg_skew=0.0, gd_skew=-1.0, gd_flips=0.08, diag=0.02, off=0.3):
    P = ref.POTENTIALS
    return {"distance": {(p, q): diag if p == q else off for p in P for q in P},
            ("entropy", "flips"): eg_flips, ("entropy", "skew"): eg_skew,
            ("euclidean", "flips"): gd_flips, ("euclidean", "skew"): gd_skew,
            "floor": 0.018, "relative_change": {p: 0.1 for p in P}}


@pytest.mark.parametrize("change, holds", [
    ({}, True),
    ({"diag": 0.06}, False),               # the matching geometry is not Gaussian
    ({"off": 0.1}, False),                 # a mismatched geometry looks Gaussian too
    ({"eg_flips": 0.01}, False),           # EG flipped signs
    ({"eg_skew": 0.5}, False),             # EG skewed log w
    ({"gd_skew": 0.0, "gd_flips": 0.0}, False),   # GD kept the weights log-normal
    ({"gd_skew": 0.0, "gd_flips": 0.05}, True),   # ... either of GD's two signatures suffices
])
def test_claim_check_can_fail(change, holds):
    _, _, verdict = ref.check(_fake_out(**change))
    assert verdict is holds
