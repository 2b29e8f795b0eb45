"""RegNet X/Y 400MF and the quantized linear width rule: torchvision parity, published counts."""

import random

import pytest
import torch
import torchvision
from torch import nn

from cnnlib.counting import count_macs
from cnnlib.layers.squeeze_excite import SqueezeExcite
from cnnlib.models import build_model
from cnnlib.models.regnet import X_400MF, Y_400MF, RegNet, RegNetParams, regnet_stages, regnet_widths
from cnnlib.summary import count_parameters

TWINS = {"regnet_x_400mf": 5_495_976, "regnet_y_400mf": 4_344_144}


def _randomise_batchnorm(model: nn.Module, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=gen) - 0.5)


def _stages_of(model: nn.Module) -> list[tuple[int, int, int]]:
    """(width, depth, groups of the 3x3 conv) of each stage of a built RegNet (ours or torchvision's)."""
    out = []
    for stage in model.trunk_output.children():
        blocks = list(stage.children())
        out.append((blocks[0].f.c[0].out_channels, len(blocks), blocks[0].f.b[0].groups))
    return out


@pytest.mark.parametrize("name", sorted(TWINS))
def test_matches_torchvision(name):
    torch.manual_seed(0)
    reference = getattr(torchvision.models, name)(weights=None, num_classes=7)
    _randomise_batchnorm(reference, seed=1)
    ours = build_model(name, num_classes=7)
    ours.load_state_dict(reference.state_dict(), strict=True)
    reference.eval()
    ours.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x), atol=1e-5, rtol=1e-5)
    assert _stages_of(ours) == _stages_of(reference)


@pytest.mark.parametrize("name", sorted(TWINS))
def test_counts_match_torchvision_metadata(name):
    model = build_model(name)
    meta = torchvision.models.get_model_weights(name).IMAGENET1K_V1.meta
    assert count_parameters(model) == TWINS[name] == meta["num_params"]
    assert count_macs(model, torch.randn(1, 3, 224, 224)) / 1e9 == pytest.approx(meta["_ops"], abs=0.0015)


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
