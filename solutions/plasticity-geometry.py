"""Synaptic weight distributions depend on the geometry of plasticity.

Reference implementation of the lesson `plasticity-geometry` (module 3, multi-scale learning), after
Pogodin, Cornford, Ghosh, Gidel, Lajoie & Richards, "Synaptic Weight Distributions Depend on the
Geometry of Plasticity", ICLR 2024 (arXiv:2305.19394). It reads top to bottom like the paper's method (equation numbers as in the lesson's chapter):

  1. potentials phi and their gradients: the geometry of plasticity
  2. mirror descent: a weight update taken in the dual space grad phi(w)   (Eq. 1)
  3. the test: is the dual-space change of the weights Gaussian?          (Eqs. 2-3)
  4. the experiment: overparameterized linear regression trained under three geometries
  5. the claim, measured, and the figure

Run it with `neuroai reproduce plasticity-geometry --seed 0`.
"""
import math

import matplotlib.pyplot as plt
import torch
from tqdm.auto import tqdm

from neuroai.data import regression_task

LESSON_ID = "plasticity-geometry"
CLAIM = ("The weight change is Gaussian only in the dual space of the geometry that trained it "
         "(Gaussianity distance < 0.05 under the matching potential, > 0.15 under every other); "
         "from log-normal weights, exponentiated gradient keeps them log-normal and sign-stable "
         "(|skew log w| < 0.3, no sign flips) while gradient descent does not (skew < -0.5 or > 3% flips).")
POTENTIALS = ("euclidean", "3-norm", "entropy")


# 1. Potentials. The geometry of a learning rule is a convex potential phi(w); mirror descent moves the
#    "dual" variable grad phi(w). phi = 1/2 ||w||^2 gives ordinary gradient descent.

def potential_grad(w, potential):
    """The dual variable u = grad phi(w), elementwise, for one of three potentials.

    euclidean: phi(w) = 1/2 sum_i w_i^2        -> u = w
    3-norm:    phi(w) = 1/3 sum_i |w_i|^3      -> u = sign(w) |w|^2
    entropy:   phi(w) = sum_i |w_i| log |w_i|  -> u = sign(w) (log |w| + 1)

    w: tensor of any shape (no zeros for "entropy"). Returns a tensor of the same shape.
    """
    if potential == "euclidean":
        return w.clone()
    if potential == "3-norm":
        return torch.sign(w) * w.abs() ** 2
    if potential == "entropy":
        return torch.sign(w) * (torch.log(w.abs()) + 1)
    raise ValueError(f"unknown potential {potential!r}; expected one of {POTENTIALS}")


def potential_inv_grad(u, potential, sign):
    """Map a dual variable back to weights: w = (grad phi)^-1(u), the inverse of potential_grad.

    euclidean: w = u
    3-norm:    w = sign(u) |u|^(1/2)
    entropy:   w = sign * exp(sign * u - 1). The entropy potential cannot move a weight through zero,
               so the inverse needs the weight's sign, which mirror descent keeps fixed.

    u, sign: tensors of the same shape (sign is only used by "entropy"). Returns a tensor of that shape.
    """
    if potential == "euclidean":
        return u.clone()
    if potential == "3-norm":
        return torch.sign(u) * u.abs() ** 0.5
    if potential == "entropy":
        return sign * torch.exp(sign * u - 1)
    raise ValueError(f"unknown potential {potential!r}; expected one of {POTENTIALS}")


# 2. Mirror descent (Eq. 1): take the gradient step on the dual variable, then map back.
#    For "entropy" this is the exponentiated gradient w' = w exp(-lr sign(w) g).

def mirror_step(w, g, lr, potential):
    """One mirror-descent step: grad phi(w') = grad phi(w) - lr * g.

    w: weights, any shape (no zeros for "entropy"). g: gradient (or momentum buffer), same shape as w.
    lr: a float or a tensor that broadcasts against w (one learning rate per row, say).
    Returns w' with the shape of w. Use potential_grad and potential_inv_grad.
    """
    u = potential_grad(w, potential) - lr * g                # step in the dual space
    return potential_inv_grad(u, potential, torch.sign(w))   # back to weights, signs kept for entropy


# 3. The test. If learning changes the weights little (the lazy regime of a wide, overparameterized
#    model), the change in the dual space, grad phi(w_T) - grad phi(w_0), is a sum of many small random
#    terms and comes out Gaussian (the paper's main theorem). Measured under the wrong potential it is not.

