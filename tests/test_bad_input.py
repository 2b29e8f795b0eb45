"""Bad input to ops, layers, models and counting: a clear ValueError that names the argument.

At least three invalid inputs for every public function and class of `cnnlib.ops`,
`cnnlib.layers` (the files checked here), `cnnlib.counting` and every model builder; each case
asserts the error type and words of the message (the argument's name, usually its value).
Edge cases where PyTorch itself raises are checked to raise here too.
"""

from __future__ import annotations

import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlib import counting, ops
from cnnlib.layers.channel_shuffle import ChannelShuffle, channel_shuffle
from cnnlib.layers.conv_norm_act import ConvNormAct
from cnnlib.layers.init import kaiming_init_
from cnnlib.layers.layer_norm_2d import LayerNorm2d
from cnnlib.layers.make_divisible import make_divisible
from cnnlib.layers.separable import (
    DepthwiseSeparableConv2d,
    FlattenedConv2d,
    SpatiallySeparableConv2d,
    rank1_factors,
)
from cnnlib.layers.squeeze_excite import SqueezeExcite
from cnnlib.layers.stochastic_depth import StochasticDepth, stochastic_depth
from cnnlib.models import MODELS
from cnnlib.models.input_check import input_check_of

X = torch.randn(1, 2, 6, 6)  # (N, C, H, W)
W = torch.randn(3, 2, 3, 3)  # (C_out, C_in, kH, kW)
B = torch.randn(3)
SEQ = nn.Sequential(nn.Conv2d(1, 1, 3), nn.ReLU(), nn.MaxPool2d(2))
SPEC = ops.LayerSpec(3, 1, 1)
BAD_TENSORS = ([[1.0, 2.0]], None, "x")  # not tensors at all

# (name of the public object, call, words the message must contain)
CASES: list[tuple[str, object, list[str]]] = []


def case(name: str, call, *words: str) -> None:
    CASES.append((name, call, list(words)))


# --- activations and losses ---------------------------------------------------------------
for fn in (ops.sigmoid, ops.relu, ops.relu6, ops.swish, ops.hard_sigmoid, ops.hard_swish):
    for bad in BAD_TENSORS:
        case(fn.__name__, lambda fn=fn, bad=bad: fn(bad), "x", "torch.Tensor")
for fn in (ops.log_softmax, ops.softmax):
    case(fn.__name__, lambda fn=fn: fn([1.0, 2.0]), "logits", "torch.Tensor")
    case(fn.__name__, lambda fn=fn: fn(torch.randn(2, 3), dim=2), "dim", "dim=2")
    case(fn.__name__, lambda fn=fn: fn(torch.randn(2, 3), dim=1.0), "dim", "dim=1.0")
    case(fn.__name__, lambda fn=fn: fn(torch.tensor([1, 2])), "logits", "floating")
case("cross_entropy", lambda: ops.cross_entropy(torch.randn(3), torch.tensor([0])), "logits",
     "2-D")
case("cross_entropy", lambda: ops.cross_entropy(torch.randn(2, 3), torch.tensor([0, 3])),
     "target", "[0, 2]")
case("cross_entropy", lambda: ops.cross_entropy(torch.randn(2, 3), torch.tensor([0])), "target",
     "(2,)")
case("cross_entropy", lambda: ops.cross_entropy(torch.randn(2, 3), [0, 1]), "target",
     "torch.Tensor")
case("cross_entropy", lambda: ops.cross_entropy(torch.randn(2, 3), torch.rand(2, 4)), "target",
     "(2, 3)")
bce = ops.binary_cross_entropy_with_logits
case("binary_cross_entropy_with_logits", lambda: bce([0.0], torch.zeros(1)), "logits",
     "torch.Tensor")
case("binary_cross_entropy_with_logits", lambda: bce(torch.zeros(1), 1.0), "target",
     "torch.Tensor")
case("binary_cross_entropy_with_logits", lambda: bce(torch.zeros(2), torch.zeros(3)), "logits",
     "target", "(2,)", "(3,)")

