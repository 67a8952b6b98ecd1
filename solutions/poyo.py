"""POYO: every spike a token, one model across recording sessions.

Reference implementation of the lesson `poyo` (module 5, sparse event-driven computation), after
Azabou, Arora, Ganesh, Mao, Nachimuthu, Mendelson, Richards, Perich, Lajoie & Dyer, "A Unified, Scalable
Framework for Neural Population Decoding" (NeurIPS 2023). It reads top to bottom like the paper's method
(equation numbers as in the lesson's chapter):

  1. the data: simulated motor-cortex sessions, each with its own neurons (neuroai.neural)
  2. tokens: one per spike, unit embedding + token type, with its time; start/end tokens per unit (Eq. 1)
  3. time as a rotation: rotary embeddings with log-spaced periods                           (Eq. 2)
  4. rotary attention: relative time enters the attention scores and the values             (Eq. 3)
  5. the model: cross-attention of spikes into latents, latent self-attention, queries at output times
  6. training across sessions (with unit dropout); adapting to a new session by learning only its units'
     embeddings ("unit identification"), against full fine-tuning and two single-session baselines
  7. the experiment: six sessions to train on, a seventh met with 8 labelled trials
  8. the claim, measured, and the figure
  9. a knob: the number of labelled trials

Run it with `neuroai reproduce poyo --seed 0`.
"""
import copy
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from neuroai import neural

LESSON_ID = "poyo"
CLAIM = ("Trained on 6 sessions whose neurons all differ, the spike-token model decodes held-out trials of those "
         "sessions with mean R^2 >= 0.7. On a new session with 8 labelled trials, learning only the new units' "
         "embeddings (unit identification) beats the same model trained from scratch on those trials by >= 0.05 R^2 "
         "and reaches >= 75% of the R^2 of fine-tuning every weight.")
R2_PRETRAINED = 0.7           # mean held-out R^2 over the training sessions
GAIN_OVER_SCRATCH = 0.05      # unit identification minus training from scratch, new session
FRACTION_OF_FULL = 0.75       # unit identification / full fine-tuning, new session
N_TRAIN_SESSIONS = 6          # sessions the model is trained on; one more is the new session
N_TRIALS, N_TEST_TRIALS = 100, 30              # trials per session; the last 30 are held out
N_LABELLED = 8                # labelled trials of the new session (about one per reach direction)
PRETRAIN_STEPS, ADAPT_STEPS, SCRATCH_STEPS = 250, 100, 150
LR, LR_EMBED, LR_TRUNK_FINETUNE = 5e-3, 3e-2, 3e-4
LR_SCRATCH = 3e-3             # the from-scratch baseline's, the best of 8 settings on the pilot seeds
WINDOW = 1.0                  # s, one trial = one context window
N_OUT = 20                    # output queries per window (every 50 ms)
LATENT_STEP, LATENTS_PER_STEP = 0.125, 2       # 8 steps x 2 = 16 latents per window
T_MIN, T_MAX = 0.02, 2.0617                    # s, shortest and longest rotary period
SPIKE, START, END = 0, 1, 2                    # token types
VEL_SCALE = 10.0                               # cm/s: velocity targets are divided by it


# 1. The data. neuroai.neural simulates the sessions (its docstring says what every number stands for);
#    neuroai.nwb reads a real recording into the same Recording. One trial is one 1 s context window.

