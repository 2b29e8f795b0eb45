"""LeNet in the two forms the course uses (chapter 21).

LeCun et al., "Gradient-Based Learning Applied to Document Recognition", 1998
(http://yann.lecun.com/exdb/publis/pdf/lecun-01a.pdf): two 5x5 convolutions, each followed
by 2x2/2 pooling, then three fully connected layers.

- `lenet`: 3x32x32 input, 16 and 32 kernels, FC 32*5*5 -> 120 -> 84 -> 10 with ReLU and
  max pooling (the modern form in the course notes).
- `lenet5`: the classic LeNet-5 layout, 1x32x32 input, 6 and 16 kernels, FC 400 -> 120 -> 84
  -> 10. Departures from the paper: every C3 map sees all six S2 maps (the paper used a
  partial connection table), S2/S4 are plain average pools (the paper's had a trainable
  weight and bias), tanh instead of the scaled tanh, and a linear output instead of RBF units.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlib.models.input_check import check_model_args, expect_input, sizes_giving
from cnnlib.models.registry import register
from cnnlib.ops.sizes import conv_output_size

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class LeNet(nn.Module):
    """conv5x5 -> act -> pool2 -> conv5x5 -> act -> pool2 -> FC -> FC -> FC (32x32 input)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 3,
                 widths: tuple[int, int] = (16, 32),
                 hidden: tuple[int, int] = (120, 84), activation: str = "relu",
                 pool: str = "max") -> None:
        super().__init__()
        check_model_args(num_classes, in_channels, widths_0=widths[0], widths_1=widths[1],
                         hidden_0=hidden[0], hidden_1=hidden[1])
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}.")
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {sorted(POOLS)}, got {pool!r}.")
        act, pooling = ACTIVATIONS[activation], POOLS[pool]
        c1, c2 = widths
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, kernel_size=5),  # 32 -> 28
            act(),
            pooling(kernel_size=2, stride=2),  # 28 -> 14
            nn.Conv2d(c1, c2, kernel_size=5),  # 14 -> 10
            act(),
            pooling(kernel_size=2, stride=2),  # 10 -> 5
        )
        self.classifier = nn.Sequential(
            nn.Linear(c2 * 5 * 5, hidden[0]),
            act(),
            nn.Linear(hidden[0], hidden[1]),
            act(),
            nn.Linear(hidden[1], num_classes),  # logits: no softmax (CrossEntropyLoss applies it)
        )
        low, high = sizes_giving(5, _feature_size)  # 32x32 (up to 35x35 floors to 5x5 too)
        expect_input(self, in_channels, size=low, max_size=high,
                     why="its first Linear layer is sized for 5x5 maps",
                     hint="; pad 28x28 images by 2 on each side, F.pad(x, (2, 2, 2, 2))")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(x, 1)  # (N, C2 * 5 * 5)
        return self.classifier(x)


def _feature_size(size: int) -> int:
    """Side of the last feature map for a size x size input: two 5x5 convs, two 2x2/2 pools."""
    for kernel, stride in ((5, 1), (2, 2), (5, 1), (2, 2)):
        size = conv_output_size(size, kernel, stride)
    return size


@register
def lenet(num_classes: int = 10, in_channels: int = 3) -> LeNet:
    """The course notes' LeNet: 3x32x32 input, 16 and 32 kernels, ReLU, FC 800 -> 120 -> 84."""
    return LeNet(num_classes, in_channels, widths=(16, 32), activation="relu", pool="max")


@register
def lenet5(num_classes: int = 10, in_channels: int = 1) -> LeNet:
    """Classic LeNet-5 layout: 1x32x32 input, 6 and 16 kernels, tanh, average pooling, FC 400."""
    return LeNet(num_classes, in_channels, widths=(6, 16), activation="tanh", pool="avg")
