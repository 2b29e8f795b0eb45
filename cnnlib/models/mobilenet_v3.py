"""MobileNet V3 Large and Small: V2's block + squeeze-and-excitation + h-swish, found by NAS.

Howard et al., "Searching for MobileNetV3", ICCV 2019, https://arxiv.org/abs/1905.02244.
Same attribute names as torchvision's `mobilenet_v3_large/small`, so their state_dicts
load unchanged. Taught in chapter 29.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import torch
from torch import nn

from cnnlib.layers.conv_norm_act import ConvNormAct
from cnnlib.layers.init import fan_out_init_
from cnnlib.layers.make_divisible import make_divisible
from cnnlib.layers.squeeze_excite import SqueezeExcite
from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register

# The paper's BatchNorm settings (TensorFlow's defaults); torchvision uses the same.
BatchNorm = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)


class Bneck(NamedTuple):
    """One row of the paper's Tables 1/2: a bottleneck block ("bneck")."""

    kernel: int  # depthwise kernel size (3 or 5)
    exp: int  # expansion ("exp size"): hidden channels
    out: int  # output channels
    se: bool  # squeeze-and-excitation after the depthwise conv?
    nl: str  # non-linearity: "RE" (ReLU) or "HS" (h-swish)
    stride: int  # stride of the depthwise conv


# Table 1 of the paper (input 224x224x3; stem: 3x3/2 conv, 16 channels, h-swish).
LARGE: tuple[Bneck, ...] = (
    Bneck(3, 16, 16, False, "RE", 1),    # 112x112; exp == in: no expand conv
    Bneck(3, 64, 24, False, "RE", 2),    # -> 56x56
    Bneck(3, 72, 24, False, "RE", 1),
    Bneck(5, 72, 40, True, "RE", 2),     # -> 28x28, SE from here on (not everywhere)
    Bneck(5, 120, 40, True, "RE", 1),
    Bneck(5, 120, 40, True, "RE", 1),
    Bneck(3, 240, 80, False, "HS", 2),   # -> 14x14, h-swish in the deeper, cheaper half
    Bneck(3, 200, 80, False, "HS", 1),
    Bneck(3, 184, 80, False, "HS", 1),
    Bneck(3, 184, 80, False, "HS", 1),
    Bneck(3, 480, 112, True, "HS", 1),
    Bneck(3, 672, 112, True, "HS", 1),
    Bneck(5, 672, 160, True, "HS", 2),   # -> 7x7
    Bneck(5, 960, 160, True, "HS", 1),
    Bneck(5, 960, 160, True, "HS", 1),   # then 1x1 conv 960, pool, 1x1 conv 1280, 1x1 conv k
)
LARGE_HEAD = (960, 1280)  # channels of the last 1x1 conv (with BN) and the head's hidden layer

# Table 2 of the paper (stem as in Large).
SMALL: tuple[Bneck, ...] = (
    Bneck(3, 16, 16, True, "RE", 2),     # -> 56x56, SE already here
    Bneck(3, 72, 24, False, "RE", 2),    # -> 28x28
    Bneck(3, 88, 24, False, "RE", 1),
    Bneck(5, 96, 40, True, "HS", 2),     # -> 14x14
    Bneck(5, 240, 40, True, "HS", 1),
    Bneck(5, 240, 40, True, "HS", 1),
    Bneck(5, 120, 48, True, "HS", 1),
    Bneck(5, 144, 48, True, "HS", 1),
    Bneck(5, 288, 96, True, "HS", 2),    # -> 7x7
    Bneck(5, 576, 96, True, "HS", 1),
    Bneck(5, 576, 96, True, "HS", 1),    # then 1x1 conv 576, pool, 1x1 conv 1024, 1x1 conv k
)
SMALL_HEAD = (576, 1024)
STEM_CHANNELS = 16
ACTIVATIONS = {"RE": nn.ReLU, "HS": nn.Hardswish}


