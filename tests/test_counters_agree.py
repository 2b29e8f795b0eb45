"""The course's two multiply-add counters (per-layer hooks, FlopCounterMode) and its parameter counts agree."""

import pytest
import torch

from cnnlib import compare, counting, summary
from cnnlib.models import build_model


@pytest.mark.parametrize("name", ["mobilenet_v2", "resnet18", "shufflenet_v2_x1_0"])
def test_mac_counters_agree(name):
    model = build_model(name).eval()
    by_hooks = compare.count_macs(model, (1, 3, 64, 64))
    by_flop_counter = counting.count_macs(model, torch.randn(1, 3, 64, 64))
    assert by_hooks == by_flop_counter > 0


def test_one_parameter_counter():
    assert compare.count_parameters is summary.count_parameters
    assert counting.count_params is summary.count_parameters
