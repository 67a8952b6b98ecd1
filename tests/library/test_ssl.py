"""neuroai.ssl: views, the Barlow Twins loss, the ridge probe, and the eigenspectrum with its power-law fit
do what their docstrings say, each checked against a case whose answer is known."""
import pytest
import torch

from neuroai import ssl
from neuroai.data import digits


def test_views_are_shifted_copies_plus_noise():
    x = torch.rand(20, 64, generator=torch.Generator().manual_seed(0))
    views = ssl.image_views(x, torch.Generator().manual_seed(1), n_views=3, max_shift=1, noise=0.0)
    assert views.shape == (3, 20, 64)
    images = torch.nn.functional.pad(x.view(20, 8, 8), (1, 1, 1, 1))
    for v in views.view(3, 20, 8, 8):
        for n in range(20):                            # each view is one of the 9 shifts of its image
            assert any(torch.equal(v[n], images[n, dy:dy + 8, dx:dx + 8]) for dy in range(3) for dx in range(3))
    noisy = ssl.image_views(x, torch.Generator().manual_seed(1), noise=0.1)
    assert 0 <= float(noisy.min()) and float(noisy.max()) <= 1 and not torch.equal(noisy[0], noisy[1])


def test_barlow_twins_loss_is_zero_for_identical_decorrelated_views_and_weights_redundancy():
    g = torch.Generator().manual_seed(0)
    z = torch.linalg.qr(torch.randn(64, 4, generator=g, dtype=torch.float64))[0]   # orthogonal columns
    z = (z - z.mean(0)) * 8.0
    assert float(ssl.barlow_twins_loss(z, z, 1.0)) < 0.2               # C ~ identity (unbiased std: ~1)
    redundant = torch.cat([z[:, :1]] * 4, dim=1)                       # four copies of one feature
    low, high = (float(ssl.barlow_twins_loss(redundant, redundant, lam)) for lam in (0.0, 1.0))
    assert low < 0.2 and high > 10                                     # only the off-diagonal term sees it
    other = torch.randn(64, 4, generator=g, dtype=torch.float64)
    assert float(ssl.barlow_twins_loss(z, other, 0.0)) > 2            # unrelated views: diagonal far from 1
    c = torch.arange(9.0).view(3, 3)
    assert ssl.off_diagonal(c).tolist() == [1, 2, 3, 5, 6, 7]


def test_ridge_probe_reads_digits_and_not_noise():
    xtr, ytr, xte, yte = digits(seed=0)
    assert ssl.ridge_probe_accuracy(xtr, ytr, xte, yte) > 0.9
    noise = torch.randn(len(xtr), 64, generator=torch.Generator().manual_seed(0))
    chance = ssl.ridge_probe_accuracy(noise, ytr, torch.randn(len(xte), 64), yte)
    assert chance < 0.2


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_power_law_fit_recovers_a_planted_exponent(alpha):
    f = ssl.powerlaw_data(1000, 128, alpha, torch.Generator().manual_seed(0))
    eigs = ssl.eigenspectrum(f)
    assert eigs.shape == (128,) and abs(float(eigs.sum()) - 1) < 1e-12 and bool((eigs[:-1] >= eigs[1:]).all())
    fitted, r2 = ssl.fit_powerlaw(eigs, 3, 64)
    assert abs(fitted - alpha) < 0.1 and r2 > 0.95


def test_participation_ratio():
    assert ssl.participation_ratio(torch.ones(10)) == pytest.approx(10)
    assert ssl.participation_ratio(torch.tensor([1.0, 0, 0])) == pytest.approx(1)
