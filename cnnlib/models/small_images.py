"""Small-image variants of the Part IV and V families: 1x28x28 grey images (Fashion-MNIST), 10 classes.

The ImageNet models expect 3x224x224 images and take minutes per epoch on a CPU. These variants
keep each family's defining idea (its block, its layout) and shrink what a 28x28 image cannot
use: stride-4 stems, stages that would reduce 28 pixels to nothing, and widths. Each builder's
docstring says how it differs from the original. Defaults are num_classes=10, in_channels=1.
Used by chapters 25-35 and by the one-recipe comparison (`cnnlib.experiments.zoo_table`).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from cnnlib.layers.init import kaiming_init_
from cnnlib.models.alexnet import AlexNet
from cnnlib.models.densenet import DenseNet
from cnnlib.models.efficientnet import B0, EfficientNet
from cnnlib.models.input_check import input_check_of
from cnnlib.models.mobilenet_v1 import mobilenet_v1
from cnnlib.models.mobilenet_v2 import MobileNetV2, Stage
from cnnlib.models.mobilenet_v3 import mobilenet_v3_small
from cnnlib.models.registry import register
from cnnlib.models.regnet import RegNet, RegNetParams
from cnnlib.models.resnet import Bottleneck
from cnnlib.models.resnet_cifar import CifarBlock
from cnnlib.models.shufflenet import shufflenet_v2_x0_5
from cnnlib.models.vgg import VGG, make_layers

# MobileNet V2's table cut to its first four stages, one block fewer in two of them (chapter 28).
MOBILENET_V2_SETTINGS = (Stage(1, 16, 1, 1), Stage(6, 24, 2, 2), Stage(6, 32, 2, 2), Stage(6, 64, 1, 2))
VGG_CONFIG = [8, "M", 16, "M", 32, 32]  # VGG-11's first three stages at 1/8 width (chapter 23)


class SmallCifarResNet(nn.Module):
    """The CIFAR ResNet layout (3x3 stem, three stages of n BasicBlocks, pool, FC) at any widths.

    He et al. 2016, section 4.2 (https://arxiv.org/abs/1512.03385). `shortcut=False` gives the
    plain twin of the degradation experiment (chapter 25). Depth = 6n + 2 weighted layers.
    """

    def __init__(self, blocks_per_stage: int, widths: tuple[int, int, int] = (16, 32, 64),
                 shortcut: bool = True, in_channels: int = 1, num_classes: int = 10) -> None:
        super().__init__()
        if blocks_per_stage < 1:
            raise ValueError(f"blocks_per_stage must be >= 1 (depth 6n + 2), got {blocks_per_stage}.")
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        blocks, width = [], widths[0]
        for i, out_width in enumerate(widths):
            for b in range(blocks_per_stage):
                stride = 2 if i > 0 and b == 0 else 1
                blocks.append(CifarBlock(width, out_width, stride, shortcut))
                width = out_width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(width, num_classes)
        kaiming_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))  # (N, C)


class SmallBottleneckNet(nn.Module):
    """3x3/2 stem, stages of Bottleneck blocks (planes 16, 32, 64 by default), pool, FC.

    `groups` and `width_per_group` set the grouped 3x3 conv as torchvision's ResNeXt does:
    inner width = int(planes * width_per_group / 64) * groups. groups=1, width_per_group=64
    is a ResNet; groups=4, width_per_group=24 is the ResNeXt paper's "4x24d" (chapter 26).
    """

    def __init__(self, groups: int = 1, width_per_group: int = 64, planes: tuple[int, ...] = (16, 32, 64),
                 blocks: tuple[int, ...] = (1, 1, 1), in_channels: int = 1, num_classes: int = 10,
                 stem_width: int = 32) -> None:
        super().__init__()
        if len(planes) != len(blocks):
            raise ValueError(f"planes {planes} and blocks {blocks} must have one entry per stage.")
        self.stem = nn.Sequential(nn.Conv2d(in_channels, stem_width, 3, 2, 1, bias=False),
                                  nn.BatchNorm2d(stem_width), nn.ReLU(inplace=True))
        layers, inplanes = [], stem_width
        for i, (p, n) in enumerate(zip(planes, blocks, strict=True)):
            for b in range(n):
                stride = 2 if i > 0 and b == 0 else 1
                downsample = None
                if stride != 1 or inplanes != p * Bottleneck.expansion:
                    downsample = nn.Sequential(
                        nn.Conv2d(inplanes, p * Bottleneck.expansion, 1, stride, bias=False),
                        nn.BatchNorm2d(p * Bottleneck.expansion))
                layers.append(Bottleneck(inplanes, p, stride, downsample, groups, width_per_group))
                inplanes = p * Bottleneck.expansion
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, num_classes)
        kaiming_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.layers(self.stem(x)))
        return self.fc(torch.flatten(x, 1))  # (N, C)


@register
def alexnet_small_images(num_classes: int = 10, in_channels: int = 1) -> AlexNet:
    """AlexNet for 28x28: a 5x5/1 first conv (not 11x11/4), widths 16-32-48-48-32 (about 1/8), FC 256.

    The three overlapping 3x3/2 max pools, the five convs, ReLU and dropout are AlexNet's.
    """
    model = AlexNet(num_classes, in_channels, widths=(16, 32, 48, 48, 32), hidden=256)
    model.features[0] = nn.Conv2d(in_channels, 16, kernel_size=5, stride=1, padding=2)
    check = input_check_of(model)  # AlexNet's own check asks for the 11x11/4 stem's 63x63
    check.min_size, check.why = 15, "below it the three 3x3/2 max pools leave no pixel"
    return model


@register
def vgg_small_images(num_classes: int = 10, in_channels: int = 1) -> VGG:
    """VGG-11's first three stages at 1/8 width (8, M, 16, M, 32, 32) with BN, FC 128 (not 4096)."""
    return VGG(make_layers(VGG_CONFIG, batch_norm=True, in_channels=in_channels), num_classes,
               hidden=128)


@register
def resnet8_small_images(num_classes: int = 10, in_channels: int = 1) -> SmallCifarResNet:
    """A CIFAR-style ResNet-8 (one BasicBlock per stage) at half the CIFAR widths: 8, 16, 32."""
    return SmallCifarResNet(1, (8, 16, 32), True, in_channels, num_classes)


@register
def resnext_small_images(num_classes: int = 10, in_channels: int = 1) -> SmallBottleneckNet:
    """ResNeXt "4x24d" scaled down 4x in width: one Bottleneck per stage, planes 16-32-64, 3x3/2 stem."""
    return SmallBottleneckNet(4, 24, in_channels=in_channels, num_classes=num_classes)


@register
def mobilenet_v1_small_images(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
    """MobileNet V1 with width multiplier 0.5 (16 to 512 channels); 28x28 ends at 1x1 before the pool."""
    return mobilenet_v1(num_classes, in_channels, width_mult=0.5)


@register
def mobilenet_v2_small_images(num_classes: int = 10, in_channels: int = 1) -> MobileNetV2:
    """MobileNet V2 at width 0.5 with the first four stages of its table (one block fewer in two), no dropout."""
    return MobileNetV2(num_classes, in_channels, width_mult=0.5, dropout=0.0, settings=MOBILENET_V2_SETTINGS)


@register
def mobilenet_v3_small_images(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
    """MobileNet V3-Small at width 0.5, no dropout, BatchNorm momentum 0.1 (not 0.01); the table is unchanged.

    Momentum 0.01 lets the running statistics follow the batches only after many hundreds of
    steps; short runs on small images have a few dozen (chapter 29). 28x28 ends at 1x1.
    """
    model = mobilenet_v3_small(num_classes, in_channels, width_mult=0.5, dropout=0.0)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = 0.1
    return model


@register
def shufflenet_v2_small_images(num_classes: int = 10, in_channels: int = 1) -> nn.Module:
    """ShuffleNet V2 0.5x without the stem's 3x3/2 max pool (28x28 would shrink to 1x1 too early)."""
    model = shufflenet_v2_x0_5(num_classes, in_channels)
    model.maxpool = nn.Identity()
    return model


@register
def densenet_small_images(num_classes: int = 10, in_channels: int = 1) -> DenseNet:
    """DenseNet with the paper's CIFAR stem (one 3x3 stride-1 conv, no pooling), three blocks of two
    layers, growth rate 12 and 24 initial features (DenseNet-121: 7x7/2 stem + pool, four blocks,
    k = 32). The variant trained in chapter 32."""
    return DenseNet(growth_rate=12, block_config=(2, 2, 2), num_init_features=24,
                    num_classes=num_classes, in_channels=in_channels, small_inputs=True)


@register
def efficientnet_small_images(num_classes: int = 10, in_channels: int = 1) -> EfficientNet:
    """EfficientNet-B0's first five stages at width and depth x0.5, no dropout or stochastic depth
    (B0: seven stages, dropout 0.2, stochastic depth 0.2). The variant trained in chapter 33."""
    return EfficientNet(width_mult=0.5, depth_mult=0.5, dropout=0.0, stochastic_depth_prob=0.0,
                        num_classes=num_classes, in_channels=in_channels, stages=B0[:5])


@register
def regnet_small_images(num_classes: int = 10, in_channels: int = 1) -> RegNet:
    """A RegNetX generated from d=6, w0=16, wa=16, wm=2, g=8 with a 16-channel stride-1 stem
    (RegNetX-400MF: d=22, w0=24, wa=24.48, wm=2.54, g=16, stride-2 stem of 32). Chapter 34."""
    return RegNet(RegNetParams(depth=6, w0=16, wa=16.0, wm=2.0, group_width=8),
                  num_classes=num_classes, in_channels=in_channels, stem_width=16, stem_stride=1)
