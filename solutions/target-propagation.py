"""Towards scaling difference target propagation by learning backprop targets.

Reference implementation of the lesson `target-propagation` (module 3, multi-scale learning), after
Ernoult, Normandin, Moudgil, Spinney, Belilovsky, Rish, Richards & Bengio, "Towards Scaling Difference
Target Propagation by Learning Backprop Targets", ICML 2022 (arXiv:2201.13415). It reads top to bottom
like the paper's method (equation names as in the lesson's chapter):

  1. the network: forward layers F_i and feedback layers G_i
  2. targets: the first target, a gradient step on the logits              (Eq. 1)
              and the difference correction t_{i-1} = h_{i-1} + G_i(t_i) - G_i(h_i)   (Eq. 2)
  3. feedback losses: vanilla DTP's reconstruction loss                    (Eq. 3)
                      and the paper's difference reconstruction loss L-DRL (Eq. 4)
  4. the experiment: backprop, feedback alignment, vanilla DTP, L-DRL DTP and the control (L-DRL with
     the feedback weights frozen at init) trained on real handwritten digits, several replicas at once
  5. the claim, measured (the angle between each DTP update and the backprop gradient), and the figure

Run it with `neuroai reproduce target-propagation --seed 0`.
"""
import math

import matplotlib.pyplot as plt
import torch
from tqdm.auto import tqdm

from neuroai.data import digits

LESSON_ID = "target-propagation"
CLAIM = ("Trained with the difference reconstruction loss (L-DRL), DTP's update of the first hidden layer "
         "points along backprop's gradient (angle < 30 deg, mean over the last epoch and the replicas), "
         "vanilla DTP's does not (> 45 deg; gap vanilla - L-DRL > 10 deg, bootstrap 95% CI over the "
         "replicas); with the same feedback weights frozen at init (the mechanism switched off) the angle "
         "stays at least 20 deg above L-DRL's.")
METHODS = ("bp", "fa", "vanilla", "ldrl", "frozen")
SIZES = (64, 128, 128, 128, 10)           # the brief's 64-128-128-128-10 tanh MLP
# The feedback learning rate of each loss (SGD, momentum 0.9). The vanilla loss is O(1), L-DRL's O(sigma^2):
# 0.01 is the largest of {0.001, 0.003, 0.01, 0.03} at which vanilla DTP does not diverge (seed 0; its
# first-layer angle was 70-71 deg at all three), 0.03 the largest tried for L-DRL.
LR_FB = {"vanilla": 0.01, "ldrl": 0.03}


# 1. The network. Every tensor carries a leading replica dimension R: R independent networks train at
#    once on the same batches (one matmul per layer for all of them). Forward layer i (i = 1..L) maps
#    h_{i-1} to h_i = tanh(W_i h_{i-1} + b_i) (the last one is linear: the logits). Feedback layer G_i
#    (i = 2..L) maps h_i back to h_{i-1}: G_i(h) = V_i tanh(h) + c_i, the forward block inverted in
#    order (the official code's `invert`: Linear -> Tanh becomes Tanh -> Linear); the logits' G_L has no
#    tanh, as F_L has none. G_1 is never needed: nothing propagates a target to the pixels.

def linear(x, W, b):
    """x (..., B, n_in), W (..., n_out, n_in), b (..., n_out) -> (..., B, n_out)."""
    return x @ W.transpose(-1, -2) + b.unsqueeze(-2)


def feedback(h, V, c, last=False):
    """G(h) = V tanh(h) + c (G(h) = V h + c for the logits, last=True):
    h (..., B, n_out), V (..., n_in, n_out), c (..., n_in) -> (..., B, n_in)."""
    return linear(h if last else torch.tanh(h), V, c)


def forward_layer(x, W, b, last):
    """F_i: tanh of the affine map, or the affine map alone for the last (logit) layer."""
    a = linear(x, W, b)
    return a if last else torch.tanh(a)


def forward_all(x, Ws, bs):
    """All activations [h_0 = x, h_1, ..., h_L]; each (R, B, n_i)."""
    hs = [x]
    for i, (W, b) in enumerate(zip(Ws, bs)):
        hs.append(forward_layer(hs[-1], W, b, last=i == len(Ws) - 1))
    return hs


# 2. Targets. DTP never sends an error backwards through the forward weights. The output layer gets a
#    target a small gradient step away from its activity (Eq. 1); every lower layer gets a target by
#    sending the upper target through the feedback layer, corrected by the difference that the feedback
#    makes of the activity itself (Eq. 2). Each forward layer then moves its own activity toward its own
#    target, a purely local loss 1/2 ||h_i - t_i||^2.

