"""Parameters and multiply-accumulates (MACs) of convolution variants: formulas and a counter.

One MAC is one multiply plus one add (w * x accumulated into a sum). Conventions:
- The formulas count weights and MACs of the convolutions only; biases are left out unless
  `bias=True` is asked for (a bias adds one parameter per output channel, no MAC).
- `count_macs` measures a module with `torch.utils.flop_counter.FlopCounterMode`, which
  reports FLOPs = 2 x MACs for convolutions and matmuls and ignores bias additions, so
  it returns flops // 2.
- `macs_by_module` gives the same count for every submodule (the layer tables use it).
Chapters 6-11 use these to check every cost claim.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnlib.ops.sizes import as_pair, check_int

Size = int | tuple[int, int]


def _hw(value: Size, name: str) -> tuple[int, int]:
    """(height, width) of an int-or-pair size; both must be positive ints."""
    return as_pair(tuple(value) if isinstance(value, list) else value, name, low=1)


def _check_channels(**counts: int | None) -> None:
    """ValueError naming the first channel count (or kernel size) that is not an int >= 1."""
    for name, value in counts.items():
        if value is not None:
            check_int(value, name)


def _check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    _check_channels(in_channels=in_channels, out_channels=out_channels, groups=groups)
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels ({in_channels}) and "
                         f"out_channels ({out_channels}).")


# --- standard and grouped convolution -------------------------------------------------------
def conv_params(in_channels: int, out_channels: int, kernel_size: Size, groups: int = 1,
                bias: bool = False) -> int:
    """Weights of a conv: C_out * (C_in / g) * kH * kW (+ C_out with bias). groups=1 is standard."""
    _check_groups(in_channels, out_channels, groups)
    k_h, k_w = _hw(kernel_size, "kernel_size")
    return out_channels * (in_channels // groups) * k_h * k_w + (out_channels if bias else 0)


def conv_macs(in_channels: int, out_channels: int, kernel_size: Size, out_size: Size,
              groups: int = 1) -> int:
    """MACs of a conv: each of the C_out*oH*oW outputs is a (C_in/g)*kH*kW dot product."""
    _check_groups(in_channels, out_channels, groups)
    out_h, out_w = _hw(out_size, "out_size")
    return conv_params(in_channels, out_channels, kernel_size, groups) * out_h * out_w


# --- 1x1, depthwise and depthwise separable ---------------------------------------------------
def pointwise_params(in_channels: int, out_channels: int) -> int:
    """A 1x1 conv is a C_in x C_out matrix applied at every pixel: C_in * C_out weights."""
    return conv_params(in_channels, out_channels, 1)


def pointwise_macs(in_channels: int, out_channels: int, out_size: Size) -> int:
    """H * W * C_in * C_out: one matrix-vector product per pixel."""
    return conv_macs(in_channels, out_channels, 1, out_size)


def depthwise_params(channels: int, kernel_size: Size, multiplier: int = 1) -> int:
    """One k x k kernel per channel (groups = channels): C * multiplier * kH * kW."""
    _check_channels(channels=channels, multiplier=multiplier)
    return conv_params(channels, channels * multiplier, kernel_size, groups=channels)


def depthwise_macs(channels: int, kernel_size: Size, out_size: Size, multiplier: int = 1) -> int:
    """oH * oW * C * multiplier * kH * kW: no sum across channels."""
    _check_channels(channels=channels, multiplier=multiplier)
    return conv_macs(channels, channels * multiplier, kernel_size, out_size, groups=channels)


def depthwise_separable_params(in_channels: int, out_channels: int, kernel_size: Size) -> int:
    """Depthwise k x k then pointwise 1x1: C_in*kH*kW + C_in*C_out."""
    _check_channels(in_channels=in_channels, out_channels=out_channels)
    return depthwise_params(in_channels, kernel_size) + pointwise_params(in_channels, out_channels)


def depthwise_separable_macs(in_channels: int, out_channels: int, kernel_size: Size,
                             out_size: Size) -> int:
    """oH*oW*(C_in*kH*kW + C_in*C_out); the ratio to a standard conv is 1/C_out + 1/(kH*kW)."""
    _check_channels(in_channels=in_channels, out_channels=out_channels)
    return (depthwise_macs(in_channels, kernel_size, out_size)
            + pointwise_macs(in_channels, out_channels, out_size))


# --- spatially separable and flattened (stride 1, size-preserving padding) --------------------
def spatially_separable_params(in_channels: int, out_channels: int, kernel_size: int,
                               mid_channels: int | None = None) -> int:
    """k x 1 (C_in -> mid) then 1 x k (mid -> C_out): k*C_in*mid + k*mid*C_out (mid: C_out)."""
    _check_channels(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size,
                    mid_channels=mid_channels)
    mid = out_channels if mid_channels is None else mid_channels
    return (conv_params(in_channels, mid, (kernel_size, 1))
            + conv_params(mid, out_channels, (1, kernel_size)))


def spatially_separable_macs(in_channels: int, out_channels: int, kernel_size: int, out_size: Size,
                             mid_channels: int | None = None) -> int:
    """Both steps at the output size (stride 1): oH*oW*(k*C_in*mid + k*mid*C_out)."""
    out_h, out_w = _hw(out_size, "out_size")
    params = spatially_separable_params(in_channels, out_channels, kernel_size, mid_channels)
    return params * out_h * out_w


def flattened_params(in_channels: int, out_channels: int, kernel_size: int) -> int:
    """Per output channel C_in + k + k (lateral, vertical, horizontal 1-D kernels), not C_in*k*k."""
    _check_channels(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size)
    return out_channels * (in_channels + 2 * kernel_size)


def flattened_macs(in_channels: int, out_channels: int, kernel_size: int, out_size: Size) -> int:
    """Per output channel M*N*(C_in + k + k) instead of M*N*C_in*k*k (stride 1)."""
    out_h, out_w = _hw(out_size, "out_size")
    return flattened_params(in_channels, out_channels, kernel_size) * out_h * out_w


# --- counters ---------------------------------------------------------------------------------
# Parameters are counted by cnnlib.summary.count_parameters; MACs by the counter below.


def _on_meta(value):
    """A tensor's shape-only twin on the meta device (other values unchanged)."""
    return torch.empty_like(value, device="meta") if isinstance(value, torch.Tensor) else value


