"""The poyo reference: tokens are Eq. 1 (half-open windows, START/END tokens), rotate is a rotation whose
inner products see only time differences (Eq. 2), rotary attention is Eq. 3 with padding ignored, the model
treats spikes as a set, adaptation moves only what it should, and the claim check can fail."""
import copy
import math

import pytest
import torch

from neuroai import neural
from neuroai.course import lessons

ref = lessons.load_reference("poyo")


@pytest.fixture(scope="module")
def recs():
    return neural.simulate_sessions(n_sessions=2, n_units=(10, 14), n_trials=12, seed=3)


def test_tokens_are_the_spikes_of_a_half_open_window_plus_start_and_end():
    times = torch.tensor([0.2, 0.5, 0.99, 1.0, 0.5], dtype=torch.float64)
    units = torch.tensor([2, 0, 1, 1, 3])
    unit, t, kind = ref.tokenize_spikes(times, units, 4, 0.5, 1.0)
    assert unit.tolist() == [0, 1, 3, 0, 1, 2, 3, 0, 1, 2, 3]                   # 0.5 in, 1.0 out, input order
    assert torch.allclose(t, torch.tensor([0, 0.49, 0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5], dtype=torch.float64))
    assert kind.tolist() == [ref.SPIKE] * 3 + [ref.START] * 4 + [ref.END] * 4


