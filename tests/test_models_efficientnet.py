"""EfficientNet B0/B1 and the MBConv block: torchvision parity, published counts, scaling rules."""

import pytest
import torch
import torchvision
from torch import nn

from cnnlib.layers.mbconv import MBConv
from cnnlib.layers.squeeze_excite import SqueezeExcite
from cnnlib.layers.stochastic_depth import StochasticDepth
from cnnlib.models.efficientnet import PUBLISHED, EfficientNet, efficientnet
from cnnlib.summary import count_parameters


def _meta(name: str) -> dict:
    return torchvision.models.get_model_weights(name).IMAGENET1K_V1.meta


def test_b2_to_b7_parameters_match_torchvision():
    """The general builder with the published coefficients gives torchvision's B2-B7 (meta device)."""
    for key in ["b2", "b3", "b4", "b5", "b6", "b7"]:
        with torch.device("meta"):
            model = efficientnet(key)
        assert count_parameters(model) == _meta(f"efficientnet_{key}")["num_params"], key


def test_depth_and_width_rounding():
    model = efficientnet("b1")
    depths = [len(stage) for stage in model.features[1:-1]]
    assert depths == [2, 3, 3, 4, 4, 5, 2]  # ceil(1.1 x [1, 2, 2, 3, 3, 4, 1])
    assert sum(depths) == 23 and PUBLISHED["b1"].resolution == 240


def test_mbconv_se_width_is_a_quarter_of_the_input():
    block = MBConv(40, 80, expand_ratio=6, kernel_size=3, stride=2)
    se = next(m for m in block.modules() if isinstance(m, SqueezeExcite))
    assert se.fc1.in_channels == 240 and se.fc1.out_channels == 10  # 40 // 4, not 240 // 4
    assert isinstance(se.scale_activation, nn.Sigmoid) and isinstance(se.activation, nn.SiLU)
    assert not block.use_res_connect
    assert block(torch.randn(2, 40, 16, 16)).shape == (2, 80, 8, 8)


def test_mbconv1_has_no_expand_conv():
    block = MBConv(32, 16, expand_ratio=1, kernel_size=3, stride=1)
    assert len(block.block) == 3  # depthwise, SE, project


def test_stochastic_depth_rates_rise_linearly():
    model = efficientnet("b0")
    rates = [m.p for m in model.modules() if isinstance(m, StochasticDepth)]
    assert len(rates) == 16 and rates[0] == 0.0
    assert rates == pytest.approx([0.2 * i / 16 for i in range(16)])


def test_stochastic_depth_is_identity_in_eval_and_random_in_training():
    torch.manual_seed(0)
    block = MBConv(16, 16, 6, 3, 1, stochastic_depth_prob=0.5).eval()
    x = torch.randn(64, 16, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(block(x), block(x))
        expected = x + block.block(x)
        torch.testing.assert_close(block(x), expected)
        block.stochastic_depth.train()
        out = block.stochastic_depth(torch.ones(64, 1, 1, 1))
    dropped = (out == 0).float().mean().item()
    assert 0.25 < dropped < 0.75 and set(out.unique().tolist()) <= {0.0, 2.0}


def test_small_image_variant_and_bad_input():
    model = EfficientNet(width_mult=0.25, depth_mult=0.5, num_classes=10, in_channels=1,
                         stem_stride=1, dropout=0.0)
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="stem_stride"):
        EfficientNet(stem_stride=3)
    with pytest.raises(ValueError, match="name"):
        efficientnet("b8")
    with pytest.raises(ValueError, match="stride"):
        MBConv(8, 8, 6, 3, stride=3)
