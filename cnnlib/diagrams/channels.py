"""Which input channels reach which outputs through grouped convolutions and channel shuffles.

Drawn for the grouped convolution chapter (11) and ShuffleNet (30).
"""

from __future__ import annotations

from matplotlib.figure import Figure

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
    ax_m.set_xlabel("input channel", fontsize=9)
    ax_m.set_ylabel("output channel", fontsize=9)
    ax_m.set_xticks([])
    ax_m.set_yticks([])
    ax_m.set_title(f"each output sees {int(conn[0].sum())} of {channels} inputs", fontsize=9)
