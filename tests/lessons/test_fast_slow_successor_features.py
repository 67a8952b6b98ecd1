"""The fast-slow-successor-features reference: the consolidation chain, the recall mask, the SF value
function and its TD loss do what the paper's equations (and the official code) say; the drifting
four-rooms env behaves; and the claim check can fail."""
import numpy as np
import pytest
import torch

from neuroai.course import lessons
from neuroai.envs import FourRoomsDriftEnv

ref = lessons.load_reference("fast-slow-successor-features")
DT = torch.float64


def official_chain(params, caps, g, mask, lr_c=1.0):
    """The official consolidation_update_fn (JAX), rewritten on a list of tensors (update_every = 1)."""
    p = [x.clone() for x in params]
    K = len(p)
    p[0] = p[0] + g / caps[1] * lr_c * mask[1] * (p[1] - p[0])
    for i in range(1, K - 1):
        p[i] = p[i] + g / caps[i] * (p[i - 1] - p[i])
        if mask[i] != 0:
            p[i] = p[i] + g / caps[i + 1] * lr_c * (p[i + 1] - p[i])
    p[-1] = p[-1] + g / caps[-1] * (0 - p[-1])
    p[-1] = p[-1] + g / caps[-1] * lr_c * (p[-2] - p[-1])
    return torch.stack(p)


def official_mask(step, scales):
    m = (scales < step).long()
    return torch.cat([torch.ones(1, dtype=torch.long), m[:-1]])


@pytest.mark.parametrize("K", [2, 3, 6, 9])
@pytest.mark.parametrize("step", [0, 30, 100, 700, 10_000])
def test_chain_matches_official_code(K, step):
    caps = ref.capacities(K)
    g = 0.1 / float(caps[1])
    scales = ref.timescales(caps, g)
    mask = ref.recall_mask(step, scales)
    om = official_mask(step, scales)
    # the official code gates beaker 0 with its mask[1] and beaker k >= 1 with mask[k]
    assert mask[0] == om[1] and torch.equal(mask[1:].long(), om[1:])
    U = torch.randn(K, 3, 4, generator=torch.Generator().manual_seed(K + step), dtype=DT)
    assert torch.allclose(ref.benna_fusi_step(U, caps, g, 1.0, mask), official_chain(list(U), caps, g, om))


def test_chain_matrix_is_the_step():
    caps = ref.capacities(9)
    mask = torch.tensor([1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=DT)
    U = torch.randn(9, 5, 2, dtype=DT)
    M = ref.chain_matrix(caps, 0.05, 1.0, mask)
    assert torch.allclose(torch.einsum("kl,l...->k...", M, U), ref.benna_fusi_step(U, caps, 0.05, 1.0, mask))


def test_timescales_double_per_beaker():
    """Arithmetic, not a finding: C_k = 2^k and g = 0.1 / C_1 give 20 * 2^k updates."""
    caps = ref.capacities(9)
    assert torch.equal(ref.timescales(caps, 0.1 / 2), 20 * 2.0 ** torch.arange(9, dtype=DT))


def test_decay_time_grows_about_twofold_per_beaker():
    """A pulse put into beaker k alone, with learning off: the time for it to fall to 1/e roughly
    doubles from one beaker to the next (it follows from C_k = 2^k). Beaker 1, next to the online beaker
    (C_0 = 1), and the leaky last one are the chain's ends and are left out."""
    K = 9
    caps, g = ref.capacities(K), 0.05
    mask = torch.ones(K, dtype=DT)
    M = ref.chain_matrix(caps, g, 1.0, mask)
    times = []
    for k in range(2, K - 1):
        u = torch.zeros(K, dtype=DT)
        u[k] = 1.0
        t = 0
        while u[k] > np.exp(-1):
            u = M @ u
            t += 1
        times.append(t)
    ratios = torch.tensor(times[1:], dtype=DT) / torch.tensor(times[:-1], dtype=DT)
    assert ((ratios > 1.6) & (ratios < 2.4)).all(), times


def test_pulse_flows_one_beaker_per_update():
    """A pulse in the online beaker: the official code updates the beakers in order, each from the
    already updated one before it, so one update carries some of it down the whole chain, less and less."""
    caps = ref.capacities(3)
    U = torch.tensor([1.0, 0.0, 0.0], dtype=DT)
    V = ref.benna_fusi_step(U, caps, 0.05, 1.0, torch.ones(3, dtype=DT))
    assert V[0] < 1 and V[1] > 0 and 0 < V[2] < V[1]


def test_q_from_sf_and_td_loss():
    gen = torch.Generator().manual_seed(0)
    psi = torch.randn(6, 4, 5, generator=gen, dtype=DT)
    w = torch.randn(5, generator=gen, dtype=DT)
    assert torch.allclose(ref.q_from_sf(psi, w), psi @ w)
    p = psi[:, 0].clone().requires_grad_(True)
    r = torch.rand(6, generator=gen, dtype=DT)
    nxt = torch.randn(6, 4, 5, generator=gen, dtype=DT)
    done = torch.tensor([0, 1, 0, 0, 1, 0])
    loss = ref.sf_q_td_loss(p, w, r, nxt, 0.9, done)
    delta = r + 0.9 * (1 - done) * (nxt @ w).max(-1).values - p.detach() @ w
    assert torch.allclose(loss, 0.5 * (delta ** 2).mean())
    (grad,) = torch.autograd.grad(loss, p)
    assert torch.allclose(grad, -delta[:, None] * w / 6)      # the TD error reaches psi only through w


def test_env_walls_slip_and_pairing():
    env = FourRoomsDriftEnv(num_envs=6, worlds=3, seed=0)
    obs, _ = env.reset(seed=0)
    assert len(env.free) == 68 and np.array_equal(obs[:3], obs[3:])
    assert (env.room[env.goals[:, 0]] != env.room[env.goals[:, 1]]).all()
    acts = np.random.default_rng(0).integers(0, 4, (200, 3))
    for a in acts:                              # the same actions in the same world: the same trajectory
        obs, r, term, trunc, info = env.step(np.concatenate([a, a]))
        assert np.array_equal(obs[:3], obs[3:])
    p = env.slip(np.arange(20_000), np.zeros(20_000))
    assert abs(p.mean() - 0.3) < 1e-3 and abs(p.max() - 0.55) < 1e-3
    assert env.task(9_999) == 0 and env.task(10_000) == 1 and env.task(20_000) == 0


def test_run_smoke_and_claim_can_fail():
    out = ref.run(seed=0, replicas=2, phase_steps=400, progress=False)
    assert out["second"].shape == (len(ref.agents()), 2)
    measured, thresholds, holds = ref.check(out)
    assert "claim" in ref.claim_line(measured, holds)
    # the mechanism switched off: every SF arm scores what plain SF scores, so no gap can clear 0
    names = out["names"]
    fake = dict(out)
    fake["second"] = out["second"].clone()
    for n in ("SF+cons", "SF+single", "SF+reset"):
        fake["second"][names.index(n)] = out["second"][names.index("SF")]
    measured, _, holds = ref.check(fake)
    assert not holds and measured["multi_vs_single"] == 0
