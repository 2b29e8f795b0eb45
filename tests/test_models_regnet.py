"""RegNet X/Y 400MF and the quantized linear width rule: torchvision parity, published counts."""

import random

import pytest
import torch
from torch import nn

from cnnlib.layers.squeeze_excite import SqueezeExcite
from cnnlib.models import build_model
from cnnlib.models.regnet import X_400MF, Y_400MF, RegNet, RegNetParams, regnet_stages, regnet_widths


def _stages_of(model: nn.Module) -> list[tuple[int, int, int]]:
    """(width, depth, groups of the 3x3 conv) of each stage of a built RegNet (ours or torchvision's)."""
    out = []
    for stage in model.trunk_output.children():
        blocks = list(stage.children())
        out.append((blocks[0].f.c[0].out_channels, len(blocks), blocks[0].f.b[0].groups))
    return out


def test_generated_400mf_stages():
    assert [(s.width, s.depth) for s in regnet_stages(X_400MF)] == [(32, 1), (64, 2), (160, 7), (400, 12)]
    assert [(s.width, s.depth) for s in regnet_stages(Y_400MF)] == [(48, 1), (104, 3), (208, 6), (440, 6)]
    # the paper's code rounds halves to even: 392 / 16 = 24.5 -> 24 groups -> 384 channels
    assert regnet_stages(X_400MF, half_to_even=True)[-1].width == 384


def test_generator_agrees_with_torchvision_on_random_settings():
    from torchvision.models.regnet import BlockParams  # torchvision's generator, used as the oracle

    rng = random.Random(0)
    for _ in range(300):
        d, w0 = rng.randint(1, 40), 8 * rng.randint(1, 32)
        wa, wm = rng.uniform(0.5, 256), rng.uniform(1.5, 3.0)
        g, b = rng.choice([1, 2, 8, 16, 24, 48]), rng.choice([1.0, 0.5, 0.25])
        ref = BlockParams.from_init_params(depth=d, w_0=w0, w_a=wa, w_m=wm, group_width=g,
                                           bottleneck_multiplier=b)
        ours = regnet_stages(RegNetParams(d, w0, wa, wm, g, b))
        assert [s.width for s in ours] == ref.widths
        assert [s.depth for s in ours] == ref.depths
        assert [s.group_width for s in ours] == ref.group_widths


def test_widths_are_quantized_powers():
    continuous, quantized = regnet_widths(22, 24, 24.48, 2.54)
    assert continuous[0] == 24 and continuous[-1] == pytest.approx(24 + 21 * 24.48)
    assert sorted(set(quantized)) == [24, 64, 152, 392]
    assert all(w % 8 == 0 for w in quantized) and quantized == sorted(quantized)


def test_y_adds_se_sized_by_block_input():
    model = build_model("regnet_y_400mf")
    se = [m for m in model.modules() if isinstance(m, SqueezeExcite)]
    assert len(se) == 16 and se[0].fc1.out_channels == 8  # round(0.25 * 32): the stem's width
    assert not any(isinstance(m, SqueezeExcite) for m in build_model("regnet_x_400mf").modules())


def test_small_variant_and_bad_input():
    model = RegNet(RegNetParams(6, 16, 12.0, 2.0, 8), num_classes=10, in_channels=1, stem_width=16,
                   stem_stride=1)
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="wm"):
        regnet_widths(10, 24, 20.0, 1.0)
    with pytest.raises(ValueError, match="stem_stride"):
        RegNet(X_400MF, stem_stride=4)
