"""MBConv: MobileNet V2's inverted residual with squeeze-and-excitation, SiLU and stochastic depth.

The block EfficientNet is stacked from (Tan & Le 2019, https://arxiv.org/abs/1905.11946),
found by MnasNet's search (https://arxiv.org/abs/1807.11626). Attribute names follow
torchvision's `MBConv` (`block`, `stochastic_depth`), so state_dicts load unchanged.
Taught in the EfficientNet chapter.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from cnnlib.layers.conv_norm_act import ConvNormAct
from cnnlib.layers.make_divisible import make_divisible
from cnnlib.layers.squeeze_excite import SqueezeExcite
from cnnlib.layers.stochastic_depth import StochasticDepth


class MBConv(nn.Module):
    """[1x1 expand + SiLU] -> kxk depthwise + SiLU -> SE -> 1x1 linear projection (+ shortcut).

    The expand conv exists only when the expanded width differs from `in_channels` (MBConv1);
    the shortcut only at stride 1 with equal widths, and then stochastic depth may drop the
    branch for whole samples in training. The SE bottleneck is `se_ratio` of the block's
    *input* width (not of the expanded width), as in the paper's code and torchvision.
    """

    def __init__(self, in_channels: int, out_channels: int, expand_ratio: float, kernel_size: int,
                 stride: int, stochastic_depth_prob: float = 0.0, se_ratio: float = 0.25,
                 norm: Callable[[int], nn.Module] = nn.BatchNorm2d,
                 activation: Callable[[], nn.Module] = nn.SiLU) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}.")
        if expand_ratio < 1:
            raise ValueError(f"expand_ratio must be at least 1 (an inverted residual widens), "
                             f"got {expand_ratio}.")
        if not 0 < se_ratio <= 1:
            raise ValueError(f"se_ratio must be in (0, 1], got {se_ratio}.")
        expanded = make_divisible(in_channels * expand_ratio)
        self.use_res_connect = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expanded != in_channels:
            layers.append(ConvNormAct(in_channels, expanded, 1, norm=norm, activation=activation))
        layers.append(ConvNormAct(expanded, expanded, kernel_size, stride, groups=expanded,
                                  norm=norm, activation=activation))
        squeeze = max(1, int(in_channels * se_ratio))  # of the input width: 1/4 of C_in, not of 6 C_in
        layers.append(SqueezeExcite(expanded, squeeze, activation=activation, gate=nn.Sigmoid))
        layers.append(ConvNormAct(expanded, out_channels, 1, norm=norm, activation=None))  # linear
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob)
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)  # (N, C_out, H / stride, W / stride)
        if self.use_res_connect:
            return x + self.stochastic_depth(out)  # no activation after the sum
        return out
