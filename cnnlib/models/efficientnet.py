"""EfficientNet B0-B7: one baseline (B0) scaled in depth, width and resolution together.

Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
ICML 2019, https://arxiv.org/abs/1905.11946. Same attribute names as torchvision's
`efficientnet_b0/b1`, so their state_dicts load unchanged. Taught in the EfficientNet chapter.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from cnnlib.layers.conv_norm_act import ConvNormAct
from cnnlib.layers.init import fan_out_init_
from cnnlib.layers.make_divisible import make_divisible
from cnnlib.layers.mbconv import MBConv
from cnnlib.models.registry import register


class Stage(NamedTuple):
    """One row of the paper's Table 1 (stages 2-8): `layers` MBConv blocks of one kind."""

    expand: int  # expansion ratio: MBConv1 or MBConv6
    kernel: int  # depthwise kernel size (3 or 5)
    stride: int  # stride of the first block of the stage
    out: int  # output channels
    layers: int  # number of blocks (scaled by the depth coefficient)


# Table 1 of the paper: EfficientNet-B0 (input 224x224x3).
STEM_CHANNELS = 32  # stage 1: 3x3 conv, stride 2 -> 112x112
B0: tuple[Stage, ...] = (
    Stage(1, 3, 1, 16, 1),    # 112x112, MBConv1: no expand conv
    Stage(6, 3, 2, 24, 2),    # -> 56x56
    Stage(6, 5, 2, 40, 2),    # -> 28x28
    Stage(6, 3, 2, 80, 3),    # -> 14x14
    Stage(6, 5, 1, 112, 3),
    Stage(6, 5, 2, 192, 4),   # -> 7x7
    Stage(6, 3, 1, 320, 1),
)
HEAD_CHANNELS = 1280  # stage 9: 1x1 conv, pooling, FC


class Scaling(NamedTuple):
    """The published coefficients of one model (the paper's code; torchvision uses the same)."""

    width: float  # width coefficient w: channels x w, rounded to a multiple of 8
    depth: float  # depth coefficient d: layers per stage x d, rounded up
    resolution: int  # input size in pixels (hand-picked: not 224 x gamma^phi)
    dropout: float  # dropout before the classifier


PUBLISHED: dict[str, Scaling] = {
    "b0": Scaling(1.0, 1.0, 224, 0.2),
    "b1": Scaling(1.0, 1.1, 240, 0.2),
    "b2": Scaling(1.1, 1.2, 260, 0.3),
    "b3": Scaling(1.2, 1.4, 300, 0.3),
    "b4": Scaling(1.4, 1.8, 380, 0.4),
    "b5": Scaling(1.6, 2.2, 456, 0.4),
    "b6": Scaling(1.8, 2.6, 528, 0.5),
    "b7": Scaling(2.0, 3.1, 600, 0.5),
}


def scale_width(channels: int, width_mult: float) -> int:
    """Channels x width coefficient, rounded to a multiple of 8 (as MobileNet V2 does)."""
    return make_divisible(channels * width_mult)


def scale_depth(layers: int, depth_mult: float) -> int:
    """Layers x depth coefficient, rounded up (a stage never loses a block)."""
    return math.ceil(layers * depth_mult)


class EfficientNet(nn.Module):
    """Stem, seven stages of MBConv blocks, 1x1 conv to 1280 x w, pool, dropout, Linear.

    Stochastic depth: block i of n (counted over the whole net) drops its branch with
    probability `stochastic_depth_prob * i / n`, so deeper blocks are dropped more often.
    `stem_stride=1` is for small images (keeps 28x28 at full size in the first stage).
    """

    def __init__(self, width_mult: float = 1.0, depth_mult: float = 1.0, dropout: float = 0.2,
                 stochastic_depth_prob: float = 0.2, num_classes: int = 1000, in_channels: int = 3,
                 stem_stride: int = 2, stages: tuple[Stage, ...] = B0) -> None:
        super().__init__()
        if width_mult <= 0 or depth_mult <= 0:
            raise ValueError(f"width_mult and depth_mult must be positive, got {width_mult} "
                             f"and {depth_mult}.")
        if stem_stride not in (1, 2):
            raise ValueError(f"stem_stride must be 1 or 2, got {stem_stride}.")
        channels = scale_width(STEM_CHANNELS, width_mult)
        features: list[nn.Module] = [ConvNormAct(in_channels, channels, 3, stem_stride,
                                                 activation=nn.SiLU)]
        depths = [scale_depth(stage.layers, depth_mult) for stage in stages]
        total, index = sum(depths), 0
        for stage, depth in zip(stages, depths, strict=True):
            out = scale_width(stage.out, width_mult)
            blocks = []
            for i in range(depth):
                drop = stochastic_depth_prob * index / total  # 0 for the first block
                blocks.append(MBConv(channels, out, stage.expand, stage.kernel,
                                     stage.stride if i == 0 else 1, drop))
                channels, index = out, index + 1
            features.append(nn.Sequential(*blocks))
        head = scale_width(HEAD_CHANNELS, width_mult)
        features.append(ConvNormAct(channels, head, 1, activation=nn.SiLU))
        self.features = nn.Sequential(*features)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout, inplace=True),
                                        nn.Linear(head, num_classes))
        fan_out_init_(self, linear="uniform")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 1280 x w, H/32, W/32)
        x = self.avgpool(x).flatten(1)  # (N, 1280 x w)
        return self.classifier(x)




def efficientnet(name: str, num_classes: int = 1000, in_channels: int = 3,
                 stochastic_depth_prob: float = 0.2, dropout: float | None = None) -> EfficientNet:
    """EfficientNet-B0 ... B7 by name ('b0'..'b7'), with the published coefficients."""
    if name not in PUBLISHED:
        raise ValueError(f"name must be one of {sorted(PUBLISHED)}, got {name!r}.")
    s = PUBLISHED[name]
    return EfficientNet(s.width, s.depth, s.dropout if dropout is None else dropout,
                        stochastic_depth_prob, num_classes, in_channels)


@register
def efficientnet_b0(num_classes: int = 1000, in_channels: int = 3,
                    stochastic_depth_prob: float = 0.2, dropout: float = 0.2) -> EfficientNet:
    """EfficientNet-B0 (5.3M parameters, 0.39G multiply-adds at 224x224)."""
    return efficientnet("b0", num_classes, in_channels, stochastic_depth_prob, dropout)


@register
def efficientnet_b1(num_classes: int = 1000, in_channels: int = 3,
                    stochastic_depth_prob: float = 0.2, dropout: float = 0.2) -> EfficientNet:
    """EfficientNet-B1: B0 with 1.1x depth, at 240x240 (7.8M parameters, 0.69G multiply-adds)."""
    return efficientnet("b1", num_classes, in_channels, stochastic_depth_prob, dropout)
