"""Squeeze-and-excitation: reweight channels by a gate computed from their global averages.

Hu et al. 2018 (https://arxiv.org/abs/1709.01507); MobileNet V3's version
(https://arxiv.org/abs/1905.02244) uses a hard-sigmoid gate and a 1/4-width bottleneck.
Attribute names follow torchvision's `SqueezeExcitation`. Taught in chapter 29.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from cnnlib.layers.make_divisible import make_divisible
from cnnlib.ops.sizes import check_int


class SqueezeExcite(nn.Module):
    """Global pool -> 1x1 conv to `squeeze_channels` + ReLU -> 1x1 conv back + gate -> scale.

    `squeeze_channels` defaults to make_divisible(channels / 4, 8). There is no BatchNorm
    inside: the block acts on one pooled vector per image (BN there was a notes' bug).
    """

    def __init__(self, channels: int, squeeze_channels: int | None = None,
                 activation: Callable[[], nn.Module] = nn.ReLU,
                 gate: Callable[[], nn.Module] = nn.Hardsigmoid) -> None:
        super().__init__()
        check_int(channels, "channels")
        if squeeze_channels is None:
            squeeze_channels = make_divisible(max(channels // 4, 1), 8)
        check_int(squeeze_channels, "squeeze_channels")
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze_channels, 1)  # a Linear on the pooled vector
        self.activation = activation()
        self.fc2 = nn.Conv2d(squeeze_channels, channels, 1)
        self.scale_activation = gate()

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        """The per-channel weights in [0, 1], shape (N, C, 1, 1)."""
        s = self.avgpool(x)  # (N, C, 1, 1): squeeze
        s = self.activation(self.fc1(s))  # (N, C/4, 1, 1)
        return self.scale_activation(self.fc2(s))  # (N, C, 1, 1): excite

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)  # (N, C, H, W): each channel scaled by its gate
