"""Mixture-of-Depths: a transformer learns which tokens to spend its compute on.

Reference implementation of the lesson `mixture-of-depths` (module 5, sparse event-driven computation),
after Raposo, Ritter, Richards, Lillicrap, Humphreys & Santoro, "Mixture-of-Depths: Dynamically
allocating compute in transformer-based language models" (arXiv:2404.02258, 2024). It reads top to
bottom like the paper's method (equation numbers as in the lesson's chapter):

  1. the data: sequences in which a few tokens need computation (an associative-recall task)
  2. routing: a router scores every token, the top k = C * S go through the block          (Eq. 1)
  3. the routed update: x'_i = r_i f_i(X_tilde) + x_i for routed tokens, x_i otherwise      (Eq. 2)
  4. the causal predictor: top-k is not causal, so a small MLP learns to predict it        (Eq. 3)
  5. the model: a dense block, then a block that is dense, routed by the router, or routed at random
  6. the experiment: train the three models, count the operations of their forward passes
  7. the claim, measured, and the figure

Run it with `neuroai reproduce mixture-of-depths --seed 0`.
"""
import math

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from neuroai import ops

LESSON_ID = "mixture-of-depths"
CLAIM = ("With capacity 25% in its routed block, learned routing beats random routing on the tokens that need "
         "computation by >= 0.5 nats; it routes >= 40% of those tokens (random: 25%); the causal predictor agrees "
         "with top-k on >= 93% of tokens, and routing by the predictor costs <= 0.15 nats. (Reported, not claimed: "
         "the paper's isoFLOP finding, that MoD matches dense at equal training compute, does not reproduce here on "
         "most seeds; the MACs it saves follow from the capacity: a unit test.)")
GAIN = 0.5            # nats: learned routing better than random routing at the value tokens
COVERAGE = 0.4        # fraction of value tokens routed (random routing: the capacity, 0.25)
AGREEMENT = 0.93      # predictor vs top-k, over all tokens (always "not routed" would give 0.75)
CAUSAL_SLACK = 0.15   # nats: value loss with the predictor routing minus with top-k routing
ISO_MATCH = 0.05      # nats: "matches dense at equal training compute" (the brief's margin), reported
STEPS = 400           # the dense model's training steps

# 1. The data. Token ids: 8 filler tokens, 8 keys, 8 values. Filler token t is t mod 8, known from the
#    position alone. N_PAIRS times per sequence a random key-value pair is stored as "K_i V_j s" with a
#    checksum s = (i + j) mod 8 (a filler id). Keys and values are random, so nothing predicts them; the
#    filler is predictable from the embedding of its position. Only at a value token is there work to
#    do: to predict the checksum that follows, the network must combine the value with the key before
#    it, a nonlinear function that a linear readout of the embeddings cannot compute (the MLP can).
FILLER, KEY, VALUE = 0, 8, 16                     # first id of each group of 8
VOCAB, SEQ_LEN, N_PAIRS = 24, 32, 4
KINDS = ("filler", "key", "value", "checksum")    # kind codes 0..3


def pair_batch(batch, gen, seq_len=SEQ_LEN, n_pairs=N_PAIRS):
    """A batch of sequences. Returns tokens (B, S) int64 and kind (B, S) int64 (codes as in KINDS)."""
    B, S = batch, seq_len
    seg = S // n_pairs                                                           # one pair per segment
    tokens = FILLER + torch.arange(S).repeat(B, 1) % 8                           # (B, S) filler = pos mod 8
    kind = torch.zeros(B, S, dtype=torch.long)
    rows = torch.arange(B)
    for p in range(n_pairs):
        i, j = torch.randint(0, 8, (2, B), generator=gen)                        # (B,) key, value
        at = p * seg + torch.randint(0, seg - 2, (B,), generator=gen)            # (B,) where "K V s" goes
        tokens[rows, at], tokens[rows, at + 1], tokens[rows, at + 2] = KEY + i, VALUE + j, FILLER + (i + j) % 8
        kind[rows, at], kind[rows, at + 1], kind[rows, at + 2] = 1, 2, 3
    return tokens, kind


# 2. Routing (Eq. 1). The router gives each token a scalar score r_i = w^T x_i. With capacity C, the
#    k = C * S highest-scoring tokens of each sequence take part in the block; k is fixed in advance, so
#    every tensor has a known size (a static compute graph), while which tokens go is up to the router.

