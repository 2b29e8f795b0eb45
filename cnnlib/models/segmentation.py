"""Two small segmentation networks for the canvases of chapter 37: an FCN and a U-Net.

FCN: Long, Shelhamer & Darrell, "Fully Convolutional Networks for Semantic Segmentation",
2015, https://arxiv.org/abs/1411.4038. U-Net: Ronneberger, Fischer & Brox, "U-Net:
Convolutional Networks for Biomedical Image Segmentation", 2015,
https://arxiv.org/abs/1505.04597. Both are scaled down to 1x64x64 canvases, and both use
padded ("same") 3x3 convolutions, so the output has the input's size (the U-Net paper used
unpadded ones and cropped the skip connections). Not in the classifier registry: they
output a class map, not one class per image.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two 3x3 'same' convolutions, each with batch norm and ReLU (U-Net's basic unit)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU())


def bilinear_kernel(channels: int, kernel_size: int) -> torch.Tensor:
    """(C, 1, k, k) weights that make a ConvTranspose2d with groups=C upsample bilinearly.

    FCN initialised its upsampling layer this way and then let it learn.
    """
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    ramp = 1 - (torch.arange(kernel_size, dtype=torch.float32) - center).abs() / factor  # (k,)
    return (ramp[:, None] * ramp[None, :]).expand(channels, 1, kernel_size, kernel_size).clone()


class FCN(nn.Module):
    """Encoder (conv blocks + 2x2 pools), a 1x1 classifier at 1/2^d size, one transposed conv back up.

    Like FCN-32s: the class scores are computed on the coarse map and upsampled in one step by a
    ConvTranspose2d (kernel 2s, stride s, padding s/2), initialised to bilinear interpolation.
    """

    def __init__(self, num_classes: int, in_channels: int = 1, widths: Sequence[int] = (16, 32, 64)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for i, width in enumerate(widths):
            layers.append(conv_block(c, width))
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            c = width
        self.backbone = nn.Sequential(*layers)
        self.classifier = nn.Conv2d(c, num_classes, kernel_size=1)  # per-position class scores
        s = 2 ** (len(widths) - 1)  # total downsampling
        self.upsample = nn.ConvTranspose2d(num_classes, num_classes, kernel_size=2 * s, stride=s,
                                           padding=s // 2, groups=num_classes, bias=False)
        with torch.no_grad():
            self.upsample.weight.copy_(bilinear_kernel(num_classes, 2 * s))
        self.scale = s

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.scale)
        coarse = self.classifier(self.backbone(x))  # (N, classes, H/s, W/s)
        return self.upsample(coarse)  # (N, classes, H, W)


class UNet(nn.Module):
    """Encoder-decoder with skip connections: each decoder step upsamples by a transposed conv,
    concatenates the encoder map of the same size, and applies a conv block."""

    def __init__(self, num_classes: int, in_channels: int = 1, widths: Sequence[int] = (16, 32, 64)) -> None:
        super().__init__()
        self.down = nn.ModuleList()
        c = in_channels
        for width in widths:
            self.down.append(conv_block(c, width))
            c = width
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList()
        self.decode = nn.ModuleList()
        for width in reversed(widths[:-1]):
            self.up.append(nn.ConvTranspose2d(c, width, kernel_size=2, stride=2))  # doubles H and W
            self.decode.append(conv_block(2 * width, width))  # skip (width) + upsampled (width)
            c = width
        self.classifier = nn.Conv2d(c, num_classes, kernel_size=1)
        self.scale = 2 ** (len(widths) - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.scale)
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)  # (N, widths[i], H/2^i, W/2^i)
        for up, block, skip in zip(self.up, self.decode, reversed(skips[:-1]), strict=True):
            x = block(torch.cat([skip, up(x)], dim=1))  # (N, 2*width, h, w) -> (N, width, h, w)
        return self.classifier(x)  # (N, classes, H, W)


def _check_classes(num_classes: int) -> int:
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2 (background + at least one class), got {num_classes}.")
    return num_classes


def _check_input(x: torch.Tensor, scale: int) -> None:
    if x.ndim != 4 or x.shape[-1] % scale or x.shape[-2] % scale:
        raise ValueError(f"input must be (N, C, H, W) with H and W divisible by {scale} (the net halves "
                         f"them {scale.bit_length() - 1} times), got shape {tuple(x.shape)}; pad the images.")


def fcn(num_classes: int = 11, in_channels: int = 1, widths: Sequence[int] = (16, 32, 64)) -> FCN:
    """A small FCN (input sides divisible by 2^(len(widths)-1)); 11 = background + 10 items."""
    return FCN(_check_classes(num_classes), in_channels, widths)


def unet(num_classes: int = 11, in_channels: int = 1, widths: Sequence[int] = (16, 32, 64)) -> UNet:
    """A small U-Net (input sides divisible by 2^(len(widths)-1)); 11 = background + 10 items."""
    return UNet(_check_classes(num_classes), in_channels, widths)