class InvertedResidual(nn.Module):
    """[1x1 expand + NL] -> kxk depthwise + NL -> [SE] -> 1x1 linear projection (+ shortcut).

    The expand conv exists only when exp != in_channels; the shortcut only when the
    stride is 1 and in_channels == out.
    """

    def __init__(self, in_channels: int, row: Bneck, width_mult: float = 1.0) -> None:
        super().__init__()
        if row.stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {row.stride}.")
        if row.nl not in ACTIVATIONS:
            raise ValueError(f"nl must be one of {sorted(ACTIVATIONS)}, got {row.nl!r}.")
        exp = make_divisible(row.exp * width_mult)
        out = make_divisible(row.out * width_mult)
        act = ACTIVATIONS[row.nl]
        self.use_res_connect = row.stride == 1 and in_channels == out
        layers: list[nn.Module] = []
        if exp != in_channels:
            layers.append(ConvNormAct(in_channels, exp, 1, norm=BatchNorm, activation=act))
        layers.append(ConvNormAct(exp, exp, row.kernel, row.stride, groups=exp, norm=BatchNorm,
                                  activation=act))
        if row.se:
            layers.append(SqueezeExcite(exp, make_divisible(exp // 4, 8)))
        layers.append(ConvNormAct(exp, out, 1, norm=BatchNorm, activation=None))  # linear
        self.block = nn.Sequential(*layers)
        self.out_channels = out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return x + out if self.use_res_connect else out


class MobileNetV3(nn.Module):
    """Stem, bneck rows, 1x1 conv + pool, then a hidden layer (h-swish, no BN) and the classifier.

    Departure from the paper's figure: its last two "1x1 conv" layers act on a 1x1 map,
    where a 1x1 conv *is* a Linear layer; like torchvision we write them as `nn.Linear`.
    """

    def __init__(self, rows: tuple[Bneck, ...], head: tuple[int, int], num_classes: int = 1000,
                 in_channels: int = 3, width_mult: float = 1.0, dropout: float = 0.2) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels)
        if not isinstance(width_mult, (int, float)) or not width_mult > 0:
            raise ValueError(f"width_mult must be positive, got {width_mult}.")
        channels = make_divisible(STEM_CHANNELS * width_mult)
        features: list[nn.Module] = [ConvNormAct(in_channels, channels, 3, stride=2, norm=BatchNorm,
                                                 activation=nn.Hardswish)]
        for row in rows:
            block = InvertedResidual(channels, row, width_mult)
            features.append(block)
            channels = block.out_channels
        last_conv = make_divisible(head[0] * width_mult)
        features.append(ConvNormAct(channels, last_conv, 1, norm=BatchNorm,
                                    activation=nn.Hardswish))
        self.features = nn.Sequential(*features)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_conv, head[1]),  # the paper's "1x1 conv, NBN" (no BatchNorm)
            nn.Hardswish(),
            nn.Dropout(dropout),
            nn.Linear(head[1], num_classes),  # the paper's final "1x1 conv, k"
        )
        fan_out_init_(self, linear="normal")
        expect_input(self, in_channels)  # padded convs, global pool: any size works

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 960, H/32, W/32) for Large
        x = self.avgpool(x).flatten(1)  # (N, 960)
        return self.classifier(x)


@register
def mobilenet_v3_large(num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                       dropout: float = 0.2) -> MobileNetV3:
    """MobileNet V3-Large (5.5M parameters, ~217M multiply-adds at 224x224)."""
    return MobileNetV3(LARGE, LARGE_HEAD, num_classes, in_channels, width_mult, dropout)


@register
def mobilenet_v3_small(num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                       dropout: float = 0.2) -> MobileNetV3:
    """MobileNet V3-Small (2.5M parameters, ~57M multiply-adds at 224x224)."""
    return MobileNetV3(SMALL, SMALL_HEAD, num_classes, in_channels, width_mult, dropout)
