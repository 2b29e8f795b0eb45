"""Looking at a model: its parameter count and one layer table (output shape, parameters, MACs).

The course's one shape trace: `layer_table` runs one input through the model with forward
hooks and records, for each chosen submodule, its output shape, its parameters and its
multiply-adds (from the one MAC counter, `cnnlib.counting.macs_by_module`). `summary` prints
it with totals. Introduced in chapter 1; every architecture chapter prints one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (optionally only those with requires_grad)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@dataclass(frozen=True)
class LayerRow:
    """One row of a layer table: a submodule and what passing one input through it produced."""

    name: str  # path in the model, e.g. "features.3"
    kind: str  # class name, e.g. "Conv2d"
    shape: tuple[int, ...]  # output shape without the batch dimension
    params: int
    macs: int


def _first_tensor(output) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        for item in output:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def _pick(model: nn.Module, names: Sequence[str] | None, kinds: tuple[type, ...] | None,
          depth: int) -> dict[str, nn.Module]:
    modules = dict(model.named_modules())
    if names is not None:
        missing = [n for n in names if n not in modules]
        if missing:
            raise ValueError(f"names not found in the model: {missing}; see model.named_modules().")
        return {n: modules[n] for n in names}
    if kinds is not None:
        return {n: m for n, m in modules.items() if n and isinstance(m, kinds)}
    if depth < 1:
        raise ValueError(f"depth must be at least 1 (1 = the model's children), got {depth}.")
    return {n: m for n, m in modules.items() if n and n.count(".") < depth}


def layer_table(model: nn.Module, x: torch.Tensor, names: Sequence[str] | None = None,
                kinds: tuple[type, ...] | None = None, depth: int = 1) -> list[LayerRow]:
    """Rows in call order for the model's children (`depth=1`), its modules `depth` levels down,
    the submodules listed in `names`, or every submodule of the classes in `kinds`.

    `x` is one batch, e.g. torch.zeros(1, 3, 224, 224); the model runs in eval mode.
    """
    from cnnlib.counting import macs_by_module

    targets = _pick(model, names, kinds, depth)
    order: list[str] = []  # call order: a block is listed before the layers inside it
    rows: dict[str, LayerRow] = {}
    macs = macs_by_module(model, x)

    def starter(name: str):
        def hook(_module: nn.Module, _inputs) -> None:
            if name not in order:
                order.append(name)
        return hook

    def recorder(name: str, module: nn.Module):
        def hook(_module: nn.Module, _inputs, output) -> None:
            out = _first_tensor(output)
            shape = tuple(out.shape[1:]) if out is not None else ()
            rows.setdefault(name, LayerRow(name, type(module).__name__, shape,
                                           count_parameters(module), macs.get(name, 0)))
        return hook

    hooks = [m.register_forward_pre_hook(starter(n)) for n, m in targets.items()]
    hooks += [m.register_forward_hook(recorder(n, m)) for n, m in targets.items()]
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return [rows[name] for name in order if name in rows]


def print_layer_table(rows: Sequence[LayerRow], extra: dict[str, Sequence] | None = None) -> None:
    """Print layer-table rows aligned (nested paths indented); `extra` adds columns."""
    extra = extra or {}
    width = max([len("  " * r.name.count(".") + r.name) + len(r.kind) + 3 for r in rows] + [20])
    head = f"{'layer':<{width}} {'output (C, H, W)':<18} {'params':>11} {'MACs':>14}"
    print(head + "".join(f" {k:>9}" for k in extra))
    for i, r in enumerate(rows):
        label = "  " * r.name.count(".") + f"{r.name} ({r.kind})"
        line = f"{label:<{width}} {str(r.shape):<18} {r.params:>11,} {r.macs:>14,}"
        print(line + "".join(f" {str(v[i]):>9}" for v in extra.values()))


def summary(model: nn.Module, input_size: tuple[int, ...], depth: int = 1) -> list[LayerRow]:
    """Print the layer table of one input of `input_size` (batch included) and the totals."""
    from cnnlib.counting import count_macs

    x = torch.zeros(input_size)
    rows = layer_table(model, x, depth=depth)
    print_layer_table(rows)
    total_macs = count_macs(model, x)
    print(f"Total: {count_parameters(model):,} parameters "
          f"({count_parameters(model, trainable_only=True):,} trainable), "
          f"{total_macs:,} multiply-adds for an input of shape {tuple(input_size)}")
    return rows
