"""Pictures of data and results: image grids, feature maps, learning curves.

Learning curves come from `fit` histories (`plot_history`) or from experiment rows and
recorded runs (`plot_runs`: a quick run on the page beside its record). Explanatory drawings
of operations and architectures live in `cnnlib.diagrams`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

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


Rows = Sequence[Mapping[str, float]]
PANELS = {"loss": ("train_loss", "test_loss"), "accuracy (%)": ("train_acc", "test_acc")}


def plot_runs(runs: Mapping[str, Rows], panels: Mapping[str, Sequence[str]] | None = None,
              x: str = "epoch", title: str | None = None, width: float = 8.0) -> Figure:
    """One panel per entry of `panels` (ylabel -> row keys); each run one colour, train keys dashed.

    Keys ending in `_acc` or `_error` are drawn in percent. Runs lacking a key skip it.
    """
    panels = dict(panels or PANELS)
    if not runs:
        raise ValueError("runs is empty; pass {label: rows} with at least one run.")
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 3.2), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (ylabel, keys) in zip(axes[0], panels.items(), strict=True):
        for i, (label, rows) in enumerate(runs.items()):
            for key in keys:
                points = [(r[x], r[key]) for r in rows if key in r and r[key] == r[key]]  # skip NaN
                if not points:
                    continue
                scale = 100 if key.endswith(("_acc", "_error")) else 1
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, [scale * y for y in ys], "--" if key.startswith("train") else "-",
                        marker="" if key.startswith("train") else "o", markersize=3,
                        color=colors[i % len(colors)],
                        label=f"{label}, {key.split('_')[0]}" if len(keys) > 1 else label)
        ax.set(xlabel=x, ylabel=ylabel)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(*histories: History, labels: Sequence[str] | None = None) -> Figure:
    """Loss and accuracy per epoch (train dashed, test solid) for one or more `fit` runs."""
    if labels is not None and len(labels) != len(histories):
        raise ValueError(f"got {len(labels)} labels for {len(histories)} histories; give one per run.")
    names = labels or [h.model for h in histories]
    return plot_runs({name: h.epochs for name, h in zip(names, histories, strict=True)})
