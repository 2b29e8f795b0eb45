"""MobileNet V1: a plain stack of depthwise separable convolutions, scaled by alpha and rho.

Howard et al. 2017, https://arxiv.org/abs/1704.04861. torchvision has no MobileNet V1;
attribute names follow its MobileNet V2 (`features`, `classifier`). Taught in chapter 27.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlib.layers.conv_norm_act import ConvNormAct
from cnnlib.layers.make_divisible import make_divisible
from cnnlib.layers.separable import DepthwiseSeparableConv2d
from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register

STEM_CHANNELS = 32  # 3x3/2 full convolution on the image: 224 -> 112
# The paper's Table 1 after the stem: (output channels, stride) of each depthwise
# separable layer (3x3 depthwise with that stride + BN + ReLU, then 1x1 + BN + ReLU).
LAYERS: tuple[tuple[int, int], ...] = (
    (64, 1),    # 112x112
    (128, 2),   # -> 56x56
    (128, 1),
    (256, 2),   # -> 28x28
    (256, 1),
    (512, 2),   # -> 14x14
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),  # 5 x the same 512 layer
    (1024, 2),  # -> 7x7
    (1024, 1),  # the paper's table prints s2 here, a typo: the map stays 7x7
)


class MobileNetV1(nn.Module):
    """Stem conv + 13 depthwise separable layers + global average pool + dropout + Linear.

    `width_mult` is the paper's alpha (every layer's channels times alpha, rounded to 8).
    The resolution multiplier rho is not an argument: feed a smaller image (e.g. 160x160,
    rho = 160/224); global pooling makes the model accept any size.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels)
        if not isinstance(width_mult, (int, float)) or not width_mult > 0:
            raise ValueError(f"width_mult (alpha) must be positive, got {width_mult}.")
        channels = make_divisible(STEM_CHANNELS * width_mult)
        features: list[nn.Module] = [ConvNormAct(in_channels, channels, 3, stride=2)]
        for out, stride in LAYERS:
            out = make_divisible(out * width_mult)
            features.append(DepthwiseSeparableConv2d(channels, out, 3, stride, norm_act=True))
            channels = out
        self.features = nn.Sequential(*features)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels, num_classes))
        self.last_channel = channels
        expect_input(self, in_channels)  # padded convs, global pool: any size works

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 1024 alpha, H/32, W/32)
        x = self.avgpool(x).flatten(1)  # (N, 1024 alpha)
        return self.classifier(x)


@register
def mobilenet_v1(num_classes: int = 1000, in_channels: int = 3, width_mult: float = 1.0,
                 dropout: float = 0.0) -> MobileNetV1:
    """MobileNet V1 (4.2M parameters, 569M multiply-adds at 224x224 and alpha = 1)."""
    return MobileNetV1(num_classes, in_channels, width_mult, dropout)