def first_target(logits, y, beta):
    """Eq. 1: t_L = h_L - beta * d loss / d h_L, with loss the summed cross-entropy of the batch, whose
    gradient for one sample is softmax(h_L) - onehot(y).

    logits: (..., B, C); y: (B,) int64 labels in 0..C-1 (shared by every replica); beta: float.
    Returns t_L with the shape of logits.
    """
    onehot = torch.nn.functional.one_hot(y, logits.shape[-1]).to(logits.dtype)   # (B, C)
    return logits - beta * (torch.softmax(logits, dim=-1) - onehot)


def dtp_target(h_prev, h, t, V, c, last=False):
    """Eq. 2, the difference correction: t_{i-1} = h_{i-1} + G_i(t_i) - G_i(h_i), with
    G_i(h) = V tanh(h) + c, or V h + c when h are the logits (last=True), as `feedback` computes it
    (write G inside the function: graded functions stand alone). If t_i = h_i the target is h_{i-1} itself, whatever G is.

    h_prev: (..., B, n_in) the activity h_{i-1}; h, t: (..., B, n_out) the activity h_i and its target;
    V: (..., n_in, n_out); c: (..., n_in). Returns t_{i-1} with the shape of h_prev.
    """
    def G(z):                                                   # G(z) = V tanh(z) + c, or V z + c
        return (z if last else torch.tanh(z)) @ V.transpose(-1, -2) + c.unsqueeze(-2)
    return h_prev + G(t) - G(h)


def local_update(h_prev, h, t, last):
    """The gradient of the layer-local loss 1/2 ||h_i - t_i||^2 (summed over units, mean over the batch)
    with respect to W_i and b_i, with h_{i-1} held fixed: no gradient crosses a layer.
    Returns dW (..., n_out, n_in) and db (..., n_out)."""
    delta = h - t if last else (h - t) * (1 - h ** 2)          # (..., B, n_out) through tanh'
    B = h.shape[-2]
    return delta.transpose(-1, -2) @ h_prev / B, delta.mean(dim=-2)


def backward_updates(hs, y, Ws_or_Bs):
    """Backprop's gradients of the mean cross-entropy for every layer, sending the error down through
    the given matrices: the forward weights W_i (backprop) or fixed random ones B_i (feedback alignment).
    Returns [(dW_1, db_1), ..., (dW_L, db_L)]."""
    onehot = torch.nn.functional.one_hot(y, hs[-1].shape[-1]).to(hs[-1].dtype)
    delta = torch.softmax(hs[-1], dim=-1) - onehot             # (R, B, C) d loss / d logits per sample
    B = delta.shape[-2]
    grads = []
    for i in range(len(hs) - 1, 0, -1):                        # layers L, ..., 1
        grads.append((delta.transpose(-1, -2) @ hs[i - 1] / B, delta.mean(dim=-2)))
        if i > 1:
            delta = (delta @ Ws_or_Bs[i - 1]) * (1 - hs[i - 1] ** 2)
    return grads[::-1]


# 3. Feedback losses. A feedback layer learns from noise alone, layer by layer: perturb its input,
#    watch what comes back. Vanilla DTP trains G_i to invert F_i (Eq. 3): G_i(F_i(x + dx)) ~ x + dx.
#    The paper's L-DRL (Eq. 4) instead makes the Jacobian of G_i the transpose of F_i's; to first order
#    in the noise its expectation is sigma^2 (||J_G - J_F^T||^2 - ||J_F||^2), and the second term does
#    not depend on G. Both losses are summed over units and averaged over the batch (official code).

def vanilla_dtp_feedback_loss(x, dx, y_noisy, V, c, last=False):
    """Eq. 3: || (x + dx) - G(F(x + dx)) ||^2, summed over units, mean over the batch.

    x: (..., B, n_in) the layer's input h_{i-1}; dx: noise of the same shape;
    y_noisy: (..., B, n_out) = F_i(x + dx), computed without gradient; V, c, last: G's parameters and
    whether it is the logits' G (G as in dtp_target).
    Returns the loss, shape (...) (one per replica; a 0-dim tensor without a replica dimension).
    """
    def G(z):                                                   # G(z) = V tanh(z) + c, or V z + c
        return (z if last else torch.tanh(z)) @ V.transpose(-1, -2) + c.unsqueeze(-2)
    r = G(y_noisy)                                              # (..., B, n_in)
    return ((x + dx - r) ** 2).sum(dim=-1).mean(dim=-1)


