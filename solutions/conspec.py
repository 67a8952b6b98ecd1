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
from neuroai.rl import (ActorCritic, EpisodeMemory, PPOConfig, collect_episodes, gae, ppo_update, split_agents,
                        success_rate)

LESSON_ID = "conspec"
CLAIM = ("On a 3-key chain task with noisy distractor rewards, ConSpec, seeing only each step's observation "
         "and action, learns prototypes of the critical steps: pooled over 4 independent agents, more than half "
         "of the prototypes it puts to use are key-pickup detectors (at least half of their matches, on episodes "
         "of a random policy, are key pickups; a detector of choice steps would score a third), while a twin that "
         "learns from the same episodes with shuffled success labels has at most 20% detectors among its used "
         "prototypes. The faster learning the paper reports is measured and reported, not claimed: at this scale "
         "the gain is small.")
KEYS = 3              # rooms, each with a key; a random agent opens the door with probability 3^-3
DISTRACTORS = 10      # distractor steps per room, with noisy apples
APPLE_REWARD = 0.5    # an apple's reward; apples lie in a random slot at half of the distractor steps
AGENTS = 4            # independent agents per arm, trained side by side
N_ENVS = 32           # episodes per batch, per agent
ITERATIONS = 100      # batches (PPO updates) per training run
PPO_EPOCHS = 2        # PPO passes over each batch (neuroai.rl's default: 4)
PROTOTYPES = 8        # M, the number of prototypes (8 in the paper)
HIDDEN = 24           # width of each prototype's head g_i
MEMORY = 12           # successful and failed episodes kept for the contrastive loss
THRESHOLD = 0.6       # a prototype matches a step when its cosine score exceeds this
PATIENCE = 5          # updates in a row a prototype must separate success from failure to be used
DETECTORS = 0.5       # more than this share of the used prototypes must be key-pickup detectors ...
SHUFFLED = 0.2        # ... and at most this share of those trained on shuffled success labels
CONSPEC_STEPS = 4     # Adam steps on the contrastive loss per batch
LAM = 0.5             # intrinsic reward per matched prototype (Eq. 3)


# 1. The task (neuroai.envs.KeyChainEnv). In each of KEYS rooms the agent first picks one of three slots
#    (one holds the room's key), then spends DISTRACTORS steps among apples. The door at the end pays 1
#    only if all keys were picked. Nothing in the distractor steps shows which keys the agent holds.
#    ConSpec looks back at each step as the agent lived it: the observation and the action taken there,
#    nothing more. Whether a step was a key pickup is for its heads to find out (section 2).

def step_inputs(obs, actions):
    """What ConSpec sees of each step: the observation and the action (one-hot).

    obs (T, B, D) from KeyChainEnv, actions (T, B) ints in 0..2 -> x (T, B, D + 3).
    """
    return torch.cat([obs, torch.nn.functional.one_hot(actions, 3).to(obs.dtype)], dim=-1)


# 2. Prototypes (Eq. 1). Each prototype i has its own small encoder g_i (two ReLU layers, no bias) of the
#    step's observation and action, and a vector p_i; its score at a step is the cosine similarity between
#    g_i(x) and p_i. The encoders are trained by the contrastive loss alone (Eq. 2): a key pickup is the
#    conjunction "a key lies in slot j" and "the action was j", which the first ReLU layer can compute.
#    (In the paper one shared encoder, a CNN or GRU over frames, feeds a small head per prototype; here
#    each head is its own encoder, so that a prototype, once frozen, is frozen whole.)

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


# 5. The experiment. One training loop for both arms: collect a batch of whole episodes, (ConSpec only)
#    store them in the memory of successes and failures, add the intrinsic reward, train the prototypes,
#    then one PPO update on the (shaped) rewards. AGENTS independent agents train side by side in each
#    arm (one set of weights, one memory and one set of prototypes each; neuroai.rl batches them), so
#    that one run measures a pool of agents rather than one agent's luck.

