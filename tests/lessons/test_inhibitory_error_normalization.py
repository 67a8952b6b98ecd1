"""The inhibitory-error-normalization reference: its functions do what the paper's equations say, and its
claim check can fail."""
import torch
import torch.nn.functional as F

from neuroai.course import lessons

ref = lessons.load_reference("inhibitory-error-normalization")
DT = torch.float64


def _layer(R=2, n_in=12, n_e=8, n_i=2, seed=0):
    return ref.init_layer(R, n_in, n_e, n_i, torch.Generator().manual_seed(seed))


def test_luminance_shift_is_one_offset_per_image_clamped():
    gen = torch.Generator().manual_seed(0)
    x = torch.full((3, 500, 10), 0.5, dtype=DT)
    y = ref.luminance_shift(x, 0.3, gen)
    assert y.shape == x.shape and y.min() >= 0.2 - 1e-12 and y.max() <= 0.8 + 1e-12
    assert torch.allclose(y, y[..., :1].expand_as(y))            # same offset on every pixel of an image
    assert abs(float(y.mean()) - 0.5) < 0.02 and float(y[..., 0].std()) > 0.15   # U(-0.3, 0.3): sd 0.17
    z = ref.luminance_shift(torch.rand(200, 64, dtype=DT), 0.75, gen)
    assert z.min() >= 0 and z.max() <= 1 and (z == 0).any() and (z == 1).any()
    assert torch.equal(ref.luminance_shift(x, 0.0, gen), x)


def test_ei_forward_equations_and_init_normalizes_the_second_moment():
    p = _layer()
    x = torch.rand(2, 5, 12)
    z, inh, sigma = ref.ei_forward(x, p["W_ex"], p["W_ix"], p["W_ei"], p["B_ix"], p["B_ei"], p["b"])
    W = p["W_ex"] - p["W_ei"] @ p["W_ix"]
    assert torch.allclose(inh, x @ (p["W_ei"] @ p["W_ix"]).transpose(-1, -2), atol=1e-6)
    assert torch.allclose(z * sigma, x @ W.transpose(-1, -2), atol=1e-5)
    # B_IX = S V^T of W and B_EI = 1/n_E: sigma^2 = ||W x||^2 / n_E + 1e-5 (the RMS of h_E - I at init)
    rms2 = (x @ W.transpose(-1, -2)).pow(2).mean(-1, keepdim=True) + 1e-5
    assert torch.allclose(sigma ** 2, rms2.expand_as(sigma), rtol=1e-4)
    # init: Dale's law and the official structure
    assert (p["W_ex"] > 0).all() and (p["W_ei"] > 0).all()
    assert torch.allclose(p["W_ei"].sum(-1), torch.ones(2, 8))
    assert torch.allclose(p["W_ix"], p["W_ex"].mean(1, keepdim=True).expand_as(p["W_ix"]))


def test_local_loss_is_zero_for_layer_normalized_activity():
    z = torch.randn(3, 7, 16, dtype=DT)
    assert float(ref.inhibitory_local_loss(F.layer_norm(z, (16,), eps=0.0))) < 1e-20
    z = torch.zeros(4, 16, dtype=DT) + 2.0                        # mean 2, variance 0: 4 + 1
    assert abs(float(ref.inhibitory_local_loss(z)) - 5.0) < 1e-12


def test_full_error_normalization_is_the_layernorm_jacobian():
    gen = torch.Generator().manual_seed(1)
    z = (3 * torch.randn(4, 6, 10, generator=gen, dtype=DT) + 1).requires_grad_(True)
    delta = torch.randn(4, 6, 10, generator=gen, dtype=DT)
    (vjp,) = torch.autograd.grad(F.layer_norm(z, (10,), eps=1e-5), z, delta)
    assert torch.allclose(ref.normalize_error(delta, z.detach(), "full"), vjp, atol=1e-10)
    c = ref.normalize_error(delta, z.detach(), "center")
    assert torch.allclose(c, delta - delta.mean(-1, keepdim=True))
    assert torch.equal(ref.normalize_error(delta, z.detach(), "none"), delta)