def topk_route(scores, capacity):
    """The tokens a routed block processes: the k = max(1, int(capacity * S)) highest scores of each row.

    scores: (B, S) router scores. capacity: fraction of the tokens, in (0, 1].
    Returns idx (B, k) int64: the chosen positions of each row, sorted in increasing order (so that the
    routed tokens keep their order in the sequence and causal attention among them stays causal).
    """
    k = max(1, int(capacity * scores.shape[1]))
    idx = torch.topk(scores, k, dim=1).indices                   # (B, k) in order of score
    return torch.sort(idx, dim=1).values                         # (B, k) in order of position


# 3. The routed update (Eq. 2). The block computes f on the routed tokens X_tilde only (attention among
#    them, then the MLP); its output, scaled by each token's router score, is added to the residual
#    stream. Scaling by r_i is what puts the router on the gradient path: top-k itself has no gradient.

def mod_update(x, f_out, scores, idx):
    """x'_i = r_i f_i + x_i for the routed positions i in idx; x'_i = x_i for the others.

    x: (B, S, D) residual stream. f_out: (B, k, D) the block's output for the routed tokens, in the
    order of idx. scores: (B, S) router scores r. idx: (B, k) int64 routed positions.
    Returns x' of shape (B, S, D), a new tensor (x is not modified). It must stay differentiable in x,
    f_out and scores (the router learns only through r_i): the hidden tests check those gradients too.
    """
    r = torch.gather(scores, 1, idx)                                            # (B, k) r_i of routed
    index = idx[:, :, None].expand(-1, -1, x.shape[-1])                         # (B, k, D)
    return x.scatter_add(1, index, r[:, :, None] * f_out)                       # (B, S, D)


# 4. The causal predictor (Eq. 3). Whether token i is in the top k depends on the scores of later tokens,
#    which do not exist yet when sampling one token at a time. A small MLP reads x_i (with the gradient
#    stopped, so it does not change what the model learns) and predicts whether the router would pick
#    token i; trained with binary cross-entropy on the top-k membership.

def predictor_loss(pred_logits, idx):
    """Binary cross-entropy between the predictor's logits and the top-k membership.

    pred_logits: (B, S) logits of "token i is routed". idx: (B, k) int64 routed positions (from topk_route).
    Targets are 1 at the routed positions and 0 elsewhere; the loss is the mean over all B * S tokens of
    -[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))]. Returns a 0-dim tensor.
    """
    targets = torch.zeros_like(pred_logits).scatter(1, idx, 1.0)               # (B, S) top-k membership
    return torch.nn.functional.binary_cross_entropy_with_logits(pred_logits, targets)   # mean over B * S


# 5. The model. A pre-norm transformer block computes f(X) = its output minus its input. The routed
#    variant runs it on the gathered tokens X_tilde (B, k, D) and adds it back with mod_update.

class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        """f(X) for a (B, T, D) sequence: causal self-attention, then the MLP, both residual."""
        B, T, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.heads, D // self.heads).unbind(2)  # (B, T, H, Dh)
        a = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                           is_causal=True)                       # (B, H, T, Dh)
        h = x + self.proj(a.transpose(1, 2).reshape(B, T, D))                    # (B, T, D)
        h = h + self.mlp(self.ln2(h))
        return h - x                                                             # (B, T, D) f(X)


