"""Which values a normalization layer averages over, found by autograd and drawn (chapter 15).

The mean and variance that normalise one output value are computed from a set of inputs;
exactly those inputs get a non-zero gradient from that output. So the set is measured on the
real layer (BatchNorm, LayerNorm, GroupNorm, ...) instead of being drawn from a description.
"""

from __future__ import annotations

import matplotlib.patches as patches
import torch
from matplotlib.figure import Figure
from torch import nn


def normalization_set(layer: nn.Module, shape: tuple[int, int, int, int] = (3, 6, 2, 2),
                      index: tuple[int, int, int, int] = (0, 0, 0, 0)) -> torch.Tensor:
    """Boolean (N, C, H, W) mask of the inputs that output[index] of `layer` depends on."""
    if len(shape) != 4 or len(index) != 4:
        raise ValueError(f"shape and index must both be (N, C, H, W), got {shape} and {index}.")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=gen, dtype=torch.float64, requires_grad=True)
    layer = layer.double()
    layer(x)[index].backward()
    return x.grad.abs() > 1e-12


def draw_normalization_sets(fig: Figure, masks: dict[str, torch.Tensor]) -> None:
    """One panel per layer: each sample is a block of channels (rows) x pixels (columns).

    The orange cells are the values whose mean and variance normalise the black-framed one.
    """
    axes = fig.subplots(1, len(masks))
    axes = [axes] if len(masks) == 1 else list(axes)
    for ax, (title, mask) in zip(axes, masks.items(), strict=True):
        n, c, h, w = mask.shape
        pixels = mask.reshape(n, c, h * w)  # (N, C, H*W): pixels of one channel in a row
        for s in range(n):
            for ch in range(c):
                for p in range(h * w):
                    x, y = s * (h * w + 1) + p, c - 1 - ch
                    colour = "#dd8452" if pixels[s, ch, p] else "#eaeaf2"
                    ax.add_patch(patches.Rectangle((x, y), 1, 1, facecolor=colour, edgecolor="white"))
            ax.text(s * (h * w + 1) + h * w / 2, -0.3, f"n={s + 1}", ha="center", va="top",
                    fontsize=9)
        ax.add_patch(patches.Rectangle((0, c - 1), 1, 1, fill=False, edgecolor="black", linewidth=2))
        ax.set_xlim(-0.5, n * (h * w + 1))
        ax.set_ylim(-1.6, c + 0.2)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title, fontsize=10)
    axes[0].text(-0.8, mask.shape[1] / 2, "channels", rotation=90, ha="right", va="center", fontsize=9)
