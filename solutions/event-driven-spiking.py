"""Sparse event-driven computation, measured: a spiking network against a dense one.

Reference implementation of the lesson `event-driven-spiking` (module 5, sparse event-driven
computation). It gives an executable minimal version of one principle of Zador, Fellous, Sejnowski et
al., "NeuroAI and Beyond: Bridging Between Advances in Neuroscience and Artificial Intelligence"
(2025): brains compute with rare events, and that is a large part of why they need so little energy.
The roadmap does not prescribe an experiment; this one is the course's design. It reads top to bottom:

  1. the spike and its surrogate gradient (fast sigmoid)                  (Eqs. 2-3)
  2. the leaky integrate-and-fire neuron, one time step                   (Eq. 1)
  3. the cost of spikes: synaptic operations = spikes x fan-out           (Eq. 4)
  4. the two networks: a spiking network and its dense twin of the same width
  5. training with backpropagation through time and a penalty on operations (Eq. 5)
  6. the experiment: sweep the penalty, count every operation with neuroai.ops
  7. the claim, measured, and the figure

Run it with `neuroai reproduce event-driven-spiking --seed 0`.
"""
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from neuroai import ops
from neuroai.data import spike_pattern_task

LESSON_ID = "event-driven-spiking"
CLAIM = ("On a spike-timing task below ceiling (timing jitter 2.5 steps; the dense twin reaches about 90%), a "
         "spiking network trained with surrogate gradients and a light penalty on its operations (lambda = 1) "
         "stays within 3 points of the accuracy of a dense network of the same width, trained as long, at "
         "<= 1/5 of its counted synaptic operations; pushing sparsity further costs accuracy in a graded way: "
         "at lambda = 4 it loses >= 5 points against lambda = 1 while staying >= 50% (chance 10%), with fewer "
         "operations.")
STEPS = 20                              # time steps of one input (T)
N_IN, HIDDEN, N_CLASSES = 40, 64, 10
JITTER = 2.5                            # spike-time jitter (steps) of the task: puts the dense twin below ceiling
BETA = math.exp(-1 / 10)                # membrane decay per step: a time constant of 10 steps
THRESHOLD = 1.0
SLOPE = 10.0                            # steepness of the surrogate gradient
PENALTIES = (0.0, 1.0, 2.0, 4.0, 8.0)   # the sweep: weight lambda of the operations penalty
OPERATING = 1                           # index of the penalty the claim is checked at (lambda = 1)
COSTLY = 3                              # index of the sparser arm whose cost the claim measures (lambda = 4)
LR_SPIKING, LR_DENSE = 2e-2, 1e-2       # Adam learning rates, piloted for each network
EPOCHS_SPIKING, EPOCHS_DENSE = 20, 20   # the same training budget for both networks
PJ_PER_MAC, PJ_PER_AC = 4.6, 0.9        # 32-bit float, 45 nm CMOS (Horowitz, 2014)


# 1. The spike. A neuron emits a spike when its membrane potential crosses the threshold:
#    s = H(v - theta), a step function whose derivative is zero almost everywhere, so backpropagation
#    gets no signal through it. Surrogate gradients keep the step in the forward pass and use the
#    derivative of a smooth stand-in, here the fast sigmoid x / (1 + k|x|), in the backward pass
#    (Zenke & Ganguli, 2018; Neftci, Mostafa & Zenke, 2019).

def fast_sigmoid_surrogate(x, slope):
    """The spike and the surrogate derivative used for it in the backward pass.

    spikes = H(x): 1.0 where x > 0, else 0.0                                (Eq. 2)
    grad   = 1 / (1 + slope |x|)^2, the derivative of x / (1 + slope |x|)   (Eq. 3)

    x: tensor of any shape (the potential minus the threshold); slope: a float.
    Returns (spikes, grad), two tensors with the shape and dtype of x.
    """
    spikes = (x > 0).to(x.dtype)
    grad = 1.0 / (1.0 + slope * x.abs()) ** 2
    return spikes, grad


