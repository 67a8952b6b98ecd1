"""The target-propagation reference: its functions do what the paper's equations say, and its claim
check can fail."""
import math

import pytest
import torch

from neuroai.course import lessons

ref = lessons.load_reference("target-propagation")
DT = torch.float64


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_first_target_is_a_gradient_step_on_the_summed_cross_entropy():
    g = _gen()
    logits = torch.randn(6, 10, generator=g, dtype=DT, requires_grad=True)
    y = torch.randint(0, 10, (6,), generator=g)
    (grad,) = torch.autograd.grad(torch.nn.functional.cross_entropy(logits, y, reduction="sum"), logits)
    t = ref.first_target(logits.detach(), y, 0.7)
    assert torch.allclose(t, logits.detach() - 0.7 * grad)


def test_dtp_target_difference_correction():
    g = _gen(1)
    h_prev, h = torch.randn(5, 7, generator=g, dtype=DT), torch.randn(5, 3, generator=g, dtype=DT)
    V, c = torch.randn(7, 3, generator=g, dtype=DT), torch.randn(7, generator=g, dtype=DT)
    # a target equal to the activity gives the activity itself, whatever G is
    assert torch.allclose(ref.dtp_target(h_prev, h, h, V, c), h_prev)
    # a linear G (the logits' G) sends the difference through V exactly
    t = h + 0.1 * torch.randn(5, 3, generator=g, dtype=DT)
    assert torch.allclose(ref.dtp_target(h_prev, h, t, V, c, last=True) - h_prev, (t - h) @ V.T)


def test_ldrl_expectation_for_linear_layers():
    """For linear F (W, b) and linear G (V, c) the loss is exactly quadratic in the noise:
    E = sigma^2 (||V - W^T||^2 - ||W||^2), minimal at V = W^T (the paper's Eq. for L-DRL)."""
    g = _gen(2)
    W, b = torch.randn(3, 4, generator=g, dtype=DT), torch.randn(3, generator=g, dtype=DT)
    V, c = torch.randn(4, 3, generator=g, dtype=DT), torch.randn(4, generator=g, dtype=DT)
    sigma, n = 0.1, 200_000
    x = torch.randn(n, 4, generator=g, dtype=DT)
    dx, dy = sigma * torch.randn(n, 4, generator=g, dtype=DT), sigma * torch.randn(n, 3, generator=g, dtype=DT)
    y, y_noisy = ref.linear(x, W, b), ref.linear(x + dx, W, b)
    loss = float(ref.ldrl_feedback_loss(dx, y, y_noisy, dy, V, c, last=True))
    expected = sigma ** 2 * (float(((V - W.T) ** 2).sum()) - float((W ** 2).sum()))
    assert math.isclose(loss, expected, rel_tol=0.03, abs_tol=2e-3)
    # gradient descent on the loss drives V to W^T
    V = V.clone().requires_grad_()
    opt = torch.optim.SGD([V], lr=20.0)
    for _ in range(200):
        dx, dy = sigma * torch.randn(256, 4, generator=g, dtype=DT), sigma * torch.randn(256, 3, generator=g, dtype=DT)
        xb = torch.randn(256, 4, generator=g, dtype=DT)
        l = ref.ldrl_feedback_loss(dx, ref.linear(xb, W, b), ref.linear(xb + dx, W, b), dy, V, c, last=True)
        opt.zero_grad()
        l.backward()
        opt.step()
    assert float((V.detach() - W.T).norm() / W.norm()) < 0.1


def test_vanilla_loss_is_zero_at_the_inverse():
    g = _gen(3)
    W = torch.randn(4, 4, generator=g, dtype=DT) + 3 * torch.eye(4, dtype=DT)
    b = torch.randn(4, generator=g, dtype=DT)
    V, c = torch.linalg.inv(W), -torch.linalg.inv(W) @ b
    x, dx = torch.randn(9, 4, generator=g, dtype=DT), 0.1 * torch.randn(9, 4, generator=g, dtype=DT)
    loss = ref.vanilla_dtp_feedback_loss(x, dx, ref.linear(x + dx, W, b), V, c, last=True)
    assert float(loss) < 1e-20
    assert float(ref.vanilla_dtp_feedback_loss(x, dx, ref.linear(x + dx, W, b), V.T, c, last=True)) > 0.1


def test_losses_keep_one_value_per_replica():
    g = _gen(4)
    x, dx = torch.randn(3, 5, 6, generator=g), 0.1 * torch.randn(3, 5, 6, generator=g)
    W, b = torch.randn(3, 2, 6, generator=g), torch.randn(3, 2, generator=g)
    V, c = torch.randn(3, 6, 2, generator=g), torch.randn(3, 6, generator=g)
    y, y_noisy, dy = ref.linear(x, W, b), ref.linear(x + dx, W, b), 0.1 * torch.randn(3, 5, 2, generator=g)
    both = ref.ldrl_feedback_loss(dx, y, y_noisy, dy, V, c)
    assert both.shape == (3,)
    assert torch.allclose(both[1], ref.ldrl_feedback_loss(dx[1], y[1], y_noisy[1], dy[1], V[1], c[1]))
    assert ref.vanilla_dtp_feedback_loss(x, dx, y_noisy, V, c).shape == (3,)