def make_env(n_envs=AGENTS * N_ENVS, distractors=DISTRACTORS):
    return KeyChainEnv(n_envs, keys=KEYS, distractor_steps=distractors, apple_reward=APPLE_REWARD)


def new_prototypes(in_dim, gen, device="cpu"):
    """One agent's random encoders and prototype vectors {W1 (M, H, D), W2 (M, H, H), prototypes (M, H)}."""
    params = {"W1": torch.randn(PROTOTYPES, HIDDEN, in_dim, generator=gen) / math.sqrt(in_dim),
              "W2": torch.randn(PROTOTYPES, HIDDEN, HIDDEN, generator=gen) / math.sqrt(HIDDEN),
              "prototypes": torch.randn(PROTOTYPES, HIDDEN, generator=gen)}
    return {k: v.to(device).requires_grad_() for k, v in params.items()}


def scores_of(x, heads):
    """Every agent's steps against its own prototypes: x (R, T, B, D), heads {W1 (R, M, H, D), ...} -> (R, T, B, M)."""
    return torch.vmap(prototype_scores)(x, heads["W1"], heads["W2"], heads["prototypes"])


def contrast(heads, agents, xm, is_success, optimizer, frozen):
    """CONSPEC_STEPS Adam steps on the contrastive loss (Eq. 2) for the listed agents, each on its own
    memory xm[r] (T, 2 MEMORY, D + 3) with labels is_success (2 MEMORY,) bool; frozen (R, M) prototypes keep
    their weights. Returns (R, M) bool: which prototypes now separate successes from failures (mean best
    score above THRESHOLD in successes, and above the failures' by more than THRESHOLD)."""
    losses = torch.vmap(conspec_loss, in_dims=(0, None))
    stack = lambda: {k: torch.stack([heads[a][k] for a in agents]) for k in heads[agents[0]]}  # noqa: E731
    for _ in range(CONSPEC_STEPS):
        mine = stack()
        before = {k: v.detach().clone() for k, v in mine.items()}
        optimizer.zero_grad(set_to_none=True)                            # agents not listed: no step
        losses(scores_of(xm, mine), is_success).sum().backward()         # agents' losses add up
        optimizer.step()
        with torch.no_grad():                                            # used prototypes stay frozen
            for r, a in enumerate(agents):
                for k in heads[a]:
                    heads[a][k][frozen[r]] = before[k][r][frozen[r]]
    with torch.no_grad():
        best = scores_of(xm, stack()).max(dim=1).values                 # (R, 2 MEMORY, M)
        s_success, s_failure = best[:, is_success].mean(1), best[:, ~is_success].mean(1)   # (R, M)
        return (s_success - s_failure > THRESHOLD) & (s_success > THRESHOLD)


def new_learner(agents, in_dim, gen, device="cpu"):
    """ConSpec's state for `agents` agents: prototypes (one dict per agent) and their optimizer, which
    prototypes are used (A, M), for how many updates in a row each has separated (A, M), when each was
    put to use (A, M; -1: never), and one memory of successes and failures per agent."""
    heads = [new_prototypes(in_dim, gen, device) for _ in range(agents)]
    return {"heads": heads, "opt": torch.optim.Adam([v for h in heads for v in h.values()], lr=1e-2),
            "used": torch.zeros(agents, PROTOTYPES, device=device),
            "streak": torch.zeros(agents, PROTOTYPES, device=device),
            "used_at": torch.full((agents, PROTOTYPES), -1), "memories": [EpisodeMemory(MEMORY) for _ in range(agents)]}