# --- sizes ----------------------------------------------------------------------------------
case("conv_output_size", lambda: ops.conv_output_size(2, 5), "size", "padding", "kernel_size")
case("conv_output_size", lambda: ops.conv_output_size(8, 3, stride=0), "stride", "stride=0")
case("conv_output_size", lambda: ops.conv_output_size(8, -3), "kernel_size", "kernel_size=-3")
case("conv_output_size", lambda: ops.conv_output_size(8, 3, padding=-1), "padding", "padding=-1")
case("conv_output_size", lambda: ops.conv_output_size(8, 3, dilation=0), "dilation")
case("conv_output_size", lambda: ops.conv_output_size(8.0, 3), "size", "8.0")
case("conv_output_size", lambda: ops.conv_output_size(0, 1), "size", "size=0")
case("pool_output_size", lambda: ops.pool_output_size(1, 3), "size", "kernel_size=3")
case("pool_output_size", lambda: ops.pool_output_size(8, 2, stride=0), "stride", "stride=0")
case("pool_output_size", lambda: ops.pool_output_size(8, 0), "kernel_size", "kernel_size=0")
case("pool_output_size", lambda: ops.pool_output_size(8, 2, padding=-2), "padding")
case("effective_kernel_size", lambda: ops.effective_kernel_size(0), "kernel_size")
case("effective_kernel_size", lambda: ops.effective_kernel_size(3, 0), "dilation", "dilation=0")
case("effective_kernel_size", lambda: ops.effective_kernel_size(2.5), "kernel_size", "2.5")
case("check_conv_config", lambda: ops.check_conv_config(10, 3, stride=0), "stride")
case("check_conv_config", lambda: ops.check_conv_config(2, 5), "padding", "kernel")
case("check_conv_config", lambda: ops.check_conv_config(10, 3, padding=-1), "padding")
case("check_conv_config", lambda: ops.check_conv_config(10, 0), "kernel_size")
cfg = dict(exact=1.0, output=1, unused=0, symmetric_padding=0, extra_end_padding=0, crop=0)
case("ConvConfigCheck", lambda: ops.ConvConfigCheck(0, 3, 1, 0, 1, **cfg), "size")
case("ConvConfigCheck", lambda: ops.ConvConfigCheck(5, 3, 0, 0, 1, **cfg), "stride")
case("ConvConfigCheck", lambda: ops.ConvConfigCheck(5, 3, 1, -1, 1, **cfg), "padding")

# --- convolution ----------------------------------------------------------------------------
for fn in (ops.conv2d, ops.conv2d_loop, ops.conv2d_manual_grad):
    name = fn.__name__
    case(name, lambda fn=fn: fn(X, W, stride=0), "stride", "stride=0")
    case(name, lambda fn=fn: fn(X, W, padding=-1), "padding", "-1")
    case(name, lambda fn=fn: fn(X, W, dilation=0), "dilation")
    case(name, lambda fn=fn: fn(X, W, groups=0), "groups", "groups=0")
    case(name, lambda fn=fn: fn(X, torch.randn(3, 2, 7, 7)), "kernel", "padding")
    case(name, lambda fn=fn: fn(X, W, B.double()), "bias", "float64")
    case(name, lambda fn=fn: fn(X.tolist(), W), "input", "torch.Tensor")
    case(name, lambda fn=fn: fn(X, W, torch.randn(2)), "bias", "(3,)")
    case(name, lambda fn=fn: fn(X[0], W), "input", "4-D")
case("Conv2dFunction", lambda: ops.Conv2dFunction.apply(X, W, None, 0, 0, 1, 1), "stride")
case("Conv2dFunction", lambda: ops.Conv2dFunction.apply(X, W, None, 1, 0, 1, 3), "groups=3")
case("Conv2dFunction", lambda: ops.Conv2dFunction.apply(X, W, B.double(), 1, 0, 1, 1), "bias")
case("im2col", lambda: ops.im2col(X, 0), "kernel_size")
case("im2col", lambda: ops.im2col(X, 3, stride=0), "stride")
case("im2col", lambda: ops.im2col(X, 7), "kernel", "padded input")
case("im2col", lambda: ops.im2col(X[0], 3), "input", "4-D")
case("col2im", lambda: ops.col2im(torch.ones(1, 9, 16), (6, 6), (3, 3), (0, 0), (1, 1)), "stride")
case("col2im", lambda: ops.col2im(torch.ones(1, 9, 15), (6, 6), (3, 3), (1, 1), (1, 1)), "cols",
     "(N, C*9, 16)")
case("col2im", lambda: ops.col2im(torch.ones(9, 16), (6, 6), (3, 3), (1, 1), (1, 1)), "cols",
     "3-D")
