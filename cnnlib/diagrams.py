"""Drawings of a kernel window moving over a grid: the picture behind padding, stride and dilation.

Used by the explorers of chapters 1-3 and the dilated/transposed convolution chapters.
"""

from __future__ import annotations

import matplotlib.patches as patches
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from cnnlib.ops.sizes import conv_output_size, effective_kernel_size


def _grid(ax: Axes, rows: int, cols: int, fill, title: str) -> None:
    """Draw rows x cols unit squares; fill(r, c) gives each square's colour."""
    for r in range(rows):
        for c in range(cols):
            ax.add_patch(patches.Rectangle((c, rows - 1 - r), 1, 1, facecolor=fill(r, c),
                                           edgecolor="0.4", linewidth=0.8))
    ax.set_xlim(-0.2, cols + 0.2)
    ax.set_ylim(-0.2, rows + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def draw_conv_window(fig: Figure, size: int = 7, kernel_size: int = 3, stride: int = 1,
                     padding: int = 0, dilation: int = 1, position: int = 0) -> None:
    """Input (with padding) and output grids; the window for output cell `position` (row-major).

    Raises ValueError when the kernel does not fit, so a live slider can say why.
    """
    out = conv_output_size(size, kernel_size, stride, padding, dilation)
    span = effective_kernel_size(kernel_size, dilation)
    if out < 1:
        raise ValueError(f"the kernel spans {span} pixels but the padded input is only "
                         f"{size + 2 * padding}: use a smaller kernel or dilation, or more padding")
    position = min(position, out * out - 1)
    row, col = divmod(position, out)
    top, left = row * stride, col * stride  # window corner in padded coordinates
    taps = {(top + i * dilation, left + j * dilation)
            for i in range(kernel_size) for j in range(kernel_size)}
    padded = size + 2 * padding
    remainder = (size + 2 * padding - span) % stride

    def input_colour(r: int, c: int) -> str:
        is_pad = not (padding <= r < padding + size and padding <= c < padding + size)
        if (r, c) in taps:
            return "#f4a259" if not is_pad else "#f7c99b"
        return "#e8e8e8" if is_pad else "#bcd4e6"

    ax_in, ax_out = fig.subplots(1, 2, gridspec_kw={"width_ratios": [padded, max(out, 3)]})
    _grid(ax_in, padded, padded, input_colour,
          f"input {size}x{size}" + (f" + padding {padding}" if padding else ""))
    _grid(ax_out, out, out, lambda r, c: "#f4a259" if (r, c) == (row, col) else "#d9ead3",
          f"output {out}x{out}")
    note = "" if remainder == 0 else f"   (last {remainder} row(s)/col(s) never covered: PyTorch floors)"
    fig.suptitle(f"N = floor(({size} - {span} + 2*{padding}) / {stride}) + 1 = {out}{note}", fontsize=10)
    fig.text(0.5, 0.02, f"nn.Conv2d(1, 1, kernel_size={kernel_size}, stride={stride}, "
             f"padding={padding}, dilation={dilation})", ha="center", family="monospace", fontsize=9)
