"""Output-size arithmetic for convolution and pooling windows (chapters 1-3).

`conv_output_size` is the formula PyTorch uses; `check_conv_config` says, in words, whether the
window tiles the input exactly and which padding (or crop) would make it do so (chapter 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def as_pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    """Read an int-or-pair argument (kernel_size, stride, padding, ...) as (height, width)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return int(value[0]), int(value[1])
    raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}.")


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """How many input pixels a dilated kernel spans: D(F-1)+1."""
    return dilation * (kernel_size - 1) + 1


def conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length along one axis, floor((W - D(F-1) - 1 + 2P) / S) + 1, as PyTorch has it."""
    return (size + 2 * padding - effective_kernel_size(kernel_size, dilation)) // stride + 1


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
    stride = kernel_size if stride is None else stride
    span = effective_kernel_size(kernel_size, dilation)
    numerator = size + 2 * padding - span
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
        if not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")
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