def show_data(recs, trial=0):
    """Figure: one reach of two sessions as spike rasters (each its own neurons), and the hand velocity."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), gridspec_kw={"width_ratios": [1, 1, 0.8]})
    for ax, rec in zip(axes[:2], recs[:2]):
        t0 = rec.trials["start"][trial]
        times, units = rec.spikes_in(t0, t0 + WINDOW)
        order = np.argsort(np.argsort(rec.units["preferred_direction"]))             # rows by preferred direction
        color = np.where(rec.units["cell_type"] == "inhibitory", "C3", "k")
        ax.scatter(times - t0, order[units], s=2, c=color[units])
        ax.axvline(rec.trials["move_onset"][trial] - t0, color="C0", lw=1)
        ax.set_title(f"{rec.session}: {rec.n_units} units, direction {rec.trials['direction'][trial]}")
        ax.set_xlabel("time in the trial (s); blue: movement onset")
        ax.set_ylabel("unit (by preferred direction); red: inhibitory")
    ax = axes[2]
    rec = recs[0]
    for k in range(16):
        t0 = rec.trials["start"][k]
        v = rec.velocity_at(t0 + np.linspace(0, WINDOW, 100))
        ax.plot(np.cumsum(v[:, 0]) * WINDOW / 100, np.cumsum(v[:, 1]) * WINDOW / 100,
                color=plt.cm.hsv(rec.trials["direction"][k] / 8))
    ax.set_aspect("equal")
    ax.set_title("hand paths (cm), 16 reaches")
    fig.tight_layout()
    return fig


# 2. Tokens (Eq. 1). A window [t0, t1) of a recording becomes a set of tokens: one per spike, carrying
#    the index of the unit that fired and the time it fired. A unit that is silent in the window would
#    leave no trace, so every unit also gets a START token at the window's start and an END token at its
#    end. The token's input vector is x = E_unit[u] + E_type[type]; its time enters only through the
#    rotary embedding below. Nothing is binned: the tokens are the events.

def tokenize_spikes(times, units, n_units, t0, t1):
    """The tokens of the window [t0, t1).

    times: (S,) float spike times (s); units: (S,) int64 unit of each spike, in [0, n_units).
    Returns (unit_index (N,) int64, timestamps (N,) float, token_type (N,) int64) with N = S' + 2 n_units,
    where S' is the number of spikes with t0 <= time < t1. Order: those spikes in their input order
    (type SPIKE = 0, timestamp time - t0), then one START token per unit 0..n_units-1 (type 1, time 0),
    then one END token per unit (type 2, time t1 - t0). Timestamps have the dtype of `times`.
    """
    keep = (times >= t0) & (times < t1)
    unit_ids = torch.arange(n_units, dtype=torch.int64)
    unit_index = torch.cat([units[keep], unit_ids, unit_ids])                         # (N,)
    timestamps = torch.cat([times[keep] - t0, torch.zeros(n_units, dtype=times.dtype),
                            torch.full((n_units,), t1 - t0, dtype=times.dtype)])      # (N,)
    token_type = torch.cat([torch.full((int(keep.sum()),), 0), torch.full((n_units,), 1),   # SPIKE, START,
                            torch.full((n_units,), 2)]).to(torch.int64)               # END  (N,)
    return unit_index, timestamps, token_type


# 3. Time as a rotation (Eq. 2). Split a head's vector into pairs (x_2j, x_2j+1) and turn pair j by the
#    angle omega_j t. The frequencies omega_j = 2 pi / T_j have periods T_j log-spaced between T_MIN and
#    T_MAX, so some pairs resolve milliseconds and others seconds. POYO turns only the first half of the
#    pairs (omega_j = 0 for the rest, room for content that does not depend on time); with our heads of
#    16 dimensions that leaves 4 frequencies, too few (measured in the chapter), so every pair turns here.

def rotary_frequencies(head_dim, t_min=T_MIN, t_max=T_MAX):
    """omega (head_dim // 2,): 2 pi / period for every pair of a head's dimensions, periods log-spaced in
    [t_min, t_max]. (POYO rotates only half of the pairs, with periods down to 0.1 ms; with heads of 16
    dimensions that would leave a few useful frequencies, so every pair turns here: see the chapter.)"""
    periods = torch.exp(torch.linspace(math.log(t_min), math.log(t_max), head_dim // 2, dtype=torch.float64))
    return (2 * math.pi / periods).float()


def rotate(x, t, omega):
    """Turn each pair (x_2j, x_2j+1) of the last dimension by the angle t * omega_j.

    x: (..., N, D) with D even; t: (..., N) times (s), broadcast against x's leading dimensions (for
    example x (B, H, N, D) with t (B, 1, N)); omega: (D // 2,) angular frequencies.
    Returns y of x's shape: y_2j = x_2j cos a - x_2j+1 sin a, y_2j+1 = x_2j sin a + x_2j+1 cos a, with
    a = t * omega_j. A rotation: it keeps lengths, and rotating by t then by -t gives x back.
    (Read each pair as the complex number x_2j + i x_2j+1: the rotation is a product with e^{i a}.)
    """
    angle = (t[..., None] * omega).to(x.dtype)                                        # (..., N, D/2)
    pairs = torch.view_as_complex(x.unflatten(-1, (-1, 2)).contiguous())               # (..., N, D/2)
    turned = pairs * torch.polar(torch.ones_like(angle), angle)                       # times e^{i a}
    return torch.view_as_real(turned).flatten(-2)                                     # (..., N, D)


# 4. Rotary attention (Eq. 3). Rotate queries by their times and keys by theirs: the score
#    <R(t_q) q, R(t_k) k> = <q, R(t_k - t_q) k> then depends only on the time between them. POYO also
#    rotates the values by their times and turns the output back by the query's time, so that what a
#    query receives from a token is also expressed relative to the query's own time.

def rotary_attention(q, k, v, t_q, t_k, omega, mask=None, rotate_value=True):
    """Multi-head attention with rotary time embeddings.

    q: (B, H, Nq, Dh) queries at times t_q (B, Nq); k, v: (B, H, Nk, Dh) keys and values at times
    t_k (B, Nk); omega: (Dh // 2,) from rotary_frequencies; mask: (B, Nk) bool, True for real tokens
    (padding is False) or None. Every query must see at least one real token.
    out = softmax(q' k'^T / sqrt(Dh)) v', with q' = rotate(q, t_q), k' = rotate(k, t_k), and, when
    rotate_value, v' = rotate(v, t_k) and the output turned back: out <- rotate(out, -t_q).
    Returns out (B, H, Nq, Dh).
    """
    q = rotate(q, t_q[:, None], omega)                                                # (B, H, Nq, Dh)
    k = rotate(k, t_k[:, None], omega)                                                # (B, H, Nk, Dh)
    if rotate_value:
        v = rotate(v, t_k[:, None], omega)
    attn_mask = None if mask is None else mask[:, None, None, :]                      # (B, 1, 1, Nk)
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)   # (B, H, Nq, Dh)
    if rotate_value:
        out = rotate(out, -t_q[:, None], omega)
    return out


# 5. The model (PerceiverIO; Jaegle et al., 2021). Spike tokens are compressed by cross-attention into a
#    small, fixed set of latent tokens spread over the window (LATENTS_PER_STEP learned embeddings
#    repeated every LATENT_STEP s); self-attention layers process the latents; queries at the output
#    times (the session's embedding, so that each session can have its own readout) read the behaviour
#    out of the latents by cross-attention. Compute scales with the number of spikes only in the first
#    layer, and the model never needs to know how many neurons a session has.

class Attention(nn.Module):
    """Pre-norm rotary attention of `x` (B, Nq, D) onto `context` (B, Nk, D)."""

    def __init__(self, dim, heads, rotate_value=True):
        super().__init__()
        self.heads, self.rotate_value = heads, rotate_value
        self.norm_q, self.norm_kv = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.to_q, self.to_kv = nn.Linear(dim, dim, bias=False), nn.Linear(dim, 2 * dim, bias=False)
        self.out = nn.Linear(dim, dim)
        self.register_buffer("omega", rotary_frequencies(dim // heads), persistent=False)

    def forward(self, x, t_x, context, t_c, mask=None):
        B, Nq, D = x.shape
        split = lambda a: a.view(B, -1, self.heads, D // self.heads).transpose(1, 2)   # (B, H, N, Dh)
        q = split(self.to_q(self.norm_q(x)))
        k, v = map(split, self.to_kv(self.norm_kv(context)).chunk(2, dim=-1))
        o = rotary_attention(q, k, v, t_x, t_c, self.omega, mask, self.rotate_value)   # (B, H, Nq, Dh)
        return self.out(o.transpose(1, 2).reshape(B, Nq, D))                           # (B, Nq, D)


class FeedForward(nn.Module):
    """Pre-norm GEGLU feed-forward (Shazeer, 2020), as in POYO."""

    def __init__(self, dim, mult=2):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 2 * mult * dim))
        self.proj = nn.Linear(mult * dim, dim)

    def forward(self, x):
        a, gate = self.net(x).chunk(2, dim=-1)
        return self.proj(a * F.gelu(gate))


class POYO(nn.Module):
    def __init__(self, n_units, n_sessions, dim=32, heads=2, depth=2):
        super().__init__()
        self.unit_emb = nn.Embedding(n_units, dim)            # one row per unit of every session
        self.type_emb = nn.Embedding(3, dim)                  # SPIKE, START, END
        self.latent_emb = nn.Embedding(LATENTS_PER_STEP, dim)
        self.session_emb = nn.Embedding(n_sessions, dim)      # the output queries
        self.encode, self.encode_ff = Attention(dim, heads), FeedForward(dim)
        self.process = nn.ModuleList([Attention(dim, heads) for _ in range(depth)])
        self.process_ff = nn.ModuleList([FeedForward(dim) for _ in range(depth)])
        self.decode = Attention(dim, heads, rotate_value=False)
        self.decode_ff = FeedForward(dim)
        self.readout = nn.Linear(dim, 2)                      # hand velocity (x, y)
        n_steps = round(WINDOW / LATENT_STEP)
        t_lat = (torch.arange(n_steps) + 0.5) * LATENT_STEP                       # step centres
        self.register_buffer("t_latent", t_lat.repeat_interleave(LATENTS_PER_STEP), persistent=False)
        self.register_buffer("latent_ids", torch.arange(LATENTS_PER_STEP).repeat(n_steps), persistent=False)
        for emb in (self.unit_emb, self.type_emb, self.latent_emb, self.session_emb):
            nn.init.normal_(emb.weight, std=0.02)     # small: Adam's steps move them fast

    def forward(self, batch):
        """batch: unit (B, N) int64 (global unit index), time (B, N), type (B, N), mask (B, N) bool,
        session (B,) int64, t_out (B, Q). Returns predicted velocity (B, Q, 2)."""
        x = self.unit_emb(batch["unit"]) + self.type_emb(batch["type"])          # (B, N, D) Eq. 1
        B = x.shape[0]
        lat = self.latent_emb(self.latent_ids).expand(B, -1, -1)                 # (B, L, D)
        t_lat = self.t_latent.expand(B, -1)                                      # (B, L)
        lat = lat + self.encode(lat, t_lat, x, batch["time"], batch["mask"])     # spikes -> latents
        lat = lat + self.encode_ff(lat)
        for attn, ff in zip(self.process, self.process_ff):                      # latents <-> latents
            lat = lat + attn(lat, t_lat, lat, t_lat)
            lat = lat + ff(lat)
        Q = batch["t_out"].shape[1]
        query = self.session_emb(batch["session"])[:, None].expand(-1, Q, -1)    # (B, Q, D)
        out = query + self.decode(query, batch["t_out"], lat, t_lat)             # latents -> outputs
        out = out + self.decode_ff(out)
        return self.readout(out)                                                 # (B, Q, 2)


# 6. Data, training and adaptation.

def session_windows(rec, trials, unit_offset, session_index):
    """The windows (one per trial) of a recording as token lists, with velocity targets at N_OUT times.
    Unit indices are shifted by unit_offset so that every unit of every session has its own row."""
    times, units = torch.from_numpy(rec.spike_times).float(), torch.from_numpy(rec.spike_units)
    t_out = (torch.arange(N_OUT) + 0.5) * WINDOW / N_OUT                                 # (Q,)
    windows = []
    for k in trials:
        t0 = float(rec.trials["start"][k])
        lo, hi = np.searchsorted(rec.spike_times, [t0, t0 + WINDOW])
        unit, time, kind = tokenize_spikes(times[lo:hi], units[lo:hi], rec.n_units, t0, t0 + WINDOW)
        target = torch.from_numpy(rec.velocity_at(t0 + t_out.double().numpy()) / VEL_SCALE).float()
        windows.append({"unit": unit + unit_offset, "time": time, "type": kind, "session": session_index,
                        "t_out": t_out, "target": target})
    return windows


def collate(windows, device="cpu"):
    """Pad a list of windows to one batch (padding masked out)."""
    pad = lambda key: nn.utils.rnn.pad_sequence([w[key] for w in windows], batch_first=True)
    lengths = torch.tensor([len(w["unit"]) for w in windows])
    batch = {"unit": pad("unit"), "time": pad("time"), "type": pad("type"),
             "mask": torch.arange(int(lengths.max()))[None] < lengths[:, None],
             "session": torch.tensor([w["session"] for w in windows]),
             "t_out": torch.stack([w["t_out"] for w in windows]), "target": torch.stack([w["target"] for w in windows])}
    return {k: v.to(device) for k, v in batch.items()}


def drop_units(batch, gen):
    """Unit dropout (POYO's augmentation): in each window keep a random fraction in [0.5, 1] of the units
    and mask out every token of the others, so that the model cannot lean on any one neuron."""
    B, n_units = batch["unit"].shape[0], int(batch["unit"].max()) + 1
    frac = 0.5 + 0.5 * torch.rand(B, 1, generator=gen)                                 # (B, 1)
    keep = torch.rand(B, n_units, generator=gen) < frac                                # (B, n_units)
    return {**batch, "mask": batch["mask"] & torch.gather(keep.to(batch["unit"].device), 1, batch["unit"])}


def train(model, windows, steps, params=None, lr=LR, batch=16, seed=0, progress=True, desc="train",
          unit_dropout=True):
    """AdamW on the MSE of the velocity (Eq. 4), on random batches of windows, one-cycle learning rate."""
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    groups = params if params is not None else [{"params": model.parameters()}]
    opt = torch.optim.AdamW(groups, lr=lr, weight_decay=1e-4, foreach=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g.get("lr", lr) for g in opt.param_groups],
                                                total_steps=steps, pct_start=0.1)
    model.train()
    for _ in tqdm(range(steps), desc=desc, disable=not progress, leave=False):
        idx = torch.randint(len(windows), (min(batch, len(windows)),), generator=gen)
        b = collate([windows[i] for i in idx], device)
        if unit_dropout:
            b = drop_units(b, gen)
        loss = F.mse_loss(model(b), b["target"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model


@torch.no_grad()
def r2_score(model, windows):
    """Coefficient of determination of the decoded velocity over all output times of `windows`, averaged
    over x and y: 1 - sum (y - y_hat)^2 / sum (y - mean y)^2."""
    model.eval()
    device = next(model.parameters()).device
    pred = torch.cat([model(collate(windows[i:i + 64], device)) for i in range(0, len(windows), 64)]).cpu()
    y = torch.stack([w["target"] for w in windows])                                      # (n, Q, 2)
    sse = ((y - pred) ** 2).sum(dim=(0, 1))
    sst = ((y - y.mean(dim=(0, 1))) ** 2).sum(dim=(0, 1))
    return float((1 - sse / sst).mean())


def add_session(model, n_new_units):
    """Grow the unit and session tables by a new session's rows (new units: random, like any unit at
    the start of training; the new session: the mean of the known ones). Returns (index of the first
    new unit, index of the new session)."""
    dim, device = model.unit_emb.embedding_dim, model.unit_emb.weight.device
    old_u, old_s = model.unit_emb.num_embeddings, model.session_emb.num_embeddings
    unit, session = nn.Embedding(old_u + n_new_units, dim).to(device), nn.Embedding(old_s + 1, dim).to(device)
    with torch.no_grad():
        nn.init.normal_(unit.weight, std=0.02)
        unit.weight[:old_u] = model.unit_emb.weight
        session.weight[:old_s] = model.session_emb.weight
        session.weight[old_s] = model.session_emb.weight.mean(0)
    model.unit_emb, model.session_emb = unit, session
    return old_u, old_s


def adapt(model, windows, first_unit, session, mode, steps=ADAPT_STEPS, seed=0, progress=True):
    """Fit a trained model to a new session's labelled windows (after add_session). The rows of the
    known units and sessions never change.
    mode "unit_id": learn only the new units' and the new session's embeddings (POYO's unit
    identification), at LR_EMBED; the rest of the model stays frozen.
    mode "full": fine-tune every weight as well: the new embeddings at LR_EMBED, the rest at
    LR_TRUNK_FINETUNE (the best of 3e-4, 1e-3 and 3e-3 on pilot seeds)."""
    tables = [model.unit_emb.weight, model.session_emb.weight]
    rest = [p for n, p in model.named_parameters() if n not in ("unit_emb.weight", "session_emb.weight")]
    for p in rest:
        p.requires_grad_(mode == "full")
    new_units = (torch.arange(len(tables[0]), device=tables[0].device) >= first_unit).float()[:, None]
    new_session = (torch.arange(len(tables[1]), device=tables[1].device) >= session).float()[:, None]
    hooks = [tables[0].register_hook(lambda g: g * new_units),            # known rows get no gradient
             tables[1].register_hook(lambda g: g * new_session)]
    groups = [{"params": tables, "lr": LR_EMBED, "weight_decay": 0.0}]
    if mode == "full":
        groups.append({"params": rest, "lr": LR_TRUNK_FINETUNE})
    train(model, windows, steps, params=groups, seed=seed, progress=progress, desc=mode)
    for h in hooks:
        h.remove()
    for p in rest:
        p.requires_grad_(True)
    return model


def ridge_baseline(rec, train_trials, test_trials, bin_size=0.05, lags=4):
    """A classical single-session decoder (a Wiener filter): ridge regression of the velocity on the
    spike counts of the last `lags` bins, penalty chosen by leave-one-trial-out cross-validation."""
    def design(trials):
        X, Y = [], []
        for k in trials:
            t0 = float(rec.trials["start"][k])
            counts = rec.binned(t0 - (lags - 1) * bin_size, t0 + WINDOW, bin_size)    # (lags-1+Q, N)
            sq = np.sqrt(counts)
            X.append(np.concatenate([sq[i:i + N_OUT] for i in range(lags)], axis=1))   # (Q, lags N)
            Y.append(rec.velocity_at(t0 + (np.arange(N_OUT) + 0.5) * WINDOW / N_OUT) / VEL_SCALE)
        return np.stack(X), np.stack(Y)                                                # (n, Q, F), (n, Q, 2)

    Xtr, Ytr = design(train_trials)
    Xte, Yte = design(test_trials)
    mu, sd = Xtr.reshape(-1, Xtr.shape[-1]).mean(0), Xtr.reshape(-1, Xtr.shape[-1]).std(0) + 1e-6
    fit = lambda X, Y, a: np.linalg.solve(X.T @ X + a * np.eye(X.shape[1]), X.T @ Y)
    flat = lambda X: np.concatenate([(X.reshape(-1, X.shape[-1]) - mu) / sd, np.ones((X.size // X.shape[-1], 1))], 1)
    best, best_err = None, np.inf
    for a in 10.0 ** np.arange(-1, 5):
        err = 0.0
        for k in range(len(Xtr)):                                                       # leave one trial out
            rest = [i for i in range(len(Xtr)) if i != k]
            W = fit(flat(Xtr[rest]), Ytr[rest].reshape(-1, 2), a)
            err += ((flat(Xtr[k:k + 1]) @ W - Ytr[k].reshape(-1, 2)) ** 2).sum()
        if err < best_err:
            best, best_err = a, err
    W = fit(flat(Xtr), Ytr.reshape(-1, 2), best)
    pred = (flat(Xte) @ W).reshape(Yte.shape)
    sse, sst = ((Yte - pred) ** 2).sum((0, 1)), ((Yte - Yte.mean((0, 1))) ** 2).sum((0, 1))
    return float((1 - sse / sst).mean())




# 7. The experiment. Seven simulated sessions (two monkeys, 30-60 units each, 100 reaches): train on the
#    first 70 trials of six of them, test on their last 30; then meet the seventh, new session with only
#    N_LABELLED labelled trials and test on its last 30, four ways: unit identification, full
#    fine-tuning, the same model trained from scratch on the labelled trials, and a ridge decoder.

def run(seed=0, device="cpu", progress=True, n_labelled=N_LABELLED):
    """Train across sessions, adapt to the new one, and measure. Returns a dict (the trained model too)."""
    recs = neural.simulate_sessions(N_TRAIN_SESSIONS + 1, n_trials=N_TRIALS, seed=seed)
    fit, held_out = range(N_TRIALS - N_TEST_TRIALS), range(N_TRIALS - N_TEST_TRIALS, N_TRIALS)
    train_w, test_w, offset = [], [], 0
    for s, rec in enumerate(recs[:N_TRAIN_SESSIONS]):
        train_w += session_windows(rec, fit, offset, s)
        test_w.append(session_windows(rec, held_out, offset, s))
        offset += rec.n_units
    torch.manual_seed(seed)
    model = POYO(offset, N_TRAIN_SESSIONS).to(device)
    train(model, train_w, PRETRAIN_STEPS, seed=seed, progress=progress, desc="train on 6 sessions")
    out = {"seed": seed, "model": model, "recordings": recs, "n_labelled": n_labelled,
           "pretrained_r2": [r2_score(model, w) for w in test_w]}
    out.update(new_session(model, recs[-1], n_labelled, seed, progress))
    return out


def new_session(model, rec, n_labelled, seed=0, progress=True):
    """The four ways to decode a new session from n_labelled trials, scored on its last N_TEST_TRIALS."""
    held_out = range(N_TRIALS - N_TEST_TRIALS, N_TRIALS)
    out = {"r2": {}, "traces": {}}
    for mode in ("unit_id", "full"):
        m = copy.deepcopy(model)
        first_unit, session = add_session(m, rec.n_units)
        labelled = session_windows(rec, range(n_labelled), first_unit, session)
        adapt(m, labelled, first_unit, session, mode, seed=seed, progress=progress)
        test = session_windows(rec, held_out, first_unit, session)
        out["r2"][mode], out["traces"][mode] = r2_score(m, test), predict(m, test[:4])
    torch.manual_seed(seed)
    scratch = POYO(rec.n_units, 1).to(next(model.parameters()).device)
    train(scratch, session_windows(rec, range(n_labelled), 0, 0), SCRATCH_STEPS, lr=LR_SCRATCH, seed=seed,
          progress=progress, desc="from scratch")
    test = session_windows(rec, held_out, 0, 0)
    out["r2"]["scratch"], out["traces"]["scratch"] = r2_score(scratch, test), predict(scratch, test[:4])
    out["r2"]["ridge"] = ridge_baseline(rec, range(n_labelled), held_out)
    out["traces"]["true"] = torch.stack([w["target"] for w in test[:4]])
    return out


@torch.no_grad()
def predict(model, windows):
    model.eval()
    return model(collate(windows, next(model.parameters()).device)).cpu()


@torch.no_grad()
def permutation_diff(model, windows):
    """Largest change of the output when the tokens of every window are shuffled: spikes are a set."""
    model.eval()
    batch = collate(windows, next(model.parameters()).device)
    gen = torch.Generator().manual_seed(0)
    order = torch.stack([torch.randperm(batch["unit"].shape[1], generator=gen) for _ in windows]).to(batch["unit"].device)
    shuffled = {k: (torch.gather(v, 1, order) if k in ("unit", "time", "type", "mask") else v) for k, v in batch.items()}
    return float((model(batch) - model(shuffled)).abs().max())


# 8. The claim, measured.

def check(out):
    """Compare the measurements with the claim's thresholds. Returns (measured, thresholds, holds)."""
    r2 = out["r2"]
    measured = {
        "pretrained_r2_mean": float(np.mean(out["pretrained_r2"])),
        "pretrained_r2_min": float(np.min(out["pretrained_r2"])),
        "new_unit_id_r2": r2["unit_id"],
        "new_full_finetune_r2": r2["full"],
        "new_scratch_r2": r2["scratch"],
        "new_ridge_r2": r2["ridge"],
        "unit_id_minus_scratch": r2["unit_id"] - r2["scratch"],
        "unit_id_fraction_of_full": r2["unit_id"] / r2["full"] if r2["full"] > 0 else float("nan"),
    }
    thresholds = {
        "pretrained_r2_mean": f">= {R2_PRETRAINED}",
        "unit_id_minus_scratch": f">= {GAIN_OVER_SCRATCH}",
        "unit_id_fraction_of_full": f">= {FRACTION_OF_FULL}",
    }
    holds = (measured["pretrained_r2_mean"] >= R2_PRETRAINED
             and measured["unit_id_minus_scratch"] >= GAIN_OVER_SCRATCH
             and r2["full"] > 0 and measured["unit_id_fraction_of_full"] >= FRACTION_OF_FULL)
    return measured, thresholds, holds


def claim_line(measured, holds):
    """One printed line: the claim's numbers and the verdict (the notebook and the CLI print it)."""
    m = measured
    return (f"{LESSON_ID}: held-out R^2 on the 6 training sessions {m['pretrained_r2_mean']:.2f} (>= {R2_PRETRAINED}); "
            f"new session, {N_LABELLED} labelled trials: unit identification {m['new_unit_id_r2']:.2f}, from scratch "
            f"{m['new_scratch_r2']:.2f} (gain {m['unit_id_minus_scratch']:+.2f}, >= {GAIN_OVER_SCRATCH}), full fine-tuning "
            f"{m['new_full_finetune_r2']:.2f} (unit identification reaches {m['unit_id_fraction_of_full']:.0%}, "
            f">= {FRACTION_OF_FULL:.0%}), ridge {m['new_ridge_r2']:.2f} -> claim {'HOLDS' if holds else 'FAILS'}")


def plot(out):
    """Figure: (a) held-out R^2 per training session, (b) the new session four ways, (c) decoded velocity
    of held-out reaches of the new session."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    ax = axes[0]
    ax.bar(range(len(out["pretrained_r2"])), out["pretrained_r2"], color="C0")
    ax.axhline(R2_PRETRAINED, color="k", ls="--", lw=1)
    ax.set_xlabel("training session")
    ax.set_ylabel("held-out R$^2$ (velocity)")
    ax.set_ylim(0, 1)
    ax.set_title("(a) one model, six sessions")

    ax = axes[1]
    names = ("unit_id", "full", "scratch", "ridge")
    labels = ("unit ID\n(embeddings)", "full\nfine-tune", "POYO from\nscratch", "ridge\n(Wiener)")
    ax.bar(labels, [out["r2"][n] for n in names], color=("C0", "C2", "C1", "gray"))
    ax.set_ylabel("held-out R$^2$, new session")
    ax.set_ylim(min(0, *[out["r2"][n] for n in names]), 1)
    ax.set_title(f"(b) new session, {out['n_labelled']} labelled trials")

    ax = axes[2]
    t = (torch.arange(N_OUT) + 0.5) * WINDOW / N_OUT
    for i in range(2):
        true = out["traces"]["true"][i]
        ax.plot(t + i * 1.1, true[:, 0], color="k", lw=2, label="true" if i == 0 else None)
        ax.plot(t + i * 1.1, out["traces"]["unit_id"][i][:, 0], color="C0", label="unit ID" if i == 0 else None)
        ax.plot(t + i * 1.1, out["traces"]["scratch"][i][:, 0], color="C1", label="from scratch" if i == 0 else None)
    ax.set_xlabel("time (s), two held-out reaches")
    ax.set_ylabel(f"hand velocity x (x {VEL_SCALE:.0f} cm/s)")
    ax.legend(fontsize=8)
    ax.set_title("(c) decoding the new session")

    fig.tight_layout()
    return fig


def reproduce(seed=0, device="cpu", progress=True):
    """The lesson's claim check, as `neuroai reproduce` runs it."""
    out = run(seed=seed, device=device, progress=progress)
    measured, thresholds, holds = check(out)
    return {"claim": CLAIM, "measured": measured, "thresholds": thresholds, "holds": holds,
            "line": claim_line(measured, holds), "figure": plot(out)}


# 9. A knob to turn: how many labelled trials the new session gets. With more of them, training from
#    scratch catches up; with fewer, what the model learned from the other sessions is all it has.

def explore_labelled(out, n_labelled=16):
    """Adapt the trained model of `out` to the new session with n_labelled trials and redraw (b) and (c)."""
    res = new_session(out["model"], out["recordings"][-1], n_labelled, out["seed"], progress=False)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    names = ("unit_id", "full", "scratch", "ridge")
    axes[0].bar(("unit ID", "full", "scratch", "ridge"), [res["r2"][n] for n in names], color=("C0", "C2", "C1", "gray"))
    axes[0].set_ylim(min(0, *[res["r2"][n] for n in names]), 1)
    axes[0].set_ylabel("held-out R$^2$, new session")
    axes[0].set_title(f"{n_labelled} labelled trials")
    t = (torch.arange(N_OUT) + 0.5) * WINDOW / N_OUT
    axes[1].plot(t, res["traces"]["true"][0][:, 0], color="k", lw=2, label="true")
    axes[1].plot(t, res["traces"]["unit_id"][0][:, 0], color="C0", label="unit ID")
    axes[1].plot(t, res["traces"]["scratch"][0][:, 0], color="C1", label="from scratch")
    axes[1].set_xlabel("time (s)")
    axes[1].legend(fontsize=8)
    axes[1].set_title("a held-out reach, velocity x")
    fig.tight_layout()
    plt.show()
