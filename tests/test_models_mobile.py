"""MobileNet V1/V2/V3 and ShuffleNet V2: paper counts and shared layers (torchvision parity for
every twin is tests/test_models_torchvision.py)."""

import pytest
import torch
import torchvision
from torch import nn

from cnnlib.counting import count_macs
from cnnlib.layers.conv_norm_act import ConvNormAct
from cnnlib.layers.make_divisible import make_divisible
from cnnlib.layers.squeeze_excite import SqueezeExcite
from cnnlib.models import MODELS, build_model
from cnnlib.models.mobilenet_v3 import InvertedResidual as V3Block
from cnnlib.summary import count_parameters


@pytest.mark.parametrize("width", [0.5, 1.0])
def test_v2_width_matches_torchvision(width):
    reference = torchvision.models.mobilenet_v2(weights=None, width_mult=width)
    ours = build_model("mobilenet_v2", width_mult=width)
    ours.load_state_dict(reference.state_dict(), strict=True)


def test_mobilenet_v1_paper_counts():
    # Paper, Tables 6/7: (alpha, millions of parameters, millions of multiply-adds at 224)
    table = [(1.0, 4.2, 569), (0.75, 2.6, 325), (0.5, 1.3, 149), (0.25, 0.5, 41)]
    for alpha, params, macs in table:
        model = build_model("mobilenet_v1", width_mult=alpha)
        assert count_parameters(model) / 1e6 == pytest.approx(params, abs=0.05)
        assert count_macs(model, torch.zeros(1, 3, 224, 224)) / 1e6 == pytest.approx(macs, abs=1)
    # Table 7 (resolution multiplier, alpha = 1): 192 -> 418M, 160 -> 290M, 128 -> 186M
    model = build_model("mobilenet_v1")
    for size, macs in [(192, 418), (160, 290), (128, 186)]:
        assert count_macs(model, torch.zeros(1, 3, size, size)) / 1e6 == pytest.approx(macs, abs=1)


def test_v3_large_se_widths():
    model = build_model("mobilenet_v3_large")
    widths = [m.fc1.out_channels for m in model.modules() if isinstance(m, SqueezeExcite)]
    assert widths == [24, 32, 32, 120, 168, 168, 240, 240]
    assert not any(isinstance(m, nn.BatchNorm2d) for se in model.modules()
                   if isinstance(se, SqueezeExcite) for m in se.modules())


def test_v3_first_block_has_no_expansion():
    block = build_model("mobilenet_v3_large").features[1]
    assert isinstance(block, V3Block)
    assert len(block.block) == 2  # depthwise + projection only: exp size == input channels


MOBILE = sorted(n for n in MODELS if n.startswith(("mobilenet", "shufflenet")))


@pytest.mark.parametrize("name", MOBILE)
def test_other_inputs(name):
    model = build_model(name, num_classes=10, in_channels=1).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 1, 32, 32)).shape == (2, 10)


def test_make_divisible():
    assert [make_divisible(v) for v in (18, 30, 32, 120, 168, 240)] == [24, 32, 32, 120, 168, 240]
    assert make_divisible(32 * 0.35) == 16  # 11.2 -> 8 would lose > 10%, so 16
    assert make_divisible(3, min_value=8) == 8
    with pytest.raises(ValueError, match="value"):
        make_divisible(0)


def test_conv_norm_act_layout_and_errors():
    layer = ConvNormAct(4, 8, 3, stride=2, activation=None)
    assert [type(m) for m in layer] == [nn.Conv2d, nn.BatchNorm2d]
    assert layer[0].bias is None and layer(torch.randn(1, 4, 9, 9)).shape == (1, 8, 5, 5)
    assert ConvNormAct(4, 8, norm=None)[0].bias is not None
    with pytest.raises(ValueError, match="groups=3"):
        ConvNormAct(4, 8, groups=3)


def test_squeeze_excite_is_a_channel_gate():
    torch.manual_seed(0)
    se = SqueezeExcite(16)
    x = torch.randn(2, 16, 5, 5)
    gate = se.gate(x)
    assert gate.shape == (2, 16, 1, 1) and gate.min() >= 0 and gate.max() <= 1
    torch.testing.assert_close(se(x), x * gate)
    pooled = x.mean((2, 3))
    hidden = torch.relu(pooled @ se.fc1.weight[:, :, 0, 0].T + se.fc1.bias)
    expected = torch.clamp(hidden @ se.fc2.weight[:, :, 0, 0].T + se.fc2.bias + 3, 0, 6) / 6
    torch.testing.assert_close(gate[:, :, 0, 0], expected)


def test_bad_arguments():
    with pytest.raises(ValueError, match="width_mult"):
        build_model("mobilenet_v2", width_mult=0)
    with pytest.raises(ValueError, match="width_mult"):
        build_model("mobilenet_v1", width_mult=-1)


def test_shuffle_block_errors():
    from cnnlib.models.shufflenet import ShuffleBlock

    with pytest.raises(ValueError, match="keeps its width"):
        ShuffleBlock(24, 48, 1)
    with pytest.raises(ValueError, match="even"):
        ShuffleBlock(24, 49, 2)