def test_rotate_is_the_pairwise_rotation_of_eq_2():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 5, 8, generator=gen, dtype=torch.float64)
    t = torch.rand(2, 1, 5, generator=gen, dtype=torch.float64)
    omega = ref.rotary_frequencies(8).double()
    y = ref.rotate(x, t, omega)
    a = t[..., None] * omega
    assert torch.allclose(y[..., 0::2], x[..., 0::2] * a.cos() - x[..., 1::2] * a.sin())
    assert torch.allclose(y[..., 1::2], x[..., 0::2] * a.sin() + x[..., 1::2] * a.cos())
    assert torch.allclose(ref.rotate(y, -t, omega), x)
    # the score of a rotated query and key depends on the time difference only
    q, k = torch.randn(8, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    at = lambda s: torch.tensor([s], dtype=torch.float64)
    score = lambda tq, tk: ref.rotate(q[None], at(tq), omega) @ ref.rotate(k[None], at(tk), omega).T
    assert torch.allclose(score(0.1, 0.4), score(2.1, 2.4)) and not torch.allclose(score(0.1, 0.4), score(0.1, 0.5))


def test_frequencies_span_the_periods():
    """Every pair turns (the docstring and the chapter say so; POYO turns half of them)."""
    omega = ref.rotary_frequencies(16)
    periods = 2 * math.pi / omega
    assert omega.shape == (8,) and bool((omega > 0).all())
    assert math.isclose(periods.min(), ref.T_MIN, rel_tol=1e-5) and math.isclose(periods.max(), ref.T_MAX, rel_tol=1e-5)
    ratios = periods[1:] / periods[:-1]
    assert torch.allclose(ratios, ratios[0].expand_as(ratios), rtol=1e-4)     # log-spaced


def test_rotary_attention_is_eq_3_and_ignores_padding():
    gen = torch.Generator().manual_seed(1)
    B, H, Nq, Nk, D = 2, 2, 3, 6, 8
    q, k, v = (torch.randn(B, H, n, D, generator=gen, dtype=torch.float64) for n in (Nq, Nk, Nk))
    t_q, t_k = torch.rand(B, Nq, generator=gen, dtype=torch.float64), torch.rand(B, Nk, generator=gen, dtype=torch.float64)
    omega = ref.rotary_frequencies(D).double()
    mask = torch.ones(B, Nk, dtype=torch.bool)
    mask[1, 4:] = False
    out = ref.rotary_attention(q, k, v, t_q, t_k, omega, mask)
    rq, rk, rv = ref.rotate(q, t_q[:, None], omega), ref.rotate(k, t_k[:, None], omega), ref.rotate(v, t_k[:, None], omega)
    scores = (rq @ rk.transpose(-1, -2) / math.sqrt(D)).masked_fill(~mask[:, None, None], -math.inf)
    by_hand = ref.rotate(torch.softmax(scores, -1) @ rv, -t_q[:, None], omega)
    assert torch.allclose(out, by_hand)
    k[1, :, 4:], v[1, :, 4:] = 1e3, -1e3                                            # padding content
    assert torch.allclose(ref.rotary_attention(q, k, v, t_q, t_k, omega, mask), out)
    assert torch.allclose(ref.rotary_attention(q, k, v, t_q + 3.0, t_k + 3.0, omega, mask), out)


def test_spikes_are_a_set_and_padding_does_not_matter(recs):
    """A unit test of the architecture (attention over a set of tokens), not part of the claim: the same
    model trained or untrained gives the same output for any order of its tokens."""
    torch.manual_seed(0)
    model = ref.POYO(recs[0].n_units, 1).eval()
    windows = ref.session_windows(recs[0], range(4), 0, 0)
    assert ref.permutation_diff(model, windows) <= 1e-5
    with torch.no_grad():
        alone = model(ref.collate(windows[:1]))
        padded = model(ref.collate(windows))[:1]                                      # padded to the longest
        assert torch.allclose(alone, padded, atol=1e-5)
        moved = dict(windows[0], time=windows[0]["time"].clone())
        moved["time"][:5] += 0.3                                                       # spikes at other times
        assert (model(ref.collate([moved])) - alone).abs().max() > 1e-4


def test_unit_dropout_drops_whole_units(recs):
    batch = ref.collate(ref.session_windows(recs[0], range(6), 0, 0))
    dropped = ref.drop_units(batch, torch.Generator().manual_seed(0))
    for b in range(6):
        units = batch["unit"][b][batch["mask"][b]]
        kept = set(batch["unit"][b][dropped["mask"][b]].tolist())
        assert 0 < len(kept) < len(set(units.tolist()))
        for u in set(units.tolist()) - kept:                                            # no token of it left
            assert not dropped["mask"][b][batch["unit"][b] == u].any()


def test_unit_identification_moves_only_the_new_embeddings(recs):
    torch.manual_seed(0)
    model = ref.POYO(recs[0].n_units, 1)
    first, session = ref.add_session(model, recs[1].n_units)
    assert (first, session) == (recs[0].n_units, 1)
    before = copy.deepcopy(model.state_dict())
    windows = ref.session_windows(recs[1], range(4), first, session)
    ref.adapt(model, windows, first, session, "unit_id", steps=5, progress=False)
    after = copy.deepcopy(model.state_dict())
    for name, value in before.items():
        if name == "unit_emb.weight":
            assert torch.equal(after[name][:first], value[:first]) and not torch.equal(after[name][first:], value[first:])
        elif name == "session_emb.weight":
            assert torch.equal(after[name][:1], value[:1]) and not torch.equal(after[name][1:], value[1:])
        else:
            assert torch.equal(after[name], value), name
    ref.adapt(model, windows, first, session, "full", steps=5, progress=False)
    assert not torch.equal(model.state_dict()["readout.weight"], after["readout.weight"])
    assert torch.equal(model.state_dict()["unit_emb.weight"][:first], before["unit_emb.weight"][:first])


def test_short_training_decodes_velocity():
    recs = neural.simulate_sessions(n_sessions=2, n_trials=50, seed=0)
    windows, test, offset = [], [], 0
    for s, rec in enumerate(recs):
        windows += ref.session_windows(rec, range(40), offset, s)
        test += ref.session_windows(rec, range(40, 50), offset, s)
        offset += rec.n_units
    torch.manual_seed(0)
    model = ref.train(ref.POYO(offset, 2), windows, 120, progress=False)
    assert ref.r2_score(model, test) > 0.5


def test_ridge_baseline_decodes_a_session():
    rec = neural.simulate_sessions(n_sessions=1, n_trials=60, seed=1)[0]
    assert ref.ridge_baseline(rec, range(40), range(40, 60)) > 0.4


def _fake_out(pre=0.8, unit_id=0.6, full=0.6, scratch=0.4):
    return {"pretrained_r2": [pre, pre],
            "r2": {"unit_id": unit_id, "full": full, "scratch": scratch, "ridge": 0.5}}


@pytest.mark.parametrize("change, holds", [
    ({}, True),
    ({"pre": 0.6}, False),                       # the multi-session model does not decode its sessions
    ({"scratch": 0.58}, False),                  # pretraining does not help the new session
    ({"full": 0.9}, False),                      # embeddings alone fall far short of fine-tuning
    ({"full": -0.1}, False),                     # a ratio to a negative R^2 means nothing
])
def test_claim_check_can_fail(change, holds):
    measured, _, verdict = ref.check(_fake_out(**change))
    assert verdict is holds
    assert all(isinstance(v, float) for v in measured.values())