def ldrl_feedback_loss(dx, y, y_noisy, dy, V, c, last=False):
    """Eq. 4, the difference reconstruction loss (L-DRL):
        -2 < dx, G(F(x + dx)) - G(F(x)) >  +  || G(F(x) + dy) - G(F(x)) ||^2,
    each term summed over units, mean over the batch. Gradients flow into G everywhere it appears,
    G(F(x)) included.

    dx: (..., B, n_in) noise on the layer's input; y: (..., B, n_out) = F_i(x);
    y_noisy: (..., B, n_out) = F_i(x + dx), computed without gradient; dy: noise shaped like y;
    V, c, last: G's parameters and whether it is the logits' G (G as in dtp_target).
    Returns the loss, shape (...).
    """
    def G(z):                                                   # G(z) = V tanh(z) + c, or V z + c
        return (z if last else torch.tanh(z)) @ V.transpose(-1, -2) + c.unsqueeze(-2)
    r = G(y)                                                    # (..., B, n_in)  G(F(x))
    dr = G(y_noisy) - r                                         # response to the input's noise
    dr_y = G(y + dy) - r                                        # response to the output's noise
    return (-2 * (dx * dr).sum(dim=-1) + (dr_y ** 2).sum(dim=-1)).mean(dim=-1)


def angle_degrees(u, v):
    """The angle between u and v, flattened over every dimension after the first (one angle per
    replica): (R, ...) and (R, ...) -> (R,) in degrees."""
    u, v = u.flatten(1), v.flatten(1)
    cos = (u * v).sum(1) / (u.norm(dim=1) * v.norm(dim=1) + 1e-12)
    return torch.rad2deg(torch.arccos(cos.clamp(-1, 1)))


def jacobian_angles(hs, Ws, bs, Vs, cs):
    """The official code's feedback metric, per layer with a G: the angle between J_G at h_i and J_F^T
    at h_{i-1}, one angle per sample (the Jacobians flattened), averaged over the batch: (R,) each."""
    angles = []
    for i in range(2, len(hs)):
        last = i == len(hs) - 1
        dF = torch.ones_like(hs[i]) if last else 1 - hs[i] ** 2                        # (R, B, n_out)
        JF = dF.unsqueeze(-1) * Ws[i - 1].unsqueeze(-3)                                 # (R, B, n_out, n_in)
        dG = torch.ones_like(hs[i]) if last else 1 - torch.tanh(hs[i]) ** 2              # (R, B, n_out)
        JG = Vs[i - 2].unsqueeze(-3) * dG.unsqueeze(-2)                                 # (R, B, n_in, n_out)
        R, B = JG.shape[:2]
        a = angle_degrees(JG.reshape(R * B, -1), JF.transpose(-1, -2).reshape(R * B, -1))
        angles.append(a.reshape(R, B).mean(dim=1))
    return angles


# 4. The experiment.

def init_layers(sizes, replicas, gen, device):
    """PyTorch's default nn.Linear initialisation, U(-1/sqrt(n_in), 1/sqrt(n_in)), for R replicas."""
    Ws, bs = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        k = 1 / math.sqrt(n_in)
        Ws.append(((2 * torch.rand(replicas, n_out, n_in, generator=gen) - 1) * k).to(device))
        bs.append(((2 * torch.rand(replicas, n_out, generator=gen) - 1) * k).to(device))
    return Ws, bs