class MoDTransformer(nn.Module):
    """Embeddings, one transformer block, a readout. The block is "dense" (every token), "learned" (the
    router's top k) or "random" (k random tokens). Each token's embedding also holds the token before it
    (a "previous-token" embedding), so that recall needs one attention step, not two."""

    def __init__(self, routing="learned", capacity=0.25, d=32, heads=2, vocab=VOCAB, seq_len=SEQ_LEN):
        super().__init__()
        self.routing, self.capacity = routing, capacity
        self.tok, self.prev = nn.Embedding(vocab, d), nn.Embedding(vocab + 1, d)  # prev: id `vocab` = start
        self.pos = nn.Embedding(seq_len, d)
        self.block = Block(d, heads)
        self.router = nn.Linear(d, 1, bias=False)                                # r_i = w^T x_i
        self.predictor = nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Linear(16, 1))
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab)

    def embed(self, tokens):
        """tokens (B, S) -> x (B, S, D): this token, the previous token, the position."""
        B, S = tokens.shape
        prev = torch.cat([torch.full_like(tokens[:, :1], VOCAB), tokens[:, :-1]], dim=1)   # (B, S)
        return self.tok(tokens) + self.prev(prev) + self.pos(torch.arange(S, device=tokens.device))

    def forward(self, tokens, causal=False):
        """tokens (B, S) -> logits (B, S, V) and what the routed block did. causal=True routes with the
        predictor (every token it predicts "routed"), one sequence at a time, as sampling would."""
        x = self.embed(tokens)                                                   # (B, S, D)
        info = {}
        if self.routing == "dense":
            x = x + self.block(x)
        else:
            scores = self.router(x).squeeze(-1)                                  # (B, S) Eq. 1
            info["pred_logits"] = self.predictor(x.detach()).squeeze(-1)         # (B, S) Eq. 3
            if causal:
                x = self.causal_routed(x, scores, info["pred_logits"] > 0)
            else:
                if self.routing == "learned":
                    idx = topk_route(scores.detach(), self.capacity)             # (B, k)
                else:
                    idx = topk_route(torch.rand_like(scores), self.capacity)     # (B, k) random tokens
                x_tilde = torch.gather(x, 1, idx[:, :, None].expand(-1, -1, x.shape[-1]))   # (B, k, D)
                x = mod_update(x, self.block(x_tilde), scores, idx)              # Eq. 2
                info["idx"] = idx
        return self.head(self.ln(x)), info

    def causal_routed(self, x, scores, chosen):
        """The routed block with the predictor's decisions (B, S) bool: a variable number of tokens per
        sequence, so one sequence at a time."""
        rows = []
        for b in range(x.shape[0]):
            idx = chosen[b].nonzero().T                                          # (1, n)
            f = self.block(x[b:b + 1, idx[0]]) if idx.numel() else x[b:b + 1, :0]
            rows.append(mod_update(x[b:b + 1], f, scores[b:b + 1], idx))
        return torch.cat(rows)


# 6. The experiment. Keys and values are random: no model can predict them, and their loss would only add
#    noise, so the training loss is the next-token cross-entropy over the positions whose target can be
#    predicted (filler and checksums). The routed models add the predictor's loss.

def value_loss(logits, tokens, kind):
    """Cross-entropy (nats) and accuracy of the checksum prediction at the value tokens, the only
    positions where the block has work to do."""
    at = kind[:, :-1] == 2                                                       # (B, S-1)
    pred, target = logits[:, :-1][at], tokens[:, 1:][at]                         # (n, V), (n,)
    return float(F.cross_entropy(pred, target)), float((pred.argmax(-1) == target).float().mean())


def train(model, steps, seed, batch=32, lr=1e-2, progress=True, desc="train"):
    """Adam on the next-token loss of the predictable positions (+ the predictor's BCE when routed)."""
    gen = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in tqdm(range(steps), desc=desc, disable=not progress, leave=False):
        tokens, kind = pair_batch(batch, gen)
        tokens, kind = tokens.to(device), kind.to(device)
        logits, info = model(tokens)
        keep = (kind[:, 1:] != 1) & (kind[:, 1:] != 2)                           # (B, S-1) predictable targets
        loss = F.cross_entropy(logits[:, :-1][keep], tokens[:, 1:][keep])
        if "idx" in info:
            loss = loss + predictor_loss(info["pred_logits"], info["idx"])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def evaluate(model, tokens, kind):
    """Checksum loss and accuracy at the value tokens, what was routed, how well the predictor agrees
    with top-k, the loss when the predictor routes (as in sampling), and the counted MACs and time."""
    model.eval()
    with torch.no_grad():
        logits, info = model(tokens)
        out = dict(zip(("loss", "acc"), value_loss(logits, tokens, kind)))
        if "idx" in info:
            routed = torch.zeros_like(tokens, dtype=torch.bool).scatter(1, info["idx"], True)   # (B, S)
            out["routed_by_kind"] = (torch.bincount(kind[routed].cpu(), minlength=len(KINDS))
                                     / int(routed.sum())).tolist()
            out["values_routed"] = float(routed[kind == 2].float().mean())      # coverage of the work
            predicted = info["pred_logits"] > 0
            out["predictor_agree"] = float((predicted == routed).float().mean())
            logits_c, _ = model(tokens[:64], causal=True)                       # predictor routes, causally
            out["causal_routed_fraction"] = float(predicted[:64].float().mean())   # tokens it routes then
            out["causal_loss"], out["causal_acc"] = value_loss(logits_c, tokens[:64], kind[:64])
    counted = ops.measure(model, tokens[:1], events=False)                     # one sequence, counted
    out["macs"], out["seconds"] = counted.macs, counted.seconds
    return out