def test_error_norm_is_identity_forward_and_rewrites_only_the_backward():
    z = torch.randn(5, 8, dtype=DT, requires_grad=True)
    out = ref.ErrorNorm.apply(z, "center")
    assert torch.equal(out, z)
    (g,) = torch.autograd.grad((out * torch.arange(8.0, dtype=DT)).sum(), z)
    assert torch.allclose(g, (torch.arange(8.0, dtype=DT) - 3.5).expand(5, 8))


def test_gradient_routing_task_loss_to_excitation_local_loss_to_inhibition():
    gen = torch.Generator().manual_seed(0)
    params = ref.init_network(2, gen, "forward_only")
    x = torch.rand(2, 6, 64)
    logits, _, local = ref.forward(params, x, "forward_only")
    task = F.cross_entropy(logits.reshape(-1, 10), torch.zeros(12, dtype=torch.long))
    p = params[0]
    g_task = torch.autograd.grad(task, [p["W_ex"], p["W_ix"], p["B_ix"]], allow_unused=True, retain_graph=True)
    g_local = torch.autograd.grad(local, [p["W_ex"], p["W_ix"], p["B_ix"]], allow_unused=True)
    assert g_task[0] is not None and g_task[1] is None and g_task[2] is None
    assert g_local[0] is None and g_local[1].abs().sum() > 0 and g_local[2].abs().sum() > 0


def test_replicas_are_independent():
    data = ref.digits(test_fraction=0.25, seed=0)
    x_te = data[2][:50].expand(3, -1, -1)
    out3 = ref.train("error_full", (data[0], data[1], x_te, data[3][:50]), R=3, epochs=1, seed=4)[1]
    assert out3.shape == (1, 3) and len(set(out3[0].tolist())) > 1   # replicas differ (own init, batches)


def _fake(acc, learned=(0.01, 0.98, 1.01), frozen=(1.0, 1.3, 2.8)):
    R = 8
    out = {"acc": {c: torch.full((R,), a / 100) + 0.001 * torch.arange(R) for c, a in acc.items()},
           "stats": {"forward_only": dict(zip(("abs_mean", "var_min", "var_max"), learned)),
                     "frozen_inhib": dict(zip(("abs_mean", "var_min", "var_max"), frozen))}}
    return out


ACC = {"no_norm": 78.0, "frozen_inhib": 84.0, "forward_only": 76.0, "error_full": 82.0, "error_center": 77.0}


def test_claim_check_holds_on_the_pattern_and_fails_without_it():
    assert ref.check(_fake(ACC))[2]
    assert not ref.check(_fake({**ACC, "error_full": 77.0}))[2]            # error norm switched off: no gain
    assert not ref.check(_fake({**ACC, "no_norm": 70.0}))[2]              # forward-only beats no norm
    assert not ref.check(_fake(ACC, learned=(0.3, 0.98, 1.01)))[2]        # inhibition does not center
    assert not ref.check(_fake(ACC, frozen=(0.01, 0.95, 1.05)))[2]        # control normalizes too
    line = ref.claim_line(*ref.check(_fake(ACC))[::2])
    assert line.endswith("-> claim HOLDS")


def test_short_run_shows_the_mechanism_switched_off():
    """A short run at the paper's learning rate: with the error normalization off (forward-only) there is no
    gain; the full error normalization learns faster (the claim's direction, not its threshold)."""
    out = ref.run(seed=0, R=4, epochs=6, conditions=("forward_only", "error_full", "frozen_inhib", "no_norm",
                                                      "error_center"), progress=False)
    m, _, _ = ref.check(out)
    assert m["gain_full_vs_forward"] > 0
    assert m["learned_abs_mean"] < 0.1 and m["frozen_abs_mean"] > 0.1