def train(method, data, init, epochs=5, batch=64, lr=0.05, momentum=0.9, beta=0.7, K=5, sigma=0.1,
          lr_fb=None, seed=0, progress=True):
    """Train R replicas with one learning rule. `data` = (x_train, y_train, x_test, y_test); `init` =
    (Ws, bs, Vs, cs, Bs) shared by every method, so that the methods start from the same networks.

    method: "bp", "fa" (error sent down through the fixed random Bs), "vanilla" (DTP, feedback trained
    by Eq. 3), "ldrl" (DTP, feedback trained by Eq. 4), "frozen" (DTP with the feedback left at init).
    Before each forward update every feedback layer takes K SGD steps (momentum 0.9) on its own loss,
    with the same noise sigma and K for both trained variants; lr_fb (default LR_FB[method]) is each
    loss's own learning rate, as the two losses differ in scale by sigma^2. Returns a dict: the first-layer and
    per-layer angles to backprop over the last epoch, test accuracy, J_G vs J_F^T angles.
    """
    x_tr, y_tr, x_te, y_te = data
    Ws, bs, Vs, cs, Bs = [[t.clone() for t in group] for group in init]
    R, L = Ws[0].shape[0], len(Ws)
    params = Ws + bs
    bufs = [torch.zeros_like(p) for p in params]
    fb = [t.requires_grad_() for t in Vs + cs]
    lr_fb = LR_FB.get(method) if lr_fb is None else lr_fb
    fb_opt = torch.optim.SGD(fb, lr=lr_fb, momentum=momentum) if method in ("vanilla", "ldrl") else None
    gen = torch.Generator().manual_seed(seed)
    n = x_tr.shape[0]
    angles = []                                                  # per batch of the last epoch: (L, R)
    for epoch in tqdm(range(epochs), desc=method, disable=not progress, leave=False):
        order = torch.randperm(n, generator=gen).to(x_tr.device)
        for s in range(0, n - batch + 1, batch):
            idx = order[s:s + batch]
            x = x_tr[idx].expand(R, -1, -1)                      # (R, B, 64)
            y = y_tr[idx]                                        # (B,)
            with torch.no_grad():
                hs = forward_all(x, Ws, bs)                      # [(R, B, n_i)]
            if method in ("bp", "fa"):
                grads = backward_updates(hs, y, Ws if method == "bp" else Bs)
            else:
                # 4a. Feedback training: K noisy steps per layer, every layer on its own loss.
                if fb_opt is not None:
                    for k in range(K):
                        loss = 0
                        for i in range(2, L + 1):                # G_i for layers 2..L
                            x_in, h = hs[i - 1], hs[i]
                            dx = sigma * torch.randn(x_in.shape, generator=gen).to(x_in.device)
                            with torch.no_grad():
                                y_noisy = forward_layer(x_in + dx, Ws[i - 1], bs[i - 1], last=i == L)
                            V, c = Vs[i - 2], cs[i - 2]
                            if method == "ldrl":
                                dy = sigma * torch.randn(h.shape, generator=gen).to(h.device)
                                loss = loss + ldrl_feedback_loss(dx, h, y_noisy, dy, V, c, i == L).sum()
                            else:
                                loss = loss + vanilla_dtp_feedback_loss(x_in, dx, y_noisy, V, c, i == L).sum()
                        fb_opt.zero_grad()
                        loss.backward()
                        fb_opt.step()
                # 4b. Targets (Eqs. 1-2) and the layer-local forward updates.
                with torch.no_grad():
                    ts = [None] * (L + 1)
                    ts[L] = first_target(hs[L], y, beta)
                    for i in range(L, 1, -1):
                        ts[i - 1] = dtp_target(hs[i - 1], hs[i], ts[i], Vs[i - 2], cs[i - 2], i == L)
                    grads = [local_update(hs[i - 1], hs[i], ts[i], last=i == L) for i in range(1, L + 1)]
            with torch.no_grad():
                if epoch == epochs - 1:                          # compare with backprop on this batch
                    true = backward_updates(hs, y, Ws)
                    angles.append(torch.stack([angle_degrees(g[0], t[0]) for g, t in zip(grads, true)]))
                flat = [g[0] for g in grads] + [g[1] for g in grads]
                for p, buf, g in zip(params, bufs, flat):        # SGD with momentum, lr 0.05
                    buf.mul_(momentum).add_(g)
                    p.sub_(lr * buf)
    with torch.no_grad():
        hs = forward_all(x_te.expand(R, -1, -1), Ws, bs)
        acc = (hs[-1].argmax(-1) == y_te).float().mean(dim=1)   # (R,)
        jac = jacobian_angles(hs, Ws, bs, [v.detach() for v in Vs], [c.detach() for c in cs])
    per_layer = torch.stack(angles).mean(dim=0)                  # (L, R) mean over the last epoch
    return {"angle": per_layer.cpu(), "accuracy": acc.cpu(), "jacobian_angle": torch.stack(jac).cpu()}


