"""Inhibitory normalization of error signals improves learning in neural circuits.

Reference implementation of the lesson `inhibitory-error-normalization` (module 3, multi-scale
learning), after Henha Eyono, Levenstein, Ghosh et al., "Inhibitory normalization of error signals
improves learning in neural circuits" (2026; official code github.com/RoyHEyono/inhibitory-normalization).
It reads top to bottom like the paper's method (equation numbers as in the lesson's chapter):

  1. the task: handwritten digits under a random brightness shift per image       (Eq. 1)
  2. the excitatory/inhibitory layer: subtractive and divisive inhibition          (Eqs. 2-4)
  3. the inhibitory neurons' local objective: keep the layer's mean 0, variance 1  (Eq. 5)
  4. normalizing the back-propagated error (identity forward, rewritten backward)  (Eqs. 6-7)
  5. the network and its training: several replicas per condition, batched
  6. the experiment: no norm, forward-only inhibitory norm, + error norm (full, center)
  7. the claim, measured, and the figure

Run it with `neuroai reproduce inhibitory-error-normalization --seed 0`.
"""
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from neuroai.data import digits

LESSON_ID = "inhibitory-error-normalization"
CLAIM = ("On 8x8 handwritten digits with a random brightness shift per image (eps = 0.75), inhibition "
         "learned from a local loss normalizes each hidden layer of a Dale's-law network (|mean z| "
         "< 0.1 and Var z in [0.8, 1.2] over the units, averaged over test images, in every layer and "
         "replica) while the same inhibition frozen at initialization does not; at the "
         "paper's learning rate (SGD 0.01, 25 epochs, 8 paired replicas per condition) normalizing the "
         "back-propagated errors as well (the full LayerNorm Jacobian) beats forward-only normalization by "
         ">= 2 points of test accuracy (bootstrap 95% CI above 0), while forward-only normalization does not "
         "beat the plain E/I network by 2 points or more.")
N_IN = 64                               # 8x8 digits ...
N_E = 64                                # ... -> 64 E -> 64 E ...
N_OUT = 10                              # ... -> 10 classes
N_I = max(1, int(0.1 * N_E))            # inhibitory units: 10% of the excitatory ones
EPS_BRIGHT = 0.75                       # brightness shift U(-eps, eps) per image (the paper's eps = 0.75)
CONDITIONS = ("no_norm", "frozen_inhib", "forward_only", "error_full", "error_center")
LABELS = {"no_norm": "no norm", "frozen_inhib": "inhibition frozen (forward)",
          "forward_only": "forward-only inhibitory norm", "error_full": "+ error norm (full)",
          "error_center": "+ error norm (center)"}
ERROR_MODE = {"error_full": "full", "error_center": "center"}
REPLICAS = 8                            # networks per condition, trained side by side in one batch
EPOCHS = 25
BATCH = 32
LR_E = 0.01                             # SGD, excitatory weights (task loss): the official 0.0098
LR_I = 0.1                              # SGD, inhibitory weights (local loss)
LAMBDA_LOCAL = 1.0                      # weight of the local loss (it only reaches inhibitory weights)


# 1. The task (Eq. 1). Every image gets its own brightness offset, x' = clamp(x + u, 0, 1) with
#    u ~ U(-eps, eps): the label is the same, the input distribution swings from image to image. The
#    official code does this with RandomAdjustBrightness (inhib_norm/data/mnist.py).

def luminance_shift(x, eps, gen=None):
    """Shift each image's brightness by its own offset and clamp to the pixel range.

    x: (..., N, D) images in [0, 1]. eps: the largest offset. gen: an optional torch.Generator.
    Draw one u ~ U(-eps, eps) per image (shape (..., N, 1), the same for all D pixels of the image)
    and return clamp(x + u, 0, 1), same shape as x.
    """
    u = (torch.rand(x.shape[:-1] + (1,), generator=gen, dtype=x.dtype) * 2 - 1) * eps   # (..., N, 1)
    return torch.clamp(x + u.to(x.device), 0.0, 1.0)


# 2. The E/I layer (Eqs. 2-4). Excitatory units get excitation W_EX x + b; a small population of
#    inhibitory units (W_IX x) subtracts through W_EI, and a second, divisive pathway (B_IX x)^2
#    pooled by B_EI divides:
#        h_E   = W_EX x + b                               (Eq. 2)
#        I     = W_EI (W_IX x)                            (Eq. 3, subtractive inhibition)
#        sigma = sqrt(B_EI (B_IX x)^2 + 1e-5)             (Eq. 4, divisive inhibition)
#        z     = (h_E - I) / sigma
#    All weights are non-negative (Dale's law: a neuron's sign is fixed by its type).

