"""Two small nets for 1x28x28 digits: an Inception net and a residual net (chapters 24, 25).

They are the compact teaching versions of GoogLeNet and ResNet from the course notes:
conv 5x5 -> max pool -> block -> conv 5x5 -> max pool -> block -> one FC layer.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register

# Both nets end in a Linear layer sized for a 4x4 map: 28 -> 24 -> 12 -> 8 -> 4 (and the
# floors of the 2x2 pools map 29-31 to the same 4x4).
MAX_SIZE = 31
WHY = "its Linear layer is sized for the 4x4 map of a 28x28 digit"


class SmallInception(nn.Module):
    """Branches 1x1 (16) | 1x1, 5x5 (24) | 1x1, 3x3, 3x3 (24) | avg pool, 1x1 (24): 88 channels."""

    out_channels = 16 + 24 + 24 + 24

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch1x1 = nn.Conv2d(in_channels, 16, kernel_size=1)
        self.branch5x5 = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=1),
            nn.Conv2d(16, 24, kernel_size=5, padding=2))
        # Its own first layer: the notes' 3x3 branch called the 5x5 branch's 1x1 conv instead.
        self.branch3x3dbl = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=1),
            nn.Conv2d(16, 24, kernel_size=3, padding=1),
            nn.Conv2d(24, 24, kernel_size=3, padding=1))
        self.branch_pool = nn.Sequential(
            nn.AvgPool2d(kernel_size=3, stride=1, padding=1),
            nn.Conv2d(in_channels, 24, kernel_size=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1x1(x), self.branch5x5(x), self.branch3x3dbl(x), self.branch_pool(x)]
        return torch.cat(branches, dim=1)  # (N, 88, H, W)


class InceptionNet(nn.Module):
    """conv 1->10, pool, Inception (88), conv 88->20, pool, Inception (88), FC 1408->10."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels)
        self.conv1 = nn.Conv2d(in_channels, 10, kernel_size=5)  # 28 -> 24
        self.incep1 = SmallInception(10)
        self.conv2 = nn.Conv2d(SmallInception.out_channels, 20, kernel_size=5)  # 12 -> 8
        self.incep2 = SmallInception(20)
        self.mp = nn.MaxPool2d(2)  # assignment `=`, not the notes' `self.mp - nn.MaxPool2d(2)`
        self.fc = nn.Linear(SmallInception.out_channels * 4 * 4, num_classes)  # 1408 -> classes
        expect_input(self, in_channels, size=28, max_size=MAX_SIZE, why=WHY)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.mp(self.conv1(x)))  # (N, 10, 12, 12)
        x = self.incep1(x)  # (N, 88, 12, 12)
        x = F.relu(self.mp(self.conv2(x)))  # (N, 20, 4, 4)
        x = self.incep2(x)  # (N, 88, 4, 4)
        x = x.view(x.size(0), -1)  # (N, 1408); the notes wrote `x.siza(0)`
        return self.fc(x)


class ResidualBlock(nn.Module):
    """Two 3x3 convs that keep the shape, then ReLU(x + F(x))."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(F.relu(self.conv1(x)))
        return F.relu(x + y)


class ResidualNet(nn.Module):
    """conv 1->16, pool, residual block, conv 16->32, pool, residual block, FC 512->10."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels)
        self.conv1 = nn.Conv2d(in_channels, 16, kernel_size=5)  # 28 -> 24
        self.rblock1 = ResidualBlock(16)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=5)  # 12 -> 8
        self.rblock2 = ResidualBlock(32)
        self.mp = nn.MaxPool2d(2)
        self.fc = nn.Linear(32 * 4 * 4, num_classes)  # 512 -> classes
        expect_input(self, in_channels, size=28, max_size=MAX_SIZE, why=WHY)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.rblock1(F.relu(self.mp(self.conv1(x))))  # (N, 16, 12, 12)
        x = self.rblock2(F.relu(self.mp(self.conv2(x))))  # (N, 32, 4, 4)
        x = x.flatten(1)  # (N, 512)
        return self.fc(x)


@register
def mnist_inception_net(num_classes: int = 10, in_channels: int = 1) -> InceptionNet:
    """The small Inception net for 28x28 digits (two 88-channel modules, FC 1408 -> 10)."""
    return InceptionNet(num_classes, in_channels)


@register
def mnist_residual_net(num_classes: int = 10, in_channels: int = 1) -> ResidualNet:
    """The small residual net for 28x28 digits (two residual blocks, FC 512 -> 10)."""
    return ResidualNet(num_classes, in_channels)
