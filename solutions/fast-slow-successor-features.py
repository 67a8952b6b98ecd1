"""Balancing plasticity and stability with fast and slow successor features.

Reference implementation of the lesson `fast-slow-successor-features` (module 3, multi-scale learning),
after Chua, Precup & Richards, "Balancing Plasticity and Stability with Fast and Slow Successor
Features" (2025). It reads top to bottom like the paper's method:

  1. the drifting world: four rooms, two goals taking turns, a slip that follows a noisy sine
  2. the agents' value functions: Q(s, a) = theta_a . phi(s), or successor features Q = psi(s, a) . w
  3. learning: the Q-learning TD error trains psi (the "simple SF" agent), reward regression trains w
  4. synaptic consolidation: a Benna-Fusi chain of K beakers, and the recall mask
  5. the experiment: every agent, many replicas, trained side by side in one batch, paired by world
  6. the claim, measured, and the figure

Run it with `neuroai reproduce fast-slow-successor-features --seed 0`.
"""
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm.auto import tqdm

from neuroai.envs import FourRoomsDriftEnv

LESSON_ID = "fast-slow-successor-features"
CLAIM = ("Under continual drift, consolidating successor features beats resetting them (SF+cons - reset > 0, "
         "bootstrap 95% CI above 0); consolidation helps SFs more than Q-values ((SF+cons - SF) - (Q+cons - Q) > 0, "
         "CI above 0); and a chain of 9 timescales beats the best single slow copy (CI above 0). "
         "Mean return on the second exposure to each task, pooled over replicas paired by world.")

# Agents: (name, value function, number of beakers K (1 = no consolidation), slow timescale index j of the
# single-copy control, reset period in updates). Filled in by agents() from the pilot-tuned values below.
RESET_PERIODS = (625, 1250, 2500)        # updates (x 4 env steps): the reset control's candidates
SINGLE_INDICES = (1, 4, 8)               # the single slow copy's capacity 2^j: timescales 40, 320, 5120 updates
BEST_RESET = 2500                        # the reset period and the single copy's index, chosen on pilot seeds
BEST_SINGLE = 8                          # 0 and 1 (see tune()), 8 replicas each:
# mean second-exposure return, seed 0 / seed 1: reset every 625 updates 0.210 / 0.223, 1250: 0.320 / 0.308,
# 2500 (= at each task switch): 0.389 / 0.374; single copy j = 1: 0.145 / 0.139, j = 4: 0.349 / 0.275,
# j = 8: 0.430 / 0.389. Both controls are tuned the same way; the 9-beaker chain is not tuned (official g).
# The learning rate (Adam, shared by every arm) was chosen for the arms WITHOUT consolidation: mean return of
# Q and SF on the second exposures, seeds 0 and 1, lr 0.001: 0.326, 0.003: 0.413, 0.01: 0.345, 0.05: 0.139.


# 2. Features and value functions. The state is a cell of the 9 x 9 grid; phi(s) is a vector of D
#    Gaussian radial basis functions (centres on a 5 x 5 lattice), scaled to unit length.

def rbf_features(cells, centres, width=1.0):
    """phi(s) for every cell: exp(-|x_s - c_i|^2 / (2 width^2)), normalized to unit length.
    cells (S, 2), centres (D, 2) -> (S, D)."""
    d2 = ((cells[:, None, :] - centres[None, :, :]) ** 2).sum(-1)          # (S, D)
    phi = torch.exp(-d2 / (2 * width ** 2))
    return phi / phi.norm(dim=1, keepdim=True)


def q_from_sf(psi, w):
    """Q(s, a) = psi(s, a) . w: successor features (..., A, d) and task vector (..., d) -> (..., A)."""
    return (psi * w.unsqueeze(-2)).sum(-1)


# 3. Learning. Both agents take the Q-learning TD error
#       delta = r + gamma (1 - done) max_a' Q(s', a') - Q(s, a)
#    and descend L = 1/2 delta^2 with the target held fixed. For the Q agent the parameters are theta_a;
#    for the simple SF agent they are the SF weights W_a (psi(s, a) = W_a phi(s)), so the gradient reaches
#    psi only through w (dL/dpsi(s, a) = -delta w): psi is not trained toward a vector SF target.
#    The task vector w is fitted separately by reward regression r ~ phi(s') . w.
#    The optimizer is Adam (as in the official code), on the online weights (beaker 0) only: its moment
#    estimates never see the consolidation. This matters. With plain SGD the step shrinks with the TD error,
#    so near the TD solution the chain's pull (and the leak of its last beaker toward 0) wins and biases the
#    weights toward 0: consolidation then loses to everything (opt="sgd" keeps that variant to compare).
#    Adam's step keeps its size while the gradient keeps its sign, so the chain filters the noise instead.

