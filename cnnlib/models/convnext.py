"""ConvNeXt T/S/B/L and a small-image variant (chapter 35).

Liu et al., "A ConvNet for the 2020s", CVPR 2022 (https://arxiv.org/abs/2201.03545): a
ResNet-50 modernised step by step (see `convnext_steps.py`) until it matches a Swin
Transformer. An architecture is a width and a block count per stage, e.g. ConvNeXt-T is
widths (96, 192, 384, 768) and depths (3, 3, 9, 3). Same layout and attribute names as
torchvision's `ConvNeXt` (`features`, `avgpool`, `classifier`; a block's `block`,
`layer_scale`, `stochastic_depth`), so its state_dicts load unchanged.

`features` holds, in order: the stem, stage 1, downsampling 1, stage 2, ..., the last stage.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from cnnlib.layers.layer_norm_2d import LayerNorm2d
from cnnlib.layers.stochastic_depth import StochasticDepth
from cnnlib.models.registry import register

EPS = 1e-6  # every LayerNorm of ConvNeXt uses eps=1e-6 (PyTorch's default is 1e-5)


class Permute(nn.Module):
    """Reorder the dimensions of a tensor, e.g. (N, C, H, W) -> (N, H, W, C); no parameters."""

    def __init__(self, dims: Sequence[int]) -> None:
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(self.dims)

    def extra_repr(self) -> str:
        return f"dims={self.dims}"


class CNBlock(nn.Module):
    """The ConvNeXt block: depthwise 7x7, LayerNorm, 1x1 to 4C, GELU, 1x1 back to C, + x.

    The two 1x1 convolutions are `nn.Linear` layers on channels-last (N, H, W, C) tensors
    (the same arithmetic, and torchvision's layout). The branch is multiplied by a learnable
    per-channel `layer_scale` (initialised tiny, 1e-6: each block starts as the identity) and
    dropped per sample with probability `stochastic_depth_prob` during training.
    """

    def __init__(self, dim: int, layer_scale: float = 1e-6, stochastic_depth_prob: float = 0.0,
                 kernel_size: int = 7) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim),  # spatial mixing
            Permute([0, 2, 3, 1]),  # (N, C, H, W) -> (N, H, W, C)
            nn.LayerNorm(dim, eps=EPS),  # normalises each pixel's channel vector
            nn.Linear(dim, 4 * dim),  # channel mixing: the inverted bottleneck widens 4x ...
            nn.GELU(),  # ... with the block's only activation ...
            nn.Linear(4 * dim, dim),  # ... and narrows back
            Permute([0, 3, 1, 2]),  # (N, H, W, C) -> (N, C, H, W)
        )
        self.layer_scale = nn.Parameter(torch.full((dim, 1, 1), float(layer_scale)))
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.stochastic_depth(self.layer_scale * self.block(x))
        return x + branch  # no activation after the addition (a ResNet has a ReLU here)


def downsampling(in_channels: int, out_channels: int) -> nn.Sequential:
    """Between stages: LayerNorm, then a 2x2 conv with stride 2 (halves H and W, changes C)."""
    return nn.Sequential(LayerNorm2d(in_channels, eps=EPS),
                         nn.Conv2d(in_channels, out_channels, kernel_size=2, stride=2))


class ConvNeXt(nn.Module):
    """Patchify stem, stages of CNBlocks joined by downsampling layers, pool, LayerNorm, Linear.

    widths/depths: one entry per stage. stem_size: the stem is a stem_size x stem_size conv
    with stride stem_size (4 on ImageNet: 224 -> 56). stochastic_depth_prob: the drop rate of
    the last block; block i of n gets stochastic_depth_prob * i / (n - 1) (linear rule).
    """

    def __init__(self, widths: Sequence[int], depths: Sequence[int], num_classes: int = 1000,
                 in_channels: int = 3, stem_size: int = 4, stochastic_depth_prob: float = 0.0,
                 layer_scale: float = 1e-6, kernel_size: int = 7) -> None:
        super().__init__()
        if len(widths) != len(depths) or not widths or min(depths) < 1:
            raise ValueError(f"widths and depths need one entry per stage and at least one block "
                             f"each, e.g. widths=(96, 192, 384, 768), depths=(3, 3, 9, 3); "
                             f"got widths={tuple(widths)}, depths={tuple(depths)}.")
        if not 0.0 <= stochastic_depth_prob < 1.0:
            raise ValueError(f"stochastic_depth_prob must be in [0, 1), got {stochastic_depth_prob}.")
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd (the block keeps H and W), got {kernel_size}.")
        stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], kernel_size=stem_size, stride=stem_size),  # patches
            LayerNorm2d(widths[0], eps=EPS),
        )
        layers: list[nn.Module] = [stem]
        total = sum(depths)
        index = 0  # position of a block in the whole network, for the stochastic depth rule
        for stage, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            if stage > 0:
                layers.append(downsampling(widths[stage - 1], width))
            blocks = []
            for _ in range(depth):
                p = stochastic_depth_prob * index / (total - 1) if total > 1 else 0.0
                blocks.append(CNBlock(width, layer_scale, p, kernel_size))
                index += 1
            layers.append(nn.Sequential(*blocks))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(LayerNorm2d(widths[-1], eps=EPS), nn.Flatten(1),
                                        nn.Linear(widths[-1], num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, widths[-1], H / (stem_size * 2^(stages-1)), ...)
        x = self.avgpool(x)  # (N, widths[-1], 1, 1)
        return self.classifier(x)  # LayerNorm over channels, flatten, Linear: (N, num_classes)


# The paper's section 3 table: (widths, depths) of each size, and torchvision's default
# stochastic depth rate for ImageNet-1K training (larger models are regularised harder).
SIZES: dict[str, tuple[tuple[int, ...], tuple[int, ...], float]] = {
    "tiny": ((96, 192, 384, 768), (3, 3, 9, 3), 0.1),
    "small": ((96, 192, 384, 768), (3, 3, 27, 3), 0.4),
    "base": ((128, 256, 512, 1024), (3, 3, 27, 3), 0.5),
    "large": ((192, 384, 768, 1536), (3, 3, 27, 3), 0.5),
}


def _convnext(size: str, num_classes: int, in_channels: int, **kwargs) -> ConvNeXt:
    widths, depths, drop = SIZES[size]
    kwargs.setdefault("stochastic_depth_prob", drop)
    return ConvNeXt(widths, depths, num_classes, in_channels, **kwargs)


@register
def convnext_tiny(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ConvNeXt:
    """ConvNeXt-T: widths 96-768, depths (3, 3, 9, 3); 28.6M parameters, 4.46 G multiply-adds."""
    return _convnext("tiny", num_classes, in_channels, **kwargs)


@register
def convnext_small(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ConvNeXt:
    """ConvNeXt-S: widths 96-768, depths (3, 3, 27, 3); 50.2M parameters."""
    return _convnext("small", num_classes, in_channels, **kwargs)


@register
def convnext_base(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ConvNeXt:
    """ConvNeXt-B: widths 128-1024, depths (3, 3, 27, 3); 88.6M parameters."""
    return _convnext("base", num_classes, in_channels, **kwargs)


@register
def convnext_large(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ConvNeXt:
    """ConvNeXt-L: widths 192-1536, depths (3, 3, 27, 3); 197.8M parameters."""
    return _convnext("large", num_classes, in_channels, **kwargs)


@register
def convnext_mini(num_classes: int = 10, in_channels: int = 1, **kwargs) -> ConvNeXt:
    """Small-image variant for 28-32 px inputs (Fashion-MNIST, CIFAR); not from the paper.

    Differs from ConvNeXt-T in size only: a 2x2 patchify stem (28 -> 14, where ImageNet's
    4x4 stem takes 224 -> 56), three stages instead of four (14 -> 7 -> 3), widths
    (16, 32, 64) instead of 96-768, and depths (1, 1, 3), ConvNeXt-T's 3:3:9 ratio scaled
    down. The blocks, downsampling layers and head are ConvNeXt's. No stochastic depth by
    default (short runs do not overfit).
    """
    kwargs.setdefault("stem_size", 2)
    return ConvNeXt((16, 32, 64), (1, 1, 3), num_classes, in_channels, **kwargs)
