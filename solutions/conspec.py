"""Contrastive retrospection: learn prototypes of the few steps that success hinges on.

Reference implementation of the lesson `conspec` (module 2, prediction through interaction), after
Sun, Yang, Jiralerspong, Richards et al., "Contrastive Retrospection: honing in on critical steps for
rapid learning and generalization in RL", NeurIPS 2023 (arXiv:2210.05845). It reads top to bottom
like the paper's method (equation numbers as in the lesson's chapter):

  1. the task: keys in a chain of rooms, noisy distractor rewards, a door that pays only with every key
  2. ConSpec's prototypes and their cosine scores                                   (Eq. 1)
  3. the contrastive loss on successful vs failed episodes, with its diversity term  (Eq. 2)
  4. the intrinsic reward when a step matches a prototype                             (Eq. 3)
  5. the experiment: the same PPO agent with and without ConSpec
  6. the claim, measured, and the figures

The environment (neuroai.envs.KeyChainEnv) and the PPO agent, rollouts and episode memory
(neuroai.rl) are shared with the course's other reinforcement-learning lessons.
Run it with `neuroai reproduce conspec --seed 0`.
"""
import math

import matplotlib.pyplot as plt
import torch
from tqdm.auto import tqdm

from neuroai.envs import KeyChainEnv
from neuroai.rl import ActorCritic, EpisodeMemory, PPOConfig, collect_episodes, gae, ppo_update, success_rate

LESSON_ID = "conspec"
CLAIM = ("On a 3-key chain task with noisy distractor rewards, PPO + ConSpec learns to open the door better "
         "or much faster than the same PPO alone: after the same training its success rate is >= 0.25 higher, "
         "or its mean success rate over all training batches (the area under the learning curve) is "
         ">= 0.27 higher; and ConSpec's used prototypes fire at key pickups (precision >= 0.9) and cover at "
         "least 2 of the 3 keys (recall >= 0.6, on held-out successful episodes).")
KEYS = 3              # rooms, each with a key; a random agent opens the door with probability 3^-3
DISTRACTORS = 10      # distractor steps per room, with noisy apples
APPLE_REWARD = 0.5    # an apple's reward; apples lie in a random slot at half of the distractor steps
N_ENVS = 64           # episodes per batch
ITERATIONS = 100      # batches (PPO updates) per training run
PROTOTYPES = 8        # M, the number of prototypes (8 in the paper)
HIDDEN = 32           # width of each prototype's head g_i
MEMORY = 16           # successful and failed episodes kept for the contrastive loss
THRESHOLD = 0.6       # a prototype matches a step when its cosine score exceeds this
PATIENCE = 5          # updates in a row a prototype must separate success from failure to be used
CONSPEC_STEPS = 20    # Adam steps on the contrastive loss per batch


# 1. The task (neuroai.envs.KeyChainEnv). In each of KEYS rooms the agent first picks one of three slots
#    (one holds the room's key), then spends DISTRACTORS steps among apples. The door at the end pays 1
#    only if all keys were picked. Nothing in the distractor steps shows which keys the agent holds.
#    ConSpec looks back at each step: where the agent was and what it picked up there. (In the paper a
#    trained encoder turns frames into such features; here they are read off the observation directly.)

def step_features(obs, actions):
    """What ConSpec sees of each step: the room and step-in-room one-hots, the colour of the key in the
    slot the agent picked (K numbers, all 0 if it picked no key) and whether it picked an apple.

    obs (T, B, D) from KeyChainEnv, actions (T, B) ints in 0..2 -> x (T, B, 2 K + 2 + DISTRACTORS).
    """
    where = obs[..., :KEYS + 1 + DISTRACTORS]                                      # (T, B, K + 1 + D)
    keys = obs[..., KEYS + 1 + DISTRACTORS:][..., :3 * KEYS].unflatten(-1, (KEYS, 3))   # (T, B, K, 3)
    apples = obs[..., -3:]                                                         # (T, B, 3)
    picked = actions[..., None, None].expand(*actions.shape, KEYS, 1)              # (T, B, K, 1)
    picked_key = keys.gather(-1, picked).squeeze(-1)                               # (T, B, K)
    picked_apple = apples.gather(-1, actions[..., None])                           # (T, B, 1)
    return torch.cat([where, picked_key, picked_apple], dim=-1)


# 2. Prototypes (Eq. 1). Each prototype i has its own small head g_i (two ReLU layers, no bias) and a
#    vector p_i; its score at a step is the cosine similarity between g_i(x) and p_i.