def conspec_update(learner, x, success, it):
    """One batch of ConSpec learning (Eqs. 1-2): store each agent's episodes x (A, T, n, D + 3) by their
    success (A, n), train the prototypes of the agents whose memory is full, and put to use (freeze) the
    prototypes that have separated successes from failures PATIENCE updates in a row."""
    heads, used, streak, memories = learner["heads"], learner["used"], learner["streak"], learner["memories"]
    for a in range(len(heads)):
        memories[a].add(x[a], success[a])
    ready = [a for a in range(len(heads)) if memories[a].ready()]
    if not ready:
        return
    xm = torch.stack([torch.cat([memories[a].successes(), memories[a].failures()], dim=1)
                      for a in ready])                                          # (R, T, 2 MEMORY, D + 3)
    is_success = torch.arange(2 * MEMORY, device=xm.device) < MEMORY
    separates = contrast(heads, ready, xm, is_success, learner["opt"], used[ready].bool())   # (R, M)
    streak[ready] = torch.where(separates, streak[ready] + 1, torch.zeros_like(streak[ready]))
    new = (streak[ready] >= PATIENCE) & ~used[ready].bool()
    for r, a in enumerate(ready):
        used[a, new[r]] = 1.0
        learner["used_at"][a, new[r]] = it


def train(seed=0, use_conspec=True, iterations=ITERATIONS, device="cpu", progress=True,
          distractors=DISTRACTORS, agents=AGENTS):
    """Train `agents` independent PPO agents (with or without ConSpec) on the key chain. Returns a dict
    with the agents, the success rate of every training batch (iterations, agents), and (ConSpec) each
    agent's prototypes, which are used (agents, M) and when they were put to use. With ConSpec, a second
    set of prototypes (the control) learns from the same episodes with shuffled success labels: it
    pays no reward and changes nothing the agents do."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    env = make_env(agents * N_ENVS, distractors)
    agent = ActorCritic(env.obs_dim, 3, agents=agents).to(device)
    ppo = PPOConfig(epochs=PPO_EPOCHS)
    optimizer = torch.optim.Adam(agent.parameters(), lr=ppo.lr, eps=1e-5)
    # ConSpec's learner for 2 A agents, batched: rows 0..A-1 are the agents' own; rows A..2A-1 are the control,
    # the same episodes with shuffled success labels (it pays no reward: nothing the agents do depends on it)
    conspec = new_learner(2 * agents, env.obs_dim + 3, gen, device)
    shuffle_gen = torch.Generator().manual_seed(seed + 1)             # its own: the agents' episodes stay the same
    curve = []
    name = "PPO + ConSpec" if use_conspec else "PPO"
    for it in tqdm(range(iterations), desc=f"train {agents} x {name}", disable=not progress):
        batch = collect_episodes(env, agent, gen, device)
        success = batch["success"].unflatten(0, (agents, -1))                   # (A, n)
        curve.append(success.float().mean(1).cpu())
        rewards = batch["rewards"]                                              # (T, B)
        if use_conspec:
            x = split_agents(step_inputs(batch["obs"], batch["actions"]), agents)  # (A, T, n, D + 3)
            with torch.no_grad():
                stacked = {k: torch.stack([h[k] for h in conspec["heads"][:agents]]) for k in conspec["heads"][0]}
                s = scores_of(x, stacked).transpose(0, 1).flatten(1, 2)          # (T, B, M)
                pays = conspec["used"][:agents].repeat_interleave(N_ENVS, dim=0)   # (B, M) each episode's agent
                rewards = rewards + intrinsic_reward(s, pays, LAM, THRESHOLD)   # shaped reward (Eq. 3)
            labels = torch.stack([row[torch.randperm(row.numel(), generator=shuffle_gen)] for row in success.cpu()])
            conspec_update(conspec, torch.cat([x, x]), torch.cat([success, labels.to(success.device)]), it)
        advantages, returns = gae(rewards, batch["values"], ppo.gamma, ppo.lam)
        ppo_update(agent, optimizer, batch, advantages, returns, gen, ppo)
    params = {k: torch.stack([h[k] for h in conspec["heads"]]).detach() for k in conspec["heads"][0]}  # (2A, M, ...)
    own, control = slice(0, agents), slice(agents, 2 * agents)
    return {"agent": agent, "curve": torch.stack(curve), "params": {k: v[own] for k, v in params.items()},
            "used": conspec["used"][own], "used_at": conspec["used_at"][own],
            "shuffled": {"params": {k: v[control] for k, v in params.items()}, "used": conspec["used"][control]}}


def random_episodes(env, gen):
    """Episodes of a uniformly random policy (what ConSpec's prototypes are judged on: a key is picked at
    a third of the choice steps). Returns obs (T, B, D), actions (T, B) and pickup (T, B) bool."""
    obs, _ = env.reset(seed=int(torch.randint(0, 2**31 - 1, (), generator=gen)))
    out = {"obs": [], "actions": [], "pickup": []}
    for t in range(env.horizon):
        action = torch.randint(0, 3, (env.num_envs,), generator=gen)
        room, step = divmod(t, env.room_len)
        pickup = torch.as_tensor(env.key_slot[:, room]) == action if step == 0 else torch.zeros_like(action, dtype=torch.bool)
        out["obs"].append(torch.as_tensor(obs))
        out["actions"].append(action)
        out["pickup"].append(pickup)
        obs, *_ = env.step(action.numpy())
    return {k: torch.stack(v) for k, v in out.items()}


def prototype_firing(params, used, obs, actions, threshold=THRESHOLD):
    """Where each of one agent's used prototypes pays intrinsic reward: (T, B, M) bool (False for unused
    prototypes). params: one agent's {W1, W2, prototypes}; used (M,)."""
    s = prototype_scores(step_inputs(obs, actions), **params)               # (T, B, M)
    eye = torch.eye(s.shape[-1], device=s.device)
    fires = torch.stack([intrinsic_reward(s, eye[i], 1.0, threshold) > 0 for i in range(s.shape[-1])], dim=-1)
    return fires & used.bool()


