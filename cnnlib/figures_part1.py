"""Drawings for the explorers of chapters 2-5: coverage, pooling, activations, receptive fields.

Each `draw_*(fig, **state)` draws one state into an empty figure, as `cnnlib.widgets.Explorer`
expects, and raises ValueError for an impossible setting so a live slider can say why.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.patches as patches
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import nn

from cnnlib import ops

ORANGE, LIGHT_ORANGE, BLUE, GREY, GREEN = "#f4a259", "#f7c99b", "#bcd4e6", "#e8e8e8", "#d9ead3"


def _cells(ax: Axes, rows: int, cols: int, colour: Callable[[int, int], str], title: str,
           text: Callable[[int, int], str] | None = None) -> None:
    """rows x cols unit squares (row 0 at the top), optional text in each."""
    for r in range(rows):
        for c in range(cols):
            ax.add_patch(patches.Rectangle((c, rows - 1 - r), 1, 1, facecolor=colour(r, c),
                                           edgecolor="0.4", linewidth=0.6))
            if text is not None:
                ax.text(c + 0.5, rows - 0.5 - r, text(r, c), ha="center", va="center", fontsize=8)
    ax.set_xlim(-0.2, cols + 0.2)
    ax.set_ylim(-0.2, rows + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)


def draw_padding_stride(fig: Figure, size: int = 7, kernel_size: int = 3, stride: int = 1,
                        padding: int = 0, dilation: int = 1, position: int = 0) -> None:
    """Window on the padded input, the output grid, and how often each pixel is read (chapter 2)."""
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

    ax_in, ax_out, ax_use = fig.subplots(
        1, 3, gridspec_kw={"width_ratios": [padded, max(out, 3), size]})
    _cells(ax_in, padded, padded, input_colour,
           f"input {size}x{size}" + (f" + padding {padding}" if padding else ""))
    _cells(ax_out, out, out, lambda r, c: ORANGE if (r, c) == (row, col) else GREEN,
           f"output {out}x{out}")
    top = int(usage.max())
    ax_use.imshow(usage.numpy(), cmap="Blues", vmin=0, vmax=max(top, 1))
    for r in range(size):
        for c in range(size):
            ax_use.text(c, r, str(int(usage[r, c])), ha="center", va="center", fontsize=7,
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
    _cells(ax_in, 6, 6, colour, "input 6x6 (one channel)", lambda r, c: f"{int(POOL_INPUT[r, c])}")
    _cells(ax_out, oh, ow, lambda r, c: ORANGE if (r, c) == (row, col) else GREEN,
           f"{mode} pooled {oh}x{ow}", lambda r, c: f"{float(out[r, c]):.3g}")
    kept = 100 * out.numel() / 36
    fig.suptitle(f"{mode} pooling, kernel {kernel_size}, stride {stride}, padding {padding}, "
                 f"ceil_mode={ceil_mode}: {oh}x{ow} outputs for 36 inputs ({kept:.0f}% kept)",
                 fontsize=9)


def draw_activation(fig: Figure, name: str = "relu", x_range: int = 6) -> None:
    """An activation function and its derivative (autograd), with torch's version dashed (ch. 4)."""
    from cnnlib.ops.activations import ACTIVATIONS

    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}.")
    ours, reference = ACTIVATIONS[name]
    x = torch.linspace(-x_range, x_range, 401, requires_grad=True)
    y = ours(x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    ax_f, ax_d = fig.subplots(1, 2)
    ax_f.plot(x.detach(), y.detach(), lw=2, label="ours")
    ax_f.plot(x.detach(), reference(x.detach()), "k--", lw=1, label="torch")
    ax_d.plot(x.detach(), grad, color="#e76f51", lw=2)
    ax_f.set_title(f"{name}(x)", fontsize=10)
    ax_d.set_title(f"derivative, max {float(grad.max()):.3g}", fontsize=10)
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        ax.grid(alpha=0.3)
    ax_f.legend(fontsize=8)


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
