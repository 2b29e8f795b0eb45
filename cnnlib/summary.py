"""Model summaries: torchinfo's table, and a plain layer-by-layer shape trace."""

from __future__ import annotations

import torch
from torch import nn


def summary(model: nn.Module, input_size: tuple[int, ...], depth: int = 3, **kwargs):
    """torchinfo's table (output shape, parameters, multiply-adds) for one input size.

    `input_size` includes the batch dimension, e.g. (1, 1, 28, 28).
    """
    import torchinfo

    kwargs.setdefault("col_names", ("output_size", "num_params", "mult_adds"))
    kwargs.setdefault("device", "cpu")
    kwargs.setdefault("verbose", 0)
    return torchinfo.summary(model, input_size=input_size, depth=depth, **kwargs)


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (optionally only those with requires_grad)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def shape_trace(model: nn.Sequential | nn.Module, x: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
    """Run `x` through the direct children of `model` in order, recording each output shape.

    Works for models whose forward is "apply the children in order" (nn.Sequential, or a
    model built of `features`/`classifier` Sequentials when given one of those).
    """
    trace = []
    with torch.no_grad():
        for name, layer in model.named_children():
            x = layer(x)
            trace.append((f"{name}: {type(layer).__name__}", tuple(x.shape)))
    return trace


def print_shape_trace(model: nn.Module, x: torch.Tensor) -> None:
    """Print `shape_trace` as an aligned table, input first."""
    print(f"{'input':<28} {tuple(x.shape)}")
    for label, shape in shape_trace(model, x):
        print(f"{label:<28} {shape}")
