"""A dense block drawn from a real `DenseBlock`: who feeds whom, and how the channels grow (chapter 32).

Feature maps are bars (height ~ channels), layers are boxes, and an arc joins every feature
map to every later layer that reads it; the channel counts are read off the block's convs.
"""

from __future__ import annotations

import matplotlib.patches as patches
from matplotlib.axes import Axes

from cnnlib.models.densenet import DenseBlock


def dense_connections(block: DenseBlock) -> list[tuple[int, int]]:
    """(source feature map j, consumer i) pairs: layer i (1-based) reads x_0 ... x_{i-1}."""
    layers = len(block)
    return [(j, i) for i in range(1, layers + 1) for j in range(i)]


def draw_dense_block(ax: Axes, block: DenseBlock, title: str = "") -> None:
    """Feature maps x_0..x_L as bars, layers H_1..H_L as boxes, one arc per dense connection."""
    layers = list(block.values())
    c0 = layers[0].conv1.in_channels
    k = layers[0].conv2.out_channels
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3"]
    unit = 1.6 / max(c0, k)  # bar height per channel

    def x_of_map(j: int) -> float:
        return 3.0 * j

    for j in range(len(layers) + 1):  # feature maps
        channels = c0 if j == 0 else k
        height = channels * unit
        ax.add_patch(patches.Rectangle((x_of_map(j) - 0.25, -height / 2), 0.5, height,
                                       facecolor=colours[j % len(colours)], edgecolor="black", lw=0.6))
        ax.text(x_of_map(j), -1.05, f"$x_{j}$\n{channels} ch", ha="center", va="top", fontsize=9)
    for i, layer in enumerate(layers, start=1):  # layers H_i between x_{i-1} and x_i
        centre = x_of_map(i) - 1.5
        ax.add_patch(patches.FancyBboxPatch((centre - 0.75, -0.45), 1.5, 0.9, boxstyle="round,pad=0.05",
                                            facecolor="#eaeaf2", edgecolor="0.3", lw=0.8))
        ax.text(centre, 0, f"$H_{i}$\n{layer.conv1.in_channels}→{layer.conv2.out_channels}",
                ha="center", va="center", fontsize=9)
        ax.annotate("", xy=(x_of_map(i) - 0.27, 0), xytext=(centre + 0.8, 0),
                    arrowprops=dict(arrowstyle="->", lw=0.8))
    # Arcs above: x_j is concatenated into H_i's input. Each arc gets its own height (shorter
    # spans lower) and its own landing point on the box, so none of them overlap.
    arcs = sorted(dense_connections(block), key=lambda ji: (ji[1] - ji[0], ji[0]))
    for rank, (j, i) in enumerate(arcs):
        colour = colours[j % len(colours)]
        top_of_map = (c0 if j == 0 else k) * unit / 2
        start = x_of_map(j) + 0.18 * (i - j - 1) / max(len(layers) - 1, 1) - 0.09
        end = x_of_map(i) - 2.1 + 1.2 * j / max(i - 1, 1) if i > 1 else x_of_map(i) - 1.5
        level = 0.95 + 0.2 * rank
        ax.plot([start, start, end], [top_of_map, level, level], color=colour, lw=1.1)
        ax.annotate("", xy=(end, 0.5), xytext=(end, level),
                    arrowprops=dict(arrowstyle="->", lw=1.1, color=colour, shrinkA=0, shrinkB=0))
    total = c0 + len(layers) * k
    ax.text(x_of_map(len(layers)) + 0.6, 0, f"concatenate\nall: {c0} + {len(layers)}·{k}\n= {total} ch",
            ha="left", va="center", fontsize=9)
    ax.set_xlim(-1, x_of_map(len(layers)) + 3.4)
    ax.set_ylim(-1.9, 1.15 + 0.2 * len(arcs))
    ax.axis("off")
    ax.set_title(title or f"dense block: {len(layers)} layers, growth rate k = {k}", fontsize=10)
