"""2-D convolution from scratch: a direct loop (the definition) and im2col + one matmul (fast).

Deep-learning "convolution" is cross-correlation: the kernel is not flipped. Chapter 1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnlib.ops.sizes import as_pair as _pair
from cnnlib.ops.sizes import check_tensor, conv_output_size


def _same_padding(kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) padding keeping the size at stride 1; extra goes right/bottom."""
    total_h = dilation[0] * (kernel[0] - 1)
    total_w = dilation[1] * (kernel[1] - 1)
    return total_w // 2, total_w - total_w // 2, total_h // 2, total_h - total_h // 2


def _check_conv_args(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    groups: int,
) -> None:
    """Explain a bad configuration before computing anything."""
    check_tensor(input, "input")
    check_tensor(weight, "weight")
    if bias is not None:
        check_tensor(bias, "bias")
    if input.ndim != 4:
        raise ValueError(
            f"input must be 4-D (N, C, H, W), got shape {tuple(input.shape)}; "
            "add a batch dimension with input.unsqueeze(0)."
        )
    if weight.ndim != 4:
        raise ValueError(
            f"weight must be 4-D (C_out, C_in/groups, kH, kW), got {tuple(weight.shape)}."
        )
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"groups must be a positive int, got groups={groups!r}.")
    c_in, c_out = input.shape[1], weight.shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"groups={groups} must divide both input channels ({c_in}) and output "
            f"channels ({c_out})."
        )
    if weight.shape[1] * groups != c_in:
        raise ValueError(
            f"weight expects {weight.shape[1] * groups} input channels "
            f"(weight.shape[1]={weight.shape[1]} x groups={groups}) but input has {c_in}."
        )
    if min(weight.shape) < 1:
        raise ValueError(f"weight has an empty dimension, shape {tuple(weight.shape)}; every "
                         "dimension (C_out, C_in/groups, kH, kW) must be at least 1.")
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(
            f"bias must have shape ({c_out},), one per output channel, got {tuple(bias.shape)}."
        )
    if min(stride) < 1:
        raise ValueError(f"stride must be positive (1 = every position), got {stride}.")
    if min(dilation) < 1:
        raise ValueError(f"dilation must be positive (1 = an ordinary kernel), got {dilation}.")
    if input.dtype != weight.dtype:
        raise ValueError(
            f"input is {input.dtype} but weight is {weight.dtype}; convert one, e.g. "
            "input.to(weight.dtype)."
        )
    if bias is not None and bias.dtype != input.dtype:
        raise ValueError(
            f"bias is {bias.dtype} but input and weight are {input.dtype} (torch refuses this "
            "too); convert it, e.g. bias.to(input.dtype)."
        )


def _pad_input(input: torch.Tensor, padding, kernel, stride, dilation) -> torch.Tensor:
    if isinstance(padding, str) and padding not in ("valid", "same"):
        raise ValueError(f"padding must be a number, a pair, 'valid' or 'same', got {padding!r}.")
    if padding == "valid":
        return input
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(
                f"padding='same' needs stride 1 (got stride={stride}): with a larger "
                "stride no padding keeps the size; give the padding as a number."
            )
        return F.pad(input, _same_padding(kernel, dilation))
    ph, pw = _pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(
            f"padding must be non-negative, got {padding!r}; to crop, slice the input instead."
        )
    return F.pad(input, (pw, pw, ph, ph))


def _output_hw(padded: torch.Tensor, kernel, stride, dilation) -> tuple[int, int]:
    h, w = padded.shape[-2:]
    span = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    if h < span[0] or w < span[1]:
        raise ValueError(
            f"kernel spans {span[0]}x{span[1]} pixels (kernel_size {kernel}, dilation "
            f"{dilation}) but the padded input is only {h}x{w}; use a smaller kernel "
            "or dilation, or more padding."
        )
    out_h = conv_output_size(h, kernel[0], stride[0], 0, dilation[0])
    out_w = conv_output_size(w, kernel[1], stride[1], 0, dilation[1])
    return out_h, out_w