def sf_q_td_loss(psi, w, r, psi_next, gamma, done=None):
    """Mean over the batch of 1/2 delta^2, delta = r + gamma (1 - done) max_a' psi(s', a') . w - psi(s, a) . w,
    with the target detached. psi (B, d) at the action taken, w (B, d) or (d,), r (B,), psi_next (B, A, d),
    done (B,) or None. Returns a scalar."""
    w = w.expand_as(psi)
    target = (psi_next * w.unsqueeze(-2)).sum(-1).max(-1).values            # (B,) max_a' Q(s', a')
    if done is not None:
        target = target * (1 - done.to(psi.dtype))
    target = (r + gamma * target).detach()
    delta = target - (psi * w).sum(-1)                                      # (B,)
    return 0.5 * (delta ** 2).mean()


# 4. Synaptic consolidation (Benna & Fusi 2016; Kaplanis et al. 2018). K copies u_0 .. u_{K-1} of the
#    parameters ("beakers"); u_0 is the online network that acts and learns. Capacities C_0 = 1,
#    C_k = 2^k, and one more, C_K = 2^K, for the leak of the last beaker; g = 0.1 / C_1. At every update,
#    in this order (the official consolidation_update_fn):
#       u_0     += mask_0 lr_c g / C_1 (u_1 - u_0)                              recall into the online net
#       u_k     += g / C_k (u_{k-1} - u_k),  then  += mask_k lr_c g / C_{k+1} (u_{k+1} - u_k)   0 < k < K-1
#       u_{K-1} += g / C_K (0 - u_{K-1}),    then  += lr_c g / C_K (u_{K-2} - u_{K-1})           the leak
#    Beaker k holds a memory for ceil(C_k / (g lr_c)) = 20 2^k updates (lr_c = 1).

def capacities(K):
    """C_0 .. C_K = 1, 2, 4, ..., 2^K (K + 1 numbers, the last for the leak)."""
    return 2.0 ** torch.arange(K + 1, dtype=torch.float64)


def timescales(caps, g, lr_c=1.0):
    """Beaker k's timescale ceil(C_k / (g lr_c)) in updates, for k = 0 .. K-1: (K,)."""
    return torch.ceil(caps[:-1] / (g * lr_c))


def recall_mask(step, scales):
    """Which beakers may recall from the next, slower one at update `step` (the official
    compute_recall_mask): beaker 0 once step > scales[0]; beaker k >= 1 once beaker k-1 has lived its
    timescale, step > scales[k-1]. scales (K,) -> float mask (K,) of 0 and 1."""
    alive = (scales < step).to(scales.dtype)                                # (K,)
    return torch.cat([alive[:1], alive[:-1]])


def benna_fusi_step(U, caps, g, lr_c, mask):
    """One consolidation update of the beakers U (K, ...), beaker by beaker in this order, each line using
    the values already updated above it (the official consolidation_update_fn):

        u_0     += mask_0 lr_c g / C_1 (u_1 - u_0)                                  recall into the online net
        for k = 1 .. K-2:
        u_k     += g / C_k (u_{k-1} - u_k)                                          consolidation from k-1
        u_k     += mask_k lr_c g / C_{k+1} (u_{k+1} - u_k)                          recall from k+1
        u_{K-1} += g / C_K (0 - u_{K-1})                                            the leak
        u_{K-1} += lr_c g / C_K (u_{K-2} - u_{K-1})                                 consolidation from K-2

    U (K, ...) any trailing shape, caps (K + 1,) the capacities C_0 .. C_K, g and lr_c floats, mask (K,)
    of 0 and 1 from recall_mask (mask_{K-1} is not used). With K = 1 there is nothing to consolidate.
    Returns the new (K, ...) tensor; U itself is left unchanged (clone it first)."""
    U = U.clone()
    K = U.shape[0]
    if K == 1:
        return U
    U[0] = U[0] + mask[0] * lr_c * g / caps[1] * (U[1] - U[0])
    for k in range(1, K - 1):
        U[k] = U[k] + g / caps[k] * (U[k - 1] - U[k])
        U[k] = U[k] + mask[k] * lr_c * g / caps[k + 1] * (U[k + 1] - U[k])
    last = K - 1
    U[last] = U[last] - g / caps[K] * U[last]
    U[last] = U[last] + lr_c * g / caps[K] * (U[last - 1] - U[last])
    return U