def ei_forward(x, W_ex, W_ix, W_ei, B_ix, B_ei, b):
    """The normalized E/I layer, Eqs. 2-4.

    x: (..., N, n_in). W_ex: (..., n_E, n_in). W_ix: (..., n_I, n_in). W_ei: (..., n_E, n_I).
    B_ix: (..., n_E, n_in). B_ei: (..., n_E, n_E). b: (..., 1, n_E). (The leading "..." is the
    replica dimension R, or nothing.) Returns z (..., N, n_E), I (..., N, n_E), sigma (..., N, n_E).
    """
    h_e = x @ W_ex.transpose(-1, -2) + b                                      # (..., N, n_E) Eq. 2
    inh = (x @ W_ix.transpose(-1, -2)) @ W_ei.transpose(-1, -2)               # (..., N, n_E) Eq. 3
    sigma = torch.sqrt((x @ B_ix.transpose(-1, -2)) ** 2 @ B_ei.transpose(-1, -2) + 1e-5)  # Eq. 4
    return (h_e - inh) / sigma, inh, sigma


# 3. The inhibitory neurons' objective (Eq. 5). Inhibition is not trained by the task. It learns from a
#    local, homeostatic loss that asks each image's pattern of excitatory activity z to have mean 0 and
#    variance 1 across the layer, what LayerNorm would do:
#        L_local = E_images[ mu(z)^2 + (Var(z) - 1)^2 ]

def inhibitory_local_loss(z):
    """The homeostatic loss of Eq. 5. z: (..., N, n_E). Per image (row), mu = mean over units and
    Var = population variance over units (unbiased=False); return the mean over all images (and
    replicas) of mu^2 + (Var - 1)^2, a 0-dim tensor."""
    mu = z.mean(dim=-1)                                                       # (..., N)
    var = z.var(dim=-1, unbiased=False)                                       # (..., N)
    return (mu ** 2 + (var - 1) ** 2).mean()


# 4. Error normalization (Eqs. 6-7). The network's forward pass is unchanged; what changes is the error
#    delta = dL/dz that flows back into the layer. LayerNorm's backward pass, written for the error:
#        full:   delta' = (delta - mean(delta) - z_hat * mean(delta * z_hat)) / std(z)     (Eq. 6)
#        center: delta' =  delta - mean(delta)                                          (Eq. 7)
#    with z_hat = (z - mean z) / std(z) over the layer's units. "center" is what lateral inhibition
#    among the error signals can do by itself: subtract the population's mean error.

def normalize_error(delta, z, mode):
    """Rewrite the back-propagated error of one layer, per image, over its units (last axis).

    delta: (..., N, n_E) dL/dz. z: (..., N, n_E) the layer's activity. mode: "full" (Eq. 6, the
    LayerNorm Jacobian applied to delta; std(z) = sqrt(population Var(z) + 1e-5)), "center" (Eq. 7)
    or "none" (delta unchanged). Returns a tensor of delta's shape.
    """
    if mode == "none":
        return delta
    d = delta - delta.mean(dim=-1, keepdim=True)                              # centered error
    if mode == "center":
        return d
    if mode == "full":
        std = torch.sqrt(z.var(dim=-1, keepdim=True, unbiased=False) + 1e-5)  # (..., N, 1)
        z_hat = (z - z.mean(dim=-1, keepdim=True)) / std                      # (..., N, n_E)
        return (d - z_hat * (delta * z_hat).mean(dim=-1, keepdim=True)) / std
    raise ValueError(f"unknown mode {mode!r}; expected 'full', 'center' or 'none'")


class ErrorNorm(torch.autograd.Function):
    """Identity in the forward pass; normalize_error on the way back (the official GradNorm)."""

    @staticmethod
    def forward(ctx, z, mode):
        ctx.save_for_backward(z.detach())
        ctx.mode = mode
        return z.view_as(z)

    @staticmethod
    def backward(ctx, delta):
        (z,) = ctx.saved_tensors
        return normalize_error(delta, z, ctx.mode), None


