"""neuroai.turing: the embodied Turing test harness (a discriminator's cross-validated ROC AUC):
chance for one distribution, near one for different ones, episodes kept together in folds."""
import math

import torch

from neuroai import turing

F64 = torch.float64


def test_roc_auc_matches_its_definition():
    scores = torch.tensor([0.1, 0.4, 0.35, 0.8, 0.4])
    labels = torch.tensor([0, 0, 1, 1, 1])
    # positives 0.35, 0.8, 0.4 vs negatives 0.1, 0.4: wins 1 + 2 + 1, one tie (0.4 vs 0.4) -> 4.5 / 6
    assert math.isclose(turing.roc_auc(scores, labels), 4.5 / 6)
    assert turing.roc_auc(torch.tensor([1.0, 2.0]), torch.tensor([0, 1])) == 1.0


def test_fit_logistic_finds_the_optimum():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(200, 3, generator=gen, dtype=F64)
    y = (X @ torch.tensor([2.0, -1.0, 0.0], dtype=F64) + 0.3 * torch.randn(200, generator=gen, dtype=F64) > 0).to(F64)
    w, b = turing.fit_logistic(X, y, l2=1e-2)
    theta = torch.cat([w, b[None]]).requires_grad_(True)
    A = torch.cat([X, torch.ones(200, 1, dtype=F64)], 1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(A @ theta, y) + 0.5e-2 * (theta[:3] ** 2).sum()
    (grad,) = torch.autograd.grad(loss, theta)
    assert grad.abs().max() < 1e-6 and w[0] > 0 > w[1]


def test_turing_test_chance_for_the_same_distribution_and_one_for_different_ones():
    gen = torch.Generator().manual_seed(1)
    animal = torch.randn(200, 4, generator=gen, dtype=F64)
    same = torch.randn(200, 4, generator=gen, dtype=F64)
    shifted = torch.randn(200, 4, generator=gen, dtype=F64) + torch.tensor([2.0, 0, 0, 0], dtype=F64)
    narrow = 0.2 * torch.randn(200, 4, generator=gen, dtype=F64)     # same mean, less variable
    groups = torch.arange(200) // 4                                   # 4 windows per episode
    t_same = turing.turing_test(animal, same, groups, groups, n_boot=200)
    assert 0.35 < t_same["auc"] < 0.65 and t_same["ci"][0] < 0.5 < t_same["ci"][1]
    assert turing.turing_test(animal, shifted, groups, groups, n_boot=200)["auc"] > 0.9
    assert turing.turing_test(animal, narrow, groups, groups, n_boot=200)["auc"] > 0.9       # needs the squares
    assert turing.turing_test(animal, narrow, groups, groups, n_boot=200, quadratic=False)["auc"] < 0.7


def test_folds_keep_episodes_together():
    groups = torch.arange(40) // 4
    fold = turing._folds(groups, 5, torch.Generator().manual_seed(0))
    for g in range(10):
        assert len(set(fold[groups == g].tolist())) == 1
    assert sorted(torch.bincount(fold).tolist()) == [8] * 5