# 2. The leaky integrate-and-fire (LIF) neuron in discrete time (Eq. 1):
#        v[t] = beta * v[t-1] + I[t]                   leak, then integrate the input current
#        s[t] = H(v[t] - theta)                        spike when the threshold is crossed
#        v[t] <- v[t] - theta * s[t]                   reset by subtraction
#    The surrogate enters through a stop-gradient: s = H(x) + (x - sg(x)) * sg(H'(x)) has the value
#    H(x), since x - sg(x) = 0, and the derivative ds/dx = H'(x), the surrogate (sg = detach).

def lif_step(v, current, beta, threshold, slope):
    """One time step of a layer of LIF neurons, Eq. (1), with surrogate gradients for the spikes.

    v: membrane potentials (B, N) before the step; current: input current (B, N) for this step;
    beta: decay factor in (0, 1); threshold, slope: floats.
    Returns (v_next, spikes), both (B, N): the potential after the reset, and the 0/1 spikes.
    Get the spikes and their surrogate derivative from fast_sigmoid_surrogate(v - threshold, slope),
    then attach the derivative with the stop-gradient trick above, so that training can use it.
    The hidden tests check the gradients of both outputs with respect to v and current, not only values.
    """
    v = beta * v + current                                  # (B, N) leak and integrate
    x = v - threshold
    spikes, grad = fast_sigmoid_surrogate(x, slope)         # (B, N) 0/1 and H'(x)
    spikes = spikes + (x - x.detach()) * grad.detach()      # value H(x), gradient H'(x)
    v = v - threshold * spikes                              # (B, N) reset by subtraction
    return v, spikes


# 3. What a spike costs. An event-driven chip does no work for a silent neuron: each spike adds the
#    neuron's outgoing weights to its targets, one accumulate (AC) per synapse (Eq. 4):
#        ACs = (number of spikes) x (fan-out)
#    A dense layer instead multiplies every input by every weight: fan-in x fan-out
#    multiply-accumulates (MACs) per sample and time step, whatever the input is.

def synaptic_ops(spikes, fan_out):
    """Accumulates per sample caused by a layer's spikes, Eq. (4).

    spikes: 0/1 tensor (T, B, N) (time, batch, neurons); fan_out: targets per neuron (int).
    Returns a 0-dim tensor: sum of all spikes times fan_out, divided by the batch size B.
    It stays differentiable, so it can also serve as a penalty in the loss.
    """
    return spikes.sum() * fan_out / spikes.shape[1]


# 4. Two networks of the same width, N_IN -> HIDDEN -> HIDDEN -> N_CLASSES, that both read the input
#    spike trains step by step. The spiking network passes spikes between layers; its dense twin
#    passes real-valued rates r = ReLU(v) of leaky integrators with the same time constant and no
#    threshold. The readout averages the last layer's output over time into class scores. Weights
#    travel as a dict of tensors with a leading model axis M: M networks of the sweep train at once,
#    each its own.

def init_weights(models, seed, device="cpu"):
    """Gaussian weights with std scale / sqrt(fan-in), one set per model: a dict of (M, fan-in,
    fan-out) tensors."""
    gen = torch.Generator().manual_seed(seed)
    sizes = {"w1": (N_IN, HIDDEN, 4.0), "w2": (HIDDEN, HIDDEN, 2.0), "w3": (HIDDEN, N_CLASSES, 1.0)}
    return {name: (scale * torch.randn(models, n_in, n_out, generator=gen) / math.sqrt(n_in))
            .to(device).requires_grad_(True) for name, (n_in, n_out, scale) in sizes.items()}


