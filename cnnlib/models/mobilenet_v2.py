"""MobileNet V2: inverted residuals with linear bottlenecks.

Sandler et al. 2018, https://arxiv.org/abs/1801.04381. Same attribute names as
torchvision's `mobilenet_v2`, so its state_dict loads unchanged. Taught in chapter 28.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from cnnlib.layers.conv_norm_act import ConvNormAct
from cnnlib.layers.init import fan_out_init_
from cnnlib.layers.make_divisible import make_divisible
from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register


class Stage(NamedTuple):
    """A row of the paper's Table 2: n blocks, expansion t, c output channels, first stride s."""

    t: int  # expansion factor: hidden width = t * input channels
    c: int  # output channels (before the width multiplier)
    n: int  # how many blocks
    s: int  # stride of the first block (the others use 1)


# The paper's Table 2, after the 3x3/2 stem with 32 channels (input 224x224 -> 112x112).
SETTINGS: tuple[Stage, ...] = (
    Stage(1, 16, 1, 1),   # 112x112: no expansion (t = 1), so no 1x1 expand conv
    Stage(6, 24, 2, 2),   # -> 56x56
    Stage(6, 32, 3, 2),   # -> 28x28
    Stage(6, 64, 4, 2),   # -> 14x14
    Stage(6, 96, 3, 1),   # 14x14
    Stage(6, 160, 3, 2),  # -> 7x7
    Stage(6, 320, 1, 1),  # 7x7, then a 1x1 conv to 1280 channels
)
STEM_CHANNELS, LAST_CHANNELS = 32, 1280


class InvertedResidual(nn.Module):
    """1x1 expand + ReLU6 -> 3x3 depthwise + ReLU6 -> 1x1 linear projection (+ shortcut).

    "Inverted": the shortcut joins the narrow ends and the wide part is inside, the
    opposite of ResNet's bottleneck. The projection has no activation (a linear
    bottleneck): ReLU on a narrow tensor destroys information. The expand conv is
    skipped when t == 1 (applying it anyway was a notes' bug).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}.")
        hidden = round(in_channels * expand_ratio)
        self.use_res_connect = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvNormAct(in_channels, hidden, 1, activation=nn.ReLU6))  # expand
        layers += [
            ConvNormAct(hidden, hidden, 3, stride, groups=hidden, activation=nn.ReLU6),  # depthwise
            nn.Conv2d(hidden, out_channels, 1, bias=False),  # project: linear, no activation
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_res_connect else out


class MobileNetV2(nn.Module):
    """Stem, 17 inverted residual blocks from `settings`, a 1x1 conv, pool, dropout, Linear."""

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 dropout: float = 0.2, settings: tuple[Stage, ...] = SETTINGS) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels)
        if not isinstance(width_mult, (int, float)) or not width_mult > 0:
            raise ValueError(f"width_mult must be positive, got {width_mult}.")
        channels = make_divisible(STEM_CHANNELS * width_mult)
        self.last_channel = make_divisible(LAST_CHANNELS * max(1.0, width_mult))  # never below 1280
        features: list[nn.Module] = [ConvNormAct(in_channels, channels, 3, stride=2,
                                                 activation=nn.ReLU6)]
        for t, c, n, s in settings:
            out = make_divisible(c * width_mult)
            for i in range(n):
                features.append(InvertedResidual(channels, out, s if i == 0 else 1, t))
                channels = out
        features.append(ConvNormAct(channels, self.last_channel, 1, activation=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(dropout),
                                        nn.Linear(self.last_channel, num_classes))
        fan_out_init_(self, linear="normal")
        expect_input(self, in_channels)  # padded convs, global pool: any size works

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 1280, H/32, W/32)
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)  # (N, 1280)
        return self.classifier(x)




@register
def mobilenet_v2(num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 dropout: float = 0.2) -> MobileNetV2:
    """MobileNet V2 (3.5M parameters, 300M multiply-adds at 224x224 and width 1.0)."""
    return MobileNetV2(num_classes, in_channels, width_mult, dropout)
