"""Batched data augmentation on tensors, on whatever device the batch lives (chapters 17, 20).

torchvision's transforms work image by image on the CPU inside a DataLoader; when the whole
dataset is one tensor on the device, the same ideas (random flip, random crop after padding,
cutout) are a few tensor operations on the whole batch. Each function takes a batch
(N, C, H, W) and returns a new batch of the same shape; pass a `torch.Generator` for
reproducible draws.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.nn import functional as F

Augment = Callable[[torch.Tensor], torch.Tensor]


def _check_batch(images: torch.Tensor) -> None:
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (N, C, H, W); got shape {tuple(images.shape)}. "
                         "Add a batch dimension with images.unsqueeze(0).")


def _rand(n: int, device: torch.device, generator: torch.Generator | None) -> torch.Tensor:
    """n uniform numbers drawn on the CPU (so a CPU generator works), moved to `device`."""
    return torch.rand(n, generator=generator).to(device)


def random_flip(images: torch.Tensor, p: float = 0.5,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image left-right with probability p (RandomHorizontalFlip for a batch)."""
    _check_batch(images)
    if not 0 <= p <= 1:
        raise ValueError(f"p must be a probability in [0, 1], got {p}.")
    flip = _rand(len(images), images.device, generator) < p  # (N,)
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(3), images)


def random_crop(images: torch.Tensor, padding: int = 2, fill: float | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Pad by `padding` then cut a random H x W window from each image (RandomCrop(size, padding)).

    The pad value is `fill`, or each image's minimum (the background of normalised images).
    """
    _check_batch(images)
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}.")
    if padding == 0:
        return images
    n, c, h, w = images.shape
    if fill is None:
        background = images.amin(dim=(1, 2, 3), keepdim=True)  # (N, 1, 1, 1)
        padded = F.pad(images - background, (padding,) * 4) + background
    else:
        padded = F.pad(images, (padding,) * 4, value=fill)  # (N, C, H+2p, W+2p)
    shifts = (_rand(2 * n, images.device, generator) * (2 * padding + 1)).long()  # 0..2p
    dy, dx = shifts[:n], shifts[n:]
    rows = dy.view(n, 1) + torch.arange(h, device=images.device)  # (N, H)
    cols = dx.view(n, 1) + torch.arange(w, device=images.device)  # (N, W)
    batch = torch.arange(n, device=images.device).view(n, 1, 1, 1)
    chan = torch.arange(c, device=images.device).view(1, c, 1, 1)
    return padded[batch, chan, rows.view(n, 1, h, 1), cols.view(n, 1, 1, w)]  # (N, C, H, W)


def cutout(images: torch.Tensor, size: int = 8,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """Blank a random size x size square in each image (simulated occlusion)."""
    _check_batch(images)
    n, _, h, w = images.shape
    if not 0 < size <= min(h, w):
        raise ValueError(f"size must be in 1..{min(h, w)} for {h}x{w} images, got {size}.")
    centre = _rand(2 * n, images.device, generator)
    cy = (centre[:n] * h).long().view(n, 1, 1)
    cx = (centre[n:] * w).long().view(n, 1, 1)
    ys = torch.arange(h, device=images.device).view(1, h, 1)
    xs = torch.arange(w, device=images.device).view(1, 1, w)
    hole = ((ys - cy).abs() <= size // 2) & ((xs - cx).abs() <= size // 2)  # (N, H, W)
    background = images.amin(dim=(1, 2, 3), keepdim=True)
    return torch.where(hole.unsqueeze(1), background, images)


def compose(*steps: Augment) -> Augment:
    """Apply augmentation functions in order, like transforms.Compose."""
    def apply(images: torch.Tensor) -> torch.Tensor:
        for step in steps:
            images = step(images)
        return images
    return apply


def flip_and_crop(padding: int = 2, flip: bool = True, seed: int | None = None) -> Augment:
    """The standard small-image recipe as one function: random flip then random padded crop."""
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    steps: Sequence[Augment] = []
    if flip:
        steps = [lambda x: random_flip(x, generator=generator)]
    steps = [*steps, lambda x: random_crop(x, padding, generator=generator)]
    return compose(*steps)
