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


def spike_pattern_task(n_samples, n_inputs=40, n_classes=10, steps=40, jitter=1.0, seed=0, device="cpu"):
    """A classification task whose inputs are spike trains: each input neuron fires at most once, and
    the class is written in the timing of the spikes (a generated relative of the "random manifold"
    task of Zenke & Vogels, 2021).

    Every class c has one smooth random curve per input neuron i, tau_ci(a) for a in [0, 1], a sum of
    three sinusoids rescaled to the window [0.05, 0.95] * steps. A sample of class c draws a ~ U(0, 1)
    and input i fires at time round(tau_ci(a) + jitter * N(0, 1)); spikes outside the window are lost.
    Samples of one class therefore lie on a one-dimensional curve in spike-time space, and telling the
    classes apart needs the times of many spikes together. Everything is drawn from `seed`, the class
    curves first, so calls with the same seed and different n_samples share the classes; draw one set
    and split it into training and test samples.

    Returns x of shape (n_samples, steps, n_inputs), float 0/1 spikes, and labels y (n_samples,) long.
    """
    gen = torch.Generator().manual_seed(seed)
    k = torch.arange(1, 4, dtype=torch.float64)                                  # (3,) frequencies
    amp = torch.randn(n_classes, n_inputs, 3, generator=gen, dtype=torch.float64) / k
    phase = 2 * torch.pi * torch.rand(n_classes, n_inputs, 3, generator=gen, dtype=torch.float64)
    grid = torch.linspace(0, 1, 101, dtype=torch.float64)

    def curve(a, c):                                                             # (N,), (N,) -> (N, D)
        return (amp[c] * torch.sin(2 * torch.pi * k * a[:, None, None] + phase[c])).sum(-1)

    # rescale each (class, input) curve to the window, using its range over a grid of a
    on_grid = (amp[:, :, :, None] * torch.sin(2 * torch.pi * k[:, None] * grid + phase[:, :, :, None])).sum(2)
    low, high = on_grid.min(-1).values, on_grid.max(-1).values                  # (C, D)

    y = torch.randint(0, n_classes, (n_samples,), generator=gen)                 # (N,)
    a = torch.rand(n_samples, generator=gen, dtype=torch.float64)                # (N,)
    unit = (curve(a, y) - low[y]) / (high[y] - low[y])                           # (N, D) in [0, 1]
    t = (0.05 + 0.9 * unit) * steps + jitter * torch.randn(n_samples, n_inputs, generator=gen,
                                                            dtype=torch.float64)
    t = t.round().long()                                                         # (N, D) spike times
    x = torch.zeros(n_samples, steps, n_inputs)
    keep = (t >= 0) & (t < steps)
    n, d = keep.nonzero(as_tuple=True)
    x[n, t[n, d], d] = 1.0
    return x.to(device), y.to(device)


def digits(test_fraction=0.25, seed=0, device="cpu", dtype=torch.float32):
    """Real handwritten digits: the 1,797 8x8 images of scikit-learn's `load_digits` (the UCI
    "Optical Recognition of Handwritten Digits" test set, 43 writers), which ship inside the
    scikit-learn package, so nothing is downloaded.

    Pixels (0..16 ink counts) are scaled to [0, 1]. The images are shuffled with `seed` and split,
    stratified by class, into a training and a test set (test_fraction of each class held out), so
    every class keeps its share in both. The split depends on `seed` only.

    Returns (x_train, y_train, x_test, y_test): x of shape (n, 64) in [0, 1], y of shape (n,) int64
    labels 0..9. About 1,347 training and 450 test images with the default test_fraction.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:                                                    # pragma: no cover
        raise ImportError("neuroai.data.digits needs scikit-learn, which ships the digit images: "
                          "pip install scikit-learn (the course's requirements.txt pins it)") from err
    raw = load_digits()
    x = torch.as_tensor(raw.data, dtype=torch.float64) / 16.0                     # (1797, 64) in [0, 1]
    y = torch.as_tensor(raw.target, dtype=torch.long)                             # (1797,)
    gen = torch.Generator().manual_seed(seed)
    train_idx, test_idx = [], []
    for c in range(10):                                                           # stratified split
        members = (y == c).nonzero().squeeze(1)
        members = members[torch.randperm(len(members), generator=gen)]
        n_test = round(test_fraction * len(members))
        test_idx.append(members[:n_test])
        train_idx.append(members[n_test:])
    train_idx, test_idx = torch.cat(train_idx), torch.cat(test_idx)
    train_idx = train_idx[torch.randperm(len(train_idx), generator=gen)]          # classes interleaved
    test_idx = test_idx[torch.randperm(len(test_idx), generator=gen)]

    def put(t, to_dtype=None):
        return t.to(device=device, dtype=to_dtype) if to_dtype is not None else t.to(device)

    return put(x[train_idx], dtype), put(y[train_idx]), put(x[test_idx], dtype), put(y[test_idx])