def chain_matrix(caps, g, lr_c, mask):
    """The consolidation update is linear in U: U_new = M U. M (K, K) is benna_fusi_step of the
    identity, so one matrix product updates every beaker of every replica at once."""
    K = len(caps) - 1
    return benna_fusi_step(torch.eye(K, dtype=torch.float64), caps, g, lr_c, mask)


def single_copy_caps(j):
    """The single-timescale control: the online net and one slow copy of capacity 2^j (timescale
    20 2^j updates), coupled as in the chain: C = (1, 2^j, 2^(j+1))."""
    return torch.tensor([1.0, 2.0 ** j, 2.0 ** (j + 1)], dtype=torch.float64)


# 5. The experiment.

def agents(best_reset=None, best_single=None, beakers=(3, 6)):
    """The arms: (name, kind, capacities or None, reset period or None)."""
    best_reset = BEST_RESET if best_reset is None else best_reset
    best_single = BEST_SINGLE if best_single is None else best_single
    arms = [("Q", "q", None, None), ("Q+cons", "q", capacities(9), None),
            ("SF", "sf", None, None), ("SF+cons", "sf", capacities(9), None),
            ("SF+single", "sf", single_copy_caps(best_single), None),
            ("SF+reset", "sf", None, best_reset)]
    arms += [(f"SF+cons{K}", "sf", capacities(K), None) for K in beakers]
    return arms


