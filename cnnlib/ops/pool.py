"""Pooling from scratch: max, average, Lp and adaptive average, torch.nn.functional's arguments.

Each channel is pooled on its own (depth unchanged) and there are no weights. Vectorised the
im2col way: gather every window's values with one strided slice per kernel tap. Chapter 3.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnlib.ops.sizes import as_pair as _pair
from cnnlib.ops.sizes import check_tensor, effective_kernel_size, pool_output_size

IntPair = int | tuple[int, int]



def _as_batch(input: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """Accept (C, H, W) like torch by adding a batch dimension; say whether one was added."""
    check_tensor(input, "input")
    if input.ndim == 3:
        return input.unsqueeze(0), True
    if input.ndim == 4:
        return input, False
    raise ValueError(
        f"input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape {tuple(input.shape)}."
    )


def _check_window(
    input: torch.Tensor, kernel, stride, padding, dilation, ceil_mode: bool, pad_limit: str
) -> tuple[int, int]:
    """Validate a pooling window (before computing) and return the output (H, W)."""
    if input.shape[-2] < 1 or input.shape[-1] < 1:
        raise ValueError(f"input has an empty height or width, shape {tuple(input.shape)}; "
                         "pooling needs at least one pixel.")
    for name, value, low in (
        ("kernel_size", kernel, 1),
        ("stride", stride, 1),
        ("dilation", dilation, 1),
        ("padding", padding, 0),
    ):
        if min(value) < low:
            raise ValueError(f"{name} must be >= {low} in both dimensions, got {value}.")
    for axis in range(2):
        limit = (
            effective_kernel_size(kernel[axis], dilation[axis])
            if pad_limit == "span"
            else kernel[axis]
        ) // 2
        if padding[axis] > limit:
            raise ValueError(
                f"padding {padding} is too large for kernel_size {kernel}"
                + (f" and dilation {dilation}" if pad_limit == "span" else "")
                + f": it may be at most half the window ({limit}), as in PyTorch, otherwise "
                "some windows would see only padding; use padding <= "
                f"{limit} or a larger kernel."
            )
    out = []
    for axis in range(2):
        size = input.shape[-2 + axis]
        n = pool_output_size(
            size, kernel[axis], stride[axis], padding[axis], dilation[axis], ceil_mode
        )
        if n < 1:
            span = effective_kernel_size(kernel[axis], dilation[axis])
            raise ValueError(
                f"the window spans {span} pixels but the padded input is only "
                f"{size + 2 * padding[axis]} along dimension {axis - 2} (size {size}, padding "
                f"{padding[axis]}); use a smaller kernel_size or more padding."
            )
        out.append(n)
    return out[0], out[1]


def _windows(padded: torch.Tensor, kernel, stride, dilation, out_hw) -> torch.Tensor:
    """Every window's values: (N, C, H, W) -> (N, C, kH*kW, oH, oW), one strided slice per tap."""
    taps = []
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            top, left = i * dilation[0], j * dilation[1]
            taps.append(
                padded[
                    ...,
                    top : top + stride[0] * (out_hw[0] - 1) + 1 : stride[0],
                    left : left + stride[1] * (out_hw[1] - 1) + 1 : stride[1],
                ]
            )  # (N, C, oH, oW)
    return torch.stack(taps, dim=2)  # (N, C, kH*kW, oH, oW)


def _pad_for_windows(
    x: torch.Tensor, kernel, stride, padding, dilation, out_hw, value: float
) -> torch.Tensor:
    """Pad P on every side, plus on the right/bottom whatever a ceil_mode last window needs."""
    extra = []
    for axis in range(2):
        needed = (out_hw[axis] - 1) * stride[axis] + effective_kernel_size(
            kernel[axis], dilation[axis]
        )
        extra.append(max(0, needed - (x.shape[-2 + axis] + 2 * padding[axis])))
    return F.pad(
        x, (padding[1], padding[1] + extra[1], padding[0], padding[0] + extra[0]), value=value
    )