# 5. The network: two E/I hidden layers and an E/I readout, R replicas side by side (leading axis).
#    Initialization as in the official code: W_EX log-normal (mean = std, He-like scale), W_EI log-normal
#    with rows summing to 1, every row of W_IX the mean row of W_EX (so I cancels the mean excitation),
#    B_IX = S V^T from the SVD of W_EX - W_EI W_IX and B_EI = 1/n_E (so sigma starts as the RMS of h_E - I).

def init_layer(R, n_in, n_e, n_i, gen):
    """One E/I layer's weights for R replicas, as a dict of tensors."""
    std = math.sqrt(2 * n_e / (n_in * (n_e - 1)))
    mu_ln, sd_ln = math.log(std / math.sqrt(2)), math.sqrt(math.log(2))   # log-normal, mean = std = std
    W_ex = torch.exp(mu_ln + sd_ln * torch.randn(R, n_e, n_in, generator=gen))    # (R, n_E, n_in)
    W_ei = torch.exp(mu_ln + sd_ln * torch.randn(R, n_e, n_i, generator=gen))
    W_ei = W_ei / W_ei.sum(dim=-1, keepdim=True)                                   # (R, n_E, n_I)
    W_ix = W_ex.mean(dim=1, keepdim=True).expand(R, n_i, n_in).clone()             # (R, n_I, n_in)
    _, S, Vh = torch.linalg.svd(W_ex - W_ei @ W_ix, full_matrices=False)           # (R, n_E), (R, n_E, n_in)
    B_ix = S[..., None] * Vh                                                       # (R, n_E, n_in)
    B_ei = torch.full((R, n_e, n_e), 1.0 / n_e)
    return {"W_ex": W_ex, "W_ix": W_ix, "W_ei": W_ei, "B_ix": B_ix, "B_ei": B_ei,
            "b": torch.zeros(R, 1, n_e)}


def hidden_layer(x, p, condition):
    """One hidden layer in a condition. Returns (ReLU output (R, N, n_E), z, local loss).

    no_norm:      z = h_E - I, no divisive term; every weight learns from the task (a plain E/I net).
    others:       z = (h_E - I) / sigma. The task error reaches W_EX and b only (I, sigma detached);
                  the local loss (Eq. 5) reaches W_IX and B_IX only (x and h_E detached).
    frozen_inhib: as forward_only, but the inhibitory weights never learn (the control for claim 1).
    error_*:      the error arriving at z is normalized (Eqs. 6-7) before it reaches W_EX.
    """
    if condition == "no_norm":
        h_e = x @ p["W_ex"].transpose(-1, -2) + p["b"]
        z = h_e - (x @ p["W_ix"].transpose(-1, -2)) @ p["W_ei"].transpose(-1, -2)
        return torch.relu(z), z, z.new_zeros(())
    xd = x.detach()
    z_local, inh, sigma = ei_forward(xd, p["W_ex"].detach(), p["W_ix"], p["W_ei"], p["B_ix"],
                                     p["B_ei"], p["b"].detach())                # grads: W_IX, B_IX
    h_e = x @ p["W_ex"].transpose(-1, -2) + p["b"]                              # (R, N, n_E)
    z = (h_e - inh.detach()) / sigma.detach()                                   # same values as z_local
    if condition in ERROR_MODE:
        z = ErrorNorm.apply(z, ERROR_MODE[condition])
    return torch.relu(z), z, inhibitory_local_loss(z_local)


def readout(h, p):
    """The E/I output layer (no normalization), logits (R, N, 10)."""
    W = p["W_ex"] - p["W_ei"] @ p["W_ix"]                                       # (R, 10, n_E)
    return h @ W.transpose(-1, -2) + p["b"]


def forward(params, x, condition):
    """The whole network. x: (R, N, 64). Returns logits, the two layers' z, and the summed local loss."""
    h1, z1, l1 = hidden_layer(x, params[0], condition)
    h2, z2, l2 = hidden_layer(h1, params[1], condition)
    return readout(h2, params[2]), (z1, z2), l1 + l2