def prototype_scores(x, W1, W2, prototypes, eps=1e-6):
    """Cosine scores of every step against every prototype (Eq. 1):

        g_i(x) = ReLU(W2_i ReLU(W1_i x)),      s_i(x) = <g_i(x), p_i> / (max(|g_i(x)|, eps) max(|p_i|, eps))

    x: (..., D) steps (any leading shape, e.g. (T, B, D)). W1: (M, H, D), W2: (M, H, H), prototypes:
    (M, H). Returns s of shape (..., M), values in [-1, 1].
    """
    h = torch.relu(torch.einsum("...d,mhd->...mh", x, W1))                # (..., M, H)
    g = torch.relu(torch.einsum("...mh,mkh->...mk", h, W2))               # (..., M, H) g_i(x)
    dot = (g * prototypes).sum(-1)                                        # (..., M)
    norms = g.norm(dim=-1).clamp_min(eps) * prototypes.norm(dim=-1).clamp_min(eps)
    return dot / norms


# 3. The contrastive loss (Eq. 2). Over a memory of successful (S) and failed (F) episodes, each prototype's
#    best match in an episode should be 1 in successes and 0 in failures; a diversity term makes different
#    prototypes peak at different steps of the same successful episode.

def conspec_loss(s, is_success, diversity_weight=0.2):
    """ConSpec's loss on the scores of a batch of episodes (Eq. 2):

        L = sum_i [ mean_{k in S} |1 - max_t s_ikt| + mean_{k in F} |max_t s_ikt| ]
            + (diversity_weight / M) sum_{k in S} sum_{i != j} |<a_ik, a_jk>|,
        a_ik = softmax_t(100 s_ikt), normalized to unit length over t.

    s: (T, B, M) scores. is_success: (B,) bool, at least one True and one False. Returns a 0-dim tensor.
    """
    M = s.shape[-1]
    best = s.max(dim=0).values                                            # (B, M) max over time
    match = (1 - best[is_success]).abs().mean(dim=0) + best[~is_success].abs().mean(dim=0)   # (M,)
    a = torch.softmax(100 * s[:, is_success], dim=0)                      # (T, S, M) where each peaks
    a = a / a.norm(dim=0, keepdim=True)                                   # unit length over time
    overlap = torch.einsum("tki,tkj->kij", a, a).abs()                    # (S, M, M)
    off_diagonal = overlap.sum() - torch.diagonal(overlap, dim1=1, dim2=2).sum()
    return match.sum() + diversity_weight / M * off_diagonal


# 4. The intrinsic reward (Eq. 3). A used prototype that matches a step (score above a threshold) pays
#    lam * score there, only at the local peak of its score in a +-window, minus a decaying echo of the
#    rewards just before, so that a match pays once, at its onset.

def intrinsic_reward(s, used, lam=0.2, threshold=0.6, window=3):
    """ConSpec's intrinsic reward for each step of a batch of episodes (Eq. 3):

        r_it = lam * used_i * s_it * [s_it > threshold]                         per prototype
        r_it <- r_it if r_it = max_{|t'-t| <= window} r_it' else 0              keep local peaks
        r_it <- max(0, r_it - sum_{j=1..window} 0.5^(j-1) r_i,t-j)              pay at the onset
        r_t = sum_i r_it

    s: (T, B, M) scores. used: (M,) 0/1 floats (which prototypes pay). Steps outside the episode count
    as 0 in the window. Returns r of shape (T, B).
    """
    T = s.shape[0]
    r = lam * used * s * (s > threshold)                                  # (T, B, M)
    pad = torch.zeros((window,) + r.shape[1:], dtype=r.dtype, device=r.device)
    padded = torch.cat([pad, r, pad])                                     # (T + 2 window, B, M)
    local_max = torch.stack([padded[k:k + T] for k in range(2 * window + 1)]).max(dim=0).values
    peak = torch.where(r >= local_max, r, torch.zeros_like(r))            # (T, B, M)
    echo = torch.zeros_like(peak)
    for j in range(1, window + 1):
        echo[j:] += 0.5 ** (j - 1) * peak[:-j]                            # sum_j 0.5^(j-1) r_{t-j}
    return (peak - echo).clamp_min(0).sum(dim=-1)                         # (T, B)


# 5. The experiment. One training loop for both agents: collect a batch of whole episodes, (ConSpec only)
#    store them in the memory of successes and failures, add the intrinsic reward, train the prototypes,
#    then one PPO update on the (shaped) rewards.

def make_env(n_envs=N_ENVS):
    return KeyChainEnv(n_envs, keys=KEYS, distractor_steps=DISTRACTORS, apple_reward=APPLE_REWARD)