def max_pool2d(
    input: torch.Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Same as torch.nn.functional.max_pool2d: the largest value of each window, per channel.

    Padding counts as -inf (never chosen). `return_indices=True` also returns, for each output,
    the flat index h*W + w of the chosen input pixel, which F.max_unpool2d accepts.
    """
    kernel = _pair(kernel_size, "kernel_size", low=1)
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride", low=1)
    padding, dilation = _pair(padding, "padding", low=0), _pair(dilation, "dilation", low=1)
    x, added = _as_batch(input)
    out_hw = _check_window(x, kernel, stride, padding, dilation, ceil_mode, pad_limit="kernel")
    height, width = x.shape[-2:]
    padded = _pad_for_windows(x, kernel, stride, padding, dilation, out_hw, value=float("-inf"))
    values = _windows(padded, kernel, stride, dilation, out_hw)  # (N, C, k, oH, oW)
    best, tap = values.max(dim=2)  # (N, C, oH, oW): first maximum, like torch
    result = best.squeeze(0) if added else best
    if not return_indices:
        return result
    # flat index of every padded position in the original input (-1 in the padding)
    rows = torch.arange(padded.shape[-2], device=x.device) - padding[0]
    cols = torch.arange(padded.shape[-1], device=x.device) - padding[1]
    flat = rows.view(-1, 1) * width + cols.view(1, -1)  # (Hp, Wp)
    inside = (rows.view(-1, 1) >= 0) & (rows.view(-1, 1) < height) & (cols >= 0) & (cols < width)
    flat = torch.where(inside, flat, -1)
    index_windows = _windows(
        flat.view(1, 1, *flat.shape), kernel, stride, dilation, out_hw
    )  # (1, 1, k, oH, oW)
    # A window of -inf only "chooses" its first tap, which may be padding; torch then reports
    # the window's first real pixel: take the first tap with a real index instead.
    first_real = (index_windows >= 0).to(torch.uint8).argmax(dim=2)  # (1, 1, oH, oW)
    index_windows = index_windows.expand(x.shape[0], x.shape[1], -1, -1, -1)
    indices = index_windows.gather(2, tap.unsqueeze(2)).squeeze(2)  # (N, C, oH, oW)
    if (indices < 0).any():
        fallback = index_windows.gather(2, first_real.expand_as(tap).unsqueeze(2)).squeeze(2)
        indices = torch.where(indices < 0, fallback, indices)
    return result, (indices.squeeze(0) if added else indices)


def avg_pool2d(
    input: torch.Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> torch.Tensor:
    """Same as torch.nn.functional.avg_pool2d: the mean of each window, per channel.

    `count_include_pad=True` divides by the window area inside the zero-padded input (padding
    counted as zeros); False divides by the real pixels only. A ceil_mode window hanging past
    the padding is never counted in full, as in PyTorch.
    """
    kernel = _pair(kernel_size, "kernel_size", low=1)
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride", low=1)
    padding = _pair(padding, "padding", low=0)
    if divisor_override is not None and (not isinstance(divisor_override, int)
                                         or isinstance(divisor_override, bool)
                                         or divisor_override <= 0):
        raise ValueError(f"divisor_override must be a positive int, got {divisor_override!r}.")
    x, added = _as_batch(input)
    out_hw = _check_window(x, kernel, stride, padding, (1, 1), ceil_mode, pad_limit="kernel")
    padded = _pad_for_windows(x, kernel, stride, padding, (1, 1), out_hw, value=0.0)
    sums = _windows(padded, kernel, stride, (1, 1), out_hw).sum(dim=2)  # (N, C, oH, oW)
    if divisor_override is not None:
        divisor = torch.tensor(float(divisor_override), dtype=x.dtype, device=x.device)
    else:
        # count what each window covers: 1 on real pixels (and on padding if it is counted)
        height, width = x.shape[-2:]
        mask = x.new_ones(1, 1, height, width)
        if count_include_pad:
            mask = F.pad(mask, (padding[1], padding[1], padding[0], padding[0]), value=1.0)
            mask = _pad_for_windows(mask, kernel, stride, (0, 0), (1, 1), out_hw, value=0.0)
        else:
            mask = _pad_for_windows(mask, kernel, stride, padding, (1, 1), out_hw, value=0.0)
        divisor = _windows(mask, kernel, stride, (1, 1), out_hw).sum(dim=2)  # (1, 1, oH, oW)
    out = sums / divisor
    return out.squeeze(0) if added else out


def lp_pool2d(
    input: torch.Tensor,
    norm_type: float,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    ceil_mode: bool = False,
) -> torch.Tensor:
    """Same as F.lp_pool2d: (sum of x^p over the window)^(1/p); p=2 is L2-norm pooling.

    Like PyTorch it computes sum = mean * kH*kW, so p=1 on non-negative inputs is sum pooling
    and a large p approaches max pooling; p=inf is max pooling of |x| (and p=-inf the minimum
    of |x|), exactly as PyTorch special-cases them.
    """
    if (not isinstance(norm_type, (int, float)) or isinstance(norm_type, bool)
            or norm_type == 0 or norm_type != norm_type):
        raise ValueError(f"norm_type (p of the Lp norm) must be a non-zero number, got "
                         f"norm_type={norm_type!r}; p=2 is L2 pooling, p=inf max pooling.")
    kernel = _pair(kernel_size, "kernel_size", low=1)
    check_tensor(input, "input", (3, 4), "(C, H, W) or (N, C, H, W)")
    if norm_type == float("inf"):
        return max_pool2d(input.abs(), kernel, stride, 0, 1, ceil_mode)
    if norm_type == float("-inf"):
        return -max_pool2d(-input.abs(), kernel, stride, 0, 1, ceil_mode)
    mean = avg_pool2d(input.pow(norm_type), kernel, stride, 0, ceil_mode)
    total = torch.sign(mean) * torch.relu(mean.abs()) * (kernel[0] * kernel[1])
    return total.pow(1.0 / norm_type)


def adaptive_avg_pool2d(input: torch.Tensor, output_size: IntPair) -> torch.Tensor:
    """Same as F.adaptive_avg_pool2d: averages over bins that split H and W evenly.

    Bin i along a length-L axis covers [floor(i*L/n), ceil((i+1)*L/n)), so bins may overlap by
    one pixel. output_size=1 is global average pooling.
    """
    out_h, out_w = _pair(output_size, "output_size", low=1)
    x, added = _as_batch(input)
    height, width = x.shape[-2:]
    if height < 1 or width < 1:  # torch raises too: there is nothing to average
        raise ValueError(f"input has an empty height or width, shape {tuple(input.shape)}; "
                         "adaptive pooling needs at least one pixel per map.")

    def bins(length: int, n: int) -> list[tuple[int, int]]:
        return [((i * length) // n, -(-((i + 1) * length) // n)) for i in range(n)]

    rows = [
        torch.stack(
            [x[..., r0:r1, c0:c1].mean(dim=(-2, -1)) for c0, c1 in bins(width, out_w)], dim=-1
        )
        for r0, r1 in bins(height, out_h)
    ]  # each (N, C, oW)
    out = torch.stack(rows, dim=-2)  # (N, C, oH, oW)
    return out.squeeze(0) if added else out
