"""Separable layers, channel shuffle and the cost formulas against torch (chapters 6-11)."""

import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlib import counting
from cnnlib.layers.channel_shuffle import ChannelShuffle, channel_shuffle
from cnnlib.layers.separable import (
    DepthwiseSeparableConv2d,
    FlattenedConv2d,
    SpatiallySeparableConv2d,
    rank1_factors,
)
from cnnlib.summary import count_parameters


@pytest.mark.parametrize(
    "layer_type", [DepthwiseSeparableConv2d, SpatiallySeparableConv2d, FlattenedConv2d]
)
def test_separable_layers_equal_one_conv(layer_type):
    rng = random.Random(0)
    torch.manual_seed(0)
    for _ in range(20):
        c_in, c_out, k, s = (
            rng.randint(1, 5),
            rng.randint(1, 5),
            rng.choice([1, 3, 5]),
            rng.randint(1, 2),
        )
        layer = layer_type(c_in, c_out, k, stride=s).double()
        x = torch.randn(2, c_in, rng.randint(k, 9), rng.randint(k, 9), dtype=torch.double)
        weight, bias = layer.equivalent_kernel()
        torch.testing.assert_close(layer(x), F.conv2d(x, weight, bias, stride=s, padding=k // 2))


def test_depthwise_separable_with_norm_act_like_mobilenet():
    layer = DepthwiseSeparableConv2d(8, 16, stride=2, norm_act=True)
    assert layer.depthwise.groups == 8 and layer.depthwise.bias is None
    assert isinstance(layer.bn1, nn.BatchNorm2d) and isinstance(layer.act2, nn.ReLU)
    out = layer(torch.randn(2, 8, 16, 16))
    assert out.shape == (2, 16, 8, 8) and (out >= 0).all()
    relu6 = DepthwiseSeparableConv2d(4, 4, norm_act=True, activation=nn.ReLU6)
    assert isinstance(relu6.act1, nn.ReLU6)


def test_flattened_norm_act_and_shapes():
    layer = FlattenedConv2d(3, 6, 5, norm_act=True)
    assert layer(torch.randn(1, 3, 11, 11)).shape == (1, 6, 11, 11)
    assert layer.horizontal.bias is None


def test_rank1_factors_sobel():
    sobel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    column, row, singular = rank1_factors(sobel)
    torch.testing.assert_close(column[:, None] * row[None, :], sobel)
    assert singular[1] < 1e-6
    ratio = column / torch.tensor([1.0, 2, 1])
    torch.testing.assert_close(row * ratio[0], torch.tensor([-1.0, 0, 1]))
    assert rank1_factors(torch.eye(3))[2][1] > 0.5  # identity is not separable


def test_channel_shuffle_interleaves():
    x = torch.arange(6.0).view(1, 6, 1, 1)
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]
    assert channel_shuffle(x, 3).flatten().tolist() == [0, 2, 4, 1, 3, 5]
    y = torch.randn(2, 12, 3, 3)
    torch.testing.assert_close(ChannelShuffle(4)(y), channel_shuffle(y, 4))
    # torch has the same op: nn.ChannelShuffle
    torch.testing.assert_close(channel_shuffle(y, 3), nn.ChannelShuffle(3)(y))
    torch.testing.assert_close(
        channel_shuffle(channel_shuffle(y, 3), 4), y
    )  # 3x4 then 4x3 undoes it


def test_channel_shuffle_bad_groups():
    with pytest.raises(ValueError, match="divide"):
        channel_shuffle(torch.randn(1, 6, 2, 2), 4)
    with pytest.raises(ValueError, match="positive"):
        ChannelShuffle(0)


def test_formulas_match_counters():
    rng = random.Random(5)
    torch.manual_seed(5)
    for _ in range(15):
        g = rng.choice([1, 2, 4])
        c_in, c_out = g * rng.randint(1, 4), g * rng.randint(1, 4)
        k, size = rng.choice([1, 3, 5]), rng.randint(5, 12)
        x = torch.randn(1, c_in, size, size)
        grouped = nn.Conv2d(c_in, c_out, k, padding=k // 2, groups=g, bias=False)
        assert count_parameters(grouped) == counting.conv_params(c_in, c_out, k, groups=g)
        assert counting.count_macs(grouped, x) == counting.conv_macs(c_in, c_out, k, size, groups=g)
        with_bias = nn.Conv2d(c_in, c_out, k, groups=g)
        assert count_parameters(with_bias) == counting.conv_params(
            c_in, c_out, k, g, bias=True
        )
        dws = DepthwiseSeparableConv2d(c_in, c_out, k, bias=False)
        assert count_parameters(dws) == counting.depthwise_separable_params(c_in, c_out, k)
        assert counting.count_macs(dws, x) == counting.depthwise_separable_macs(
            c_in, c_out, k, size
        )
        sep = SpatiallySeparableConv2d(c_in, c_out, k, bias=False)
        assert count_parameters(sep) == counting.spatially_separable_params(c_in, c_out, k)
        assert counting.count_macs(sep, x) == counting.spatially_separable_macs(
            c_in, c_out, k, size
        )
        flat = FlattenedConv2d(c_in, c_out, k, bias=False)
        assert count_parameters(flat) == counting.flattened_params(c_in, c_out, k)
        assert counting.count_macs(flat, x) == counting.flattened_macs(c_in, c_out, k, size)


def test_syllabus_numbers():
    assert counting.conv_macs(192, 32, 5, 28) == 120_422_400
    reduced = counting.pointwise_macs(192, 16, 28) + counting.conv_macs(16, 32, 5, 28)
    assert reduced == 12_443_648
    assert counting.conv_params(8, 8, 3) == 576
    assert counting.depthwise_separable_params(8, 8, 3) == 72 + 64 == 136


def test_formula_bad_groups():
    with pytest.raises(ValueError, match="groups"):
        counting.conv_params(6, 4, 3, groups=4)
