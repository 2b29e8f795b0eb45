"""CIFAR-style ResNets (resnet20 ... resnet110) and their plain twins (plain20 ... plain110).

He et al., "Deep Residual Learning for Image Recognition", section 4.2
(https://arxiv.org/abs/1512.03385): a 3x3 conv to 16 channels, then three stages of n
BasicBlocks with 16, 32 and 64 channels (depth = 6n + 2), global average pooling and one
FC layer 64 -> classes. The plain twins are the same stack without shortcuts, used for the
degradation experiment (chapter 25); chapter 19 trains resnet20 on CIFAR-10.

Shortcuts follow the paper's option A by default: when a block halves the size and doubles
the width, the shortcut subsamples by 2 and pads the new channels with zeros, so it has no
parameters and the parameter counts match the paper (0.27M for resnet20). Option "B"
(a 1x1 conv + BN projection, as in the ImageNet ResNets) is available too.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from cnnlib.layers.init import kaiming_init_
from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register

STAGE_WIDTHS = (16, 32, 64)  # channels of the three stages (paper, section 4.2)
SHORTCUTS = ("A", "B")


class PadShortcut(nn.Module):
    """Option A shortcut: subsample by `stride` and zero-pad the extra channels (no parameters)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.stride, self.extra = stride, out_channels - in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # (N, C_in, H/s, W/s)
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))  # (N, C_out, H/s, W/s): zeros appended


class CifarBlock(nn.Module):
    """Two 3x3 conv-BN layers; with `shortcut=True` the input is added before the last ReLU."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 shortcut: bool = True, option: str = "A") -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = shortcut
        self.downsample: nn.Module | None = None
        if shortcut and (stride != 1 or in_channels != out_channels):
            if option == "A":
                self.downsample = PadShortcut(in_channels, out_channels, stride)
            else:
                self.downsample = nn.Sequential(
                    nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                    nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.shortcut:
            identity = x if self.downsample is None else self.downsample(x)
            out = out + identity  # H(x) = F(x) + x  (the notes' bug: `out = residual`)
        return self.relu(out)


class CifarResNet(nn.Module):
    """conv 3x3/16 -> 3 stages of `blocks_per_stage` blocks -> global average pool -> FC."""

    def __init__(self, blocks_per_stage: int, num_classes: int = 10, in_channels: int = 3,
                 shortcut: bool = True, option: str = "A") -> None:
        super().__init__()
        check_model_args(num_classes, in_channels)
        if not isinstance(blocks_per_stage, int) or blocks_per_stage < 1:
            raise ValueError(
                f"blocks_per_stage must be >= 1 (depth = 6n + 2), got {blocks_per_stage}.")
        if option not in SHORTCUTS:
            raise ValueError(
                f"option must be one of {SHORTCUTS} (A: zero-pad, B: 1x1 conv), got {option!r}.")
        self.conv1 = nn.Conv2d(in_channels, STAGE_WIDTHS[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(STAGE_WIDTHS[0])
        self.relu = nn.ReLU(inplace=True)
        stages, width = [], STAGE_WIDTHS[0]
        for i, out_width in enumerate(STAGE_WIDTHS):
            stride = 1 if i == 0 else 2
            blocks = []
            # Each stage gets its own block count (the notes' bug passed layers[0] to two stages).
            for b in range(blocks_per_stage):
                first_stride = stride if b == 0 else 1
                blocks.append(CifarBlock(width, out_width, first_stride, shortcut, option))
                width = out_width
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(STAGE_WIDTHS[-1], num_classes)
        kaiming_init_(self)
        expect_input(self, in_channels)  # padded 3x3 convs, global pool: any size works

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = torch.flatten(self.avgpool(x), 1)  # (N, 64)
        return self.fc(x)


def cifar_resnet(depth: int, num_classes: int = 10, in_channels: int = 3,
                 shortcut: bool = True, option: str = "A") -> CifarResNet:
    """A CIFAR ResNet (or a plain net, shortcut=False) of depth 6n + 2: 20, 32, 44, 56, 110..."""
    if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(
            f"depth must be 6n + 2 with n >= 1 (e.g. 20, 32, 44, 56, 110), got {depth}.")
    return CifarResNet((depth - 2) // 6, num_classes, in_channels, shortcut, option)


@register
def resnet20(num_classes: int = 10, in_channels: int = 3, option: str = "A") -> CifarResNet:
    """CIFAR ResNet-20 (0.27M parameters in the paper)."""
    return cifar_resnet(20, num_classes, in_channels, True, option)


@register
def resnet32(num_classes: int = 10, in_channels: int = 3, option: str = "A") -> CifarResNet:
    """CIFAR ResNet-32 (0.46M parameters in the paper)."""
    return cifar_resnet(32, num_classes, in_channels, True, option)


@register
def resnet44(num_classes: int = 10, in_channels: int = 3, option: str = "A") -> CifarResNet:
    """CIFAR ResNet-44 (0.66M parameters in the paper)."""
    return cifar_resnet(44, num_classes, in_channels, True, option)


@register
def resnet56(num_classes: int = 10, in_channels: int = 3, option: str = "A") -> CifarResNet:
    """CIFAR ResNet-56 (0.85M parameters in the paper)."""
    return cifar_resnet(56, num_classes, in_channels, True, option)


@register
def resnet110(num_classes: int = 10, in_channels: int = 3, option: str = "A") -> CifarResNet:
    """CIFAR ResNet-110 (1.7M parameters in the paper)."""
    return cifar_resnet(110, num_classes, in_channels, True, option)


@register
def plain20(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    """resnet20 without shortcuts: the 'plain' baseline of the degradation experiment."""
    return cifar_resnet(20, num_classes, in_channels, shortcut=False)


@register
def plain32(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    """resnet32 without shortcuts."""
    return cifar_resnet(32, num_classes, in_channels, shortcut=False)


@register
def plain44(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    """resnet44 without shortcuts."""
    return cifar_resnet(44, num_classes, in_channels, shortcut=False)


@register
def plain56(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    """resnet56 without shortcuts (the paper's plain-56 trains worse than plain-20)."""
    return cifar_resnet(56, num_classes, in_channels, shortcut=False)


@register
def plain110(num_classes: int = 10, in_channels: int = 3) -> CifarResNet:
    """resnet110 without shortcuts."""
    return cifar_resnet(110, num_classes, in_channels, shortcut=False)