def run(seed=0, replicas=4, epochs=5, batch=64, K=5, sigma=0.1, lr_fb=None, methods=METHODS,
        sizes=SIZES, device="cpu", progress=True):
    """The whole experiment for one seed: every method from the same R initial networks, on the same
    data split and batches. Returns {method: train(...)'s dict} plus the settings."""
    x_tr, y_tr, x_te, y_te = digits(seed=seed, device=device)
    gen = torch.Generator().manual_seed(10_000 + seed)
    Ws, bs = init_layers(sizes, replicas, gen, device)
    Vs, cs = init_layers(sizes[::-1][:-1], replicas, gen, device)        # G_L, ..., G_2 (n_out -> n_in)
    Vs, cs = Vs[::-1], cs[::-1]                                          # [G_2, ..., G_L]
    Bs, _ = init_layers(sizes, replicas, gen, device)                    # FA's fixed random feedback
    init = (Ws, bs, Vs, cs, Bs)
    out = {"settings": dict(seed=seed, replicas=replicas, epochs=epochs, batch=batch, K=K, sigma=sigma,
                            lr_fb=lr_fb, sizes=sizes)}
    for m in tqdm(methods, desc="methods", disable=not progress):
        out[m] = train(m, (x_tr, y_tr, x_te, y_te), init, epochs=epochs, batch=batch, K=K, sigma=sigma,
                       lr_fb=lr_fb, seed=seed, progress=progress)
    return out


# 5. The claim, measured.

def bootstrap_ci(x, n=2000, seed=0):
    """95% bootstrap interval of the mean of x (1-d)."""
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, len(x), (n, len(x)), generator=gen)
    means = x[idx].mean(dim=1).sort().values
    return float(means[int(0.025 * n)]), float(means[int(0.975 * n) - 1])


def check(out):
    """Compare the measurements with the claim's thresholds. Returns (measured, thresholds, holds)."""
    first = {m: out[m]["angle"][0] for m in ("vanilla", "ldrl", "frozen")}        # (R,) each
    gap = first["vanilla"] - first["ldrl"]
    lo, hi = bootstrap_ci(gap)
    measured = {
        "ldrl_angle_layer1": float(first["ldrl"].mean()),
        "vanilla_angle_layer1": float(first["vanilla"].mean()),
        "frozen_angle_layer1": float(first["frozen"].mean()),
        "gap_vanilla_minus_ldrl": float(gap.mean()),
        "gap_ci_low": lo, "gap_ci_high": hi,
        "frozen_minus_ldrl": float((first["frozen"] - first["ldrl"]).mean()),
    }
    for m in METHODS:                                                            # reported, not thresholds
        if m in out:
            measured[f"{m}_accuracy"] = float(out[m]["accuracy"].mean())
            if m in ("vanilla", "ldrl", "frozen"):
                for i, a in enumerate(out[m]["angle"].mean(dim=1).tolist()):
                    measured[f"{m}_angle_layer{i + 1}"] = a
                for i, a in enumerate(out[m]["jacobian_angle"].mean(dim=1).tolist()):
                    measured[f"{m}_jacobian_angle_layer{i + 2}"] = a
    measured["fa_angle_layer1"] = float(out["fa"]["angle"][0].mean()) if "fa" in out else float("nan")
    thresholds = {"ldrl_angle_layer1": "< 30", "vanilla_angle_layer1": "> 45", "gap_ci_low": "> 10",
                  "frozen_minus_ldrl": ">= 20"}
    holds = (measured["ldrl_angle_layer1"] < 30 and measured["vanilla_angle_layer1"] > 45
             and lo > 10 and measured["frozen_minus_ldrl"] >= 20)
    return measured, thresholds, holds


def claim_line(measured, holds):
    """One printed line: the claim's numbers and the verdict (the notebook and the CLI print it)."""
    m = measured
    return (f"{LESSON_ID}: first-layer angle to backprop: L-DRL {m['ldrl_angle_layer1']:.1f} deg (< 30), "
            f"vanilla DTP {m['vanilla_angle_layer1']:.1f} deg (> 45), gap {m['gap_vanilla_minus_ldrl']:.1f} "
            f"deg, CI [{m['gap_ci_low']:.1f}, {m['gap_ci_high']:.1f}] (low > 10); frozen feedback "
            f"{m['frozen_angle_layer1']:.1f} deg, {m['frozen_minus_ldrl']:.1f} above L-DRL (>= 20); "
            f"test accuracy BP {m.get('bp_accuracy', float('nan')):.1%}, FA {m.get('fa_accuracy', float('nan')):.1%}, "
            f"vanilla {m['vanilla_accuracy']:.1%}, L-DRL {m['ldrl_accuracy']:.1%}, "
            f"frozen {m['frozen_accuracy']:.1%} -> claim {'HOLDS' if holds else 'FAILS'}")


