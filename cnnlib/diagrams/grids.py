"""Grids of cells: a kernel window on a (padded) input, its output, pooling windows.

The picture behind padding, stride, dilation and pooling (chapters 1-3, 7). Each `draw_*(fig,
**state)` draws one state into an empty figure, as `cnnlib.widgets.Explorer` expects, and
raises ValueError for an impossible setting so a live slider can say "Not possible: ...".
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.patches as patches
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from cnnlib import ops

ORANGE, LIGHT_ORANGE, BLUE, GREY, GREEN = "#f4a259", "#f7c99b", "#bcd4e6", "#e8e8e8", "#d9ead3"


def draw_cells(ax: Axes, rows: int, cols: int, colour: Callable[[int, int], str], title: str,
               text: Callable[[int, int], str] | None = None) -> None:
    """rows x cols unit squares (row 0 at the top) coloured by colour(r, c), optional text in each."""
    for r in range(rows):
        for c in range(cols):
            ax.add_patch(patches.Rectangle((c, rows - 1 - r), 1, 1, facecolor=colour(r, c),
                                           edgecolor="0.4", linewidth=0.6))
            if text is not None:
                ax.text(c + 0.5, rows - 0.5 - r, text(r, c), ha="center", va="center", fontsize=9)
    ax.set_xlim(-0.2, cols + 0.2)
    ax.set_ylim(-0.2, rows + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def draw_conv_window(fig: Figure, size: int = 7, kernel_size: int = 3, stride: int = 1,
                     padding: int = 0, dilation: int = 1, position: int = 0,
                     show_usage: bool = True) -> None:
    """Window on the padded input, the output grid and (`show_usage`) how often each pixel is read.

    `position` numbers the output cells row by row (clipped to the last one). Chapters 1, 2, 7.
    """
    usage = ops.pixel_usage(size, kernel_size, stride, padding, dilation)  # raises if impossible
    out = ops.conv_output_size(size, kernel_size, stride, padding, dilation)
    position = min(position, out * out - 1)
    row, col = divmod(position, out)
    taps = {(row * stride + i * dilation, col * stride + j * dilation)
            for i in range(kernel_size) for j in range(kernel_size)}
    padded = size + 2 * padding

    def input_colour(r: int, c: int) -> str:
        is_pad = not (padding <= r < padding + size and padding <= c < padding + size)
        if (r, c) in taps:
            return LIGHT_ORANGE if is_pad else ORANGE
        return GREY if is_pad else BLUE

    widths = [padded, max(out, 3)] + ([size] if show_usage else [])
    axes = fig.subplots(1, len(widths), gridspec_kw={"width_ratios": widths})
    ax_in, ax_out = axes[0], axes[1]
    draw_cells(ax_in, padded, padded, input_colour,
           f"input {size}x{size}" + (f" + padding {padding}" if padding else ""))
    draw_cells(ax_out, out, out, lambda r, c: ORANGE if (r, c) == (row, col) else GREEN,
           f"output {out}x{out}")
    if not show_usage:
        fig.suptitle(f"W={size} F={kernel_size} S={stride} P={padding} D={dilation}: output {out}",
                     fontsize=10)
        return
    ax_use = axes[2]
    top = int(usage.max())
    ax_use.imshow(usage.numpy(), cmap="Blues", vmin=0, vmax=max(top, 1))
    for r in range(size):
        for c in range(size):
            ax_use.text(c, r, str(int(usage[r, c])), ha="center", va="center", fontsize=9,
                        color="white" if usage[r, c] > top / 2 else "black")
    ax_use.set_xticks([])
    ax_use.set_yticks([])
    ax_use.set_title("windows reading each pixel", fontsize=9)
    check = ops.check_conv_config(size, kernel_size, stride, padding, dilation)
    note = ("tiles exactly" if check.tiles
            else f"= {check.exact:g} floored: last {check.unused} unused")
    fig.suptitle(f"W={size} F={kernel_size} S={stride} P={padding} D={dilation}: output {out} "
                 f"({note}); corner pixel read {int(usage[0, 0])}x, centre "
                 f"{int(usage[size // 2, size // 2])}x", fontsize=9)



POOL_INPUT = torch.tensor([[1, 3, 2, 0, 5, 1],
                           [4, 6, 1, 2, 0, 3],
                           [2, 0, 7, 1, 2, 2],
                           [1, 5, 3, 8, 1, 0],
                           [0, 2, 4, 1, 6, 3],
                           [3, 1, 0, 2, 4, 9]], dtype=torch.float32)


def draw_pooling(fig: Figure, mode: str = "max", kernel_size: int = 2, stride: int = 2,
                 padding: int = 0, ceil_mode: bool = False, position: int = 0) -> None:
    """A 6x6 input, one pooling window and the pooled output with its values (chapter 3)."""
    x = POOL_INPUT[None, None]  # (1, 1, 6, 6)
    if mode == "max":
        out, idx = ops.max_pool2d(x, kernel_size, stride, padding, ceil_mode=ceil_mode,
                                  return_indices=True)
    elif mode == "average":
        out = ops.avg_pool2d(x, kernel_size, stride, padding, ceil_mode=ceil_mode)
    elif mode == "L2":
        if padding:
            raise ValueError("LPPool2d has no padding argument; set padding to 0.")
        out = ops.lp_pool2d(x, 2, kernel_size, stride, ceil_mode=ceil_mode)
    else:
        raise ValueError(f"mode must be 'max', 'average' or 'L2', got {mode!r}.")
    out = out[0, 0]
    oh, ow = out.shape
    position = min(position, oh * ow - 1)
    row, col = divmod(position, ow)
    top, left = row * stride - padding, col * stride - padding  # window corner in input coordinates
    window = {(top + i, left + j) for i in range(kernel_size) for j in range(kernel_size)}
    chosen = divmod(int(idx[0, 0, row, col]), 6) if mode == "max" else None

    def colour(r: int, c: int) -> str:
        if (r, c) == chosen:
            return "#e76f51"
        return ORANGE if (r, c) in window else BLUE

    ax_in, ax_out = fig.subplots(1, 2, gridspec_kw={"width_ratios": [6, max(ow, 3)]})
    draw_cells(ax_in, 6, 6, colour, "input 6x6 (one channel)", lambda r, c: f"{int(POOL_INPUT[r, c])}")
    draw_cells(ax_out, oh, ow, lambda r, c: ORANGE if (r, c) == (row, col) else GREEN,
           f"{mode} pooled {oh}x{ow}", lambda r, c: f"{float(out[r, c]):.3g}")
    kept = 100 * out.numel() / 36
    fig.suptitle(f"{mode} pooling, kernel {kernel_size}, stride {stride}, padding {padding}, "
                 f"ceil_mode={ceil_mode}: {oh}x{ow} outputs for 36 inputs ({kept:.0f}% kept)",
                 fontsize=9)