def init_network(R, gen, condition, lr_e=LR_E, lr_i=LR_I):
    params = [init_layer(R, N_IN, N_E, N_I, gen), init_layer(R, N_E, N_E, N_I, gen),
              init_layer(R, N_E, N_OUT, 1, gen)]
    # which tensors learn, and from which loss (lr): Dale's law clamps every one at 0 after a step
    learn = {"W_ex": lr_e, "b": lr_e, "W_ix": lr_i, "B_ix": lr_i}
    if condition == "no_norm":
        learn = {"W_ex": lr_e, "b": lr_e, "W_ix": lr_e, "W_ei": lr_e}
    if condition == "frozen_inhib":
        learn = {"W_ex": lr_e, "b": lr_e}
    for i, p in enumerate(params):
        lrs = learn if i < 2 else {"W_ex": lr_e, "b": lr_e, "W_ix": lr_e, "W_ei": lr_e}
        for k in p:
            p[k].requires_grad_(k in lrs)
        p["lr"] = {k: v for k, v in lrs.items()}
    return params


def to_device(params, device):
    out = []
    for p in params:
        q = {k: (v.detach().to(device).requires_grad_(v.requires_grad) if torch.is_tensor(v) else v)
             for k, v in p.items()}
        out.append(q)
    return out


def sgd_step(params):
    """Plain SGD (the official optimizer), then Dale's law: weights clamped non-negative (not biases)."""
    with torch.no_grad():
        for p in params:
            for k, lr in p["lr"].items():
                if p[k].grad is None:
                    continue
                p[k] -= lr * p[k].grad
                p[k].grad = None
                if k != "b":
                    p[k].clamp_(min=0)


def accuracy(params, x, y, condition):
    with torch.no_grad():
        logits, zs, _ = forward(params, x, condition)
    return (logits.argmax(-1) == y).float().mean(dim=-1)                       # (R,)


def train(condition, data, R=REPLICAS, epochs=EPOCHS, batch=BATCH, lr_e=LR_E, seed=0, device="cpu",
          progress=False):
    """Train R replicas of one condition on the brightness-shifted digits. Each replica has its own
    initialization and its own order of minibatches and brightness offsets. Returns the params and the
    test accuracy per epoch (epochs, R)."""
    x_tr, y_tr, x_te, y_te = data                                               # (R, N, 64) shifted test
    gen = torch.Generator().manual_seed(seed)
    params = to_device(init_network(R, gen, condition, lr_e=lr_e), device)
    n = x_tr.shape[0]
    curve = []
    for _ in tqdm(range(epochs), desc=LABELS[condition], disable=not progress, leave=False):
        order = torch.argsort(torch.rand(R, n, generator=gen), dim=1).to(device)  # (R, n) per replica
        for s in range(0, n - batch + 1, batch):
            idx = order[:, s:s + batch]                                         # (R, B)
            xb = luminance_shift(x_tr[idx], EPS_BRIGHT, gen)                    # (R, B, 64) fresh offsets
            logits, _, local = forward(params, xb, condition)
            task = F.cross_entropy(logits.reshape(-1, N_OUT), y_tr[idx].reshape(-1))
            (task * R + LAMBDA_LOCAL * local * R).backward()                    # replicas independent
            sgd_step(params)
        curve.append(accuracy(params, x_te, y_te, condition).cpu())
    return params, torch.stack(curve)


def activity_stats(params, x, condition):
    """Per image, the mean mu and variance of z over each hidden layer's units, then averaged over the
    test images for each layer and replica. Returns the worst |mean mu| and the smallest and largest
    mean variance over layers and replicas, the mean variance, and the spread (sd over images) of mu."""
    with torch.no_grad():
        _, (z1, z2), _ = forward(params, x, condition)
    z = torch.stack([z1, z2])                                                   # (2, R, N, n_E)
    mu, var = z.mean(-1), z.var(-1, unbiased=False)                             # (2, R, N)
    return {"abs_mean": float(mu.mean(-1).abs().max()), "var": float(var.mean()),
            "var_min": float(var.mean(-1).min()), "var_max": float(var.mean(-1).max()),
            "mean_per_image_sd": float(mu.std(-1).mean())}


# 6. The experiment.