def gaussianity_distance(diff):
    """How far the distribution of `diff` is from a Gaussian: the integral over x in [-5, 5] of
    |F(x) - Phi(x)|, where F is the empirical CDF of the standardized diff and Phi the standard normal
    CDF (0 for a perfect Gaussian; the paper's Delta CDF).

    diff: tensor of shape (D,). Standardize it as z = (diff - mean) / std (torch's default, unbiased
    std), take F(x) = fraction of z_i <= x on the grid x = torch.linspace(-5, 5, 1001) (same dtype and
    device as diff), Phi(x) = (1 + erf(x / sqrt(2))) / 2, and integrate with torch.trapezoid.
    Returns a 0-dim tensor.
    """
    z = (diff - diff.mean()) / diff.std()                                   # (D,)
    x = torch.linspace(-5, 5, 1001, dtype=diff.dtype, device=diff.device)   # (X,)
    F = (z[None, :] <= x[:, None]).to(diff.dtype).mean(dim=1)               # (X,) empirical CDF
    Phi = 0.5 * (1 + torch.erf(x / math.sqrt(2)))                           # (X,) normal CDF
    return torch.trapezoid((F - Phi).abs(), x)


def distance_floor(n, repeats=20, seed=0, dtype=torch.float64):
    """The distance's finite-sample floor: its mean over `repeats` samples of n values drawn from an exact
    Gaussian. Even a perfectly Gaussian change measures about this much (it shrinks like 1 / sqrt(n)),
    so a distance is small only in comparison with it."""
    gen = torch.Generator().manual_seed(seed)
    return sum(float(gaussianity_distance(torch.randn(n, generator=gen, dtype=dtype)))
               for _ in range(repeats)) / repeats


def relative_dual_change(w0, wT, potential):
    """How far learning moved the weights in the dual space, relative to where they started:
    |grad phi(w_T) - grad phi(w_0)| / |grad phi(w_0)|. The theorem needs this small (the lazy regime)."""
    u0 = potential_grad(w0, potential)
    return float((potential_grad(wT, potential) - u0).norm() / u0.norm())


# 4. The experiment: fit y = X w by mirror descent with momentum and a cosine learning-rate schedule,
#    full batch, for a grid of learning rates at once, and keep the run with the lowest final loss
#    (the official code picks its learning rate the same way).

def train(X, y, w0, potential, lrs, steps=300, momentum=0.9):
    """Mirror descent on L(w) = 1/N ||X w - y||^2 for several learning rates in parallel.

    X: (N, D), y: (N,), w0: (D,), lrs: (R,). Returns the final weights (R, D) and losses (R,).
    """
    N = X.shape[0]
    w = w0.expand(len(lrs), -1).clone()                              # (R, D) one run per learning rate
    buf = torch.zeros_like(w)                                        # (R, D) momentum buffer
    with torch.no_grad():
        for t in range(steps):
            lr_t = lrs * 0.5 * (1 + math.cos(math.pi * t / steps))  # (R,) cosine schedule
            residual = w @ X.T - y                                   # (R, N)
            g = 2 / N * residual @ X                                 # (R, D) dL/dw
            buf = g if t == 0 else momentum * buf + g                # heavy-ball momentum
            w = mirror_step(w, buf, lr_t[:, None], potential)
        loss = ((w @ X.T - y) ** 2).mean(dim=1)                      # (R,)
    return w, torch.nan_to_num(loss, nan=math.inf)


def best_run(X, y, w0, potential, lrs, steps):
    """Train over the learning-rate grid and return the weights (D,) and loss of the best run."""
    w, loss = train(X, y, w0, potential, lrs, steps)
    i = int(torch.argmin(loss))
    return w[i], float(loss[i])


def skewness(x):
    """Sample skewness E[(x - mean)^3] / std^3 of a 1-d tensor."""
    z = (x - x.mean()) / x.std(unbiased=False)
    return float((z ** 3).mean())


