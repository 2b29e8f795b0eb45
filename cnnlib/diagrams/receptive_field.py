"""The input pixels that reach one unit: gradient against the receptive-field formula (chapter 5)."""

from __future__ import annotations

import matplotlib.patches as patches
import torch
from matplotlib.figure import Figure
from torch import nn

from cnnlib import ops


def draw_receptive_field(fig: Figure, model: nn.Sequential, input_size: int = 32, layer: int = 1,
                         row: int = 0, col: int = 0) -> None:
    """Input pixels reaching one unit after `layer` layers: gradient and formula box (ch. 5).

    `layer` counts entries of the Sequential; row/col are clipped to the map of that layer.
    """
    if not 1 <= layer <= len(model):
        raise ValueError(f"layer must be between 1 and {len(model)}, got {layer}.")
    prefix = model[:layer]
    shape = (model[0].in_channels, input_size, input_size)
    with torch.no_grad():
        out_h, out_w = prefix(torch.zeros(1, *shape)).shape[-2:]
    unit = (min(row, out_h - 1), min(col, out_w - 1))
    grad = ops.input_gradient(prefix, shape, unit)
    top, bottom, left, right = ops.formula_region(prefix, shape, unit)
    rf = ops.receptive_field_of(prefix)[-1]
    ax_in, ax_map = fig.subplots(1, 2, gridspec_kw={"width_ratios": [input_size, max(out_w, 4)]})
    ax_in.imshow((grad / grad.max()).numpy(), cmap="magma", vmin=0, vmax=1)
    ax_in.add_patch(patches.Rectangle((left - 0.5, top - 0.5), right - left + 1, bottom - top + 1,
                                      fill=False, edgecolor="#2a9d8f", linewidth=2))
    ax_in.set_title(f"input {input_size}x{input_size}: gradient (colour), formula (box)",
                    fontsize=9)
    marker = torch.zeros(out_h, out_w)
    marker[unit] = 1
    ax_map.imshow(marker.numpy(), cmap="Oranges", vmin=0, vmax=1.3)
    ax_map.set_title(f"map after layer {layer}: {out_h}x{out_w}", fontsize=9)
    for ax in (ax_in, ax_map):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"unit {unit} after {type(model[layer - 1]).__name__} #{layer}: receptive field "
                 f"{rf.size}x{rf.size}, jump {rf.jump}", fontsize=10)