def run(seed=0, R=REPLICAS, epochs=EPOCHS, lr_e=LR_E, conditions=CONDITIONS, device="cpu", progress=True):
    """Train every condition (R replicas each) on the same split; returns accuracies and activity stats."""
    x_tr, y_tr, x_te, y_te = digits(test_fraction=0.25, seed=seed)
    gen = torch.Generator().manual_seed(10_000 + seed)
    x_te_shift = luminance_shift(x_te.expand(R, -1, -1), EPS_BRIGHT, gen)      # (R, N_te, 64) fixed offsets
    data = (x_tr.to(device), y_tr.to(device), x_te_shift.to(device), y_te.to(device))
    out = {"acc": {}, "curve": {}, "stats": {}, "moments": {}, "R": R, "epochs": epochs, "seed": seed}
    for c in tqdm(conditions, desc="conditions", disable=not progress):
        params, curve = train(c, data, R=R, epochs=epochs, lr_e=lr_e, seed=seed, device=device,
                              progress=progress)
        out["curve"][c] = curve                                                 # (epochs, R)
        out["acc"][c] = curve[-1]                                               # (R,) final test accuracy
        out["stats"][c] = activity_stats(params, data[2], c)
        with torch.no_grad():
            _, (z1, _), _ = forward(params, data[2][:1], c)                       # replica 0, layer 1
        out["moments"][c] = (z1[0].mean(-1).cpu(), z1[0].var(-1, unbiased=False).cpu())
    return out


# 7. The claim, measured. Replicas of all conditions share their initializations, minibatch orders and
#    brightness offsets (the same generator seed), so the gaps between conditions are paired per replica.

def paired_gap(a, b, n_boot=2000, seed=0):
    """Mean of a - b over replicas (points of accuracy) with a bootstrap 95% CI over replicas."""
    d = a - b                                                                    # (R,)
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, len(d), (n_boot, len(d)), generator=gen)
    boots = d[idx].mean(dim=1)
    return float(d.mean()), float(boots.quantile(0.025)), float(boots.quantile(0.975))


def check(out):
    """Compare the measurements with the claim's thresholds. Returns (measured, thresholds, holds)."""
    a = {c: 100 * out["acc"][c].double() for c in out["acc"]}                   # (R,) test accuracy, %
    st = out["stats"]
    full, full_lo, full_hi = paired_gap(a["error_full"], a["forward_only"])
    cen, cen_lo, cen_hi = paired_gap(a["error_center"], a["forward_only"])
    fwd, fwd_lo, fwd_hi = paired_gap(a["forward_only"], a["no_norm"])
    measured = {f"acc_{c}": float(a[c].mean()) for c in a}
    measured.update({
        "gain_full_vs_forward": full, "gain_full_ci_low": full_lo, "gain_full_ci_high": full_hi,
        "forward_vs_no_norm": fwd, "forward_vs_no_norm_ci_low": fwd_lo, "forward_vs_no_norm_ci_high": fwd_hi,
        "gain_center_vs_forward": cen, "gain_center_ci_low": cen_lo,               # reported, not claimed
        "gain_center_ci_high": cen_hi,
        "learned_abs_mean": st["forward_only"]["abs_mean"],
        "learned_var_min": st["forward_only"]["var_min"], "learned_var_max": st["forward_only"]["var_max"],
        "frozen_abs_mean": st["frozen_inhib"]["abs_mean"],
        "frozen_var_min": st["frozen_inhib"]["var_min"], "frozen_var_max": st["frozen_inhib"]["var_max"],
    })
    learned_ok = (measured["learned_abs_mean"] < 0.1 and measured["learned_var_min"] >= 0.8
                  and measured["learned_var_max"] <= 1.2)
    frozen_ok = (measured["frozen_abs_mean"] < 0.1 and measured["frozen_var_min"] >= 0.8
                 and measured["frozen_var_max"] <= 1.2)
    thresholds = {
        "learned inhibition (forward_only): max |mean z|, Var z": "< 0.1, in [0.8, 1.2]",
        "frozen inhibition (control)": "NOT normalized (fails the same test)",
        "gain_full_vs_forward": ">= 2 points, bootstrap 95% CI low > 0",
        "forward_vs_no_norm": "< 2 points",
    }
    holds = bool(learned_ok and not frozen_ok and full >= 2 and full_lo > 0 and fwd < 2)
    return measured, thresholds, holds


