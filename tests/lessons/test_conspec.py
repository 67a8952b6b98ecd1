"""The conspec reference: ConSpec's functions do what the paper's equations say, and the claim check can
fail. (The reinforcement-learning kit it runs on, neuroai.envs and neuroai.rl, is tested in
tests/library/test_envs_and_rl.py.)"""
import pytest
import torch

from neuroai.course import lessons
from neuroai.envs import KeyChainEnv

ref = lessons.load_reference("conspec")
DT = torch.float64


# --- ConSpec (solutions/conspec.py) ---------------------------------------------------------------------

def test_step_inputs_are_the_observation_and_the_action():
    env = KeyChainEnv(num_envs=4, keys=ref.KEYS, distractor_steps=ref.DISTRACTORS, apple_prob=1.0)
    obs, _ = env.reset(seed=0)
    obs = torch.as_tensor(obs)[None]                                          # (1, 4, D): a choice step
    actions = torch.tensor([[0, 1, 2, 1]])
    x = ref.step_inputs(obs, actions)
    assert x.shape == (1, 4, env.obs_dim + 3)
    assert torch.equal(x[..., :env.obs_dim], obs)                             # nothing added, nothing hidden
    assert torch.equal(x[0, :, env.obs_dim:].argmax(-1), actions[0]) and (x[..., env.obs_dim:].sum(-1) == 1).all()


def test_prototype_scores_are_cosines_of_the_heads():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, 5, generator=gen, dtype=DT)
    W1, W2 = torch.randn(2, 6, 5, generator=gen, dtype=DT), torch.randn(2, 6, 6, generator=gen, dtype=DT)
    P = torch.randn(2, 6, generator=gen, dtype=DT)
    s = ref.prototype_scores(x, W1, W2, P)
    for i in range(2):
        g = torch.relu(torch.relu(x @ W1[i].T) @ W2[i].T)
        assert torch.allclose(s[..., i], torch.nn.functional.cosine_similarity(g, P[i].expand_as(g), dim=-1))


def test_conspec_loss_prefers_prototypes_that_separate_and_differ():
    s = torch.zeros(8, 4, 2, dtype=DT)
    s[2, :2, 0], s[5, :2, 1] = 1.0, 1.0                     # two prototypes, two steps, successes only
    is_success = torch.tensor([True, True, False, False])
    assert float(ref.conspec_loss(s, is_success)) < 1e-9
    fails_too = s.clone()
    fails_too[2, 2:, 0] = 1.0
    assert float(ref.conspec_loss(fails_too, is_success)) == pytest.approx(1.0)
    same_step = s.clone()
    same_step[5, :2, 1], same_step[2, :2, 1] = 0.0, 1.0
    assert float(ref.conspec_loss(same_step, is_success)) == pytest.approx(0.2 / 2 * 2 * 2, rel=1e-6)
    s.requires_grad_(True)
    ref.conspec_loss(s + 0.1, is_success).backward()           # differentiable
    assert s.grad is not None and torch.isfinite(s.grad).all()


def test_intrinsic_reward_pays_once_at_the_onset():
    s = torch.zeros(12, 1, 1, dtype=DT)
    s[3:9, 0, 0] = 0.9                                          # a long plateau
    r = ref.intrinsic_reward(s, torch.ones(1, dtype=DT))
    assert torch.nonzero(r[:, 0]).flatten().tolist() == [3]
    assert float(r[3, 0]) == pytest.approx(0.2 * 0.9)
    s[6, 0, 0] = 0.95                                          # a higher peak inside: pays there, less the echo
    r = ref.intrinsic_reward(s, torch.ones(1, dtype=DT))
    assert float(r[6, 0]) == pytest.approx(0.2 * 0.95)         # the echo of t = 3 lies outside the window
    assert float(r[3, 0]) == 0.0                               # t = 3 is no longer the local maximum