def judge_prototypes(params, used, ep):
    """Where each agent's used prototypes match in the random-policy episodes ep, and how often at key
    pickups. params {k: (A, M, ...)}, used (A, M). Returns fires (A, T, B, M) bool and the counts per
    prototype {"used" (A, M), "fires_each" (A, M), "hits_each" (A, M)} that detector_share reads."""
    fires = torch.stack([prototype_firing({k: v[a].cpu() for k, v in params.items()}, used[a].cpu(),
                                          ep["obs"], ep["actions"]) for a in range(len(used))])   # (A, T, B, M)
    return fires, {"used": used.cpu(), "fires_each": fires.sum((1, 2)).float(),
                   "hits_each": (fires & ep["pickup"][None, ..., None]).sum((1, 2)).float()}


def run(seed=0, device="cpu", progress=True, iterations=ITERATIONS, distractors=DISTRACTORS, agents=AGENTS):
    """The whole experiment for one seed: train both arms, evaluate every agent on fresh episodes, and find
    where each ConSpec agent's prototypes fire in episodes of a random policy. Returns a dict for check
    and plot."""
    out = {}
    for name, use in (("ppo", False), ("conspec", True)):
        out[name] = train(seed, use, iterations, device, progress, distractors, agents)
        gen = torch.Generator().manual_seed(10_000 + seed)                    # held-out episodes
        out[name]["success"] = success_rate(make_env(agents * N_ENVS, distractors), out[name]["agent"], gen,
                                            device, episodes=256)
        if agents == 1:
            out[name]["success"] = torch.tensor([out[name]["success"]])
    cs = out["conspec"]
    gen = torch.Generator().manual_seed(20_000 + seed)
    env = make_env(256, distractors)
    ep = random_episodes(env, gen)
    fires, counts = judge_prototypes(cs["params"], cs["used"], ep)
    out["fires_each"], out["hits_each"] = counts["fires_each"], counts["hits_each"]
    out["rooms_covered"] = [rooms_covered(fires[a], ep["pickup"], KEYS, env.room_len) for a in range(agents)]
    _, out["shuffled"] = judge_prototypes(cs["shuffled"]["params"], cs["shuffled"]["used"], ep)   # the control
    out["random_episodes"] = ep
    out["fires"] = fires
    out["key_steps"] = env.key_steps()
    return out


# 6. The claim, measured. How fast an agent learns is the area under its learning curve: the mean
#    success rate over all training batches (1 for an agent that succeeds from the first batch on).
#    Everything is pooled over the AGENTS agents of each arm. Agent a of the two arms starts from the
#    same weights and sees the same episodes until ConSpec first pays it intrinsic reward.