def claim_line(measured, holds):
    """One printed line: the claim's numbers and the verdict (the notebook and the CLI print it)."""
    m = measured
    return (f"{LESSON_ID}: learned inhibition |mean z| {m['learned_abs_mean']:.3f}, Var z "
            f"{m['learned_var_min']:.2f}-{m['learned_var_max']:.2f} (< 0.1, in [0.8, 1.2]); frozen "
            f"{m['frozen_abs_mean']:.2f}, {m['frozen_var_min']:.2f}-{m['frozen_var_max']:.2f} (must not be); "
            f"test accuracy no norm {m['acc_no_norm']:.1f}%, forward-only {m['acc_forward_only']:.1f}%, "
            f"+ error norm full {m['acc_error_full']:.1f}%, center {m['acc_error_center']:.1f}%; "
            f"full - forward {m['gain_full_vs_forward']:+.1f} points [CI {m['gain_full_ci_low']:+.1f}, "
            f"{m['gain_full_ci_high']:+.1f}] (>= 2, CI > 0); forward - no norm "
            f"{m['forward_vs_no_norm']:+.1f} (< 2); center - forward {m['gain_center_vs_forward']:+.1f} "
            f"(reported) -> claim {'HOLDS' if holds else 'FAILS'}")


COLORS = {"no_norm": "gray", "frozen_inhib": "C4", "forward_only": "C0", "error_full": "C3",
          "error_center": "C2"}


def plot(out):
    """Figure: (a) test accuracy over training per condition (mean and replicas), (b) final accuracy
    per replica, (c) per-image mean and variance of a hidden layer's z, learned vs frozen inhibition."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    ax = axes[0]
    for c in out["curve"]:
        cur = 100 * out["curve"][c]                                              # (epochs, R)
        ep = range(1, len(cur) + 1)
        ax.plot(ep, cur.mean(1), color=COLORS[c], lw=2, label=LABELS[c])
        ax.fill_between(ep, cur.min(1).values, cur.max(1).values, color=COLORS[c], alpha=0.12)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%), shifted brightness")
    ax.set_title(f"(a) learning, {out['R']} replicas per condition")
    ax.legend(fontsize=8)
    ax = axes[1]
    for i, c in enumerate(out["acc"]):
        acc = 100 * out["acc"][c]
        ax.scatter(torch.full_like(acc, i) + torch.linspace(-0.15, 0.15, len(acc)), acc,
                   color=COLORS[c], s=18)
        ax.hlines(float(acc.mean()), i - 0.3, i + 0.3, color=COLORS[c], lw=2)
    short = {"no_norm": "no\nnorm", "frozen_inhib": "inhib.\nfrozen", "forward_only": "forward-\nonly",
             "error_full": "+ error\n(full)", "error_center": "+ error\n(center)"}
    ax.set_xticks(range(len(out["acc"])), [short[c] for c in out["acc"]], fontsize=8)
    ax.set_ylabel("final test accuracy (%)")
    ax.set_title("(b) final accuracy per replica")
    ax = axes[2]
    for c in ("frozen_inhib", "forward_only"):
        mu, var = out["moments"][c]
        ax.scatter(mu, var, s=4, alpha=0.4, color=COLORS[c], label=LABELS[c])
    ax.axhline(1, color="k", lw=0.8, ls="--")
    ax.axvline(0, color="k", lw=0.8, ls="--")
    ax.set_xlabel("mean of z over units (per test image)")
    ax.set_ylabel("variance of z over units")
    ax.set_title("(c) layer 1 after training: does inhibition normalize?")
    ax.legend(fontsize=8, markerscale=4)
    fig.tight_layout()
    return fig


def reproduce(seed=0, device="cpu", progress=True):
    """The lesson's claim check, as `neuroai reproduce` runs it."""
    out = run(seed=seed, device=device, progress=progress)
    measured, thresholds, holds = check(out)
    return {"claim": CLAIM, "measured": measured, "thresholds": thresholds, "holds": holds,
            "line": claim_line(measured, holds), "figure": plot(out)}


# 8. A knob to turn: the learning rate. Error normalization changes the size and direction of each
#    weight update, so its benefit at a fixed budget depends on how fast plain SGD already learns.

def explore_learning_rate(lr=0.01, epochs=10, replicas=4, seed=0):
    """Train forward-only and full error normalization at learning rate `lr` and plot their test
    accuracy over training (mean of `replicas` paired replicas)."""
    out = run(seed=seed, R=replicas, epochs=epochs, lr_e=lr,
              conditions=("no_norm", "forward_only", "error_full"), progress=False)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for c, cur in out["curve"].items():
        ax.plot(range(1, epochs + 1), 100 * cur.mean(1), color=COLORS[c], lw=2,
                label=f"{LABELS[c]}: {100 * float(cur[-1].mean()):.1f}%")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"SGD learning rate {lr}: {replicas} replicas per condition")
    ax.legend(fontsize=8)
    plt.show()
