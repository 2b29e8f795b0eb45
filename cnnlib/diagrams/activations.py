"""An activation function and its derivative, drawn for the activations chapter (4)."""

from __future__ import annotations

import torch
from matplotlib.figure import Figure


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
    ax_f.legend(fontsize=9)
