"""The event-driven-spiking reference: its neuron, surrogate and operation count do what the lesson's
equations say, the counted operations agree with neuroai.ops, and its claim check can fail."""
import pytest
import torch

from neuroai import ops
from neuroai.course import lessons
from neuroai.data import spike_pattern_task

ref = lessons.load_reference("event-driven-spiking")


def test_surrogate_is_the_derivative_of_the_fast_sigmoid():
    x = torch.linspace(-2, 2, 41, dtype=torch.float64, requires_grad=True)
    (autograd,) = torch.autograd.grad((x / (1 + 5.0 * x.abs())).sum(), x)
    spikes, grad = ref.fast_sigmoid_surrogate(x.detach(), 5.0)
    assert torch.allclose(grad, autograd)
    assert torch.equal(spikes, (x.detach() > 0).double())


def test_lif_spikes_are_binary_and_carry_the_surrogate_gradient():
    v = torch.zeros(3, 4)
    current = torch.tensor([[0.5, 1.2, -1.0, 3.0]] * 3, requires_grad=True)
    v_next, spikes = ref.lif_step(v, current, 0.9, 1.0, 10.0)
    assert torch.equal(spikes, torch.tensor([[0.0, 1.0, 0.0, 1.0]] * 3))
    assert torch.allclose(v_next.detach(), torch.tensor([[0.5, 0.2, -1.0, 2.0]] * 3))   # reset by subtraction
    (grad,) = torch.autograd.grad(spikes.sum(), current)
    x = current.detach() - 1.0
    assert torch.allclose(grad, 1 / (1 + 10.0 * x.abs()) ** 2)        # d spikes / d current = H'(v - theta)


def test_lif_neuron_integrates_leaks_and_resets():
    """A perfect integrator (beta = 1) with constant input I fires floor(T I / theta) times; below
    (1 - beta) theta a leaky neuron never fires."""
    def count(current, beta, steps=100):
        v, total = torch.zeros(1, 1), 0.0
        for _ in range(steps):
            v, s = ref.lif_step(v, torch.full((1, 1), current), beta, 1.0, 10.0)
            total += float(s)
        return total
    assert count(0.3, 1.0) == 30
    assert count(0.099, 0.9) == 0 and count(0.11, 0.9) > 0


def test_synaptic_ops_matches_the_operation_counter():
    gen = torch.Generator().manual_seed(0)
    spikes = (torch.rand(6, 5, 8, generator=gen) < 0.2).float()          # (T, B, N)
    w = torch.randn(8, 3, generator=gen)
    counted = ops.measure(lambda s: s @ w, spikes)
    assert counted.macs == 0
    assert float(ref.synaptic_ops(spikes, 3)) == pytest.approx(counted.acs / 5)


def test_counted_operations_of_both_networks():
    """ops.measure on the forward pass gives, per sample: for the spiking network, input events x
    HIDDEN plus synaptic_ops of the two hidden layers; for the dense twin, input events x HIDDEN plus
    the dense MACs of the hidden and output layers."""
    x, y = spike_pattern_task(64, ref.N_IN, ref.N_CLASSES, ref.STEPS, seed=1)
    weights = {k: w.detach() for k, w in ref.init_weights(1, seed=0).items()}
    events = float(x.sum()) / 64
    snn = ref.evaluate(x, y, weights, spiking=True)
    assert snn["macs"] == 0
    assert snn["acs"] == pytest.approx(events * ref.HIDDEN + snn["hidden_acs"])
    dense = ref.evaluate(x, y, weights, spiking=False)
    assert dense["acs"] == pytest.approx(events * ref.HIDDEN)
    assert dense["macs"] == ref.dense_macs(ref.STEPS)
    assert 0 < snn["rate"] < 1 and snn["ops"] < dense["ops"]