def run(seed=0, replicas=10, arms=None, phase_steps=10_000, phases=4, update_every=4, lr=0.003, lr_w=0.3,
        gamma=0.95, epsilon=0.1, g=None, opt="adam", device="cpu", progress=True):
    """Train every arm on `replicas` worlds for phases * phase_steps env steps, all in one batch.
    Arm a, replica r lives in world r: the same goals, slip noise and start cells for every arm.
    Returns per-arm, per-replica mean returns by phase and learning curves."""
    arms = agents() if arms is None else arms
    n_arms, R = len(arms), replicas
    env = FourRoomsDriftEnv(num_envs=n_arms * R, worlds=R, phase_steps=phase_steps, seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    dt = torch.float32
    cells = torch.as_tensor(env.cells(), dtype=dt)
    grid = torch.arange(0, 9, 2, dtype=dt)
    centres = torch.cartesian_prod(grid, grid)                                 # (25, 2)
    phi_table = rbf_features(cells, centres).to(device)                        # (81, D)
    D, A = phi_table.shape[1], 4

    # one parameter tensor per arm: beakers first. Q: (K, R, A, D); SF: (K, R, A, D, D), task vector (R, D)
    params, w = [], torch.zeros(n_arms, R, D, device=device)
    for name, kind, caps, _ in arms:
        K = 1 if caps is None else len(caps) - 1
        shape = (K, R, A, D) if kind == "q" else (K, R, A, D, D)
        init = torch.zeros(shape, device=device)
        if kind == "sf":                               # psi(s, a) = phi(s) at first: W_a = I
            init[:] = torch.eye(D, device=device)
        params.append(init)
    adam = [[torch.zeros_like(p_[0]), torch.zeros_like(p_[0])] for p_ in params]   # Adam's m, v of beaker 0
    init0 = [p_[0].clone() for p_ in params]
    # g = 0.1 / C_1 = 0.05 (official, untuned); the single slow copy keeps the chain's g
    g = {i: 0.05 if g is None else g for i, arm in enumerate(arms) if arm[2] is not None}
    scales = {i: timescales(arms[i][2], g[i]) for i in g}
    masks = {i: None for i in g}
    mats = {}

    def effective_q():
        """theta_eff (n_arms, R, A, D): Q(s, a) = theta_eff[a] . phi(s) for the online weights."""
        th = []
        for i, (name, kind, _, _) in enumerate(arms):
            u0 = params[i][0]
            th.append(u0 if kind == "q" else torch.einsum("rade,rd->rae", u0, w[i]))
        return torch.stack(th)

    total = phases * phase_steps
    n_updates = total // update_every
    obs, _ = env.reset(seed=seed)
    pos = torch.as_tensor(obs, device=device)
    theta = effective_q()
    buf = {k: [] for k in ("s", "a", "r", "s2", "done")}
    ret_sum = torch.zeros(phases, n_arms, R, dtype=torch.float64)
    ret_n = torch.zeros(phases, n_arms, R, dtype=torch.float64)
    bin_steps = max(1, phase_steps // 20)
    curve = torch.zeros(total // bin_steps, n_arms, R, dtype=torch.float64)
    ep_len = torch.zeros(n_arms * R, dtype=torch.int64)
    upd = 0
    for t in tqdm(range(total), desc="train all arms", disable=not progress, mininterval=1):
        q = torch.einsum("nrad,nrd->nra", theta, phi_table[pos].view(n_arms, R, D)).reshape(-1, A)
        q = q + 1e-6 * torch.rand(q.shape, generator=gen).to(device)           # random tie-breaking
        greedy = q.argmax(-1)
        explore = torch.rand(q.shape[0], generator=gen) < epsilon
        action = torch.where(explore.to(device), torch.randint(0, A, (q.shape[0],), generator=gen).to(device), greedy)
        obs, reward, term, trunc, info = env.step(action.cpu().numpy())
        s2 = torch.as_tensor(info["final_obs"], device=device)
        r = torch.as_tensor(reward, device=device)
        done = torch.as_tensor(term, device=device)
        ep_len += 1
        ended = torch.as_tensor(term | trunc)
        if ended.any():
            ph = t // phase_steps
            ret = torch.where(torch.as_tensor(term), gamma ** (ep_len - 1).double(), torch.zeros(())).view(n_arms, R)
            ret_sum[ph] += ret * ended.view(n_arms, R)
            ret_n[ph] += ended.view(n_arms, R).double()
            ep_len[ended] = 0
        curve[t // bin_steps] += r.view(n_arms, R).double().cpu()
        for k, v in zip(buf, (pos, action, r, s2, done)):
            buf[k].append(v)
        pos = torch.as_tensor(obs, device=device)
        if (t + 1) % update_every:
            continue

        # 3. one learning update from the last `update_every` transitions of every env copy
        s, a, r, s2, done = (torch.stack(buf[k], 1).view(n_arms, R, update_every) for k in buf)
        buf = {k: [] for k in buf}
        f, f2 = phi_table[s], phi_table[s2]                                    # (n_arms, R, m, D)
        q_next = torch.einsum("nrad,nrmd->nrma", theta, f2).max(-1).values     # (n_arms, R, m)
        q_now = torch.einsum("nrad,nrmd->nrma", theta, f).gather(-1, a[..., None]).squeeze(-1)
        delta = r + gamma * (~done) * q_next - q_now                          # (n_arms, R, m) TD error
        onehot = torch.nn.functional.one_hot(a, A).to(dt)                      # (n_arms, R, m, A)
        grad_theta = torch.einsum("nrm,nrma,nrmd->nrad", delta, onehot, f) / update_every
        # reward regression for w: r ~ phi(s') . w (the SF agents' reward model)
        err = r - torch.einsum("nrmd,nrd->nrm", f2, w)
        w_new = w + lr_w * torch.einsum("nrm,nrmd->nrd", err, f2) / update_every
        for i, (name, kind, caps, reset) in enumerate(arms):
            if opt == "adam":    # official: Adam on the online network (beaker 0) only
                d = grad_theta[i] if kind == "q" else torch.einsum("rad,re->raed", grad_theta[i], w[i])
                m_, v_ = adam[i]
                m_.mul_(0.9).add_(0.1 * d)
                v_.mul_(0.999).add_(0.001 * d * d)
                params[i][0] += lr * (m_ / (1 - 0.9 ** (upd + 1))) / ((v_ / (1 - 0.999 ** (upd + 1))).sqrt() + 1e-8)
            elif kind == "q":
                params[i][0] += lr * grad_theta[i]
            else:   # opt="sgd": dL/dW_a = -delta w phi(s)^T, the step divided by |w|^2 (+ 1e-2) so that Q
                    # moves as fast as the Q agent's
                step = grad_theta[i] / (w[i].pow(2).sum(-1) + 1e-2)[:, None, None]
                params[i][0] += lr * torch.einsum("rad,re->raed", step, w[i])
            if caps is not None:                        # 4. consolidation, one matrix product
                mask = recall_mask(upd, scales[i])
                key = (i, tuple(mask.tolist()))
                if key not in mats:
                    mats[key] = chain_matrix(caps, g[i], 1.0, mask).to(device, dt)
                params[i] = torch.einsum("kl,l...->k...", mats[key], params[i])
            if reset is not None and (upd + 1) % reset == 0:
                params[i][:] = init0[i]                     # plasticity: re-initialize the SF network
        w = torch.where(torch.tensor([a[1] == "sf" for a in arms], device=device)[:, None, None], w_new, w)
        upd += 1
        theta = effective_q()

    mean_ret = (ret_sum / ret_n.clamp(min=1)).float()                         # (phases, n_arms, R)
    return {"names": [a[0] for a in arms], "mean_return": mean_ret, "episodes": ret_n,
            "curve": (curve / bin_steps).float(), "bin_steps": bin_steps, "phase_steps": phase_steps,
            "second": mean_ret[2:].mean(0)}                                    # (n_arms, R) the score


def bootstrap_ci(x, n=2000, seed=0):
    """Mean of x (N,) and the percentile bootstrap 95% interval of the mean."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, len(x), (n, len(x)), generator=g)
    means = x[idx].mean(1)
    return float(x.mean()), float(means.quantile(0.025)), float(means.quantile(0.975))


# 6. The claim, measured: paired differences per replica (same world), bootstrap 95% CI of the mean.

def tune(seeds=(0, 1), replicas=8, progress=False):
    """How BEST_RESET and BEST_SINGLE were chosen: each candidate's mean second-exposure return on the
    pilot seeds; the best of each family wins (the same procedure for both controls)."""
    arms = ([(f"reset {p}", "sf", None, p) for p in RESET_PERIODS]
            + [(f"single {j}", "sf", single_copy_caps(j), None) for j in SINGLE_INDICES])
    score = torch.stack([run(seed=s, replicas=replicas, arms=arms, progress=progress)["second"].mean(1) for s in seeds])
    return dict(zip([a[0] for a in arms], score.mean(0).tolist()))


def check(out):
    """Compare the measurements with the claim's thresholds. Returns (measured, thresholds, holds)."""
    sc = dict(zip(out["names"], out["second"]))                              # name -> (R,) score
    stability = sc["SF+cons"] - sc["SF+reset"]                               # claim 1
    interaction = (sc["SF+cons"] - sc["SF"]) - (sc["Q+cons"] - sc["Q"])     # claim 2
    multi = sc["SF+cons"] - sc["SF+single"]                                  # claim 3
    measured = {}
    for key, x in (("stability", stability), ("interaction", interaction), ("multi_vs_single", multi)):
        m, lo, hi = bootstrap_ci(x.double())
        measured[key], measured[key + "_ci_low"], measured[key + "_ci_high"] = m, lo, hi
    for name, x in sc.items():                                               # reported: each arm's return
        measured["return " + name] = float(x.mean())
    measured["replicas"] = float(out["second"].shape[1])
    thresholds = {"stability_ci_low": "> 0", "interaction_ci_low": "> 0", "multi_vs_single_ci_low": "> 0"}
    holds = all(measured[k + "_ci_low"] > 0 for k in ("stability", "interaction", "multi_vs_single"))
    return measured, thresholds, holds


def claim_line(measured, holds):
    """One printed line: the claim's numbers and the verdict (the notebook and the CLI print it)."""
    m = measured
    part = lambda k: f"{m[k]:+.3f} [{m[k + '_ci_low']:+.3f}, {m[k + '_ci_high']:+.3f}]"   # noqa: E731
    return (f"{LESSON_ID}: over {int(m['replicas'])} paired replicas, SF+cons - reset {part('stability')}; "
            f"(SF+cons - SF) - (Q+cons - Q) {part('interaction')}; SF+cons(9) - best single copy "
            f"{part('multi_vs_single')} (each needs CI > 0) -> claim {'HOLDS' if holds else 'FAILS'}")


def plot(out):
    """Figure: (a) learning curves of the main arms, (b) second-exposure return of every arm,
    (c) return against the number of beakers."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    names = out["names"]
    ax = axes[0]
    x = (torch.arange(out["curve"].shape[0]) + 0.5) * out["bin_steps"]
    for i, n in enumerate(names):
        if n in ("Q", "Q+cons", "SF", "SF+cons", "SF+single", "SF+reset"):
            ax.plot(x, out["curve"][:, i].mean(1) * 100, label=n, lw=1.2)
    for p in range(1, out["curve"].shape[0] * out["bin_steps"] // out["phase_steps"]):
        ax.axvline(p * out["phase_steps"], color="gray", lw=0.8, ls=":")
    ax.set_xlabel("env step (T1 | T2 | T1 | T2)")
    ax.set_ylabel("goals per 100 steps")
    ax.set_title("(a) learning curves, mean over replicas")
    ax.legend(fontsize=7)
    ax = axes[1]
    sc = out["second"]                                                       # (n_arms, R)
    ax.bar(range(len(names)), sc.mean(1), yerr=sc.std(1) / math.sqrt(sc.shape[1]), color="C0", alpha=0.7)
    for i in range(len(names)):
        ax.plot(np.full(sc.shape[1], i) + np.linspace(-0.2, 0.2, sc.shape[1]), sc[i], ".", color="k", ms=3)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("mean return, second exposures")
    ax.set_title("(b) every arm (dots: replicas)")
    ax = axes[2]
    ks, vals = [], []
    for K, n in ((1, "SF"), (3, "SF+cons3"), (6, "SF+cons6"), (9, "SF+cons")):
        if n in names:
            ks.append(K)
            vals.append(sc[names.index(n)])
    v = torch.stack(vals)
    ax.errorbar(ks, v.mean(1), yerr=v.std(1) / math.sqrt(v.shape[1]), marker="o", capsize=3)
    if "SF+single" in names:
        ax.axhline(float(sc[names.index("SF+single")].mean()), color="C2", ls="--", label="best single slow copy")
        ax.legend(fontsize=8)
    ax.set_xlabel("beakers K (1 = no consolidation)")
    ax.set_ylabel("mean return, second exposures")
    ax.set_title("(c) return vs number of timescales")
    fig.tight_layout()
    return fig


def reproduce(seed=0, device="cpu", progress=True):
    """The lesson's claim check, as `neuroai reproduce` runs it: 8 replicas of every arm in one batch."""
    out = run(seed=seed, replicas=8, device=device, progress=progress)
    measured, thresholds, holds = check(out)
    return {"claim": CLAIM, "measured": measured, "thresholds": thresholds, "holds": holds,
            "line": claim_line(measured, holds), "figure": plot(out)}


# 7. A knob to turn: how strongly the chain pulls the online weights back (g), against the return.

def explore_coupling(g=0.05, beakers=9, seed=0, replicas=4, phase_steps=5000):
    """Train SF, SF + a K-beaker chain with coupling g, and Q + the same chain on a shorter schedule;
    plot their learning curves."""
    arms = [("SF", "sf", None, None), (f"SF+cons{beakers}", "sf", capacities(beakers), None),
            ("Q", "q", None, None), (f"Q+cons{beakers}", "q", capacities(beakers), None)]
    out = run(seed=seed, replicas=replicas, arms=arms, phase_steps=phase_steps, g=g, progress=False)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    x = (torch.arange(out["curve"].shape[0]) + 0.5) * out["bin_steps"]
    for i, n in enumerate(out["names"]):
        ax.plot(x, out["curve"][:, i].mean(1) * 100, label=f"{n}: {float(out['second'][i].mean()):.3f}")
    for p in range(1, 4):
        ax.axvline(p * phase_steps, color="gray", lw=0.8, ls=":")
    ax.set_xlabel("env step (T1 | T2 | T1 | T2)")
    ax.set_ylabel("goals per 100 steps")
    ax.set_title(f"g = {g}: legend gives the mean return on the second exposures")
    ax.legend(fontsize=8)
    plt.show()