def forward_macs(model):
    """Counted MACs of one forward pass of one sequence: what a training step costs per sequence (the
    backward pass multiplies it by about 3 for every model alike, so the ratio stays)."""
    tokens, _ = pair_batch(1, torch.Generator().manual_seed(0))
    return ops.measure(model, tokens.to(next(model.parameters()).device), events=False, repeat=1).macs


def run(seed=0, steps=STEPS, capacity=0.25, device="cpu", progress=True):
    """Train a dense, a learned-routing and a random-routing model for `steps` on the same data, and a
    learned-routing model for as many steps as the dense model's training compute buys (isoFLOP, the
    paper's comparison: steps / MAC fraction); evaluate them all."""
    tokens, kind = pair_batch(512, torch.Generator().manual_seed(10_000 + seed))      # held-out test set
    tokens, kind = tokens.to(device), kind.to(device)
    fraction = (forward_macs(MoDTransformer("learned", capacity).to(device))
                / forward_macs(MoDTransformer("dense").to(device)))              # counted MACs per step
    iso_steps = round(steps / fraction)                                          # equal training compute
    out = {"capacity": capacity, "steps": steps, "iso_steps": iso_steps}
    plan = (("dense", "dense", steps), ("learned", "learned", steps), ("random", "random", steps),
            ("learned_iso", "learned", iso_steps))
    for name, routing, n in tqdm(plan, desc="models", disable=not progress):
        torch.manual_seed(seed)
        model = MoDTransformer(routing, capacity).to(device)
        train(model, n, seed, progress=progress, desc=name)
        out[name] = evaluate(model, tokens, kind)
        out[name]["train_macs"] = out[name]["macs"] * n                          # per sequence per batch row
    return out


# 7. The claim, measured.

def check(out):
    """Compare the measurements with the claim's thresholds. Returns (measured, thresholds, holds)."""
    d, le, ra = out["dense"], out["learned"], out["random"]
    measured = {
        "dense_value_loss": d["loss"],
        "learned_value_loss": le["loss"],
        "random_value_loss": ra["loss"],
        "learned_gain_over_random": ra["loss"] - le["loss"],
        "learned_gap_to_dense": le["loss"] - d["loss"],
        "mac_fraction_of_dense": le["macs"] / d["macs"],
        "values_routed_learned": le["values_routed"],
        "values_routed_random": ra["values_routed"],
        "predictor_agreement": le["predictor_agree"],
        "causal_routed_fraction": le["causal_routed_fraction"],          # reported: the capacity when sampling
        "causal_value_loss": le["causal_loss"],
    }
    measured["causal_minus_topk_loss"] = le["causal_loss"] - le["loss"]
    iso = out["learned_iso"]                                                   # reported, not claimed
    measured["iso_steps"] = float(out["iso_steps"])
    measured["iso_compute_ratio"] = iso["train_macs"] / d["train_macs"]       # ~1: equal training compute
    measured["iso_learned_value_loss"] = iso["loss"]
    measured["iso_gap_to_dense"] = iso["loss"] - d["loss"]
    measured["iso_values_routed"] = iso["values_routed"]
    thresholds = {
        "learned_gain_over_random": f">= {GAIN}",
        "values_routed_learned": f">= {COVERAGE}",
        "predictor_agreement": f">= {AGREEMENT}",
        "causal_minus_topk_loss": f"<= {CAUSAL_SLACK}",
    }
    holds = (measured["learned_gain_over_random"] >= GAIN
             and measured["values_routed_learned"] >= COVERAGE and measured["predictor_agreement"] >= AGREEMENT
             and measured["causal_minus_topk_loss"] <= CAUSAL_SLACK)
    return measured, thresholds, holds