def layer(inputs, w, spiking):
    """One layer over all time steps. inputs (M, T, B, N_in), w (M, N_in, N_out) -> (M, T, B, N_out).
    The input currents of all steps come from one matrix product; then the neurons run in time."""
    M, T, B, _ = inputs.shape
    current = (inputs.reshape(M, T * B, -1) @ w).reshape(M, T, B, -1)   # (M, T, B, N_out)
    v = torch.zeros_like(current[:, 0])                                 # (M, B, N_out)
    out = []
    for current_t in current.unbind(dim=1):                             # (M, B, N_out) per step
        if spiking:
            v, s = lif_step(v, current_t, BETA, THRESHOLD, SLOPE)
        else:
            v = BETA * v + current_t
            s = torch.relu(v)                                           # rate, not a spike
        out.append(s)
    return torch.stack(out, dim=1)                                      # (M, T, B, N_out)


def forward(x, weights, spiking):
    """x: input spikes (M, T, B, N_IN) (or (1, ...) shared by all M). Returns class scores
    (M, B, N_CLASSES) and the two hidden layers' outputs (M, T, B, HIDDEN) each."""
    M = weights["w1"].shape[0]
    x = x.expand(M, -1, -1, -1)
    h1 = layer(x, weights["w1"], spiking)                               # (M, T, B, H)
    h2 = layer(h1, weights["w2"], spiking)                              # (M, T, B, H)
    T, B = h2.shape[1], h2.shape[2]
    scores = (h2.reshape(M, T * B, -1) @ weights["w3"]).reshape(M, T, B, -1).mean(dim=1)   # (M, B, C)
    return scores, h1, h2


# 5. Training: backpropagation through time, Adam, cross-entropy plus a penalty on the operations the
#    hidden spikes cause, measured as a fraction of the dense twin's MACs (Eq. 5):
#        L = CE(scores, y) + lambda * [synaptic_ops(h1, HIDDEN) + synaptic_ops(h2, N_CLASSES)] / MACs_dense
#    lambda = 0 trains for accuracy alone; larger lambda buys sparsity.

def dense_macs(steps):
    """MACs per sample of the dense twin's hidden and output layers (the part spikes can save)."""
    return steps * (HIDDEN * HIDDEN + HIDDEN * N_CLASSES)