def learning_curve_area(curve):
    """Mean of the per-batch training success rates in `curve` (iterations, ...) along its first axis:
    the area under the learning curve, per batch (one value per agent)."""
    return torch.as_tensor(curve, dtype=torch.float32).mean(0)


def rooms_covered(fires, pickup, rooms, room_len):
    """How many rooms' key pickups one agent's used prototypes catch, at least half of them.

    fires (T, B, M) bool, pickup (T, B) bool, rooms K, room_len steps per room. Returns an int."""
    caught = fires.any(-1) & pickup                                           # (T, B)
    per_room = caught.unflatten(0, (rooms, room_len)).sum((1, 2)) / pickup.unflatten(0, (rooms, room_len)).sum((1, 2)).clamp_min(1)
    return int((per_room >= 0.5).sum())


def detector_share(used, fires_each, hits_each):
    """Fraction of the used prototypes (pooled over agents) that are key-pickup detectors: at least half
    of their matches on the random-policy episodes are key pickups. used, fires_each, hits_each: (A, M).
    0 when no prototype is used."""
    used = used.bool()
    if not used.any():
        return 0.0
    detector = hits_each >= 0.5 * fires_each.clamp_min(1)
    return float(detector[used].float().mean())


def check(out):
    """Compare the measurements with the claim's thresholds. Returns (measured, thresholds, holds)."""
    auc_cs, auc_ppo = learning_curve_area(out["conspec"]["curve"]), learning_curve_area(out["ppo"]["curve"])
    fires_total = float(out["fires_each"].sum())
    ratio = lambda hits, total: hits / total if total else 0.0               # noqa: E731  (no match: 0)
    measured = {
        "precision": ratio(float(out["hits_each"].sum()), fires_total),
        "prototypes_used": float(out["conspec"]["used"].sum(1).float().mean()),
        "rooms_covered": float(torch.as_tensor(out["rooms_covered"], dtype=torch.float32).mean()),
        "detector_share": detector_share(out["conspec"]["used"], out["fires_each"], out["hits_each"]),
        "shuffled_detector_share": detector_share(**out["shuffled"]),
        "shuffled_used": float(out["shuffled"]["used"].sum(1).mean()),
        "auc_conspec": float(auc_cs.mean()),
        "auc_ppo": float(auc_ppo.mean()),
        "auc_gap": float((auc_cs - auc_ppo).mean()),
        "agents_faster": float(((auc_cs - auc_ppo) > 0.02).sum()),
        "agents_slower": float(((auc_cs - auc_ppo) < -0.02).sum()),
        "success_conspec": float(out["conspec"]["success"].mean()),
        "success_ppo": float(out["ppo"]["success"].mean()),
    }
    measured["success_gap"] = measured["success_conspec"] - measured["success_ppo"]
    thresholds = {"detector_share": f"> {DETECTORS}", "shuffled_detector_share": f"<= {SHUFFLED}"}
    holds = measured["detector_share"] > DETECTORS and measured["shuffled_detector_share"] <= SHUFFLED
    return measured, thresholds, holds


def claim_line(measured, holds):
    """One printed line: the claim's numbers and the verdict (the notebook and the CLI print it)."""
    m = measured
    return (f"{LESSON_ID}: {m['prototypes_used']:.1f} prototypes used per agent, {m['detector_share']:.0%} of them "
            f"key-pickup detectors (> {DETECTORS:.0%}; pooled precision {m['precision']:.2f}, a choice-step "
            f"detector would score 0.33), {m['rooms_covered']:.1f} of {KEYS} rooms covered; with shuffled success "
            f"labels {m['shuffled_used']:.1f} used, {m['shuffled_detector_share']:.0%} detectors (<= {SHUFFLED:.0%}) "
            f"-> claim {'HOLDS' if holds else 'FAILS'}. Reported, not claimed: mean success over training "
            f"PPO + ConSpec {m['auc_conspec']:.2f} vs PPO {m['auc_ppo']:.2f} (gap {m['auc_gap']:+.2f}; "
            f"{m['agents_faster']:.0f} of {AGENTS} agents faster, {m['agents_slower']:.0f} slower), final success "
            f"{m['success_conspec']:.2f} vs {m['success_ppo']:.2f}")


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