def macs_by_module(module: nn.Module, *inputs: torch.Tensor) -> dict[str, int]:
    """MACs of one forward pass for every submodule path ('' is the whole module).

    The course's one multiply-add counter: FlopCounterMode's FLOPs // 2 (bias adds are not
    counted, as in the papers and torchvision's GFLOPS). It runs on the "meta" device, which
    carries shapes but no numbers, so even VGG-16 at 224x224 takes milliseconds and the
    module's own tensors are untouched; a module that looks at values falls back to real tensors.
    """
    if not isinstance(module, nn.Module):
        raise ValueError(f"module must be an nn.Module, got {type(module).__name__}.")
    if not inputs:
        raise ValueError("give at least one input tensor, e.g. macs_by_module(model, "
                         "torch.zeros(1, 3, 224, 224)).")
    for i, x in enumerate(inputs):
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"inputs[{i}] must be a torch.Tensor, got {type(x).__name__}.")
    state = {name: _on_meta(t) for name, t in [*module.named_parameters(), *module.named_buffers()]}
    was_training = module.training
    module.eval()
    counter = FlopCounterMode(display=False)
    try:
        try:
            with counter, torch.no_grad():
                torch.func.functional_call(module, state, tuple(_on_meta(x) for x in inputs))
        except (NotImplementedError, RuntimeError):  # data-dependent code: count on real tensors
            counter = FlopCounterMode(display=False)
            with counter, torch.no_grad():
                module(*inputs)
    finally:
        module.train(was_training)
    root = type(module).__name__
    macs: dict[str, int] = {}
    for key, by_op in counter.get_flop_counts().items():
        if key == "Global":
            path = ""
        elif key == root or key.startswith(root + "."):
            path = key[len(root) + 1:]
        else:
            continue
        macs[path] = sum(by_op.values()) // 2
    macs.setdefault("", 0)
    return macs


def count_macs(module: nn.Module, *inputs: torch.Tensor) -> int:
    """MACs of one forward pass of `inputs` through `module` (see `macs_by_module`)."""
    return macs_by_module(module, *inputs)[""]
