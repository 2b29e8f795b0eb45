"""GoogLeNet / Inception v1 (chapter 24), and the Inception-v3 style block with BN.

Szegedy et al., "Going Deeper with Convolutions", CVPR 2015 (https://arxiv.org/abs/1409.4842);
Szegedy et al., "Rethinking the Inception Architecture for Computer Vision" (Inception v3),
CVPR 2016 (https://arxiv.org/abs/1512.00567). Same layout and names as torchvision.

Departures from the paper (as torchvision): every conv is followed by batch norm (the paper
predates BN and used local response normalisation); the "5x5" branch uses a 3x3 kernel
(a known slip in the reference implementation that torchvision kept for its weights);
max pools use ceil_mode, and the pool before inception5a is 2x2/2 (paper: 3x3/2); the
auxiliary heads pool adaptively to 4x4 (the paper's 5x5/3 average pool gives 4x4 on a
14x14 map, so it is the same at 224x224).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register

# The paper's Table 1, per Inception module: (in_channels, #1x1, #3x3 reduce, #3x3,
# #5x5 reduce, #5x5, pool proj). Output channels = #1x1 + #3x3 + #5x5 + pool proj.
INCEPTION_TABLE: dict[str, tuple[int, int, int, int, int, int, int]] = {
    "inception3a": (192, 64, 96, 128, 16, 32, 32),
    "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64),
    "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64),
    "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128),
    "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


# Smallest input: 15 -> 8 (7x7/2 stem) -> 4 -> 2 -> 1 through the unpadded 3x3/2 max pools
# (ceil_mode keeps partial windows, but a window must start inside the map).
MIN_SIZE = 15


class BasicConv2d(nn.Module):
    """conv (no bias) -> BN -> ReLU: the unit every Inception branch is made of (v2 onwards)."""

    def __init__(self, in_channels: int, out_channels: int, **conv_kwargs) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **conv_kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    """Four parallel branches concatenated on channels; each keeps H x W so they can be stacked."""

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                 ch5x5: int, pool_proj: int) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        # Each branch owns its layers (the notes' 3x3 branch reused the 5x5 branch's 1x1 conv).
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, kernel_size=1),  # 1x1 reduction first
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, kernel_size=1),
            BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))  # paper: 5x5 (see header)
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(branches, 1)  # (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)


class InceptionAux(nn.Module):
    """Auxiliary head (training only): pool 4x4, 1x1 conv to 128, FC 2048 -> 1024 -> classes."""

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7) -> None:
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(x, (4, 4))  # 14x14 -> 4x4, like the paper's 5x5/3 pool
        x = torch.flatten(self.conv(x), 1)  # (N, 128 * 4 * 4) = (N, 2048)
        x = self.dropout(F.relu(self.fc1(x), inplace=True))
        return self.fc2(x)


class GoogLeNetOutputs(NamedTuple):
    """What GoogLeNet returns in training mode with aux_logits: main and both auxiliary logits."""

    logits: torch.Tensor
    aux_logits2: torch.Tensor | None
    aux_logits1: torch.Tensor | None


class GoogLeNet(nn.Module):
    """Stem, nine Inception modules (3a-5b) with max pools between, global average pool, one FC."""

    def __init__(self, num_classes: int = 1000, aux_logits: bool = True,
                 transform_input: bool = False, init_weights: bool = True,
                 dropout: float = 0.2, dropout_aux: float = 0.7, in_channels: int = 3) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels)
        if transform_input and in_channels != 3:
            raise ValueError(
                f"transform_input re-normalises 3 RGB channels; got in_channels={in_channels}. "
                "Use transform_input=False for other inputs.")
        self.aux_logits, self.transform_input = aux_logits, transform_input
        self.conv1 = BasicConv2d(in_channels, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        t = INCEPTION_TABLE
        self.inception3a = Inception(*t["inception3a"])
        self.inception3b = Inception(*t["inception3b"])
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(*t["inception4a"])
        self.inception4b = Inception(*t["inception4b"])
        self.inception4c = Inception(*t["inception4c"])
        self.inception4d = Inception(*t["inception4d"])
        self.inception4e = Inception(*t["inception4e"])
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)  # paper: 3x3/2
        self.inception5a = Inception(*t["inception5a"])
        self.inception5b = Inception(*t["inception5b"])
        self.aux1: InceptionAux | None = None
        self.aux2: InceptionAux | None = None
        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, dropout_aux)  # after inception4a
            self.aux2 = InceptionAux(528, num_classes, dropout_aux)  # after inception4d
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))  # global average pooling, no big FC layers
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        if init_weights:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
        expect_input(self, in_channels, min_size=MIN_SIZE,
                     why="below it the stride-2 stem and three unpadded 3x3/2 max pools leave no pixel")

    def _transform_input(self, x: torch.Tensor) -> torch.Tensor:
        """Map ImageNet-normalised input to the (x - 0.5) / 0.5 scaling of the ported weights."""
        if not self.transform_input:
            return x
        mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
        channels = [x[:, i : i + 1] * (std[i] / 0.5) + (mean[i] - 0.5) / 0.5 for i in range(3)]
        return torch.cat(channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor | GoogLeNetOutputs:
        x = self._transform_input(x)
        x = self.maxpool1(self.conv1(x))  # 224 -> 112 -> 56
        x = self.maxpool2(self.conv3(self.conv2(x)))  # 56 -> 28
        x = self.maxpool3(self.inception3b(self.inception3a(x)))  # 28 -> 14
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))  # 14 -> 7
        x = self.inception5b(self.inception5a(x))
        x = torch.flatten(self.avgpool(x), 1)  # (N, 1024)
        x = self.fc(self.dropout(x))
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


@register
def googlenet(num_classes: int = 1000, aux_logits: bool = True, transform_input: bool = False,
              init_weights: bool = True, dropout: float = 0.2, dropout_aux: float = 0.7,
              in_channels: int = 3) -> GoogLeNet:
    """GoogLeNet (Inception v1), 6.6M parameters; the aux heads only act in training mode."""
    return GoogLeNet(num_classes, aux_logits, transform_input, init_weights, dropout,
                     dropout_aux, in_channels)


class InceptionV3A(nn.Module):
    """Inception-v3's first block type (torchvision `InceptionA`): BasicConv2d branches of
    64, 64 (via 48, 5x5), 96 (via 64, two 3x3) and `pool_features` channels (1x1 after avg pool).
    """

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b5, b3, bp], 1)  # (N, 224 + pool_features, H, W)