def pick_episode(out, agent):
    """The random-policy episode in which `agent`'s used prototypes match the most key pickups (ties: the
    first), for the figures."""
    hits = (out["fires"][agent].any(-1) & out["random_episodes"]["pickup"]).sum(0)   # (B,)
    return int(hits.argmax())


def show_episode(out, agent=None, threshold=THRESHOLD, ax=None):
    """Draw the random-policy episode in which `agent`'s used prototypes match the most key pickups, with
    where they match (default agent: the one with the most used prototypes)."""
    cs, ep = out["conspec"], out["random_episodes"]
    agent = int(cs["used"].sum(1).argmax()) if agent is None else agent
    b = pick_episode(out, agent)
    obs, actions = ep["obs"][:, b:b + 1], ep["actions"][:, b:b + 1]
    params = {k: v[agent].cpu() for k, v in cs["params"].items()}
    fires = prototype_firing(params, cs["used"][agent].cpu(), obs, actions, threshold)[:, 0]     # (T, M)
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3))
    draw_episode(ax, obs[:, 0], actions[:, 0], fires, out["key_steps"],
                 f"agent {agent}'s used prototypes on a random-policy episode (stars: matches above {threshold:.2f})")
    return ax


def plot(out):
    """Figure: (a) success rate during training, every agent and their mean, with and without ConSpec;
    (b) a random-policy episode drawn as a grid, with where one agent's used prototypes fire."""
    fig, axes = plt.subplots(1, 2, figsize=(14, 3.8), gridspec_kw={"width_ratios": [1, 2.2]})
    ax = axes[0]
    for name, label, colour in (("ppo", "PPO", "C7"), ("conspec", "PPO + ConSpec", "C0")):
        curve = out[name]["curve"]                                              # (iterations, A)
        ax.plot(curve, color=colour, alpha=0.2, lw=0.8)
        ax.plot(curve.mean(1), color=colour, lw=2, label=f"{label}: mean of {curve.shape[1]} agents "
                f"(over training {float(curve.mean()):.2f})")
    ax.set_xlabel(f"training batch ({N_ENVS} episodes per agent)")
    ax.set_ylabel("success rate")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("(a) learning to open the door")
    ax.legend(fontsize=8, loc="upper left")
    show_episode(out, ax=axes[1])
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

def explore_threshold(out, threshold=0.6, agent=None):
    """Redraw the random-policy episode with `agent`'s used prototypes' matches at `threshold` (top), and
    every used prototype's score over the episode (bottom)."""
    cs, ep = out["conspec"], out["random_episodes"]
    agent = int(cs["used"].sum(1).argmax()) if agent is None else agent
    fig, axes = plt.subplots(2, 1, figsize=(11, 5.5), sharex=True)
    show_episode(out, agent, threshold, axes[0])
    b = pick_episode(out, agent)
    params = {k: v[agent].cpu() for k, v in cs["params"].items()}
    s = prototype_scores(step_inputs(ep["obs"][:, b:b + 1], ep["actions"][:, b:b + 1]), **params)[:, 0]   # (T, M)
    colours = plt.cm.tab10(torch.arange(10) % 10)
    for i in torch.nonzero(cs["used"][agent]).flatten().tolist():
        axes[1].plot(s[:, i], color=colours[(i + 4) % 10], label=f"prototype {i}")
    axes[1].axhline(threshold, color="k", ls="--", lw=1)
    for t in out["key_steps"]:
        axes[1].axvspan(t - 0.5, t + 0.5, color="0.92", zorder=0)
    axes[1].set_ylabel("cosine score")
    axes[1].set_xlabel("time step (grey: the rooms' choice steps)")
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    plt.show()