def run(seed=0, D=2000, N=45, steps=300, device="cpu", progress=True):
    """The whole experiment for one seed. Returns a dict of tensors and numbers for check and plot."""
    X, y = regression_task(N, D, seed=seed, device=device)      # (N, D), (N,)
    gen = torch.Generator().manual_seed(seed + 1)
    lrs = torch.logspace(-5, 0, 16, dtype=X.dtype).to(device)   # (R,) the learning-rate grid
    out = {"distance": {}, "diff": {}, "loss": {}, "relative_change": {}}
    out["floor"] = distance_floor(D, seed=seed)                  # what an exact Gaussian of D values measures

    # 4a. Gaussian initialization w_0 ~ N(0, 1/D), as in the official code. Train under each geometry,
    #     then measure the change under each geometry: a 3 x 3 table of Gaussianity distances.
    w0 = (torch.randn(D, generator=gen, dtype=X.dtype) / math.sqrt(D)).to(device)   # (D,)
    for trained in tqdm(POTENTIALS, desc="train (Gaussian init)", disable=not progress):
        wT, out["loss"][trained] = best_run(X, y, w0, trained, lrs, steps)
        out["relative_change"][trained] = relative_dual_change(w0, wT, trained)   # lazy?
        for measured in POTENTIALS:
            diff = potential_grad(wT, measured) - potential_grad(w0, measured)      # (D,) dual change
            out["distance"][trained, measured] = float(gaussianity_distance(diff))
            out["diff"][trained, measured] = diff.cpu()

    # 4b. Log-normal positive initialization, log w_0 ~ N(log(1/sqrt(D)) - 1/2, 1): the weights of
    #     cortex look like this. Which learning rule keeps them so?
    w0 = torch.exp(torch.randn(D, generator=gen, dtype=X.dtype) - 0.5) / math.sqrt(D)
    w0 = w0.to(device)                                                             # (D,) all > 0
    out["lognormal"] = {"init": w0.cpu()}
    for trained in tqdm(("euclidean", "entropy"), desc="train (log-normal init)", disable=not progress):
        wT, out["loss"][trained, "lognormal"] = best_run(X, y, w0, trained, lrs, steps)
        out["lognormal"][trained] = wT.cpu()
        out[trained, "flips"] = float((torch.sign(wT) != torch.sign(w0)).double().mean())
        out[trained, "skew"] = skewness(torch.log(wT.abs()))
    return out


# 5. The claim, measured.

def check(out):
    """Compare the measurements with the claim's thresholds. Returns (measured, thresholds, holds)."""
    d = out["distance"]
    matched = max(d[p, p] for p in POTENTIALS)
    mismatched = min(d[p, q] for p in POTENTIALS for q in POTENTIALS if p != q)
    measured = {
        "max_distance_matching": matched,
        "min_distance_mismatched": mismatched,
        "distance_floor": out["floor"],                                  # reported, not a threshold
        "max_relative_dual_change": max(out["relative_change"].values()),  # reported: the lazy regime
        "eg_abs_skew_log_w": abs(out["entropy", "skew"]),
        "eg_sign_flips": out["entropy", "flips"],
        "gd_skew_log_w": out["euclidean", "skew"],
        "gd_sign_flips": out["euclidean", "flips"],
    }
    thresholds = {
        "max_distance_matching": "< 0.05",
        "min_distance_mismatched": "> 0.15",
        "eg_abs_skew_log_w": "< 0.3",
        "eg_sign_flips": "== 0",
        "gd_skew_log_w or gd_sign_flips": "< -0.5 or > 0.03",
    }
    holds = (matched < 0.05 and mismatched > 0.15
             and measured["eg_abs_skew_log_w"] < 0.3 and measured["eg_sign_flips"] == 0
             and (measured["gd_skew_log_w"] < -0.5 or measured["gd_sign_flips"] > 0.03))
    return measured, thresholds, holds


def claim_line(measured, holds):
    """One printed line: the claim's numbers and the verdict (the notebook and the CLI print it)."""
    m = measured
    return (f"{LESSON_ID}: matching-geometry distance {m['max_distance_matching']:.3f} (< 0.05; an exact "
            f"Gaussian sample of this size measures {m['distance_floor']:.3f}), "
            f"mismatched {m['min_distance_mismatched']:.3f} (> 0.15); dual change at most "
            f"{m['max_relative_dual_change']:.0%} of the initial dual weights; "
            f"EG |skew log w| {m['eg_abs_skew_log_w']:.2f}, flips {m['eg_sign_flips']:.1%}; "
            f"GD skew log w {m['gd_skew_log_w']:.2f}, flips {m['gd_sign_flips']:.1%} "
            f"-> claim {'HOLDS' if holds else 'FAILS'}")