case("col2im", lambda: ops.col2im(torch.ones(1, 9, 16), (0, 6), (3, 3), (1, 1), (1, 1)),
     "padded_hw")
G = torch.randn(1, 3, 4, 4)  # grad of a valid 3x3 conv of X
case("conv2d_grads", lambda: ops.conv2d_grads(G, X, W, stride=0), "stride")
case("conv2d_grads", lambda: ops.conv2d_grads(torch.randn(1, 3, 5, 5), X, W), "grad_output",
     "(1, 3, 4, 4)")
case("conv2d_grads", lambda: ops.conv2d_grads(G, X, W, padding=-1), "padding")
case("conv2d_grads", lambda: ops.conv2d_grads(G, X, W, groups=2), "groups=2")
X3, W3 = torch.randn(1, 2, 4, 5, 5), torch.randn(3, 2, 3, 3, 3)
case("conv3d", lambda: ops.conv3d(X3, W3, stride=0), "stride")
case("conv3d", lambda: ops.conv3d(X3, W3, padding=-1), "padding")
case("conv3d", lambda: ops.conv3d(X3, W3, groups=0), "groups", "groups=0")
case("conv3d", lambda: ops.conv3d(X3[0], W3), "input", "5-D")
case("conv3d", lambda: ops.conv3d(X3, W3, torch.randn(3).double()), "bias")
case("conv3d", lambda: ops.conv3d(X3, torch.randn(3, 2, 5, 3, 3)), "kernel", "padding")
WT = torch.randn(2, 3, 3, 3)  # transposed conv weight (C_in, C_out, kH, kW)
for fn in (ops.conv_transpose2d, ops.conv_transpose2d_as_conv):
    name = fn.__name__
    case(name, lambda fn=fn: fn(X, WT, stride=0), "stride")
    case(name, lambda fn=fn: fn(X, WT, padding=-1), "padding")
    case(name, lambda fn=fn: fn(X, WT, padding=5), "padding", "less padding")
    case(name, lambda fn=fn: fn(X, WT, stride=2, output_padding=2), "output_padding")
    case(name, lambda fn=fn: fn(X, WT, groups=0), "groups")
    case(name, lambda fn=fn: fn(X, W), "weight.shape[0]")
    case(name, lambda fn=fn: fn(None, WT), "input", "torch.Tensor")
case("conv_transpose_output_size", lambda: ops.conv_transpose_output_size(2, 3, padding=3),
     "padding")
case("conv_transpose_output_size", lambda: ops.conv_transpose_output_size(2, 3, stride=0),
     "stride")
case("conv_transpose_output_size", lambda: ops.conv_transpose_output_size(0, 3), "size")
case("conv_transpose_output_size", lambda: ops.conv_transpose_output_size(4, 3, output_padding=-1),
     "output_padding")
case("conv_matrix", lambda: ops.conv_matrix(torch.ones(3, 3), (2, 2)), "input_size", "padding")
case("conv_matrix", lambda: ops.conv_matrix(torch.ones(3, 3), (5, 5), stride=0), "stride")
case("conv_matrix", lambda: ops.conv_matrix(torch.ones(3), (5, 5)), "weight", "(kH, kW)")
case("conv_matrix", lambda: ops.conv_matrix(torch.ones(3, 3), (5, 5), padding=-1), "padding")
case("conv_matrix", lambda: ops.conv_matrix(torch.ones(3, 3), (0, 5)), "input_size")
case("conv2d_by_matrix", lambda: ops.conv2d_by_matrix(X, W, stride=0), "stride")
case("conv2d_by_matrix", lambda: ops.conv2d_by_matrix(X, torch.randn(3, 1, 3, 3)), "channels",
     "weight.shape[1]")
case("conv2d_by_matrix", lambda: ops.conv2d_by_matrix(X[0], W), "x", "4-D")
case("conv2d_by_matrix", lambda: ops.conv2d_by_matrix(X, W, padding=-2), "padding")
Y = torch.randn(1, 3, 4, 4)
case("conv_transpose2d_by_matrix", lambda: ops.conv_transpose2d_by_matrix(Y, W, (7, 7)),
     "input_size")
case("conv_transpose2d_by_matrix", lambda: ops.conv_transpose2d_by_matrix(Y, W, (6, 6), 0),
     "stride")
