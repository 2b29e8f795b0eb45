"""Learning curves of experiment results: a quick run on the page beside its recorded run.

An experiment (`cnnlib.experiments`) returns its curve as a list of rows, one per evaluation
(`{"epoch": 1.5, "train_loss": ..., "test_acc": ...}`), and a record (`cnnlib.records`) keeps
the same rows for the full configuration. `plot_runs` draws several such curves side by side,
one panel per quantity, legible at book width. Used in chapters 16, 17 and 19.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

Rows = Sequence[Mapping[str, float]]
PANELS = {"loss": ("train_loss", "test_loss"), "accuracy (%)": ("train_acc", "test_acc")}


def plot_runs(runs: Mapping[str, Rows], panels: Mapping[str, Sequence[str]] | None = None,
              x: str = "epoch", title: str | None = None, width: float = 8.0) -> Figure:
    """One panel per entry of `panels` (ylabel -> row keys); each run one colour, train keys dashed.

    Keys ending in `_acc` or `_error` are drawn in percent. Runs lacking a key skip it.
    """
    panels = dict(panels or PANELS)
    if not runs:
        raise ValueError("runs is empty; pass {label: rows} with at least one run.")
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 3.2), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (ylabel, keys) in zip(axes[0], panels.items(), strict=True):
        for i, (label, rows) in enumerate(runs.items()):
            for key in keys:
                points = [(r[x], r[key]) for r in rows if key in r and r[key] == r[key]]  # skip NaN
                if not points:
                    continue
                scale = 100 if key.endswith(("_acc", "_error")) else 1
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, [scale * y for y in ys], "--" if key.startswith("train") else "-",
                        marker="" if key.startswith("train") else "o", markersize=3,
                        color=colors[i % len(colors)],
                        label=f"{label}, {key.split('_')[0]}" if len(keys) > 1 else label)
        ax.set(xlabel=x, ylabel=ylabel)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