def _fake_out(auc_conspec=(0.5, 0.4, 0.3, 0.3), auc_ppo=(0.2, 0.4, 0.1, 0.3), detectors=3, shuffled_detectors=0):
    """What run() returns, made up: 4 agents per arm with flat learning curves of the given heights; the
    ConSpec agents use 4 prototypes in all, `detectors` of which match key pickups (9 of 10 matches), the
    others at other steps (1 of 10); the shuffled-label twin uses 2, `shuffled_detectors` of them detectors."""
    def arm(auc):
        return {"curve": torch.tensor(auc).repeat(10, 1), "success": torch.tensor(auc)}

    def prototypes(n_used, n_detectors):
        used, hits = torch.zeros(4, 8), torch.zeros(4, 8)
        for i in range(n_used):
            used[i, 0] = 1.0
            hits[i, 0] = 9.0 if i < n_detectors else 1.0
        return {"used": used, "fires_each": torch.full((4, 8), 10.0) * used, "hits_each": hits}

    out = {"conspec": arm(auc_conspec), "ppo": arm(auc_ppo), "shuffled": prototypes(2, shuffled_detectors),
           "rooms_covered": [2, 1, 1, 0]}
    mine = prototypes(4, detectors)
    out["conspec"]["used"] = mine["used"]
    out.update(fires_each=mine["fires_each"], hits_each=mine["hits_each"])
    return out


@pytest.mark.parametrize("change, holds", [
    ({}, True),                                                # mostly detectors; the shuffled twin none
    ({"detectors": 2}, False),                                 # half of them fire elsewhere: not more than half
    ({"detectors": 0}, False),                                 # prototypes fire at other steps
    ({"shuffled_detectors": 1}, False),                        # the control finds pickups too: not the contrast
    ({"auc_conspec": (0.2, 0.4, 0.1, 0.3)}, True),             # learning speed is reported, not claimed
])
def test_claim_check_can_fail(change, holds):
    _, _, verdict = ref.check(_fake_out(**change))
    assert verdict is holds


def test_no_used_prototype_is_no_detector():
    out = _fake_out(detectors=0)
    for key in ("fires_each", "hits_each"):
        out[key] = torch.zeros(4, 8)
    out["conspec"]["used"] = torch.zeros(4, 8)
    measured, _, holds = ref.check(out)
    assert measured["detector_share"] == 0.0 and holds is False


def test_learning_curve_area_is_the_mean_success_over_training():
    assert torch.allclose(ref.learning_curve_area(torch.tensor([[0.0, 1.0], [0.5, 1.0], [1.0, 1.0], [0.5, 1.0]])),
                          torch.tensor([0.5, 1.0]))
    measured, _, _ = ref.check(_fake_out())
    assert measured["auc_gap"] == pytest.approx(0.125) and measured["agents_faster"] == 2
    assert measured["detector_share"] == pytest.approx(0.75) and measured["precision"] == pytest.approx(0.7)


def test_rooms_covered_counts_rooms_whose_pickups_are_caught():
    pickup = torch.zeros(6, 4, dtype=torch.bool)               # 2 rooms of 3 steps, 4 episodes
    pickup[0, :3] = pickup[3, 1:] = True
    fires = torch.zeros(6, 4, 2, dtype=torch.bool)
    fires[0, :2, 0] = True                                     # room 0: 2 of 3 pickups caught
    fires[3, 1, 1] = fires[4, :, 1] = True                     # room 1: 1 of 3 (and misfires)
    assert ref.rooms_covered(fires, pickup, 2, 3) == 1


def test_a_short_run_trains_and_measures():
    out = ref.run(seed=0, progress=False, iterations=3)
    measured, thresholds, holds = ref.check(out)
    named = {name.strip() for key in thresholds for name in key.split(" or ")}
    assert named <= set(measured) and isinstance(holds, bool)
    assert all(isinstance(v, float) for v in measured.values())
    assert len(out["ppo"]["curve"]) == 3 and len(out["conspec"]["curve"]) == 3