case("conv_transpose2d_by_matrix", lambda: ops.conv_transpose2d_by_matrix(Y[0], W, (6, 6)), "y",
     "4-D")
case("matching_output_padding", lambda: ops.matching_output_padding(7, 3, stride=0), "stride")
case("matching_output_padding", lambda: ops.matching_output_padding(2, 5), "padding")
case("matching_output_padding", lambda: ops.matching_output_padding(7, 3, padding=-1), "padding")
case("pixel_usage", lambda: ops.pixel_usage(5, 3, stride=0), "stride", "stride=0")
case("pixel_usage", lambda: ops.pixel_usage(2, 5), "padding", "kernel_size")
case("pixel_usage", lambda: ops.pixel_usage(5, -1), "kernel_size")
case("pixel_usage", lambda: ops.pixel_usage(5, 3, padding=-1), "padding")
case("pixel_usage", lambda: ops.pixel_usage((5, 0), 3), "size")

# --- pooling --------------------------------------------------------------------------------
for fn in (ops.max_pool2d, ops.avg_pool2d):
    name = fn.__name__
    case(name, lambda fn=fn: fn(X, 2, stride=0), "stride", "stride=0")
    case(name, lambda fn=fn: fn(X, 0), "kernel_size")
    case(name, lambda fn=fn: fn(X, 2, padding=2), "padding", "half")
    case(name, lambda fn=fn: fn(X, 2, padding=-1), "padding")
    case(name, lambda fn=fn: fn(X, 7), "kernel_size", "padding")
    case(name, lambda fn=fn: fn(X[0, 0], 2), "input", "3-D")
    case(name, lambda fn=fn: fn(X.numpy(), 2), "input", "torch.Tensor")
case("max_pool2d", lambda: ops.max_pool2d(X, 2, dilation=0), "dilation")
case("avg_pool2d", lambda: ops.avg_pool2d(X, 2, divisor_override=0), "divisor_override")
case("lp_pool2d", lambda: ops.lp_pool2d(X, 0, 2), "norm_type")
case("lp_pool2d", lambda: ops.lp_pool2d(X, float("nan"), 2), "norm_type")
case("lp_pool2d", lambda: ops.lp_pool2d(X, 2, 0), "kernel_size")
case("lp_pool2d", lambda: ops.lp_pool2d(X, 2, 2, stride=0), "stride")
case("lp_pool2d", lambda: ops.lp_pool2d(X, "2", 2), "norm_type")
case("adaptive_avg_pool2d", lambda: ops.adaptive_avg_pool2d(X, 0), "output_size")
case("adaptive_avg_pool2d", lambda: ops.adaptive_avg_pool2d(X, (2, -1)), "output_size")
case("adaptive_avg_pool2d", lambda: ops.adaptive_avg_pool2d(torch.zeros(1, 2, 0, 4), 2), "input",
     "empty")
case("adaptive_avg_pool2d", lambda: ops.adaptive_avg_pool2d(X[0, 0], 2), "input", "3-D")

# --- receptive fields -----------------------------------------------------------------------
case("LayerSpec", lambda: ops.LayerSpec(0), "kernel_size")
case("LayerSpec", lambda: ops.LayerSpec(3, stride=0), "stride")
case("LayerSpec", lambda: ops.LayerSpec(3, padding=-1), "padding")
case("ReceptiveField", lambda: ops.ReceptiveField("x", 0, 1, 0.0), "size")
case("ReceptiveField", lambda: ops.ReceptiveField("x", 3, 0, 0.0), "jump")
case("ReceptiveField", lambda: ops.ReceptiveField("x", 2.5, 1, 0.0), "size")
for fn in (ops.receptive_fields, ops.receptive_field):
    case(fn.__name__, lambda fn=fn: fn([(3, 1, 1)]), "layers[0]", "LayerSpec")
    case(fn.__name__, lambda fn=fn: fn(SPEC), "layers", "list of LayerSpec")
    case(fn.__name__, lambda fn=fn: fn(3), "layers")
for fn in (ops.layer_specs, ops.receptive_field_of):
    case(fn.__name__, lambda fn=fn: fn([nn.Conv2d(1, 1, 3)]), "model", "nn.Module")
    case(fn.__name__, lambda fn=fn: fn(SEQ, axis=2), "axis", "axis=2")
    case(fn.__name__, lambda fn=fn: fn(nn.Sequential(nn.Linear(2, 2))), "Linear")
