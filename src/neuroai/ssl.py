"""Self-supervised representation learning, the pieces the representation lessons share: views of an
image, the Barlow Twins loss, a linear probe, and the eigenspectrum of learned features with its
power-law fit. Each is one short function; the lessons build their models on top."""
import torch


# Views. Two (or more) random variations of the same image: what an SSL objective asks the features to
# agree on. For 8x8 digits: a shift of up to `max_shift` pixels in each direction, then pixel noise.

def image_views(x, gen, n_views=2, max_shift=1, noise=0.1, side=8):
    """Random views of a batch of square images.

    x: (N, side * side) pixels in [0, 1]. Every view shifts each image by an integer offset drawn
    uniformly from [-max_shift, max_shift] in each direction (pixels shifted in from outside are 0)
    and adds Gaussian noise of standard deviation `noise`, clipped back to [0, 1].
    Returns (n_views, N, side * side).
    """
    N = x.shape[0]
    images = x.view(N, 1, side, side)
    pad = torch.nn.functional.pad(images, (max_shift,) * 4)                   # (N, 1, side + 2s, side + 2s)
    rows = torch.arange(side, device=x.device)
    views = []
    for _ in range(n_views):
        dy, dx = torch.randint(0, 2 * max_shift + 1, (2, N), generator=gen).to(x.device)   # (N,) offsets
        r = (dy[:, None] + rows)[:, :, None].expand(N, side, side)            # (N, side, side) source row
        c = (dx[:, None] + rows)[:, None, :].expand(N, side, side)            # (N, side, side) source column
        shifted = pad[torch.arange(N, device=x.device)[:, None, None], 0, r, c]
        noisy = shifted + noise * torch.randn(shifted.shape, generator=gen).to(x.device)
        views.append(noisy.clamp(0, 1).reshape(N, side * side))
    return torch.stack(views)


# The Barlow Twins loss (Zbontar et al. 2021): standardize each feature, then push the cross-correlation
# matrix of the two views towards the identity: 1 on the diagonal (invariance), 0 off it (redundancy
# reduction, weighted by lam).

def off_diagonal(c):
    """The off-diagonal entries of a square matrix c (D, D), as a flat vector (D * (D - 1),)."""
    D = c.shape[0]
    return c.flatten()[:-1].view(D - 1, D + 1)[:, 1:].flatten()


def barlow_twins_loss(z1, z2, lam):
    """L = sum_d (1 - C_dd)^2 + lam sum_{d != e} C_de^2,  C = z1_hat^T z2_hat / B.

    z1, z2: (B, D) projector outputs of two views of the same B images. Each feature is standardized
    (zero mean, unit standard deviation) over the 2B rows of both views together, as in the official
    multi-view code (fastssl). Returns a 0-dim tensor.
    """
    B = z1.shape[0]
    z = torch.cat([z1, z2])                                                   # (2B, D)
    z = (z - z.mean(0)) / z.std(0)
    c = z[:B].T @ z[B:] / B                                                   # (D, D) cross-correlation
    return (torch.diagonal(c) - 1).pow(2).sum() + lam * off_diagonal(c).pow(2).sum()


# A linear probe: how much of the labels a linear readout of frozen features recovers. Ridge regression
# onto one-hot labels, in closed form, so there is nothing to tune but its penalty.

def ridge_probe_accuracy(f_train, y_train, f_test, y_test, alpha=1.0, n_classes=10):
    """Test accuracy of a ridge-regression readout of features.

    f_train (N, D), y_train (N,) int labels, f_test (M, D), y_test (M,). Features are standardized with
    the training set's mean and standard deviation; W = (F^T F + alpha I)^-1 F^T Y with a bias column
    (not penalized) and one-hot Y; the prediction is argmax of f W. Returns a float in [0, 1].
    """
    f_train, f_test = f_train.double(), f_test.double()
    mean, std = f_train.mean(0), f_train.std(0).clamp_min(1e-8)
    F_tr = torch.cat([(f_train - mean) / std, torch.ones(len(f_train), 1, dtype=torch.float64,
                                                         device=f_train.device)], dim=1)     # (N, D + 1)
    F_te = torch.cat([(f_test - mean) / std, torch.ones(len(f_test), 1, dtype=torch.float64,
                                                        device=f_test.device)], dim=1)
    Y = torch.nn.functional.one_hot(y_train, n_classes).double()             # (N, C)
    penalty = alpha * torch.eye(F_tr.shape[1], dtype=torch.float64, device=F_tr.device)
    penalty[-1, -1] = 0.0                                                     # the bias is free
    W = torch.linalg.solve(F_tr.T @ F_tr + penalty, F_tr.T @ Y)               # (D + 1, C)
    return float(((F_te @ W).argmax(1) == y_test).double().mean())


# The eigenspectrum of a representation and its power law (Stringer et al. 2019; Ghosh et al. 2022):
# the variance along each principal axis of the features, in decreasing order, and the exponent alpha of
# lambda_i ~ i^-alpha, fitted on a range of ranks.

def eigenspectrum(features):
    """Eigenvalues of the centred feature covariance, largest first, normalized to sum to 1 (PCA's
    explained-variance ratio). features: (N, D) with N > D. Returns (D,) float64."""
    f = features.double()
    f = f - f.mean(0)
    s = torch.linalg.svdvals(f)                                               # (D,) singular values
    eigs = s ** 2 / (len(f) - 1)
    return eigs / eigs.sum()


def fit_powerlaw(eigs, start, end):
    """alpha of lambda_i ~ i^-alpha on the ranks start..end (1-based, both included), by least squares
    on log lambda against -log i with weights 1 / i (the fit of Stringer et al. 2019, as in fastssl's
    stringer_get_powerlaw). Returns (alpha, r2): r2 is the fit's R^2 in log space over those ranks."""
    ranks = torch.arange(start, end + 1, dtype=torch.float64)
    y = torch.log(eigs[start - 1:end].double())                               # (n,)
    X = torch.stack([-torch.log(ranks), torch.ones_like(ranks)], dim=1)       # (n, 2)
    w = 1.0 / ranks
    alpha, intercept = torch.linalg.solve(X.T @ (X * w[:, None]), X.T @ (w * y))
    residual = y - (X @ torch.stack([alpha, intercept]))
    r2 = 1 - float((residual ** 2).sum() / ((y - y.mean()) ** 2).sum())
    return float(alpha), r2


def participation_ratio(eigs):
    """The effective number of dimensions, (sum_i lambda_i)^2 / sum_i lambda_i^2: 1 for one axis, D for
    D equal ones."""
    return float(eigs.sum() ** 2 / (eigs ** 2).sum())


def powerlaw_data(n, d, alpha, gen):
    """Gaussian samples (n, d) whose covariance has eigenvalues i^-alpha along random orthogonal axes:
    data with a known spectrum, to check an estimator on."""
    axes, _ = torch.linalg.qr(torch.randn(d, d, generator=gen, dtype=torch.float64))
    scales = torch.arange(1, d + 1, dtype=torch.float64) ** (-alpha / 2)      # standard deviations
    return (torch.randn(n, d, generator=gen, dtype=torch.float64) * scales) @ axes.T
