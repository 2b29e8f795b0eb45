"""AlexNet (chapter 22): torchvision's layout, plus the course's half-width variant.

Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep Convolutional Neural
Networks", NeurIPS 2012 (https://papers.nips.cc/paper/4824). Five convolutions (the first
11x11 with stride 4), overlapping 3x3/2 max pooling, ReLU, and three FC layers with dropout.

Departures from the paper (as torchvision): widths 64/192/384/256/256 (the paper had
96/256/384/384/256, split over two GPUs), no local response normalisation, and an adaptive
6x6 average pool so other input sizes work. `groups=2` brings back the two-GPU split: conv2,
conv4 and conv5 then only see the half of the channels on "their" GPU, as in the paper.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register

TORCHVISION_WIDTHS = (64, 192, 384, 256, 256)
HALF_WIDTHS = (48, 128, 192, 192, 128)  # the course notes' smaller AlexNet
# Smallest input: 63 -> 14 (11x11/4 stem) -> 6 -> 2 -> 1 after the three 3x3/2 max pools.
MIN_SIZE = 63


class AlexNet(nn.Module):
    """features (5 convs, 3 max pools) -> 6x6 adaptive pool -> classifier (3 FC, 2 dropouts)."""

    def __init__(self, num_classes: int = 1000, in_channels: int = 3,
                 widths: tuple[int, ...] = TORCHVISION_WIDTHS, hidden: int = 4096,
                 dropout: float = 0.5, groups: int = 1) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels, hidden=hidden, groups=groups)
        if len(widths) != 5:
            raise ValueError(f"widths must list 5 conv widths, got {len(widths)}: {widths}.")
        check_model_args(**{f"widths[{i}]": w for i, w in enumerate(widths)})
        for i in (0, 1, 2, 3, 4):
            if widths[i] % groups:
                raise ValueError(f"every width must divide by groups={groups}; widths={widths}.")
        c1, c2, c3, c4, c5 = widths
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, kernel_size=11, stride=4, padding=2),  # 224 -> 55
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # overlapping pool: 55 -> 27
            nn.Conv2d(c1, c2, kernel_size=5, padding=2, groups=groups),  # 27 -> 27
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # 27 -> 13
            nn.Conv2d(c2, c3, kernel_size=3, padding=1),  # all-to-all even in the 2-GPU paper
            nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, kernel_size=3, padding=1, groups=groups),
            nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, kernel_size=3, padding=1, groups=groups),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # 13 -> 6
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(c5 * 6 * 6, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )
        expect_input(self, in_channels, min_size=MIN_SIZE,
                     why="below it the 11x11/4 stem and three 3x3/2 max pools leave no pixel")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        x = torch.flatten(x, 1)  # (N, C5 * 6 * 6)
        return self.classifier(x)


@register
def alexnet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> AlexNet:
    """torchvision's AlexNet (61.1M parameters for 1000 classes)."""
    return AlexNet(num_classes, in_channels, TORCHVISION_WIDTHS, 4096, dropout)


@register
def alexnet_half(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5) -> AlexNet:
    """The course notes' half-width AlexNet: widths 48, 128, 192, 192, 128 and FC 2048."""
    return AlexNet(num_classes, in_channels, HALF_WIDTHS, 2048, dropout)