for fn in (ops.input_gradient, ops.empirical_receptive_field, ops.formula_region,
           ops.traced_region):
    name = fn.__name__
    case(name, lambda fn=fn: fn(SEQ, (1, 8, 8), (-1, 0)), "unit")
    case(name, lambda fn=fn: fn(SEQ, (8, 8), (0, 0)), "input_shape", "(C, H, W)")
    case(name, lambda fn=fn: fn(SEQ, (1, 0, 8), (0, 0)), "input_shape[1]")
    case(name, lambda fn=fn: fn("SEQ", (1, 8, 8), (0, 0)), "model")
case("input_gradient", lambda: ops.input_gradient(SEQ, (1, 8, 8), (0, 0), channel=1), "channel")
case("traced_pixels", lambda: ops.traced_pixels([SPEC], 0, 0), "size")
case("traced_pixels", lambda: ops.traced_pixels([SPEC], 8, -1), "unit")
case("traced_pixels", lambda: ops.traced_pixels([3], 8, 0), "specs[0]")
case("traced_pixels", lambda: ops.traced_pixels([SPEC], 8, 9), "unit 9")

# --- layers ---------------------------------------------------------------------------------
case("channel_shuffle", lambda: channel_shuffle(torch.randn(1, 6, 2, 2), 4), "groups=4")
case("channel_shuffle", lambda: channel_shuffle(torch.randn(1, 6, 2, 2), 0), "groups")
case("channel_shuffle", lambda: channel_shuffle([1, 2], 2), "x", "torch.Tensor")
case("channel_shuffle", lambda: channel_shuffle(torch.randn(6), 2), "x", "channel")
case("ChannelShuffle", lambda: ChannelShuffle(0), "groups")
case("ChannelShuffle", lambda: ChannelShuffle(2.0), "groups")
case("ChannelShuffle", lambda: ChannelShuffle(4)(torch.randn(1, 6, 2, 2)), "groups=4")
case("ConvNormAct", lambda: ConvNormAct(0, 4), "in_channels")
case("ConvNormAct", lambda: ConvNormAct(4, 4, stride=0), "stride")
case("ConvNormAct", lambda: ConvNormAct(4, 6, groups=4), "groups=4")
case("ConvNormAct", lambda: ConvNormAct(4, 4, kernel_size=-1), "kernel_size")
case("kaiming_init_", lambda: kaiming_init_(None), "model", "nn.Module")
case("kaiming_init_", lambda: kaiming_init_([nn.Conv2d(1, 1, 1)]), "model", "list")
case("kaiming_init_", lambda: kaiming_init_(torch.zeros(2)), "model", "Tensor")
case("make_divisible", lambda: make_divisible(0), "value")
case("make_divisible", lambda: make_divisible(32, 0), "divisor")
case("make_divisible", lambda: make_divisible(32, 8, min_value=0), "min_value")
case("make_divisible", lambda: make_divisible("32"), "value")
for cls in (DepthwiseSeparableConv2d, SpatiallySeparableConv2d, FlattenedConv2d):
    name = cls.__name__
    case(name, lambda cls=cls: cls(0, 4), "in_channels")
    case(name, lambda cls=cls: cls(4, 0), "out_channels")
    case(name, lambda cls=cls: cls(4, 4, 0), "kernel_size")
    case(name, lambda cls=cls: cls(4, 4, 3, stride=0), "stride")
    case(name, lambda cls=cls: cls(4, 4, 3, padding=-1), "padding")
case("SpatiallySeparableConv2d", lambda: SpatiallySeparableConv2d(4, 4, mid_channels=0),
     "mid_channels")