def new_prototypes(in_dim, gen, device="cpu"):
    """Random heads and prototype vectors {W1 (M, H, D), W2 (M, H, H), prototypes (M, H)}."""
    params = {"W1": torch.randn(PROTOTYPES, HIDDEN, in_dim, generator=gen) / math.sqrt(in_dim),
              "W2": torch.randn(PROTOTYPES, HIDDEN, HIDDEN, generator=gen) / math.sqrt(HIDDEN),
              "prototypes": torch.randn(PROTOTYPES, HIDDEN, generator=gen)}
    return {k: v.to(device).requires_grad_() for k, v in params.items()}


def train(seed=0, use_conspec=True, iterations=ITERATIONS, device="cpu", progress=True):
    """Train PPO (with or without ConSpec) on the key chain. Returns a dict with the agent, the success
    rate of every training batch, and (ConSpec) the prototypes, which are used and when they were frozen."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    env = make_env()
    agent = ActorCritic(env.obs_dim, 3).to(device)
    ppo = PPOConfig()
    optimizer = torch.optim.Adam(agent.parameters(), lr=ppo.lr, eps=1e-5)
    params = new_prototypes(2 * KEYS + 2 + DISTRACTORS, gen, device)
    conspec_opt = torch.optim.Adam(params.values(), lr=1e-2)
    used = torch.zeros(PROTOTYPES, device=device)             # (M,) prototypes that pay intrinsic reward
    streak = torch.zeros(PROTOTYPES, device=device)           # (M,) updates in a row that separate S from F
    used_at = [None] * PROTOTYPES
    memory = EpisodeMemory(MEMORY)
    curve = []
    name = "PPO + ConSpec" if use_conspec else "PPO"
    for it in tqdm(range(iterations), desc=f"train {name}", disable=not progress):
        batch = collect_episodes(env, agent, gen, device)
        curve.append(float(batch["success"].float().mean()))
        rewards = batch["rewards"]                                              # (T, B)
        if use_conspec:
            x = step_features(batch["obs"], batch["actions"])                   # (T, B, F)
            memory.add(x, batch["success"])
            with torch.no_grad():
                s = prototype_scores(x, **params)                               # (T, B, M)
                rewards = rewards + intrinsic_reward(s, used, 0.2, THRESHOLD)   # shaped reward
            if memory.ready():
                xm = torch.cat([memory.successes(), memory.failures()], dim=1)  # (T, 2 MEMORY, F)
                is_success = torch.arange(2 * MEMORY, device=device) < MEMORY
                frozen = used.bool()
                for _ in range(CONSPEC_STEPS):
                    loss = conspec_loss(prototype_scores(xm, **params), is_success)
                    before = {k: v.detach().clone() for k, v in params.items()}
                    conspec_opt.zero_grad()
                    loss.backward()
                    conspec_opt.step()
                    with torch.no_grad():                                       # used prototypes stay frozen
                        for k, v in params.items():
                            v[frozen] = before[k][frozen]
                with torch.no_grad():
                    best = prototype_scores(xm, **params).max(dim=0).values     # (2 MEMORY, M)
                    s_success, s_failure = best[is_success].mean(0), best[~is_success].mean(0)
                    separates = (s_success - s_failure > THRESHOLD) & (s_success > THRESHOLD)
                    streak = torch.where(separates, streak + 1, torch.zeros_like(streak))
                    for i in torch.nonzero((streak >= PATIENCE) & ~frozen).flatten().tolist():
                        used[i], used_at[i] = 1.0, it
        advantages, returns = gae(rewards, batch["values"], ppo.gamma, ppo.lam)
        ppo_update(agent, optimizer, batch, advantages, returns, gen, ppo)
    return {"agent": agent, "curve": curve, "params": {k: v.detach() for k, v in params.items()},
            "used": used, "used_at": used_at, "gen": gen}


def prototype_firing(params, used, obs, actions, threshold=THRESHOLD):
    """Where each used prototype pays intrinsic reward: (T, B, M) bool (False for unused prototypes)."""
    s = prototype_scores(step_features(obs, actions), **params)              # (T, B, M)
    eye = torch.eye(s.shape[-1], device=s.device)
    fires = torch.stack([intrinsic_reward(s, eye[i], 1.0, threshold) > 0 for i in range(s.shape[-1])], dim=-1)
    return fires & used.bool()


def run(seed=0, device="cpu", progress=True, iterations=ITERATIONS):
    """The whole experiment for one seed: train both agents, evaluate them on fresh episodes, and find
    where the prototypes fire in held-out successful episodes. Returns a dict for check and plot."""
    out = {}
    for name, use in (("ppo", False), ("conspec", True)):
        out[name] = train(seed, use, iterations, device, progress)
        gen = torch.Generator().manual_seed(10_000 + seed)                    # held-out episodes
        out[name]["success"] = success_rate(make_env(256), out[name]["agent"], gen, device, episodes=512)
    cs = out["conspec"]
    gen = torch.Generator().manual_seed(20_000 + seed)
    env = make_env(256)
    held_out = collect_episodes(env, cs["agent"], gen, device)
    ok = held_out["success"]
    fires = prototype_firing(cs["params"], cs["used"], held_out["obs"][:, ok], held_out["actions"][:, ok])
    key_step = torch.zeros(env.horizon, dtype=torch.bool, device=device)
    key_step[torch.as_tensor(env.key_steps(), device=device)] = True
    n_fires = fires.sum()
    out["precision"] = float(fires[key_step].sum() / n_fires) if n_fires > 0 else 0.0
    out["recall"] = float(fires.any(-1)[key_step].float().mean()) if ok.any() else 0.0
    out["held_out"] = {k: v[:, ok].cpu() for k, v in held_out.items() if v.dim() >= 2 and k != "values"}
    out["fires"] = fires.cpu()
    out["key_steps"] = env.key_steps()
    return out


# 6. The claim, measured. How fast an agent learns is the area under its learning curve: the mean
#    success rate over all training batches (1 for an agent that succeeds from the first batch on).

def learning_curve_area(curve):
    """Mean of the per-batch training success rates in `curve` (a list): the area under the learning
    curve, per batch."""
    return sum(curve) / len(curve)


def check(out):
    """Compare the measurements with the claim's thresholds. Returns (measured, thresholds, holds)."""
    measured = {
        "success_conspec": out["conspec"]["success"],
        "success_ppo": out["ppo"]["success"],
        "success_gap": out["conspec"]["success"] - out["ppo"]["success"],
        "auc_conspec": learning_curve_area(out["conspec"]["curve"]),
        "auc_ppo": learning_curve_area(out["ppo"]["curve"]),
        "auc_gap": learning_curve_area(out["conspec"]["curve"]) - learning_curve_area(out["ppo"]["curve"]),
        "prototypes_used": float(out["conspec"]["used"].sum()),
        "precision": out["precision"],
        "recall": out["recall"],
    }
    thresholds = {"success_gap or auc_gap": ">= 0.25 or >= 0.27", "precision": ">= 0.9", "recall": ">= 0.6"}
    better_or_faster = measured["success_gap"] >= 0.25 or measured["auc_gap"] >= 0.27
    holds = better_or_faster and measured["precision"] >= 0.9 and measured["recall"] >= 0.6
    return measured, thresholds, holds