def im2col(
    input: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    dilation: int | tuple[int, int] = 1,
) -> torch.Tensor:
    """Unfold every kernel-sized patch into a column: (N, C, H, W) -> (N, C*kH*kW, L).

    Column l holds the window under output position l (row-major), in the same order as
    `weight.reshape(C_out, -1)`, so convolution becomes one matrix multiply. `input` must
    already be padded. Loops over the kH*kW kernel taps only, never over positions.
    """
    kernel, stride, dilation = (
        _pair(kernel_size, "kernel_size", low=1),
        _pair(stride, "stride", low=1),
        _pair(dilation, "dilation", low=1),
    )
    check_tensor(input, "input", 4, "(N, C, H, W), already padded")
    n, c = input.shape[:2]
    out_h, out_w = _output_hw(input, kernel, stride, dilation)
    taps = []
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            top, left = i * dilation[0], j * dilation[1]
            # every output position's pixel under tap (i, j): a strided slice of the input
            taps.append(
                input[
                    :,
                    :,
                    top : top + stride[0] * (out_h - 1) + 1 : stride[0],
                    left : left + stride[1] * (out_w - 1) + 1 : stride[1],
                ]
            )  # (N, C, oH, oW)
    cols = torch.stack(taps, dim=2)  # (N, C, kH*kW, oH, oW)
    return cols.reshape(n, c * kernel[0] * kernel[1], out_h * out_w)  # (N, C*kH*kW, L)


def _prepare(input, weight, bias, stride, padding, dilation, groups):
    """Shared by both implementations: check the arguments, pad, and compute the output size."""
    stride, dilation = _pair(stride, "stride", low=1), _pair(dilation, "dilation", low=1)
    _check_conv_args(input, weight, bias, stride, dilation, groups)
    kernel = tuple(weight.shape[-2:])
    padded = _pad_input(input, padding, kernel, stride, dilation)
    return padded, kernel, stride, dilation, _output_hw(padded, kernel, stride, dilation)


def conv2d(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> torch.Tensor:
    """Same as torch.nn.functional.conv2d, computed as im2col + one (batched) matrix multiply.

    Image by image: the columns of one image (C*kH*kW x L values) fit in the CPU cache, those
    of a whole batch do not, and the copy-then-multiply runs about twice as fast this way.
    """
    padded, kernel, stride, dilation, (out_h, out_w) = _prepare(input, weight, bias, stride, padding,
                                                                dilation, groups)
    n, c_out = input.shape[0], weight.shape[0]
    w = weight.reshape(groups, c_out // groups, -1)  # (g, C_out/g, C/g*kH*kW)
    b = None if bias is None else bias.view(groups, c_out // groups, 1)  # (g, C_out/g, 1)
    outs = []
    for image in padded.split(1):  # one image at a time, so its columns stay in the CPU cache
        cols = im2col(image, kernel, stride, dilation)  # (1, C*kH*kW, L): the one unfold
        cols = cols.view(groups, -1, out_h * out_w)  # (g, C/g*kH*kW, L)
        # the one (batched over groups) matmul, with the bias added in the same call
        outs.append(torch.matmul(w, cols) if b is None else torch.baddbmm(b, w, cols))
    out = torch.stack(outs)  # (N, g, C_out/g, L)
    return out.view(n, c_out, out_h, out_w)  # (N, C_out, oH, oW)


def conv2d_loop(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> torch.Tensor:
    """The definition, as loops: each output value is a window · kernel dot product (+ bias).

    Slow on purpose; use it to read what convolution is, and `conv2d` to compute.
    """
    x, kernel, stride, dilation, (out_h, out_w) = _prepare(input, weight, bias, stride, padding,
                                                           dilation, groups)
    n, c_out = input.shape[0], weight.shape[0]
    c_per_group, o_per_group = weight.shape[1], c_out // groups
    out = input.new_zeros(n, c_out, out_h, out_w)
    for o in range(c_out):
        g = o // o_per_group
        channels = x[:, g * c_per_group : (g + 1) * c_per_group]  # this kernel's input channels
        for r in range(out_h):
            for c in range(out_w):
                top, left = r * stride[0], c * stride[1]
                window = channels[
                    :,
                    :,
                    top : top + dilation[0] * (kernel[0] - 1) + 1 : dilation[0],
                    left : left + dilation[1] * (kernel[1] - 1) + 1 : dilation[1],
                ]
                out[:, o, r, c] = (window * weight[o]).sum(dim=(1, 2, 3))
        if bias is not None:
            out[:, o] += bias[o]
    return out