def _net(seed=5, R=2, B=7):
    g = _gen(seed)
    Ws, bs = ref.init_layers((6, 5, 4, 3), R, g, "cpu")
    Ws, bs = [w.double() for w in Ws], [b.double() for b in bs]
    x, y = torch.rand(R, B, 6, generator=g, dtype=DT), torch.randint(0, 3, (B,), generator=g)
    return Ws, bs, x, y


def test_backprop_updates_are_autograd_gradients_of_the_mean_cross_entropy():
    Ws, bs, x, y = _net()
    params = [p.clone().requires_grad_() for p in Ws + bs]
    hs = ref.forward_all(x, params[:3], params[3:])
    loss = sum(torch.nn.functional.cross_entropy(hs[-1][r], y) for r in range(x.shape[0]))
    auto = torch.autograd.grad(loss, params)
    with torch.no_grad():
        mine = ref.backward_updates(ref.forward_all(x, Ws, bs), y, Ws)
    for i in range(3):
        assert torch.allclose(mine[i][0], auto[i]) and torch.allclose(mine[i][1], auto[3 + i])


def test_local_update_is_the_gradient_of_the_layer_loss():
    Ws, bs, x, y = _net(6)
    W, b = Ws[0].clone().requires_grad_(), bs[0].clone().requires_grad_()
    h = ref.forward_layer(x, W, b, last=False)
    t = h.detach() + 0.1 * torch.randn(h.shape, generator=_gen(7), dtype=DT)
    loss = (0.5 * ((h - t) ** 2).sum(-1).mean(-1)).sum()
    dW, db = torch.autograd.grad(loss, (W, b))
    mine = ref.local_update(x, h.detach(), t, last=False)
    assert torch.allclose(mine[0], dW) and torch.allclose(mine[1], db)


def test_dtp_with_transposed_linear_feedback_gives_backprop_at_the_top():
    """At the last hidden layer, a linear G with V = W_L^T makes the DTP target difference exactly the
    backprop error (times beta): the update of W_{L-1} is parallel to backprop's."""
    Ws, bs, x, y = _net(8)
    hs = ref.forward_all(x, Ws, bs)
    t_L = ref.first_target(hs[-1], y, 0.5)
    V = Ws[-1].transpose(-1, -2)
    t = ref.dtp_target(hs[-2], hs[-1], t_L, V, torch.zeros_like(bs[-2]), last=True)
    dtp = ref.local_update(hs[-3], hs[-2], t, last=False)[0]
    bp = ref.backward_updates(hs, y, Ws)[-2][0]
    assert float(ref.angle_degrees(dtp, bp).max()) < 1e-3
    Vs = [W.transpose(-1, -2) for W in Ws[1:]]                   # G_2, G_3 with V = W^T too
    cs = [torch.zeros_like(b) for b in bs[:-1]]
    angles = ref.jacobian_angles(hs, Ws, bs, Vs, cs)
    assert float(angles[-1].max()) < 1e-3                          # the logits' G: exact
    assert 0 < float(angles[0].max()) < 30                         # tanh'(h) is only close to 1 - h^2


def test_angle_degrees():
    u = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
    v = torch.tensor([[0.0, 2.0], [2.0, 2.0], [-3.0, 0.0]])
    assert torch.allclose(ref.angle_degrees(u, v), torch.tensor([90.0, 0.0, 180.0]), atol=1e-3)


def _fake_out(ldrl=10.0, vanilla=70.0, frozen=72.0, spread=2.0, R=4):
    def m(first, sign=1):
        a = torch.full((4, R), 30.0)
        a[0] = first + sign * spread * torch.linspace(-1, 1, R)
        a[-1] = 0.0
        return {"angle": a, "accuracy": torch.full((R,), 0.9), "jacobian_angle": torch.full((3, R), 40.0)}
    out = {k: m(v) for k, v in (("ldrl", ldrl), ("frozen", frozen), ("fa", 75.0))}
    out["vanilla"] = m(vanilla, sign=-1)                   # replicas disagree: the gap spreads
    out["bp"] = m(0.0)
    return out


@pytest.mark.parametrize("change, holds", [
    ({}, True),
    ({"ldrl": 35.0}, False),                       # L-DRL does not align the first layer
    ({"vanilla": 40.0}, False),                    # vanilla DTP aligns too
    ({"ldrl": 25.0, "vanilla": 46.0, "spread": 30.0}, False),   # gap CI reaches below 10
    ({"frozen": 25.0}, False),                     # the control aligns without learning feedback
])
def test_claim_check_can_fail(change, holds):
    measured, _, verdict = ref.check(_fake_out(**change))
    assert verdict is holds
    assert ref.claim_line(measured, verdict).endswith("HOLDS" if holds else "FAILS")


def test_the_claim_fails_with_the_mechanism_switched_off():
    """K = 0 feedback steps: the L-DRL run is the frozen control, and the claim must fail."""
    out = ref.run(seed=0, replicas=2, epochs=1, K=0, methods=("vanilla", "ldrl", "frozen"), progress=False)
    measured, _, holds = ref.check(out)
    assert not holds
    assert abs(measured["ldrl_angle_layer1"] - measured["frozen_angle_layer1"]) < 1e-6
