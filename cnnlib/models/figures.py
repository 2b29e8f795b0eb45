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
    x = 0.0
    for _name, kind, shape in items:
        if len(shape) == 3:
            c, h, _ = shape
            height = 0.3 + 2.7 * math.sqrt(h / biggest)
            width = 0.15 + 0.12 * math.log2(max(c, 1))
            label = f"{c}\n{h}x{shape[2]}"
        else:
            height, width, label = 0.6 + 0.3 * math.log10(max(shape[0], 1)), 0.25, f"{shape[0]}"
        colour = COLOURS.get(kind, "#937860")
        ax.add_patch(patches.Rectangle((x, -height / 2), width, height, facecolor=colour,
                                       edgecolor="black", linewidth=0.6, alpha=0.85))
        ax.text(x + width / 2, height / 2 + 0.1, label, ha="center", va="bottom", fontsize=6)
        ax.text(x + width / 2, -height / 2 - 0.1, kind.replace("Adaptive", "Ad.")
                .replace("2d", ""), ha="center", va="top", fontsize=5.5, rotation=90)
        x += width + 0.25
    ax.set_xlim(-0.2, x)
    ax.set_ylim(-3.2, 2.8)
    ax.axis("off")
    ax.set_title(title, fontsize=9)
