"""The embodied Turing test as a small harness (Zador et al. 2022), for any body and any features.

Behaviour is cut into samples (windows of a recording), each summarized by a feature vector. A
discriminator learns to tell the animal's samples from a model's; its accuracy on samples it was not
trained on is the test score. Here the discriminator is a logistic regression on the standardized
features and their squares (so it sees differences in spread, not only in the mean), the score is the
area under the ROC curve (AUC) of its held-out outputs, and the folds and the bootstrap keep the samples
of one episode together (windows of one episode are not independent).

    roc_auc(scores, labels)                         AUC, ties counted half (Mann-Whitney U / (n0 n1))
    fit_logistic(X, y, l2)                          L2-regularized logistic regression by Newton's method
    discriminator_scores(F_animal, F_model, ...)    held-out P(model | features) for every sample
    turing_test(F_animal, F_model, ...)             AUC with a bootstrap confidence interval

AUC 0.5: the discriminator cannot tell the model from the animal (the model passes); 1.0: it always can.
Everything is torch, on the device of the features, and seeded.
"""
import torch


def roc_auc(scores, labels):
    """Area under the ROC curve: the probability that a random positive (label 1) scores higher than
    a random negative (label 0), ties counted half. scores, labels: (N,). Returns a float."""
    scores = scores.double()
    pos, neg = scores[labels == 1], scores[labels == 0]              # (n1,), (n0,)
    greater = (pos[:, None] > neg[None, :]).double().sum()
    ties = (pos[:, None] == neg[None, :]).double().sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def fit_logistic(X, y, l2=1e-2, iters=30):
    """Minimize mean_i log(1 + exp(-s_i (X_i w + b))) + l2/2 |w|^2 (s_i = 2 y_i - 1; b not penalized)
    by Newton's method. X: (N, F), y: (N,) in {0, 1}. Returns w (F,) and b (a 0-dim tensor)."""
    N, F = X.shape
    A = torch.cat([X, torch.ones(N, 1, dtype=X.dtype, device=X.device)], 1)    # (N, F + 1)
    theta = torch.zeros(F + 1, dtype=X.dtype, device=X.device)
    ridge = torch.full((F + 1,), l2, dtype=X.dtype, device=X.device)
    ridge[-1] = 1e-8                                                            # (almost) free bias
    for _ in range(iters):
        p = torch.sigmoid(A @ theta)                                            # (N,)
        grad = A.T @ (p - y) / N + ridge * theta                                # (F + 1,)
        hess = (A.T * (p * (1 - p))) @ A / N + torch.diag(ridge)                # (F + 1, F + 1)
        step = torch.linalg.solve(hess, grad)
        theta = theta - step
        if float(step.abs().max()) < 1e-10:
            break
    return theta[:-1], theta[-1]


def _folds(groups, n_splits, gen):
    """Fold index of every sample: the groups (episodes) are shuffled and dealt to the folds in turn."""
    unique = torch.unique(groups.cpu())
    order = unique[torch.randperm(len(unique), generator=gen)]
    fold_of_group = {int(g): i % n_splits for i, g in enumerate(order)}
    return torch.tensor([fold_of_group[int(g)] for g in groups.cpu()])


def discriminator_scores(F_animal, F_model, groups_animal=None, groups_model=None, n_splits=5, seed=0,
                         quadratic=True, l2=1e-2):
    """Held-out discriminator outputs: for each fold, standardize with the training samples' mean and
    std, fit the logistic regression on the other folds, and score the held-out fold.

    F_animal: (Na, F), F_model: (Nm, F) feature vectors; groups_*: (Na,), (Nm,) episode ids (samples of
    one episode share a fold; default: every sample its own). Folds are dealt within each class, so
    each fold holds both. Returns scores (Na + Nm,) = P(model | features) and labels (1 = model).
    """
    device, dtype = F_animal.device, torch.float64
    X = torch.cat([F_animal, F_model]).to(dtype)                                          # (N, F)
    y = torch.cat([torch.zeros(len(F_animal)), torch.ones(len(F_model))]).to(device, dtype)  # (N,)
    ga = torch.arange(len(F_animal)) if groups_animal is None else torch.as_tensor(groups_animal)
    gm = torch.arange(len(F_model)) if groups_model is None else torch.as_tensor(groups_model)
    gen = torch.Generator().manual_seed(seed)
    fold = torch.cat([_folds(ga, n_splits, gen), _folds(gm, n_splits, gen)]).to(device)   # (N,)
    scores = torch.empty(len(X), dtype=dtype, device=device)
    for k in range(n_splits):
        train, test = fold != k, fold == k
        mean, std = X[train].mean(0), X[train].std(0).clamp_min(1e-9)
        Z = (X - mean) / std                                                              # (N, F)
        if quadratic:
            Z = torch.cat([Z, Z ** 2], 1)                                                 # (N, 2F)
        w, b = fit_logistic(Z[train], y[train], l2)
        scores[test] = torch.sigmoid(Z[test] @ w + b)
    return scores, y


def turing_test(F_animal, F_model, groups_animal=None, groups_model=None, n_splits=5, seed=0,
                n_boot=1000, level=0.95, quadratic=True):
    """The embodied Turing test: held-out AUC of the discriminator, with a bootstrap confidence interval.

    The interval resamples episodes (with replacement, within each class) and recomputes the AUC of the
    held-out scores: it covers the variability of the test samples, not of the discriminator's
    training. Returns a dict: auc, ci (lo, hi), scores, labels.
    """
    scores, labels = discriminator_scores(F_animal, F_model, groups_animal, groups_model, n_splits, seed,
                                          quadratic)
    auc = roc_auc(scores, labels)
    ga = torch.arange(len(F_animal)) if groups_animal is None else torch.as_tensor(groups_animal)
    gm = torch.arange(len(F_model)) if groups_model is None else torch.as_tensor(groups_model)
    groups = torch.cat([ga, gm + ga.max() + 1]).to(scores.device)               # (N,) distinct per class
    members = [torch.nonzero(groups == g).flatten() for g in torch.unique(groups)]
    classes = torch.tensor([int(labels[m[0]]) for m in members])
    gen = torch.Generator().manual_seed(seed + 1)
    aucs = []
    for _ in range(n_boot):
        picked = []
        for c in (0, 1):
            pool = torch.nonzero(classes == c).flatten()
            draw = pool[torch.randint(len(pool), (len(pool),), generator=gen)]
            picked += [members[int(i)] for i in draw]
        idx = torch.cat(picked)
        aucs.append(roc_auc(scores[idx], labels[idx]))
    aucs = torch.tensor(aucs, dtype=torch.float64)
    lo, hi = torch.quantile(aucs, torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64))
    return {"auc": auc, "ci": (float(lo), float(hi)), "scores": scores.cpu(), "labels": labels.cpu()}
