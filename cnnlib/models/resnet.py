"""ImageNet ResNets (18/34/50/101/152) and ResNeXt-50 32x4d (chapters 25 and 26).

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016
(https://arxiv.org/abs/1512.03385); Xie et al., "Aggregated Residual Transformations for
Deep Neural Networks" (ResNeXt), CVPR 2017 (https://arxiv.org/abs/1611.05431).
An architecture is a block type plus the number of blocks per stage, e.g. BasicBlock and
[2, 2, 2, 2] for ResNet-18. Same layout and attribute names as torchvision.

Departure from the paper (as torchvision, "ResNet v1.5"): a Bottleneck downsamples in its
3x3 conv (stride 2 there), the paper did it in the first 1x1 conv.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlib.layers.init import kaiming_init_
from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    """3x3 convolution with 'same' padding and no bias (a BN follows)."""
    return nn.Conv2d(in_planes, out_planes, 3, stride, padding=1, groups=groups, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias: changes the channel count (and, with stride, the size)."""
    return nn.Conv2d(in_planes, out_planes, 1, stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convs plus the shortcut: out = ReLU(F(x) + x). Used by ResNet-18/34."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1,
                 base_width: int = 64) -> None:
        super().__init__()
        # The notes' BasicBlock accepted groups/width_per_group and silently ignored them.
        if groups != 1 or base_width != 64:
            raise ValueError(
                f"BasicBlock has no grouped conv: it needs groups=1 and width_per_group=64, got "
                f"groups={groups}, width_per_group={base_width}. Use Bottleneck for ResNeXt.")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity  # the notes' bug `out = residual` made the whole block the identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (grouped for ResNeXt) -> 1x1 expand (x4), plus the shortcut. ResNet-50+."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1,
                 base_width: int = 64) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups  # ResNeXt: groups x width per group
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride, groups)  # stride here: "v1.5"
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += identity
        return self.relu(out)


Block = type[BasicBlock] | type[Bottleneck]


class ResNet(nn.Module):
    """Stem (7x7/2 conv, 3x3/2 max pool), four stages of blocks, global average pool, FC.

    include_top=False drops the pool and FC and returns the last feature map (for reuse as a
    backbone, like Keras' include_top).
    """

    def __init__(self, block: Block, layers: list[int], num_classes: int = 1000,
                 in_channels: int = 3, zero_init_residual: bool = False, groups: int = 1,
                 width_per_group: int = 64, include_top: bool = True) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels, groups=groups, width_per_group=width_per_group)
        if (len(layers) != 4 or not all(isinstance(n, int) for n in layers)
                or min(layers) < 1):
            raise ValueError(
                f"layers must give 4 positive block counts, e.g. [2, 2, 2, 2]; got {layers}.")
        self.groups, self.base_width = groups, width_per_group
        self.inplanes = 64
        self.include_top = include_top
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        # One count per stage (the notes' CIFAR ResNet passed layers[0] to two stages).
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        if include_top:
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512 * block.expansion, num_classes)
        kaiming_init_(self)
        if zero_init_residual:  # each block starts as the identity: helps very deep nets
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.bn3.weight)
                elif isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)
        expect_input(self, in_channels)  # padded convs and pools: any size from 1x1 works

    def _make_layer(self, block: Block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        """One stage; its first block changes size/width, so its shortcut is a 1x1 conv + BN."""
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, 1, None, self.groups, self.base_width))
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # 224 -> 112 -> 56
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # 56 -> 56 -> 28 -> 14 -> 7
        if not self.include_top:
            return x  # (N, 512 * expansion, H/32, W/32)
        x = torch.flatten(self.avgpool(x), 1)  # (N, 512 * expansion)
        return self.fc(x)


@register
def resnet18(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNet-18: BasicBlock x [2, 2, 2, 2] (11.7M parameters)."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, **kwargs)


@register
def resnet34(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNet-34: BasicBlock x [3, 4, 6, 3] (21.8M parameters)."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, in_channels, **kwargs)


@register
def resnet50(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNet-50: Bottleneck x [3, 4, 6, 3] (25.6M parameters)."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, **kwargs)


@register
def resnet101(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNet-101: Bottleneck x [3, 4, 23, 3] (44.5M parameters)."""
    return ResNet(Bottleneck, [3, 4, 23, 3], num_classes, in_channels, **kwargs)


@register
def resnet152(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNet-152: Bottleneck x [3, 8, 36, 3] (60.2M parameters)."""
    return ResNet(Bottleneck, [3, 8, 36, 3], num_classes, in_channels, **kwargs)


@register
def resnext50_32x4d(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> ResNet:
    """ResNeXt-50 (32x4d): ResNet-50 with 32 groups of width 4 in the first stage's 3x3."""
    kwargs.setdefault("groups", 32)
    kwargs.setdefault("width_per_group", 4)
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, **kwargs)