def plot(out):
    """Figure: (a) the 3 x 3 table of distances, (b) dual changes of the EG run under two geometries,
    (c) weight distributions from a log-normal start after GD and EG."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    table = torch.tensor([[out["distance"][p, q] for q in POTENTIALS] for p in POTENTIALS])
    ax = axes[0]
    im = ax.imshow(table, cmap="viridis", vmin=0)
    for i in range(3):
        for j in range(3):
            ax.text(j, i, f"{table[i, j]:.3f}", ha="center", va="center",
                    color="white" if table[i, j] < table.max() / 2 else "black")
    ax.set_xticks(range(3), POTENTIALS)
    ax.set_yticks(range(3), POTENTIALS)
    ax.set_xlabel("change measured under")
    ax.set_ylabel("trained with")
    ax.set_title(f"(a) Gaussianity distance (floor {out['floor']:.3f})")
    fig.colorbar(im, ax=ax, fraction=0.046)

    ax = axes[1]
    x = torch.linspace(-4, 4, 200)
    for measured, color in (("entropy", "C0"), ("euclidean", "C1")):
        diff = out["diff"]["entropy", measured]
        z = (diff - diff.mean()) / diff.std()
        ax.hist(z.numpy(), bins=60, range=(-4, 4), density=True, alpha=0.5, color=color,
                label=f"measured as {measured}")
    ax.plot(x, torch.exp(-x ** 2 / 2) / math.sqrt(2 * math.pi), "k", lw=1.5, label="N(0, 1)")
    ax.set_xlabel("standardized change")
    ax.set_title("(b) EG-trained weights: the change")
    ax.legend(fontsize=8)

    ax = axes[2]
    ln = out["lognormal"]
    for key, label, color in (("init", "before", "gray"), ("entropy", "after EG", "C0"),
                              ("euclidean", "after GD", "C1")):
        ax.hist(torch.log10(ln[key].abs()).numpy(), bins=60, range=(-4.5, -0.5), density=True,
                histtype="step", lw=1.5, color=color, label=label)
    ax.set_xlabel("log10 |w|")
    ax.set_title("(c) log-normal weights after learning")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def reproduce(seed=0, device="cpu", progress=True):
    """The lesson's claim check, as `neuroai reproduce` runs it."""
    out = run(seed=seed, device=device, progress=progress)
    measured, thresholds, holds = check(out)
    return {"claim": CLAIM, "measured": measured, "thresholds": thresholds, "holds": holds,
            "line": claim_line(measured, holds), "figure": plot(out)}


# 6. A knob to turn: the theorem needs many weights per data point (D >> N). Shrink D: the distance grows
#    under the matching geometry too. Each synapse's change is a sum of N terms at every width; what a
#    smaller D changes is how many synapses the distribution is estimated from (the floor rises) and how
#    far the weights must move to fit the same data (the regime is less lazy).

def explore_width(D=2000, potential="entropy", seed=0, N=45, steps=300):
    """Train with `potential` on a D-weight problem with N samples; show the standardized change of the
    weights measured under each geometry, with its Gaussianity distance."""
    X, y = regression_task(N, D, seed=seed)                                # (N, D), (N,)
    gen = torch.Generator().manual_seed(seed + 1)
    w0 = torch.randn(D, generator=gen, dtype=X.dtype) / math.sqrt(D)       # (D,)
    wT, _ = best_run(X, y, w0, potential, torch.logspace(-5, 0, 16, dtype=X.dtype), steps)
    floor, moved = distance_floor(D, seed=seed), relative_dual_change(w0, wT, potential)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for measured in POTENTIALS:
        diff = potential_grad(wT, measured) - potential_grad(w0, measured)  # (D,)
        z = (diff - diff.mean()) / diff.std()
        ax.hist(z.numpy(), bins=50, range=(-4, 4), density=True, histtype="step", lw=1.5,
                label=f"measured as {measured}: distance {float(gaussianity_distance(diff)):.3f}")
    x = torch.linspace(-4, 4, 200)
    ax.plot(x, torch.exp(-x ** 2 / 2) / math.sqrt(2 * math.pi), "k--", lw=1, label="N(0, 1)")
    ax.set_xlabel("standardized change of the weights")
    ax.set_title(f"trained with {potential}: D = {D} weights, N = {N} samples\n"
                 f"floor of the distance at this D {floor:.3f}; dual change {moved:.0%} of the initial")
    ax.legend(fontsize=8)
    plt.show()