def claim_line(measured, holds):
    """One printed line: the claim's numbers and the verdict (the notebook and the CLI print it)."""
    m = measured
    return (f"{LESSON_ID}: final success PPO + ConSpec {m['success_conspec']:.2f}, PPO {m['success_ppo']:.2f}, "
            f"gap {m['success_gap']:.2f} (>= 0.25), or mean success over training {m['auc_conspec']:.2f} vs "
            f"{m['auc_ppo']:.2f}, gap {m['auc_gap']:.2f} (>= 0.27); {m['prototypes_used']:.0f} prototypes used, "
            f"firing at key pickups with precision {m['precision']:.2f} (>= 0.9) and recall {m['recall']:.2f} (>= 0.6) "
            f"-> claim {'HOLDS' if holds else 'FAILS'}")


def draw_episode(ax, obs, actions, fires, key_steps, title=""):
    """One episode as a grid: time across, the three slots down. Keys (coloured squares), apples (green
    dots), the agent's picks (black crosses), and a star above each step where a used prototype fires."""
    T = obs.shape[0]
    key_block = obs[:, KEYS + 1 + DISTRACTORS: KEYS + 1 + DISTRACTORS + 3 * KEYS].reshape(T, KEYS, 3)   # (T, K, 3)
    apple = obs[:, KEYS + 1 + DISTRACTORS + 3 * KEYS:]                                                 # (T, 3)
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_ylim(-0.7, 3.5)
    for t in key_steps:
        ax.axvspan(t - 0.5, t + 0.5, color="0.92", zorder=0)
    for t in range(T):
        for k in range(KEYS):
            for slot in range(3):
                if key_block[t, k, slot] > 0:
                    ax.scatter(t, slot, marker="s", s=90, color=f"C{(1, 3, 4, 5, 6, 8)[k % 6]}", zorder=2)
        for slot in range(3):
            if apple[t, slot] > 0:
                ax.scatter(t, slot, marker="o", s=40, color="C2", alpha=0.6, zorder=2)
        ax.scatter(t, int(actions[t]), marker="x", s=30, color="k", zorder=3)
    colours = plt.cm.tab10(torch.arange(10) % 10)
    for i in range(fires.shape[-1]):
        for t in torch.nonzero(fires[:, i]).flatten().tolist():
            ax.scatter(t, 3.0 + 0.12 * (i % 4), marker="*", s=120, color=colours[(i + 4) % 10], zorder=4)
    ax.set_yticks([0, 1, 2, 3.1], ["slot 0", "slot 1", "slot 2", "prototype\nfires"])
    ax.set_xlabel("time step")
    ax.set_title(title)