LABELS = {"bp": "backprop", "fa": "feedback alignment", "vanilla": "vanilla DTP", "ldrl": "L-DRL DTP",
          "frozen": "L-DRL, feedback frozen"}
COLORS = {"bp": "k", "fa": "C7", "vanilla": "C1", "ldrl": "C0", "frozen": "C3"}


def plot(out):
    """Figure: (a) angle to backprop per layer, (b) angle between J_G and J_F^T per layer,
    (c) test accuracy per method (dots: replicas)."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    ax = axes[0]
    for m in ("fa", "vanilla", "ldrl", "frozen"):
        if m not in out:
            continue
        a = out[m]["angle"]                                              # (L, R)
        layers = range(1, a.shape[0] + 1)
        ax.plot(layers, a.mean(dim=1), "o-", color=COLORS[m], label=LABELS[m])
        for r in range(a.shape[1]):
            ax.plot(layers, a[:, r], ".", color=COLORS[m], alpha=0.3)
    ax.axhline(90, color="gray", lw=0.5, ls=":")
    ax.set_xticks(range(1, len(out["settings"]["sizes"])))
    ax.set_xlabel("layer (1 = first hidden, last = logits)")
    ax.set_ylabel("angle to the backprop gradient (deg)")
    ax.set_ylim(0, 100)
    ax.set_title("(a) update vs backprop, last epoch")
    ax.legend(fontsize=8)

    ax = axes[1]
    for m in ("vanilla", "ldrl", "frozen"):
        j = out[m]["jacobian_angle"]                                     # (L-1, R)
        ax.plot(range(2, j.shape[0] + 2), j.mean(dim=1), "o-", color=COLORS[m], label=LABELS[m])
    ax.axhline(90, color="gray", lw=0.5, ls=":")
    ax.set_xticks(range(2, len(out["settings"]["sizes"])))
    ax.set_xlabel("layer i of the feedback G_i")
    ax.set_ylabel("angle between J_G and J_F^T (deg)")
    ax.set_ylim(0, 100)
    ax.set_title("(b) does G's Jacobian transpose F's?")
    ax.legend(fontsize=8)

    ax = axes[2]
    ms = [m for m in METHODS if m in out]
    for k, m in enumerate(ms):
        acc = 100 * out[m]["accuracy"]
        ax.bar(k, acc.mean(), color=COLORS[m], alpha=0.6)
        ax.plot([k] * len(acc), acc, "k.", alpha=0.6)
    ax.set_xticks(range(len(ms)), [LABELS[m].replace(", ", ",\n") for m in ms], fontsize=7)
    ax.set_ylabel("test accuracy (%)")
    lo = min(float(100 * out[m]["accuracy"].min()) for m in ms)
    ax.set_ylim(max(0, lo - 5), 100)
    ax.set_title("(c) handwritten digits, test set")
    fig.tight_layout()
    return fig


def reproduce(seed=0, device="cpu", progress=True):
    """The lesson's claim check, as `neuroai reproduce` runs it."""
    out = run(seed=seed, device=device, progress=progress)
    measured, thresholds, holds = check(out)
    return {"claim": CLAIM, "measured": measured, "thresholds": thresholds, "holds": holds,
            "line": claim_line(measured, holds), "figure": plot(out)}


# 6. A knob to turn: the feedback weights learn from noise, K steps before every forward update. With
#    K = 0 L-DRL is the frozen control; how few steps does it need to track the forward weights?

def explore_feedback(K=5, sigma=0.1, epochs=5, seed=0, replicas=2):
    """Train vanilla and L-DRL DTP with K feedback steps of noise sigma; plot the angle to backprop per layer."""
    out = run(seed=seed, replicas=replicas, epochs=epochs, K=K, sigma=sigma,
              methods=("vanilla", "ldrl"), progress=False)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for m in ("vanilla", "ldrl"):
        a = out[m]["angle"].mean(dim=1)
        ax.plot(range(1, len(a) + 1), a, "o-", color=COLORS[m],
                label=f"{LABELS[m]}: accuracy {float(out[m]['accuracy'].mean()):.1%}")
    ax.set_ylim(0, 100)
    ax.set_xlabel("layer")
    ax.set_ylabel("angle to backprop (deg)")
    ax.set_title(f"K = {K} feedback steps, noise sigma = {sigma}, {epochs} epochs")
    ax.legend(fontsize=8)
    plt.show()
