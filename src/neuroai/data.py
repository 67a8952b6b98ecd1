"""Data generators shared by the lessons. Everything is made in code from a seed: no downloads."""
import torch


def regression_task(n_samples, n_features, seed=0, device="cpu", dtype=torch.float64):
    """A random linear-regression problem with binary targets.

    Inputs are Gaussian plus uniform noise, x_ij = z_ij + u_ij with z ~ N(0, 1) and u ~ U(-1/2, 1/2),
    and targets are random signs, y_i in {-1, +1}, as in the linear-regression experiment of
    Pogodin et al. (2023). With n_features > n_samples the problem is overparameterized: many weight
    vectors fit it exactly, and which one learning finds depends on the learning rule.

    Returns X of shape (n_samples, n_features) and y of shape (n_samples,).
    """
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n_samples, n_features, generator=gen, dtype=dtype)
    X += torch.rand(n_samples, n_features, generator=gen, dtype=dtype) - 0.5
    y = 2.0 * torch.randint(0, 2, (n_samples,), generator=gen).to(dtype) - 1.0
    return X.to(device), y.to(device)
