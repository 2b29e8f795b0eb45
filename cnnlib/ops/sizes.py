"""Output-size arithmetic for convolution and pooling windows (chapters 1-3).

`conv_output_size` is the formula PyTorch uses; `check_conv_config` says, in words, whether the
window tiles the input exactly and which padding (or crop) would make it do so (chapter 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


def check_int(value: object, name: str, low: int = 1) -> int:
    """Return `value` if it is an int >= `low`, else a ValueError naming the argument (chapter 1).

    Sizes, kernels, strides, dilations and groups need low=1; paddings low=0. Booleans and
    floats are refused: `stride=2.0` is almost always a slip, and torch refuses it too.
    """
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an int >= {low}, got {value!r} ({type(value).__name__}).")
    if value < low:
        what = "non-negative" if low == 0 else f"at least {low}"
        raise ValueError(f"{name} must be {what}, got {name}={value}; use {name}={low} or more.")
    return value


def check_tensor(value: object, name: str, ndim: int | tuple[int, ...] | None = None,
                 layout: str = "") -> torch.Tensor:
    """Return `value` if it is a tensor (of `ndim` dimensions), else a ValueError naming it."""
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}; "
                         f"wrap the data with torch.as_tensor({name}).")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and value.ndim not in allowed:
        dims = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be {dims}{' ' + layout if layout else ''}, got shape "
                         f"{tuple(value.shape)}.")
    return value


def as_pair(value: int | tuple[int, int], name: str, low: int | None = None) -> tuple[int, int]:
    """Read an int-or-pair argument (kernel_size, stride, padding, ...) as (height, width).

    With `low`, each entry must be an int >= low (1 for sizes and strides, 0 for padding).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        pair = (value, value)
    elif (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}.")
    if low is not None and min(pair) < low:
        what = "non-negative" if low == 0 else f"at least {low}"
        raise ValueError(f"{name} must be {what} in both dimensions, got {name}={value!r}, "
                         f"i.e. (height, width) = {pair}.")
    return pair


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """How many input pixels a dilated kernel spans: D(F-1)+1."""
    check_int(kernel_size, "kernel_size")
    check_int(dilation, "dilation")
    return dilation * (kernel_size - 1) + 1


