"""Drawings of architectures for the model-zoo chapters (20-25): a layer stack as boxes.

`layer_trace` records the output shape of each leaf layer (or each named block) of a model;
`draw_layer_stack` draws such a trace as boxes whose height follows the spatial size and
whose width follows the channel count, labelled with the shapes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.patches as patches
import torch
from matplotlib.figure import Figure
from torch import nn

COLOURS = {"Conv2d": "#4c72b0", "MaxPool2d": "#dd8452", "AvgPool2d": "#dd8452",
           "AdaptiveAvgPool2d": "#dd8452", "Linear": "#55a868", "input": "#8c8c8c"}


def layer_trace(model: nn.Module, x: torch.Tensor,
                names: Sequence[str] | None = None) -> list[tuple[str, str, tuple[int, ...]]]:
    """(name, layer type, output shape without batch) for each listed submodule, in call order.

    With `names=None`, every leaf Conv2d, pooling and Linear layer is recorded.
    """
    wanted = dict(model.named_modules())
    if names is not None:
        missing = [n for n in names if n not in wanted]
        if missing:
            raise ValueError(f"names not found in the model: {missing}; see model.named_modules().")
        targets = {n: wanted[n] for n in names}
    else:
        kinds = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Linear)
        targets = {n: m for n, m in wanted.items() if isinstance(m, kinds)}
    trace: list[tuple[str, str, tuple[int, ...]]] = []

    def recorder(name: str):
        def hook(module: nn.Module, inputs, output: torch.Tensor) -> None:
            trace.append((name, type(module).__name__, tuple(output.shape[1:])))
        return hook

    hooks = [module.register_forward_hook(recorder(name)) for name, module in targets.items()]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for hook in hooks:
            hook.remove()
    return trace


def draw_layer_stack(fig: Figure, trace: Sequence[tuple[str, str, tuple[int, ...]]],
                     input_shape: tuple[int, ...], title: str = "") -> None:
    """Boxes left to right: height ~ sqrt(H), width ~ log2(channels); FC layers as thin bars."""
    ax = fig.add_subplot(1, 1, 1)
    items = [("input", "input", tuple(input_shape)), *trace]
    biggest = max(s[1] for _, _, s in items if len(s) == 3)
    fontsize = min(6.0, 120 / len(items))
    x = 0.0
    for _name, kind, shape in items:
        if len(shape) == 3:
            c, h, _ = shape
            height = 0.3 + 2.7 * math.sqrt(h / biggest)
            width = 0.15 + 0.12 * math.log2(max(c, 1))
            label = f"{c}\n{h}²" if h == shape[2] else f"{c}\n{h}x{shape[2]}"
        else:
            height, width, label = 0.6 + 0.3 * math.log10(max(shape[0], 1)), 0.4, f"{shape[0]}"
        colour = COLOURS.get(kind, "#937860")
        ax.add_patch(patches.Rectangle((x, -height / 2), width, height, facecolor=colour,
                                       edgecolor="black", linewidth=0.6, alpha=0.85))
        ax.text(x + width / 2, height / 2 + 0.1, label, ha="center", va="bottom",
                fontsize=fontsize)
        ax.text(x + width / 2, -height / 2 - 0.1, kind.replace("Adaptive", "Ad.")
                .replace("2d", ""), ha="center", va="top", fontsize=fontsize, rotation=90)
        x += width + 0.25
    ax.set_xlim(-0.2, x)
    ax.set_ylim(-3.2, 2.8)
    ax.axis("off")
    ax.set_title(title, fontsize=9)


def draw_block(ax, layers: Sequence[str], title: str = "", shortcut: str | None = "identity",
               colour: str = "#4c72b0") -> None:
    """A residual-style block as a column of boxes (top to bottom), with an optional shortcut arc.

    `layers` are the box labels, e.g. ["3x3 conv, 64", "BN, ReLU", ...]; `shortcut=None` draws
    a plain block (no addition).
    """
    n = len(layers)
    ax.set_xlim(0, 4)
    ax.set_ylim(-1.6, n + 0.8)
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    ax.annotate("", xy=(1.5, n - 0.05), xytext=(1.5, n + 0.6),
                arrowprops=dict(arrowstyle="->", lw=0.8))
    ax.text(1.6, n + 0.45, "x", fontsize=8)
    for i, label in enumerate(layers):
        y = n - 1 - i
        ax.add_patch(patches.FancyBboxPatch((0.4, y + 0.15), 2.2, 0.7, boxstyle="round,pad=0.02",
                                            facecolor=colour, alpha=0.25, edgecolor=colour))
        ax.text(1.5, y + 0.5, label, ha="center", va="center", fontsize=7.5)
        ax.annotate("", xy=(1.5, y - 0.05 if i < n - 1 else -0.45), xytext=(1.5, y + 0.15),
                    arrowprops=dict(arrowstyle="->", lw=0.8))
    if shortcut is not None:
        ax.add_patch(patches.Circle((1.5, -0.7), 0.22, facecolor="white", edgecolor="black",
                                    lw=0.8))
        ax.text(1.5, -0.7, "+", ha="center", va="center", fontsize=10)
        ax.plot([1.5, 3.3, 3.3, 1.72], [n + 0.3, n + 0.3, -0.7, -0.7], color="#c44e52", lw=1.2)
        ax.text(3.4, n / 2 - 0.3, shortcut, rotation=90, va="center", fontsize=7.5, color="#c44e52")
        ax.annotate("", xy=(1.5, -1.55), xytext=(1.5, -0.92),
                    arrowprops=dict(arrowstyle="->", lw=0.8))
        ax.text(1.6, -1.45, "ReLU(F(x) + shortcut(x))", fontsize=7)
    else:
        ax.text(1.6, -0.6, "ReLU(F(x))  (no shortcut)", fontsize=7)