case("rank1_factors", lambda: rank1_factors(torch.randn(3)), "kernel", "2-D")
case("rank1_factors", lambda: rank1_factors([[1.0]]), "kernel", "torch.Tensor")
case("rank1_factors", lambda: rank1_factors(torch.randn(1, 3, 3)), "kernel", "2-D")
case("SqueezeExcite", lambda: SqueezeExcite(0), "channels")
case("SqueezeExcite", lambda: SqueezeExcite(16, 0), "squeeze_channels")
case("SqueezeExcite", lambda: SqueezeExcite(16.0), "channels")
case("stochastic_depth", lambda: stochastic_depth(X, 1.0), "p")
case("stochastic_depth", lambda: stochastic_depth(X, -0.1), "p")
case("stochastic_depth", lambda: stochastic_depth(X, 2), "p")
case("StochasticDepth", lambda: StochasticDepth(1.0), "p")
case("StochasticDepth", lambda: StochasticDepth(-1), "p")
case("StochasticDepth", lambda: StochasticDepth(1.5), "p")
case("LayerNorm2d", lambda: LayerNorm2d(2)(X[0]), "(N, C, H, W)")
case("LayerNorm2d", lambda: LayerNorm2d(2)(X[0, 0]), "(N, C, H, W)")
case("LayerNorm2d", lambda: LayerNorm2d(2)(X[None]), "(N, C, H, W)")

# --- counting -------------------------------------------------------------------------------
COUNTERS = {
    "conv_params": lambda c_in=4, c_out=8, k=3: counting.conv_params(c_in, c_out, k),
    "conv_macs": lambda c_in=4, c_out=8, k=3: counting.conv_macs(c_in, c_out, k, 5),
    "pointwise_params": lambda c_in=4, c_out=8, k=3: counting.pointwise_params(c_in, c_out),
    "pointwise_macs": lambda c_in=4, c_out=8, k=3: counting.pointwise_macs(c_in, c_out, k),
    "depthwise_params": lambda c_in=4, c_out=8, k=3: counting.depthwise_params(c_in, k, c_out),
    "depthwise_macs": lambda c_in=4, c_out=8, k=3: counting.depthwise_macs(c_in, k, 5, c_out),
    "depthwise_separable_params":
        lambda c_in=4, c_out=8, k=3: counting.depthwise_separable_params(c_in, c_out, k),
    "depthwise_separable_macs":
        lambda c_in=4, c_out=8, k=3: counting.depthwise_separable_macs(c_in, c_out, k, 5),
    "spatially_separable_params":
        lambda c_in=4, c_out=8, k=3: counting.spatially_separable_params(c_in, c_out, k),
    "spatially_separable_macs":
        lambda c_in=4, c_out=8, k=3: counting.spatially_separable_macs(c_in, c_out, k, 5),
    "flattened_params": lambda c_in=4, c_out=8, k=3: counting.flattened_params(c_in, c_out, k),
    "flattened_macs": lambda c_in=4, c_out=8, k=3: counting.flattened_macs(c_in, c_out, k, 5),
}
FIRST = {"depthwise_params": "channels", "depthwise_macs": "channels"}
SECOND = {"depthwise_params": "multiplier", "depthwise_macs": "multiplier"}
THIRD = {"pointwise_params": None, "pointwise_macs": "out_size"}
for name, fn in COUNTERS.items():
    case(name, lambda fn=fn: fn(c_in=0), FIRST.get(name, "in_channels"))
    case(name, lambda fn=fn: fn(c_out=-2), SECOND.get(name, "out_channels"))
    case(name, lambda fn=fn: fn(c_in=2.5), FIRST.get(name, "in_channels"), "2.5")
    if THIRD.get(name, "kernel_size"):
        case(name, lambda fn=fn: fn(k=0), THIRD.get(name, "kernel_size"))
case("conv_params", lambda: counting.conv_params(4, 6, 3, groups=4), "groups=4")
case("conv_macs", lambda: counting.conv_macs(4, 8, 3, (5, 0)), "out_size")
case("spatially_separable_params",
     lambda: counting.spatially_separable_params(4, 4, 3, mid_channels=0), "mid_channels")
for fn in (counting.macs_by_module, counting.count_macs):
    case(fn.__name__, lambda fn=fn: fn(None, X), "module", "nn.Module")
    case(fn.__name__, lambda fn=fn: fn(SEQ), "input")
    case(fn.__name__, lambda fn=fn: fn(SEQ, [1.0]), "inputs[0]", "torch.Tensor")