def _too_small(size: int, kernel_size: int, padding: int, dilation: int) -> ValueError:
    """The error for a window larger than the padded input, naming what to change."""
    span = effective_kernel_size(kernel_size, dilation)
    need = -(-(span - size) // 2)  # the smallest padding that makes the window fit
    return ValueError(
        f"the window spans {span} pixels (kernel_size={kernel_size}, dilation={dilation}) but the "
        f"padded input is only {size + 2 * padding} (size={size}, padding={padding}), so the "
        f"output size would be below 1; use size >= {span - 2 * padding}, padding >= {need}, "
        "or a smaller kernel_size or dilation."
    )


def conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length along one axis, floor((W - D(F-1) - 1 + 2P) / S) + 1, as PyTorch has it.

    Raises ValueError (naming the argument to change) when an argument is not a positive int
    (padding: non-negative) or when the window does not fit, where PyTorch raises too.
    """
    check_int(size, "size")
    check_int(stride, "stride")
    check_int(padding, "padding", 0)
    span = effective_kernel_size(kernel_size, dilation)  # checks kernel_size and dilation
    if size + 2 * padding < span:
        raise _too_small(size, kernel_size, padding, dilation)
    return (size + 2 * padding - span) // stride + 1


def pool_output_size(
    size: int,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of a pooling window along one dimension, PyTorch's rule (chapter 3).

    Like convolution, but `ceil_mode=True` rounds up, keeping a last partial window only if it
    starts inside the input or its left padding (a window made only of right padding is dropped).
    """
    check_int(kernel_size, "kernel_size")
    stride = kernel_size if stride is None else stride
    check_int(size, "size")
    check_int(stride, "stride")
    check_int(padding, "padding", 0)
    span = effective_kernel_size(kernel_size, dilation)  # checks kernel_size and dilation
    numerator = size + 2 * padding - span
    if numerator < 0:
        raise _too_small(size, kernel_size, padding, dilation)
    out = (-(-numerator // stride) if ceil_mode else numerator // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # the last window would start in the right padding: PyTorch drops it
    return out


@dataclass
class ConvConfigCheck:
    """Whether a window of this size/stride/padding tiles an input exactly, and how to fix it."""

    size: int  # input length W
    kernel_size: int  # F
    stride: int  # S
    padding: int  # P (each side)
    dilation: int  # D
    exact: float  # (W - D(F-1) - 1 + 2P) / S + 1 before rounding
    output: int  # what PyTorch gives: the floor of `exact`
    unused: int  # input pixels at the end (right/bottom) that no window covers
    symmetric_padding: int | None  # smallest P' >= P that tiles exactly, None if none does
    extra_end_padding: int  # extra zeros on the right/bottom only that make it tile
    crop: int  # or crop this many pixels from the end

    def __post_init__(self) -> None:
        for name, low in (("size", 1), ("kernel_size", 1), ("stride", 1), ("padding", 0),
                          ("dilation", 1)):
            check_int(getattr(self, name), name, low)

    @property
    def tiles(self) -> bool:
        """True when the windows cover the (padded) input exactly, with no pixel left over."""
        return self.unused == 0

    @property
    def message(self) -> str:
        """A readable explanation, e.g. for W=10, F=3, S=2, P=0."""
        head = f"W={self.size}, F={self.kernel_size}, S={self.stride}, P={self.padding}" + (
            f", D={self.dilation}" if self.dilation != 1 else ""
        )
        formula = f"(W - D(F-1) - 1 + 2P)/S + 1 = {self.exact:g}"
        if self.tiles:
            return f"{head}: {formula}, an integer: the windows tile the input exactly."
        fixes = []
        if self.symmetric_padding is not None:
            fixes.append(f"padding={self.symmetric_padding} on each side")
        else:
            fixes.append("no symmetric padding can fix it (W - D(F-1) - 1 is odd and S is even)")
        fixes.append(
            f"{self.extra_end_padding} extra zero(s) at the end only, "
            f"F.pad(x, (0, {self.extra_end_padding}))"
        )
        fixes.append(f"crop {self.crop} pixel(s) from the end")
        return (
            f"{head}: {formula} is not an integer, so the windows do not tile the input; "
            f"PyTorch silently floors to {self.output} and the last {self.unused} pixel(s) "
            f"are never used. Fix: " + "; or ".join(fixes) + "."
        )

    def __str__(self) -> str:
        return self.message


def check_conv_config(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> ConvConfigCheck:
    """Explain whether W, F, S, P (and D) tile the input exactly, and what would (chapter 2)."""
    for name, value, low in (
        ("size", size, 1),
        ("kernel_size", kernel_size, 1),
        ("stride", stride, 1),
        ("padding", padding, 0),
        ("dilation", dilation, 1),
    ):
        check_int(value, name, low)
    span = effective_kernel_size(kernel_size, dilation)
    covered = size + 2 * padding - span
    if covered < 0:
        raise ValueError(
            f"the kernel spans {span} pixels (kernel_size={kernel_size}, dilation={dilation}) "
            f"but the padded input is only {size + 2 * padding} (size={size}, padding={padding}); "
            f"use padding >= {math.ceil((span - size) / 2)} or a smaller kernel."
        )
    unused = covered % stride
    symmetric = None
    for p in range(padding, padding + stride):  # the remainder repeats with period S
        if (size + 2 * p - span) % stride == 0:
            symmetric = p
            break
    return ConvConfigCheck(
        size=size,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        exact=covered / stride + 1,
        output=covered // stride + 1,
        unused=unused,
        symmetric_padding=symmetric,
        extra_end_padding=(stride - unused) % stride,
        crop=unused,
    )
