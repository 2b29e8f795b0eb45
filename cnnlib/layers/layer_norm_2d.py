"""LayerNorm over the channels of an (N, C, H, W) tensor, at every pixel separately.

`nn.LayerNorm(C)` normalises the last dimension, so channels-first feature maps are permuted
to (N, H, W, C), normalised and permuted back. ConvNeXt (https://arxiv.org/abs/2201.03545)
uses it in its stem and downsampling layers; torchvision calls it `LayerNorm2d` and it is a
subclass of nn.LayerNorm, so the parameter names (`weight`, `bias`) match. Taught in the
batch normalization and ConvNeXt chapters.
"""

from __future__ import annotations

import torch
from torch import nn


class LayerNorm2d(nn.LayerNorm):
    """nn.LayerNorm(channels) applied to the channel vector of every pixel of (N, C, H, W)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(f"LayerNorm2d expects (N, C, H, W) input, got shape {tuple(x.shape)}.")
        x = x.permute(0, 2, 3, 1)  # (N, H, W, C)
        x = super().forward(x)
        return x.permute(0, 3, 1, 2)  # (N, C, H, W)