def plot(out):
    """Figure: (a) success rate during training, with and without ConSpec; (b) a held-out successful
    episode drawn as a grid, with where each used prototype fires."""
    fig, axes = plt.subplots(1, 2, figsize=(14, 3.8), gridspec_kw={"width_ratios": [1, 2.2]})
    ax = axes[0]
    for name, label, colour in (("ppo", "PPO", "C7"), ("conspec", "PPO + ConSpec", "C0")):
        curve = torch.tensor(out[name]["curve"])
        smooth = torch.nn.functional.avg_pool1d(curve[None, None], 5, 1, 2, count_include_pad=False)[0, 0]
        ax.plot(curve, color=colour, alpha=0.25)
        ax.plot(smooth, color=colour, label=f"{label} (final {out[name]['success']:.2f}, "
                                            f"mean over training {learning_curve_area(out[name]['curve']):.2f})")
    for i, at in enumerate(out["conspec"]["used_at"]):
        if at is not None:
            ax.axvline(at, color="C0", ls=":", lw=0.8)
    ax.set_xlabel("training batch (64 episodes each)")
    ax.set_ylabel("success rate")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("(a) learning to open the door")
    ax.legend(fontsize=8, loc="upper left")
    ep = out["held_out"]
    if ep["obs"].shape[1] > 0:
        draw_episode(axes[1], ep["obs"][:, 0], ep["actions"][:, 0], out["fires"][:, 0], out["key_steps"],
                     "(b) a held-out successful episode: where the used prototypes fire (stars)")
    else:
        axes[1].set_title("(b) no successful held-out episode to show")
    fig.tight_layout()
    return fig


def reproduce(seed=0, device="cpu", progress=True):
    """The lesson's claim check, as `neuroai reproduce` runs it."""
    out = run(seed=seed, device=device, progress=progress)
    measured, thresholds, holds = check(out)
    return {"claim": CLAIM, "measured": measured, "thresholds": thresholds, "holds": holds,
            "line": claim_line(measured, holds), "figure": plot(out)}


# 7. A knob to turn: the match threshold. Lower it and prototypes fire at steps that only resemble a key
#    pickup; raise it and they go silent.

def explore_threshold(out, threshold=0.6, episode=0):
    """Redraw held-out successful episode `episode` with the used prototypes' matches at `threshold`
    (top), and every used prototype's score over the episode (bottom)."""
    cs, ep = out["conspec"], out["held_out"]
    if ep["obs"].shape[1] == 0:
        print("no successful held-out episode to show")
        return
    episode = min(episode, ep["obs"].shape[1] - 1)
    obs, actions = ep["obs"][:, episode:episode + 1], ep["actions"][:, episode:episode + 1]
    params = {k: v.cpu() for k, v in cs["params"].items()}
    fires = prototype_firing(params, cs["used"].cpu(), obs, actions, threshold)[:, 0]      # (T, M)
    s = prototype_scores(step_features(obs, actions), **params)[:, 0]                     # (T, M)
    fig, axes = plt.subplots(2, 1, figsize=(11, 5.5), sharex=True)
    draw_episode(axes[0], obs[:, 0], actions[:, 0], fires, out["key_steps"],
                 f"held-out successful episode {episode}: matches above {threshold:.2f}")
    colours = plt.cm.tab10(torch.arange(10) % 10)
    for i in torch.nonzero(cs["used"]).flatten().tolist():
        axes[1].plot(s[:, i], color=colours[(i + 4) % 10], label=f"prototype {i}")
    axes[1].axhline(threshold, color="k", ls="--", lw=1)
    for t in out["key_steps"]:
        axes[1].axvspan(t - 0.5, t + 0.5, color="0.92", zorder=0)
    axes[1].set_ylabel("cosine score")
    axes[1].set_xlabel("time step (grey: the rooms' choice steps)")
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    plt.show()
