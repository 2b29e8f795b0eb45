"""ShuffleNet V2: split the channels, transform one half, concatenate, shuffle.

Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design",
ECCV 2018, https://arxiv.org/abs/1807.11164 (V1: Zhang et al. 2018,
https://arxiv.org/abs/1707.01083). Same attribute names as torchvision's
`shufflenet_v2_x1_0`, so its state_dict loads unchanged. Taught in chapter 30.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlib.layers.channel_shuffle import channel_shuffle
from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register

# Output channels of conv1, stage2, stage3, stage4, conv5 for each width (the paper's Table 5).
STAGE_OUT_CHANNELS = {
    0.5: (24, 48, 96, 192, 1024),
    1.0: (24, 116, 232, 464, 1024),
    1.5: (24, 176, 352, 704, 1024),
    2.0: (24, 244, 488, 976, 2048),
}
STAGE_REPEATS = (4, 8, 4)  # blocks in stage2, stage3, stage4 (the first one has stride 2)


def _depthwise(channels: int, stride: int) -> nn.Conv2d:
    return nn.Conv2d(channels, channels, 3, stride, 1, groups=channels, bias=False)


class ShuffleBlock(nn.Module):
    """ShuffleNet V2 unit (the paper's Fig. 3c/d): two branches, concatenated, then shuffled.

    Stride 1: split the channels in half; the left half passes unchanged (a free shortcut),
    the right goes through 1x1 -> 3x3 depthwise -> 1x1. Stride 2: both branches see the
    whole input and both downsample, so the channels double. Then channel_shuffle(., 2)
    mixes the halves so the next split takes channels from both.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}.")
        if out_channels % 2:
            raise ValueError(f"out_channels must be even (two branches), got {out_channels}.")
        branch = out_channels // 2
        if stride == 1 and in_channels != out_channels:
            raise ValueError(f"A stride-1 block keeps its width: in_channels={in_channels} must "
                             f"equal out_channels={out_channels}.")
        self.stride = stride
        if stride == 2:
            self.branch1 = nn.Sequential(
                _depthwise(in_channels, stride), nn.BatchNorm2d(in_channels),
                nn.Conv2d(in_channels, branch, 1, bias=False), nn.BatchNorm2d(branch),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()  # identity: the untouched half
        self.branch2 = nn.Sequential(
            nn.Conv2d(in_channels if stride == 2 else branch, branch, 1, bias=False),
            nn.BatchNorm2d(branch), nn.ReLU(inplace=True),
            _depthwise(branch, stride), nn.BatchNorm2d(branch),  # no ReLU after depthwise
            nn.Conv2d(branch, branch, 1, bias=False), nn.BatchNorm2d(branch),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            left, right = x.chunk(2, dim=1)  # (N, C/2, H, W) each
            out = torch.cat((left, self.branch2(right)), dim=1)  # (N, C, H, W)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)  # (N, C_out, H/2, W/2)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """conv1 3x3/2 -> max pool -> stage2..4 of ShuffleBlocks -> conv5 1x1 -> global pool -> fc."""

    def __init__(self, stage_out_channels: tuple[int, ...] = STAGE_OUT_CHANNELS[1.0],
                 num_classes: int = 1000, in_channels: int = 3,
                 stage_repeats: tuple[int, ...] = STAGE_REPEATS) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels)
        if len(stage_out_channels) != 5 or len(stage_repeats) != 3:
            raise ValueError("stage_out_channels needs 5 numbers (conv1, 3 stages, conv5) and "
                             f"stage_repeats 3; got {stage_out_channels} and {stage_repeats}.")
        c1, *stages, c5 = stage_out_channels
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, c1, 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(c1), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        channels = c1
        for i, (repeats, out) in enumerate(zip(stage_repeats, stages, strict=True), start=2):
            blocks = [ShuffleBlock(channels, out, 2)] + [ShuffleBlock(out, out, 1)
                                                         for _ in range(repeats - 1)]
            setattr(self, f"stage{i}", nn.Sequential(*blocks))
            channels = out
        self.conv5 = nn.Sequential(nn.Conv2d(channels, c5, 1, bias=False), nn.BatchNorm2d(c5),
                                   nn.ReLU(inplace=True))
        self.fc = nn.Linear(c5, num_classes)
        expect_input(self, in_channels)  # padded convs and pool, global pool: any size works

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.conv1(x))  # (N, 24, H/4, W/4)
        x = self.stage4(self.stage3(self.stage2(x)))  # (N, 464, H/32, W/32) at x1.0
        x = self.conv5(x).mean((2, 3))  # (N, 1024): global average pool
        return self.fc(x)


@register
def shufflenet_v2_x1_0(num_classes: int = 1000, in_channels: int = 3) -> ShuffleNetV2:
    """ShuffleNet V2 1.0x (2.3M parameters, ~146M multiply-adds at 224x224)."""
    return ShuffleNetV2(STAGE_OUT_CHANNELS[1.0], num_classes, in_channels)


@register
def shufflenet_v2_x0_5(num_classes: int = 1000, in_channels: int = 3) -> ShuffleNetV2:
    """ShuffleNet V2 0.5x (1.4M parameters, ~41M multiply-adds at 224x224)."""
    return ShuffleNetV2(STAGE_OUT_CHANNELS[0.5], num_classes, in_channels)
