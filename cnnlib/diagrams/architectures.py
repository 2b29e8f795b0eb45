"""Architectures drawn: a model's layer stack as boxes, and a (residual) block as a column.

Used by the architecture chapters (LeNet to ConvNeXt).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.patches as patches
from matplotlib.figure import Figure

from cnnlib.summary import LayerRow

COLOURS = {"Conv2d": "#4c72b0", "MaxPool2d": "#dd8452", "AvgPool2d": "#dd8452",
           "AdaptiveAvgPool2d": "#dd8452", "Linear": "#55a868", "input": "#8c8c8c"}


def draw_layer_stack(fig: Figure, rows: Sequence[LayerRow], input_shape: tuple[int, ...],
                     title: str = "") -> None:
    """Boxes left to right: height ~ sqrt(H), width ~ log2(channels); FC layers as thin bars.

    `rows` come from `cnnlib.summary.layer_table`, e.g. with kinds=(nn.Conv2d, nn.MaxPool2d, nn.Linear).
    """
    ax = fig.add_subplot(1, 1, 1)
    items = [("input", "input", tuple(input_shape)), *[(r.name, r.kind, r.shape) for r in rows]]
    biggest = max(s[1] for _, _, s in items if len(s) == 3)
    fontsize = 9
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
               colour: str = "#4c72b0", caption: str | None = None) -> None:
    """A residual-style block as a column of boxes (top to bottom), with an optional shortcut arc.

    `layers` are the box labels, e.g. ["3x3 conv, 64", "BN, ReLU", ...]; `shortcut=None` draws
    a plain block (no addition). `caption` replaces the formula under the block, e.g.
    "F(x) + x" for blocks without a final ReLU (MBConv, ConvNeXt).
    """
    n = len(layers)
    ax.set_xlim(0, 4)
    ax.set_ylim(-1.6, n + 0.8)
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    ax.annotate("", xy=(1.5, n - 0.05), xytext=(1.5, n + 0.6),
                arrowprops=dict(arrowstyle="->", lw=0.8))
    ax.text(1.6, n + 0.45, "x", fontsize=9)
    for i, label in enumerate(layers):
        y = n - 1 - i
        ax.add_patch(patches.FancyBboxPatch((0.4, y + 0.15), 2.2, 0.7, boxstyle="round,pad=0.02",
                                            facecolor=colour, alpha=0.25, edgecolor=colour))
        ax.text(1.5, y + 0.5, label, ha="center", va="center", fontsize=9)
        ax.annotate("", xy=(1.5, y - 0.05 if i < n - 1 else -0.45), xytext=(1.5, y + 0.15),
                    arrowprops=dict(arrowstyle="->", lw=0.8))
    if shortcut is not None:
        ax.add_patch(patches.Circle((1.5, -0.7), 0.22, facecolor="white", edgecolor="black",
                                    lw=0.8))
        ax.text(1.5, -0.7, "+", ha="center", va="center", fontsize=10)
        ax.plot([1.5, 3.3, 3.3, 1.72], [n + 0.3, n + 0.3, -0.7, -0.7], color="#c44e52", lw=1.2)
        ax.text(3.4, n / 2 - 0.3, shortcut, rotation=90, va="center", fontsize=9, color="#c44e52")
        ax.annotate("", xy=(1.5, -1.55), xytext=(1.5, -0.92),
                    arrowprops=dict(arrowstyle="->", lw=0.8))
        ax.text(1.6, -1.45, caption or "ReLU(F(x) + shortcut(x))", fontsize=9)
    else:
        ax.text(1.6, -0.6, caption or "ReLU(F(x))  (no shortcut)", fontsize=9)