def claim_line(measured, holds):
    """One printed line: the claim's numbers and the verdict (the notebook and the CLI print it)."""
    m = measured
    iso = "matches" if m["iso_gap_to_dense"] <= ISO_MATCH else "does not match"
    return (f"{LESSON_ID}: value-token loss dense {m['dense_value_loss']:.2f}, learned {m['learned_value_loss']:.2f}, "
            f"random {m['random_value_loss']:.2f} nats (learned beats random by {m['learned_gain_over_random']:.2f}, "
            f">= {GAIN}); routes {m['values_routed_learned']:.0%} of the value tokens (>= {COVERAGE:.0%}; random "
            f"{m['values_routed_random']:.0%}); predictor agrees with top-k on {m['predictor_agreement']:.1%} "
            f"(>= {AGREEMENT:.0%}), routing by it costs {m['causal_minus_topk_loss']:+.2f} nats "
            f"(<= {CAUSAL_SLACK}) and routes {m['causal_routed_fraction']:.0%} of the tokens (capacity 25%); "
            f"{m['mac_fraction_of_dense']:.0%} of the dense MACs; at equal training compute ({m['iso_steps']:.0f} "
            f"steps vs {STEPS}) learned routing reaches {m['iso_learned_value_loss']:.2f} nats and {iso} dense "
            f"(gap {m['iso_gap_to_dense']:+.2f}, match: <= {ISO_MATCH}; reported) -> claim {'HOLDS' if holds else 'FAILS'}")


def plot(out):
    """Figure: (a) loss at the value tokens (equal steps, and learned routing at the dense model's training
    compute), (b) counted MACs and wall time per forward pass,
    (c) which kinds of token the routers pick."""
    names = ("dense", "learned", "random")
    colors = ("gray", "C0", "C1")
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    ax = axes[0]
    ax.bar(names + ("learned,\nequal compute",), [out[n]["loss"] for n in names + ("learned_iso",)],
           color=colors + ("C2",))
    ax.axhline(math.log(8), color="k", ls="--", lw=1, label="chance, ln 8")
    ax.set_ylabel("checksum loss at value tokens (nats)")
    ax.set_title("(a) the tokens that need computation")
    ax.legend(fontsize=8)

    ax = axes[1]
    macs = [out[n]["macs"] / 1e3 for n in names]
    ax.bar(names, macs, color=colors)
    for i, n in enumerate(names):
        ax.text(i, macs[i], f"{out[n]['seconds'] * 1e3:.2f} ms", ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("counted kMACs per sequence (forward)")
    ax.set_title(f"(b) compute, counted (capacity {out['capacity']:.0%})")

    ax = axes[2]
    width = 0.4
    x = torch.arange(len(KINDS))
    for shift, n, c in ((-width / 2, "learned", "C0"), (width / 2, "random", "C1")):
        ax.bar(x + shift, out[n]["routed_by_kind"], width, color=c, label=f"{n} routing")
    ax.set_xticks(x, KINDS)
    ax.set_ylabel("fraction of routed tokens")
    ax.set_title("(c) what the router picks")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def reproduce(seed=0, device="cpu", progress=True):
    """The lesson's claim check, as `neuroai reproduce` runs it."""
    out = run(seed=seed, device=device, progress=progress)
    measured, thresholds, holds = check(out)
    return {"claim": CLAIM, "measured": measured, "thresholds": thresholds, "holds": holds,
            "line": claim_line(measured, holds), "figure": plot(out)}


# 8. A knob to turn: the capacity. Train a learned-routing model at a given capacity and look at which
#    tokens of a few test sequences it routes.

def explore_capacity(capacity=0.25, seed=0, steps=400):
    """Train MoD with `capacity` and draw 12 test sequences: the kind of each token, routed ones boxed."""
    torch.manual_seed(seed)
    model = train(MoDTransformer("learned", capacity), steps, seed, progress=False)
    tokens, kind = pair_batch(512, torch.Generator().manual_seed(10_000 + seed))
    result = evaluate(model, tokens, kind)
    with torch.no_grad():
        _, info = model(tokens[:12])
    routed = torch.zeros(12, SEQ_LEN, dtype=torch.bool).scatter(1, info["idx"], True)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.imshow(kind[:12], cmap=plt.get_cmap("tab10", 10), vmin=-0.5, vmax=9.5, aspect="auto")
    rows, cols = routed.nonzero().T
    ax.scatter(cols, rows, marker="s", s=60, facecolors="none", edgecolors="k", lw=1.5)
    ax.set_xlabel("position (colour: blue filler, orange key, green value, red checksum; box: routed)")
    ax.set_ylabel("test sequence")
    ax.set_title(f"capacity {capacity:.0%}: routes {result['values_routed']:.0%} of the value tokens, "
                 f"value loss {result['loss']:.2f} nats, {result['macs'] / 1e3:.0f} kMACs")
    plt.show()
