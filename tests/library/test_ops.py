"""neuroai.ops counts what a forward pass actually does: known shapes give known counts."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from neuroai import ops


def test_dense_layer_macs():
    layer = nn.Linear(8, 4)
    assert ops.measure(layer, torch.randn(3, 8)).macs == 3 * 8 * 4
    assert ops.measure(layer, torch.randn(2, 5, 8)).macs == 2 * 5 * 8 * 4
    assert ops.measure(lambda a, b: a @ b, torch.randn(4, 5), torch.randn(5, 6)).macs == 4 * 5 * 6


def test_spikes_cost_one_accumulate_per_event_and_target():
    layer = nn.Linear(8, 4)
    spikes = (torch.rand(3, 8, generator=torch.Generator().manual_seed(0)) < 0.25).float()
    counted = ops.measure(layer, spikes)
    assert counted.macs == 0 and counted.events == int(spikes.sum()) and counted.acs == int(spikes.sum()) * 4
    assert ops.measure(layer, torch.zeros(3, 8)).acs == 0                 # no spikes, no work
    assert ops.measure(layer, spikes, events=False).macs == 3 * 8 * 4     # dense hardware


def test_attention_and_convolution():
    q, k, v = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 7, 4), torch.randn(2, 3, 7, 6)
    assert ops.measure(F.scaled_dot_product_attention, q, k, v).macs == 2 * 3 * 5 * 7 * (4 + 6)
    conv = nn.Conv1d(4, 6, 3, groups=2)
    assert ops.measure(conv, torch.randn(1, 4, 10)).macs == 6 * 8 * (4 // 2) * 3


def test_skipped_work_is_not_counted():
    layer = nn.Linear(8, 8)
    x = torch.randn(10, 8)
    assert ops.measure(lambda t: layer(t[:3]), x).macs == 3 * 8 * 8     # only routed rows cost
    counted = ops.measure(layer, x)
    assert counted.seconds > 0 and counted.by_op["addmm"] == 1
