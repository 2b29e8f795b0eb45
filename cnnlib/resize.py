"""Changing the size and channels of a whole dataset held as tensors (`cnnlib.data.ImageData`).

One copy of what several chapters need: padding 28x28 Fashion-MNIST to 32x32 with the
background colour (LeNet's input size), resizing to a larger side (AlexNet-style nets, the
ImageNet path of chapter 19), repeating a grey channel into three, and switching to another
normalisation (ImageNet's mean and std for pretrained weights).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch
from torch.nn import functional as F

from cnnlib.data import ImageData


def _check_side(side: int, name: str = "side") -> None:
    if isinstance(side, bool) or not isinstance(side, int) or side < 1:
        raise ValueError(f"{name} must be a positive whole number of pixels, got {side!r}.")


def background(data: ImageData) -> torch.Tensor:
    """The value of a black (0) pixel after the data's normalisation, per channel: (C, 1, 1)."""
    mean = torch.tensor(data.mean, dtype=data.images.dtype, device=data.images.device)
    std = torch.tensor(data.std, dtype=data.images.dtype, device=data.images.device)
    return (-mean / std).view(-1, 1, 1)


def pad_to(data: ImageData, side: int) -> ImageData:
    """Pad every image evenly to side x side with the background colour (e.g. 28 -> 32 for LeNet)."""
    _check_side(side)
    h, w = data.images.shape[-2:]
    if side < h or side < w:
        raise ValueError(f"side={side} is smaller than the images ({h}x{w}); use resize to shrink them.")
    top, left = (side - h) // 2, (side - w) // 2
    out = background(data).expand(len(data), -1, side, side).clone()  # (N, C, side, side)
    out[:, :, top:top + h, left:left + w] = data.images
    return dataclasses.replace(data, images=out, name=f"{data.name}, padded to {side}x{side}")


def resize(data: ImageData, side: int, mode: str = "bilinear") -> ImageData:
    """Every image resized to side x side (bilinear by default; 'area' to shrink smoothly)."""
    _check_side(side)
    options = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    images = F.interpolate(data.images, size=(side, side), mode=mode, **options)  # (N, C, side, side)
    return dataclasses.replace(data, images=images, name=f"{data.name}, resized to {side}x{side}")


def to_rgb(data: ImageData) -> ImageData:
    """A grey dataset as three identical channels (what ImageNet models expect)."""
    if data.images.shape[1] == 3:
        return data
    if data.images.shape[1] != 1:
        raise ValueError(f"to_rgb needs 1 or 3 channels, got {data.images.shape[1]}.")
    return dataclasses.replace(data, images=data.images.repeat(1, 3, 1, 1),  # (N, 3, H, W)
                               mean=tuple(data.mean) * 3, std=tuple(data.std) * 3)


def renormalize(data: ImageData, mean: Sequence[float], std: Sequence[float]) -> ImageData:
    """The same pixels under another per-channel normalisation (e.g. ImageNet's for pretrained weights)."""
    channels = data.images.shape[1]
    if len(mean) != channels or len(std) != channels:
        raise ValueError(f"mean and std need {channels} values (one per channel), got {len(mean)} and "
                         f"{len(std)}; call to_rgb first for grey images and ImageNet statistics.")
    pixels = _pixels(data)
    new_mean = torch.tensor(mean, dtype=pixels.dtype, device=pixels.device).view(1, -1, 1, 1)
    new_std = torch.tensor(std, dtype=pixels.dtype, device=pixels.device).view(1, -1, 1, 1)
    return dataclasses.replace(data, images=(pixels - new_mean) / new_std, mean=tuple(mean), std=tuple(std))


def _pixels(data: ImageData) -> torch.Tensor:
    """Undo the normalisation without clamping (resizing can overshoot [0, 1] slightly)."""
    mean = torch.tensor(data.mean, dtype=data.images.dtype, device=data.images.device).view(1, -1, 1, 1)
    std = torch.tensor(data.std, dtype=data.images.dtype, device=data.images.device).view(1, -1, 1, 1)
    return data.images * std + mean