def test_spike_pattern_task():
    x, y = spike_pattern_task(200, n_inputs=12, n_classes=4, steps=30, seed=3)
    assert x.shape == (200, 30, 12) and y.shape == (200,)
    assert set(x.unique().tolist()) <= {0.0, 1.0} and x.sum(1).max() <= 1    # at most one spike per input
    assert x.sum() > 0.9 * 200 * 12                                          # few spikes fall off the window
    assert set(y.tolist()) == {0, 1, 2, 3}
    x2, y2 = spike_pattern_task(200, n_inputs=12, n_classes=4, steps=30, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)


def test_training_learns_and_the_penalty_silences():
    x, y = spike_pattern_task(768, ref.N_IN, ref.N_CLASSES, ref.STEPS, seed=5)     # the easy default task
    weights = ref.train(x[:512], y[:512], (0.0, 30.0), True, seed=5, progress=False)
    free = ref.evaluate(x[512:], y[512:], {k: w[:1] for k, w in weights.items()}, True)
    taxed = ref.evaluate(x[512:], y[512:], {k: w[1:] for k, w in weights.items()}, True)
    assert free["accuracy"] > 0.5                                        # chance is 0.1
    assert taxed["hidden_acs"] < 0.5 * free["hidden_acs"]


def _fake_out(dense_acc=0.90, op_acc=0.89, op_ops=9_000.0, costly_acc=0.75, costly_ops=5_000.0):
    def r(acc, n):
        return {"accuracy": acc, "ops": n, "energy_nj": n * 1e-3}
    return {"dense": dict(r(dense_acc, 100_000.0), zero_fraction=0.6, skippable_macs=50_000.0),
            "snn": [r(0.88, 16_000.0), r(op_acc, op_ops), r(0.87, 7_000.0), r(costly_acc, costly_ops),
                    r(0.25, 3_000.0)]}


@pytest.mark.parametrize("change, holds", [
    ({}, True),
    ({"op_acc": 0.86}, False),            # the spiking network is more than 3 points worse
    ({"op_ops": 25_000.0}, False),        # it spends more than a fifth of the dense operations
    ({"costly_acc": 0.87}, False),        # more sparsity costs (almost) no accuracy
    ({"costly_acc": 0.45}, False),        # the sparser arm is near chance: its cost says nothing graded
    ({"costly_ops": 12_000.0}, False),    # the sparser arm does not save operations
])
def test_claim_check_can_fail(change, holds):
    _, _, verdict = ref.check(_fake_out(**change))
    assert verdict is holds


def test_the_task_is_below_ceiling_and_the_sweep_is_graded():
    """The claim is checked where it can mean something: the operating and the sparser arm are the
    sweep's, the sparser arm penalized harder; the task is the jittered one (not the easy default)."""
    assert ref.PENALTIES[ref.OPERATING] < ref.PENALTIES[ref.COSTLY] < ref.PENALTIES[-1]
    assert list(ref.PENALTIES) == sorted(ref.PENALTIES) and ref.PENALTIES[0] == 0
    assert ref.JITTER >= 2 and ref.EPOCHS_SPIKING == ref.EPOCHS_DENSE


def test_a_lif_step_without_its_surrogate_gradient_loses_its_points():
    """Same values, no gradient through the spikes: training could not learn, so the grader says no."""
    from neuroai.course import judge

    def lif_step(v, current, beta, threshold, slope):
        v = beta * v + current
        spikes, _ = ref.fast_sigmoid_surrogate(v - threshold, slope)     # no surrogate attached
        return v - threshold * spikes, spikes

    gen = torch.Generator().manual_seed(0)
    v, current = torch.rand(3, 4, generator=gen, dtype=torch.float64), torch.randn(3, 4, generator=gen, dtype=torch.float64)
    for got, want in zip(lif_step(v, current, 0.9, 1.0, 10.0), ref.lif_step(v, current, 0.9, 1.0, 10.0)):
        assert torch.equal(got, want)                                       # the values are right
    with pytest.raises(judge.GradingFailure, match="key 'grad'"):
        judge.check("event-driven-spiking", "lif_step", lif_step)
    judge.check("event-driven-spiking", "lif_step", ref.lif_step)
