"""Pictures the chapters share: image grids, feature maps, kernels, training curves."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from cnnlib.train import History


def _to_hwc(image: torch.Tensor):
    """(C, H, W) or (H, W) tensor -> array matplotlib can show."""
    image = image.detach().float().cpu()
    if image.ndim == 3 and image.shape[0] in (1, 3):
        image = image.permute(1, 2, 0)  # (H, W, C)
        if image.shape[-1] == 1:
            image = image[..., 0]
    return image.numpy()


def show_images(images: torch.Tensor | Sequence[torch.Tensor], titles: Sequence[str] | None = None,
                ncols: int = 8, size: float = 1.4, cmap: str = "gray", suptitle: str | None = None,
                normalize_each: bool = False) -> Figure:
    """A grid of images ((N, C, H, W) or a list of (C, H, W)/(H, W)), with optional titles."""
    n = len(images)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        image = images[i]
        if normalize_each:
            image = (image - image.min()) / (image.max() - image.min() + 1e-8)
        ax.imshow(_to_hwc(image), cmap=cmap)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_feature_maps(maps: torch.Tensor, ncols: int = 8, size: float = 1.2,
                      suptitle: str | None = None, cmap: str = "viridis") -> Figure:
    """Every channel of one feature map (C, H, W) as its own small image, each scaled to its range."""
    if maps.ndim == 4:
        maps = maps[0]
    titles = [f"#{c}" for c in range(maps.shape[0])]
    return show_images(list(maps), titles=titles, ncols=ncols, size=size, cmap=cmap,
                       suptitle=suptitle, normalize_each=True)


def plot_history(*histories: History, labels: Sequence[str] | None = None) -> Figure:
    """Loss and accuracy per epoch (train dashed, test solid) for one or more runs."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8, 3.4))
    for i, history in enumerate(histories):
        label = labels[i] if labels else history.model
        epochs = [row["epoch"] for row in history.epochs]
        line, = ax_loss.plot(epochs, [r["test_loss"] for r in history.epochs], marker="o",
                             label=f"{label} test")
        ax_loss.plot(epochs, [r["train_loss"] for r in history.epochs], "--",
                     color=line.get_color(), label=f"{label} train")
        ax_acc.plot(epochs, [100 * r["test_acc"] for r in history.epochs], marker="o",
                    color=line.get_color(), label=f"{label} test")
        ax_acc.plot(epochs, [100 * r["train_acc"] for r in history.epochs], "--",
                    color=line.get_color(), label=f"{label} train")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
