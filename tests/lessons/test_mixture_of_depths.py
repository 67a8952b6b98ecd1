"""The mixture-of-depths reference: routing picks the right tokens, the routed update is Eq. 2, the
predictor's loss is Eq. 3, skipped tokens cost no counted operations, and the claim check can fail."""
import math

import pytest
import torch

from neuroai import ops
from neuroai.course import lessons

ref = lessons.load_reference("mixture-of-depths")


def test_data_layout():
    tokens, kind = ref.pair_batch(64, torch.Generator().manual_seed(0))
    assert tokens.shape == kind.shape == (64, ref.SEQ_LEN) and int(tokens.max()) < ref.VOCAB
    assert ((kind == 2).sum(dim=1) == ref.N_PAIRS).all()                  # 4 value tokens per sequence
    filler = kind == 0
    assert torch.equal(tokens[filler], (torch.arange(ref.SEQ_LEN).expand(64, -1) % 8)[filler])
    i = tokens[kind == 1] - ref.KEY                                      # keys, values, checksums in order
    j = tokens[kind == 2] - ref.VALUE
    assert torch.equal(tokens[kind == 3] - ref.FILLER, (i + j) % 8)
    again, _ = ref.pair_batch(64, torch.Generator().manual_seed(0))
    assert torch.equal(tokens, again)                                    # seeded


def test_topk_route_matches_a_sort():
    scores = torch.randn(5, 32, generator=torch.Generator().manual_seed(1))
    for capacity in (0.125, 0.25, 0.5):
        idx = ref.topk_route(scores, capacity)
        k = int(capacity * 32)
        expected = scores.argsort(dim=1, descending=True)[:, :k].sort(dim=1).values
        assert torch.equal(idx, expected)


def test_mod_update_is_eq_2_and_leaves_the_rest():
    gen = torch.Generator().manual_seed(2)
    x, scores = torch.randn(2, 6, 3, generator=gen), torch.randn(2, 6, generator=gen)
    idx = torch.tensor([[0, 4], [2, 5]])
    f_out = torch.randn(2, 2, 3, generator=gen)
    new = ref.mod_update(x, f_out, scores, idx)
    for b in range(2):
        for slot, i in enumerate(idx[b].tolist()):
            assert torch.allclose(new[b, i], x[b, i] + scores[b, i] * f_out[b, slot])
        others = [i for i in range(6) if i not in idx[b].tolist()]
        assert torch.equal(new[b, others], x[b, others])


def test_predictor_loss_is_bce_on_membership():
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(3, 8, generator=gen)
    idx = torch.tensor([[1, 2], [0, 7], [3, 4]])
    targets = torch.zeros(3, 8)
    targets[torch.arange(3)[:, None], idx] = 1
    p = torch.sigmoid(logits)
    by_hand = -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()
    assert torch.isclose(ref.predictor_loss(logits, idx), by_hand, atol=1e-6)


def test_routed_block_is_causal_and_skipped_tokens_cost_nothing():
    torch.manual_seed(0)
    model = ref.MoDTransformer("learned", capacity=0.25).eval()
    tokens, _ = ref.pair_batch(1, torch.Generator().manual_seed(4))
    dense = ref.MoDTransformer("dense").eval()
    routed_macs = ops.measure(model, tokens, events=False).macs
    dense_macs = ops.measure(dense, tokens, events=False).macs
    S, k, D, V = ref.SEQ_LEN, 8, 32, ref.VOCAB
    block = lambda n: 12 * n * D * D + 2 * 2 * n * n * (D // 2)         # linears + attention (2 heads)
    readout, router, predictor = S * D * V, S * D, S * (D * 16 + 16)
    assert dense_macs == block(S) + readout
    assert routed_macs == block(k) + readout + router + predictor
    # causality: with the predictor routing, changing a later token leaves earlier outputs unchanged
    later = tokens.clone()
    later[0, 20:] = (later[0, 20:] + 1) % ref.VOCAB
    with torch.no_grad():
        a, _ = model(tokens, causal=True)
        b, _ = model(later, causal=True)
    assert torch.allclose(a[0, :20], b[0, :20], atol=1e-6)


def test_short_training_learns_the_checksum_densely():
    torch.manual_seed(0)
    model = ref.train(ref.MoDTransformer("dense"), steps=250, seed=0, progress=False)
    tokens, kind = ref.pair_batch(256, torch.Generator().manual_seed(5))
    with torch.no_grad():
        loss, acc = ref.value_loss(model(tokens)[0], tokens, kind)
    assert loss < 0.2 and acc > 0.95, (loss, acc)


def _fake_out(gain=1.0, cover=0.7, agree=0.96, causal=0.0, macs=0.3, iso_loss=0.3):
    learned = {"loss": 0.5, "macs": macs * 1000, "values_routed": cover, "predictor_agree": agree,
               "causal_loss": 0.5 + causal, "causal_routed_fraction": 0.25}
    iso_steps = round(ref.STEPS / macs)
    return {"dense": {"loss": 0.01, "macs": 1000, "train_macs": 1000 * ref.STEPS}, "learned": learned,
            "random": {"loss": 0.5 + gain, "macs": macs * 1000, "values_routed": 0.25},
            "learned_iso": {"loss": iso_loss, "values_routed": cover, "train_macs": macs * 1000 * iso_steps},
            "iso_steps": iso_steps}


@pytest.mark.parametrize("change, holds", [
    ({}, True),
    ({"gain": 0.3}, False),        # learned routing barely beats random
    ({"cover": 0.3}, False),       # the router does not find the value tokens
    ({"agree": 0.9}, False),       # the predictor cannot stand in for top-k
    ({"causal": 0.3}, False),      # routing by the predictor hurts
    ({"macs": 0.5}, True),         # the MAC count is arithmetic (tested above), not part of the claim
    ({"iso_loss": 1.5}, True),     # the isoFLOP comparison is reported (it does not reproduce), not claimed
    ({"iso_loss": 0.0}, True),
])
def test_claim_check_can_fail(change, holds):
    measured, _, verdict = ref.check(_fake_out(**change))
    assert verdict is holds
    assert all(isinstance(v, float) for v in measured.values())
    assert not math.isnan(measured["learned_gap_to_dense"])
    assert abs(measured["iso_compute_ratio"] - 1) < 0.01
    assert ("does not match dense" in ref.claim_line(measured, verdict)) is (measured["iso_gap_to_dense"] > ref.ISO_MATCH)


def test_equal_compute_means_steps_over_the_counted_mac_fraction():
    torch.manual_seed(0)
    routed, dense = ref.forward_macs(ref.MoDTransformer("learned")), ref.forward_macs(ref.MoDTransformer("dense"))
    iso_steps = round(ref.STEPS / (routed / dense))
    assert iso_steps > 3 * ref.STEPS                                     # the MoD model gets > 3x the steps
    assert abs(iso_steps * routed / (ref.STEPS * dense) - 1) < 1e-3     # for the same training MACs


def test_a_mod_update_that_cuts_the_routers_gradient_loses_its_points():
    from neuroai.course import judge

    def mod_update(x, f_out, scores, idx):
        return ref.mod_update(x, f_out, scores.detach(), idx)               # same values, router not trained

    with pytest.raises(judge.GradingFailure, match="key 'grad'"):
        judge.check("mixture-of-depths", "mod_update", mod_update)
    judge.check("mixture-of-depths", "mod_update", ref.mod_update)