def train(x, y, penalties, spiking, seed, batch=256, device="cpu", progress=True):
    """Train len(penalties) networks at once on x (N, T, N_IN), y (N,). Returns their weights."""
    M = len(penalties)
    lr, epochs = (LR_SPIKING, EPOCHS_SPIKING) if spiking else (LR_DENSE, EPOCHS_DENSE)
    lam = torch.tensor(penalties, device=device)                        # (M,)
    weights = init_weights(M, seed, device)
    opt = torch.optim.Adam(weights.values(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    n_batches = x.shape[0] // batch
    bar = tqdm(total=epochs * n_batches, desc="train " + ("spiking" if spiking else "dense"),
               disable=not progress)
    for epoch in range(epochs):
        order = torch.randperm(x.shape[0], generator=gen).to(device)
        for i in range(n_batches):
            idx = order[i * batch:(i + 1) * batch]
            xb = x[idx].transpose(0, 1)[None]                           # (1, T, B, N_IN)
            scores, h1, h2 = forward(xb, weights, spiking)              # (M, B, C)
            ce = torch.stack([F.cross_entropy(s, y[idx]) for s in scores])   # (M,)
            if spiking:
                cost = torch.stack([synaptic_ops(a, HIDDEN) + synaptic_ops(b, N_CLASSES)
                                    for a, b in zip(h1, h2)]) / dense_macs(STEPS)   # (M,)
            else:
                cost = torch.zeros(M, device=device)
            loss = (ce + lam * cost).sum()                              # models are independent
            opt.zero_grad()
            loss.backward()
            opt.step()
            bar.update()
        bar.set_postfix(ce=f"{ce.min().item():.2f}")
    bar.close()
    return {name: w.detach() for name, w in weights.items()}


# 6. The experiment. Train the dense twin and a spiking network for each penalty, then measure each
#    on held-out data: accuracy, and the operations of one forward pass counted by neuroai.ops
#    (events counted as accumulates, real-valued operands as MACs) and its wall time.

def evaluate(x, y, weights, spiking, timed=True):
    """Accuracy, counted operations per sample and (if timed) the wall time of one model (M = 1) on
    x (N, T, N_IN)."""
    xb = x.transpose(0, 1)[None]                                        # (1, T, N, N_IN)
    with torch.no_grad(), ops.count() as counted:
        scores, h1, h2 = forward(xb, weights, spiking)
    if timed:
        counted.seconds = ops.measure(forward, xb, weights, spiking, repeat=3).seconds
    n = x.shape[0]
    return {"accuracy": float((scores[0].argmax(-1) == y).float().mean()),
            "macs": counted.macs / n, "acs": counted.acs / n,
            "ops": (counted.macs + counted.acs) / n,
            "energy_nj": (counted.macs * PJ_PER_MAC + counted.acs * PJ_PER_AC) / n / 1e3,
            "ms": counted.seconds * 1e3,
            "rate": float(h1.mean() + h2.mean()) / 2 if spiking else float("nan"),
            "hidden_acs": float(synaptic_ops(h1[0], HIDDEN) + synaptic_ops(h2[0], N_CLASSES))
            if spiking else float("nan"),
            # the dense twin's ReLU rates are often exactly 0: how many, and the MACs a dense chip that
            # skips zero operands would not do (each zero of h1 feeds HIDDEN MACs, of h2 N_CLASSES)
            "zero_fraction": float(((h1 == 0).float().mean() + (h2 == 0).float().mean()) / 2),
            "skippable_macs": float((h1[0] == 0).sum() * HIDDEN + (h2[0] == 0).sum() * N_CLASSES) / n}


def run(seed=0, n_train=2048, n_test=1024, device="cpu", progress=True):
    """The whole experiment for one seed. Returns a dict of results for check and plot."""
    x, y = spike_pattern_task(n_train + n_test, N_IN, N_CLASSES, STEPS, jitter=JITTER, seed=seed,
                              device=device)
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    dense = train(x_train, y_train, (0.0,), False, seed, device=device, progress=progress)
    snn = train(x_train, y_train, PENALTIES, True, seed, device=device, progress=progress)
    out = {"dense": evaluate(x_test, y_test, dense, False), "snn": [], "weights": snn,
           "x_test": x_test, "y_test": y_test}
    for m in tqdm(range(len(PENALTIES)), desc="count operations", disable=not progress):
        one = {name: w[m:m + 1] for name, w in snn.items()}
        out["snn"].append(evaluate(x_test, y_test, one, True))
    return out


# 7. The claim, measured: at the operating penalty the spiking network is about as accurate as the
#    dense one for a fifth of the operations or less, and a stronger penalty trades accuracy away
#    gradually: the sparser arm (lambda = 4) is measurably worse and still far from chance.

def check(out):
    """Compare the measurements with the claim's thresholds. Returns (measured, thresholds, holds)."""
    dense, snn = out["dense"], out["snn"]
    op, costly = snn[OPERATING], snn[COSTLY]
    measured = {
        "dense_accuracy": dense["accuracy"],
        "snn_accuracy": op["accuracy"],
        "accuracy_gap": dense["accuracy"] - op["accuracy"],
        "dense_ops_per_sample": dense["ops"],
        "snn_ops_per_sample": op["ops"],
        "ops_ratio": op["ops"] / dense["ops"],
        "energy_ratio": op["energy_nj"] / dense["energy_nj"],
        "costly_penalty_accuracy": costly["accuracy"],
        "costly_penalty_drop": op["accuracy"] - costly["accuracy"],
        "costly_penalty_ops_ratio": costly["ops"] / dense["ops"],
        # reported, not thresholds: the rest of the trade-off curve
        "unpenalized_accuracy": snn[0]["accuracy"],
        "unpenalized_ops_ratio": snn[0]["ops"] / dense["ops"],
        "strongest_penalty_accuracy": snn[-1]["accuracy"],
        "strongest_penalty_ops_ratio": snn[-1]["ops"] / dense["ops"],
        # reported, not thresholds: the fairer control, a dense twin that skips its zeros
        "dense_zero_fraction": dense["zero_fraction"],
        "zero_skipping_dense_ops_ratio": (dense["ops"] - dense["skippable_macs"]) / dense["ops"],
    }
    thresholds = {
        "accuracy_gap": "<= 0.03",
        "ops_ratio": "<= 0.2",
        "costly_penalty_drop": ">= 0.05",
        "costly_penalty_accuracy": ">= 0.5",
        "costly_penalty_ops_ratio": "< ops_ratio",
    }
    holds = (measured["accuracy_gap"] <= 0.03 and measured["ops_ratio"] <= 0.2
             and measured["costly_penalty_drop"] >= 0.05 and measured["costly_penalty_accuracy"] >= 0.5
             and measured["costly_penalty_ops_ratio"] < measured["ops_ratio"])
    return measured, thresholds, holds


def claim_line(measured, holds):
    """One printed line: the claim's numbers and the verdict (the notebook and the CLI print it)."""
    m = measured
    return (f"{LESSON_ID}: dense {m['dense_accuracy']:.1%} at {m['dense_ops_per_sample']:,.0f} ops/sample; "
            f"spiking (lambda={PENALTIES[OPERATING]:g}) {m['snn_accuracy']:.1%} ({m['accuracy_gap'] * 100:.1f} points "
            f"below, <= 3) at {m['ops_ratio']:.3f} of the ops (<= 0.2), energy ratio {m['energy_ratio']:.3f}; "
            f"lambda={PENALTIES[COSTLY]:g}: {m['costly_penalty_accuracy']:.1%} (>= 50%; drop "
            f"{m['costly_penalty_drop'] * 100:.1f} points, >= 5) at {m['costly_penalty_ops_ratio']:.3f} of the ops; "
            f"lambda={PENALTIES[-1]:g}: {m['strongest_penalty_accuracy']:.1%}; the dense twin's rates are "
            f"{m['dense_zero_fraction']:.0%} zeros, skipping them it would do {m['zero_skipping_dense_ops_ratio']:.2f} "
            f"of its ops -> claim {'HOLDS' if holds else 'FAILS'}")


def plot(out):
    """Figure: (a) accuracy against counted operations, (b) what one forward pass costs, counted and
    priced, (c) the spikes of the operating network for one input."""
    dense, snn = out["dense"], out["snn"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    ax.plot([r["ops"] for r in snn], [r["accuracy"] for r in snn], "o-", color="C0", label="spiking, penalty sweep")
    for lam, r in zip(PENALTIES, snn):
        ax.annotate(f"$\\lambda$={lam:g}", (r["ops"], r["accuracy"]), textcoords="offset points",
                    xytext=(5, -12), fontsize=8)
    ax.plot([dense["ops"]], [dense["accuracy"]], "s", color="C1", ms=8, label="dense, same width")
    ax.plot([snn[COSTLY]["ops"]], [snn[COSTLY]["accuracy"]], "o", mfc="none", mec="C3", ms=12,
            label=f"sparser arm of the claim ($\\lambda$={PENALTIES[COSTLY]:g})")
    ax.axvline(dense["ops"] / 5, color="gray", ls=":", lw=1, label="1/5 of the dense ops")
    ax.axhline(1 / N_CLASSES, color="gray", ls="--", lw=1, label="chance")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("counted operations per sample (MACs + ACs)")
    ax.set_ylabel("test accuracy")
    ax.set_title("(a) accuracy against operations")
    ax.legend(fontsize=8, loc="center right")

    ax = axes[1]
    op = snn[OPERATING]
    names = ["dense", f"spiking\n$\\lambda$={PENALTIES[OPERATING]:g}"]
    macs = [dense["macs"], op["macs"]]
    acs = [dense["acs"], op["acs"]]
    ax.bar(names, macs, color="C1", label="MACs (multiply-accumulate)")
    ax.bar(names, acs, bottom=macs, color="C0", label="ACs (accumulate per spike)")
    for i, r in enumerate((dense, op)):
        ax.text(i, r["ops"] * 1.02, f"{r['energy_nj']:.1f} nJ per sample\n{r['ms']:.0f} ms per {len(out['y_test']):,} on CPU",
                ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, dense["ops"] * 1.3)
    ax.set_ylabel("operations per sample")
    ax.set_title("(b) counted work, energy (45 nm), CPU time")
    ax.legend(fontsize=8)

    ax = axes[2]
    x = out["x_test"][:1].transpose(0, 1)[None]                        # (1, T, 1, N_IN)
    one = {name: w[OPERATING:OPERATING + 1] for name, w in out["weights"].items()}
    with torch.no_grad():
        _, h1, h2 = forward(x, one, True)
    rows = [x[0, :, 0].cpu(), h1[0, :, 0].cpu(), h2[0, :, 0].cpu()]   # (T, N) each
    offset = 0
    for raster, color, label in zip(rows, ("gray", "C0", "C2"), ("input", "hidden 1", "hidden 2")):
        t, n = raster.nonzero(as_tuple=True)
        ax.scatter(t, n + offset, s=4, color=color, label=f"{label}: {len(t)} spikes")
        offset += raster.shape[1] + 4
    ax.set_ylim(-2, offset + 30)
    ax.set_xlabel("time step")
    ax.set_ylabel("neuron")
    ax.set_title("(c) spikes for one input")
    ax.legend(fontsize=7, loc="upper center", ncol=3, handletextpad=0.1, columnspacing=0.8)
    fig.tight_layout()
    return fig


def reproduce(seed=0, device="cpu", progress=True):
    """The lesson's claim check, as `neuroai reproduce` runs it."""
    out = run(seed=seed, device=device, progress=progress)
    measured, thresholds, holds = check(out)
    return {"claim": CLAIM, "measured": measured, "thresholds": thresholds, "holds": holds,
            "line": claim_line(measured, holds), "figure": plot(out)}


# 8. A knob to turn: a global gain on every synaptic current, as a neuromodulator might set it.
#    Turn it up and the network fires more and spends more operations; turn it down and it fires
#    less, until it falls silent. How far can the gain move before accuracy notices?

def explore_gain(out, gain=1.0):
    """Evaluate the operating spiking network with all its weights scaled by `gain`: accuracy and
    counted operations over a range of gains, and the spikes for one input at the chosen gain."""
    x, y = out["x_test"][:512], out["y_test"][:512]
    one = {name: w[OPERATING:OPERATING + 1] for name, w in out["weights"].items()}
    gains = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0]
    curve = [evaluate(x, y, {k: g * w for k, w in one.items()}, True, timed=False) for g in gains]
    here = evaluate(x, y, {k: gain * w for k, w in one.items()}, True, timed=False)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
    ax = axes[0]
    ax.plot(gains, [r["accuracy"] for r in curve], "o-", color="C0", label="accuracy")
    ax.plot([gain], [here["accuracy"]], "*", color="k", ms=12)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("gain on all synaptic currents")
    ax.set_ylabel("test accuracy", color="C0")
    ax2 = ax.twinx()
    ax2.plot(gains, [r["ops"] for r in curve], "s--", color="C3", label="operations")
    ax2.set_ylabel("counted ops per sample", color="C3")
    ax.set_title(f"gain {gain:g}: {here['accuracy']:.1%} at {here['ops']:,.0f} ops per sample")
    ax = axes[1]
    xb = x[:1].transpose(0, 1)[None]                                   # (1, T, 1, N_IN)
    with torch.no_grad():
        _, h1, _ = forward(xb, {k: gain * w for k, w in one.items()}, True)
    t, n = h1[0, :, 0].cpu().nonzero(as_tuple=True)
    ax.scatter(t, n, s=6, color="C0")
    ax.set_xlim(-0.5, STEPS - 0.5)
    ax.set_ylim(-1, HIDDEN)
    ax.set_xlabel("time step")
    ax.set_ylabel("hidden neuron (layer 1)")
    ax.set_title(f"layer-1 spikes for one input: {len(t)}")
    fig.tight_layout()
    plt.show()