@pytest.mark.parametrize("name,call,words", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_raises_a_value_error_naming_it(name, call, words):
    with pytest.raises(ValueError) as error:
        call()
    for word in words:
        assert word in str(error.value), (name, word, str(error.value))


# --- every public object is covered -----------------------------------------------------------
LAYER_NAMES = {"channel_shuffle", "ChannelShuffle", "ConvNormAct", "kaiming_init_", "make_divisible",
               "DepthwiseSeparableConv2d", "SpatiallySeparableConv2d", "FlattenedConv2d",
               "rank1_factors", "SqueezeExcite", "stochastic_depth", "StochasticDepth",
               "LayerNorm2d"}
NOT_CALLABLE = {"ACTIVATIONS"}  # a dict of (ours, torch's) pairs: its functions are covered


def counts() -> dict[str, int]:
    result: dict[str, int] = {}
    for name, _, _ in CASES:
        result[name] = result.get(name, 0) + 1
    return result


def test_every_public_op_layer_and_counter_has_three_bad_inputs():
    public = [n for n in ops.__all__ if n not in NOT_CALLABLE]
    public += [n for n, obj in vars(counting).items()
               if inspect.isfunction(obj) and not n.startswith("_")
               and obj.__module__ == counting.__name__]
    public += sorted(LAYER_NAMES)
    have = counts()
    missing = {n: have.get(n, 0) for n in public if have.get(n, 0) < 3}
    assert not missing, missing


# --- models -----------------------------------------------------------------------------------
MY_FAMILIES = ("alexnet", "vgg", "googlenet", "lenet", "resnet", "resnet_cifar", "mobilenet_v1",
               "mobilenet_v2", "mobilenet_v3", "shufflenet", "course_nets", "mnist_nets")


def family(builder) -> str:
    return inspect.unwrap(builder).__module__.rsplit(".", 1)[-1]


MINE = sorted(n for n, b in MODELS.items() if family(b) in MY_FAMILIES)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_builder_checks_num_classes_and_in_channels(name):
    builder = MODELS[name]
    params = inspect.signature(builder).parameters
    bad = [(arg, value) for arg in ("num_classes", "in_channels") if arg in params
           for value in (0, -3, 2.5)]
    assert len(bad) >= 3, f"{name} takes neither num_classes nor in_channels"
    for arg, value in bad:
        with pytest.raises(ValueError, match=arg):
            builder(**{arg: value})


def build_on_meta(name: str) -> nn.Module:
    with torch.device("meta"):
        return MODELS[name]().eval()


def runs(model: nn.Module, shape: tuple[int, ...]) -> bool:
    try:
        with torch.no_grad():
            model(torch.empty(shape, device="meta"))
        return True
    except (RuntimeError, ValueError, IndexError):
        return False


@pytest.mark.parametrize("name", MINE)
def test_model_refuses_images_it_cannot_take(name):
    model = build_on_meta(name)
    check = input_check_of(model)
    assert check is not None, f"{name} has no input check"
    c, ok = check.channels, check.size or max(check.min_size, 32)
    with pytest.raises(ValueError, match=f"in_channels={c}"):
        model(torch.empty(2, c + 1, ok, ok, device="meta"))
    with pytest.raises(ValueError, match="unsqueeze"):
        model(torch.empty(c, ok, ok, device="meta"))
    small = (check.size or check.min_size) - 1
    if small >= 1:
        with pytest.raises(ValueError, match=f"{check.size or check.min_size}x"):
            model(torch.empty(2, c, small, small, device="meta"))
    if check.size is not None:
        with pytest.raises(ValueError, match=f"{check.size}x{check.size}"):
            model(torch.empty(2, c, check.max_size + 1, check.max_size + 1, device="meta"))
    assert runs(model, (2, c, ok, ok))


@pytest.mark.parametrize("name", MINE)
def test_model_input_check_matches_what_torch_needs(name):
    """Checked without the hook: every size the check accepts runs in torch; a minimum size is
    exactly torch's; a fixed-size model (first Linear sized for one map) accepts its size up to
    the largest size torch takes (below it, the check may be stricter than torch's floors)."""
    model = build_on_meta(name)
    check = input_check_of(model)
    model._forward_pre_hooks.clear()
    c = check.channels
    if check.size is None:
        low = check.min_size
        assert runs(model, (2, c, low, low)) and runs(model, (2, c, low + 5, low + 5))
        if low > 1:
            assert not runs(model, (2, c, low - 1, low - 1))
    else:
        for size in range(check.size, check.max_size + 1):
            assert runs(model, (2, c, size, size)), size
        assert not runs(model, (2, c, check.max_size + 1, check.max_size + 1))


# --- edge cases: match torch, or raise where torch raises ---------------------------------------
def test_lp_pool2d_inf_matches_torch():
    x = torch.randn(2, 3, 6, 6)
    for p in (math.inf, -math.inf, -2.0, 3):
        torch.testing.assert_close(ops.lp_pool2d(x.abs() + 0.1, p, 2),
                                   F.lp_pool2d(x.abs() + 0.1, p, 2))
    torch.testing.assert_close(ops.lp_pool2d(x, math.inf, 3, 2), F.lp_pool2d(x, math.inf, 3, 2))


def test_max_pool2d_indices_on_all_minus_inf_windows_match_torch():
    x = torch.full((1, 2, 4, 5), -math.inf)
    x[0, 1, 0, 0] = 1.0
    for kwargs in (dict(kernel_size=2, padding=1), dict(kernel_size=3, stride=2, padding=1),
                   dict(kernel_size=2, ceil_mode=True), dict(kernel_size=3, padding=1,
                                                             dilation=2)):
        ours = ops.max_pool2d(x, return_indices=True, **kwargs)
        theirs = F.max_pool2d(x, return_indices=True, **kwargs)
        torch.testing.assert_close(ours[0], theirs[0])
        assert torch.equal(ours[1], theirs[1]), kwargs


def test_adaptive_avg_pool2d_on_empty_input_raises_like_torch():
    empty = torch.zeros(1, 3, 0, 4)
    with pytest.raises(RuntimeError):
        F.adaptive_avg_pool2d(empty, 2)
    with pytest.raises(ValueError, match="empty"):
        ops.adaptive_avg_pool2d(empty, 2)
    for shape in ((0, 3, 4, 4), (2, 0, 4, 4)):  # no images or no channels: torch allows it
        assert ops.adaptive_avg_pool2d(torch.zeros(shape), 2).shape == \
            F.adaptive_avg_pool2d(torch.zeros(shape), 2).shape


def test_conv2d_with_float64_bias_raises_like_torch():
    with pytest.raises(RuntimeError):
        F.conv2d(X, W, B.double())
    for fn in (ops.conv2d, ops.conv2d_loop):
        with pytest.raises(ValueError, match="bias"):
            fn(X, W, B.double())


def test_explorer_settings_raise_value_errors_never_others():
    """Every slider combination the explorers offer either works or raises ValueError."""
    for size in range(0, 8):
        for kernel in range(0, 5):
            for stride in range(0, 4):
                for padding in range(-1, 3):
                    for dilation in range(0, 3):
                        for fn in (ops.conv_output_size, ops.pool_output_size, ops.pixel_usage,
                                   ops.check_conv_config):
                            try:
                                fn(size, kernel, stride, padding, dilation)
                            except ValueError:
                                pass


def test_bad_input_counts_are_reported(capsys):
    have = counts()
    with capsys.disabled():
        print(f"\nbad-input cases: {len(CASES)} for {len(have)} public ops/layers/counters; "
              f"builders: {len(MODELS)} x >=3 argument cases; input checks: {len(MINE)} models")


def test_explorer_drawings_say_not_possible_for_impossible_settings():
    """The window explorers (chapters 1-3, 7) raise ValueError, which Explorer.live shows as
    "Not possible: ...", for every impossible combination of their sliders (and beyond)."""
    import itertools

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from cnnlib.diagrams import grids

    def figure() -> Figure:
        fig = Figure(figsize=(2, 1), dpi=20)
        FigureCanvasAgg(fig)
        return fig

    impossible = 0
    for size, k, s, p, d in itertools.product(range(0, 6), range(0, 6), range(0, 3), range(-1, 3),
                                              range(0, 3)):
        try:
            ops.pixel_usage(size, k, s, p, d)
            continue  # a possible setting: drawn by the chapters themselves
        except ValueError:
            impossible += 1
        with pytest.raises(ValueError):
            grids.draw_conv_window(figure(), size, k, s, p, d)
    for mode, k, s, p in itertools.product(["max", "average", "L2"], range(0, 8), range(0, 3),
                                           range(-1, 5)):
        try:
            ops.max_pool2d(torch.zeros(1, 1, 6, 6), k, s, p)
            continue
        except ValueError:
            impossible += 1
        with pytest.raises(ValueError):
            grids.draw_pooling(figure(), mode, k, s, p)
    assert impossible > 500
