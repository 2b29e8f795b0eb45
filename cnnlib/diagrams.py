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


GROUP_COLOURS = ["#4a7ab0", "#f4a259", "#6a994e", "#bc4b51", "#8e7dbe", "#5fa8d3", "#e9c46a", "#7f7f7f"]


def grouped_connectivity(groups: int, layers: int, shuffle: bool, channels: int = 8):
    """(out, in) boolean matrix: which input channels reach each output of a stack of grouped convs.

    Composed by hand from block-diagonal layers and, between layers, channel shuffles (chapter 11).
    """
    import torch

    from cnnlib.layers.channel_shuffle import channel_shuffle

    if channels % groups:
        raise ValueError(f"channels ({channels}) must be divisible by groups ({groups}).")
    per = channels // groups
    block = torch.block_diag(*[torch.ones(per, per)] * groups)  # (out, in) of one layer
    perm = channel_shuffle(torch.arange(channels).view(1, channels, 1, 1), groups).flatten()
    conn = torch.eye(channels)
    for layer in range(layers):
        conn = block @ conn
        if shuffle and layer < layers - 1:
            conn = conn[perm]  # new channel i = old channel perm[i]
    return conn > 0


def draw_grouped_stack(fig: Figure, groups: int = 2, layers: int = 2, shuffle: bool = False,
                       channels: int = 8) -> None:
    """Channels as dots, connections as lines, coloured by the input group that reaches them (chapter 11)."""
    import torch

    from cnnlib.layers.channel_shuffle import channel_shuffle

    ax, ax_m = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    per = channels // groups
    perm = channel_shuffle(torch.arange(channels).view(1, channels, 1, 1), groups).flatten().tolist()
    # reach[c, j]: does input group j reach channel c at the current level?
    reach = torch.zeros(channels, groups, dtype=torch.bool)
    reach[torch.arange(channels), torch.arange(channels) // per] = True

    def colours() -> list:  # one input group: its colour; several: dark grey ("mixed")
        return [GROUP_COLOURS[int(r.nonzero()[0]) % 8] if int(r.sum()) == 1 else "0.2" for r in reach]

    ax.scatter(range(channels), [0] * channels, c=colours(), s=60, zorder=3)
    level = 0.0
    for layer in range(layers):
        before = colours()
        for o in range(channels):
            for c in range(channels):
                if o // per == c // per:
                    ax.plot([c, o], [level, level + 1], color=before[c], lw=0.8, alpha=0.7)
        reach = torch.stack([reach[(o // per) * per:(o // per + 1) * per].any(0) for o in range(channels)])
        level += 1
        ax.scatter(range(channels), [level] * channels, c=colours(), s=60, zorder=3)
        if shuffle and layer < layers - 1:
            before = colours()
            for new, old in enumerate(perm):
                ax.plot([old, new], [level, level + 0.6], color=before[old], lw=0.8, ls=":")
            reach = reach[perm]
            level += 0.6
            ax.scatter(range(channels), [level] * channels, c=colours(), s=60, zorder=3)
    ax.set_axis_off()
    title = f"{layers} grouped conv(s), groups={groups}"
    if shuffle and layers > 1:
        title += " + channel shuffle (dotted)"
    ax.set_title(title + "\ncolour = input group that reaches a channel, black = mixed", fontsize=9)
    conn = grouped_connectivity(groups, layers, shuffle, channels)
    ax_m.imshow(conn, cmap="Oranges", vmin=0, vmax=1.3)
    ax_m.set_xlabel("input channel", fontsize=8)
    ax_m.set_ylabel("output channel", fontsize=8)
    ax_m.set_xticks([])
    ax_m.set_yticks([])
    ax_m.set_title(f"each output sees {int(conn[0].sum())} of {channels} inputs", fontsize=9)
