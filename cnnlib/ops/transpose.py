"""Transposed convolution from scratch: every input pixel stamps a scaled copy of the kernel.

Same arguments and result as `torch.nn.functional.conv_transpose2d`. Two readings of the
same operation (chapter 12):
- `conv_transpose2d`: scatter-add. Input pixel (h, w) adds `x[h, w] * kernel` into the
  output at (h*S, w*S), taps D apart; then P rows/columns are cropped from each border.
- `conv_transpose2d_as_conv`: insert S-1 zeros between input pixels, pad, and run an
  ordinary convolution with the kernel flipped and its in/out channels swapped.
The matrix reading (the transpose of the convolution's sparse matrix) is in `cnnlib.ops.matrix`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnlib.ops.sizes import as_pair as _pair
from cnnlib.ops.sizes import check_int, check_tensor

IntPair = int | tuple[int, int]



def conv_transpose_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> int:
    """Output length of a transposed convolution: (W-1)S - 2P + D(F-1) + output_padding + 1."""
    for name, value, low in (("size", size, 1), ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                             ("padding", padding, 0), ("output_padding", output_padding, 0),
                             ("dilation", dilation, 1)):
        check_int(value, name, low)
    out = (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if out < 1:
        raise ValueError(f"output size would be {out}: padding={padding} crops away everything "
                         f"(size={size}, kernel_size={kernel_size}, stride={stride}); use "
                         "less padding.")
    return (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1


def _check(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
           stride: tuple[int, int], padding: tuple[int, int], output_padding: tuple[int, int],
           groups: int, dilation: tuple[int, int]) -> tuple[int, int]:
    """Validate like torch, but say what to change; return the output (height, width)."""
    check_tensor(input, "input")
    check_tensor(weight, "weight")
    if bias is not None:
        check_tensor(bias, "bias")
    if input.ndim != 4:
        raise ValueError(f"input must be 4-D (N, C, H, W), got shape {tuple(input.shape)}; "
                         "add a batch dimension with input.unsqueeze(0).")
    if weight.ndim != 4:
        raise ValueError("weight must be 4-D (C_in, C_out/groups, kH, kW), "
                         f"got {tuple(weight.shape)}.")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"groups must be a positive int, got groups={groups!r}.")
    c_in = input.shape[1]
    if weight.shape[0] != c_in:
        raise ValueError(f"weight.shape[0]={weight.shape[0]} must equal the input channels "
                         f"({c_in}): "
                         "a transposed conv's weight is (C_in, C_out/groups, kH, kW), the "
                         "reverse of Conv2d's.")
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide the input channels ({c_in}).")
    c_out = weight.shape[1] * groups
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"bias must have shape ({c_out},), one per output channel, "
                         f"got {tuple(bias.shape)}.")
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"stride and dilation must be positive, got stride={stride}, "
                         f"dilation={dilation}.")
    if min(padding) < 0 or min(output_padding) < 0:
        raise ValueError(f"padding and output_padding must be non-negative, got padding={padding}, "
                         f"output_padding={output_padding}.")
    for axis in range(2):
        if output_padding[axis] >= max(stride[axis], dilation[axis]):
            raise ValueError(f"output_padding={output_padding[axis]} must be smaller than stride "
                             f"({stride[axis]}) or dilation ({dilation[axis]}): it only picks "
                             "one of the input sizes a strided conv maps to the same output size.")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != input.dtype):
        raise ValueError(f"input ({input.dtype}), weight ({weight.dtype}) and bias must share a "
                         "dtype, as torch requires; convert them, e.g. weight.to(input.dtype).")
    if min(input.shape[2:]) < 1 or min(weight.shape) < 1:
        raise ValueError(f"input {tuple(input.shape)} and weight {tuple(weight.shape)} must have "
                         "no empty dimension.")
    sizes = tuple((input.shape[2 + a] - 1) * stride[a] - 2 * padding[a]
                  + dilation[a] * (weight.shape[2 + a] - 1) + output_padding[a] + 1
                  for a in range(2))
    if min(sizes) < 1:
        raise ValueError(f"output size would be {sizes[0]}x{sizes[1]}: padding={padding} crops "
                         "away everything; use less padding.")
    return sizes


def conv_transpose2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                     stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                     groups: int = 1, dilation: IntPair = 1) -> torch.Tensor:
    """Same as torch.nn.functional.conv_transpose2d, by scatter-adding kernel copies."""
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    output_padding, dilation = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
    out_h, out_w = _check(input, weight, bias, stride, padding, output_padding, groups, dilation)
    n, c_in, h, w = input.shape
    k_h, k_w = weight.shape[2:]
    c_out = weight.shape[1] * groups
    x = input.reshape(n, groups, c_in // groups, h, w)  # (N, g, C_in/g, H, W)
    wg = weight.reshape(groups, c_in // groups, -1, k_h, k_w)  # (g, C_in/g, C_out/g, kH, kW)
    # every input pixel times every kernel tap, summed over the input channels of its group
    stamps = torch.einsum("ngchw,gcoij->ngoijhw", x, wg)  # (N, g, C_out/g, kH, kW, H, W)
    stamps = stamps.reshape(n, c_out, k_h, k_w, h, w)  # (N, C_out, kH, kW, H, W)
    # the uncropped canvas: every stamp fits, plus output_padding extra rows/cols at the end
    full_h = (h - 1) * stride[0] + dilation[0] * (k_h - 1) + 1 + output_padding[0]
    full_w = (w - 1) * stride[1] + dilation[1] * (k_w - 1) + 1 + output_padding[1]
    canvas = input.new_zeros(n, c_out, full_h, full_w)
    for i in range(k_h):
        for j in range(k_w):
            top, left = i * dilation[0], j * dilation[1]
            # tap (i, j) of input pixel (r, c) lands at (r*S + i*D, c*S + j*D)
            canvas[:, :, top: top + stride[0] * (h - 1) + 1: stride[0],
                   left: left + stride[1] * (w - 1) + 1: stride[1]] += stamps[:, :, i, j]
    out = canvas[:, :, padding[0]: padding[0] + out_h, padding[1]: padding[1] + out_w]
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


def conv_transpose2d_as_conv(input: torch.Tensor, weight: torch.Tensor,
                             bias: torch.Tensor | None = None,
                             stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                             groups: int = 1, dilation: IntPair = 1) -> torch.Tensor:
    """The same result as an ordinary convolution: zero-insertion, padding, flipped kernel."""
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    output_padding, dilation = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
    _check(input, weight, bias, stride, padding, output_padding, groups, dilation)
    n, c_in, h, w = input.shape
    k_h, k_w = weight.shape[2:]
    # 1. insert stride-1 zeros between neighbouring pixels
    spread = input.new_zeros(n, c_in, (h - 1) * stride[0] + 1, (w - 1) * stride[1] + 1)
    spread[:, :, ::stride[0], ::stride[1]] = input
    # 2. pad D(k-1) - P on each side (negative = crop), output_padding more at the bottom/right
    pad_h, pad_w = dilation[0] * (k_h - 1) - padding[0], dilation[1] * (k_w - 1) - padding[1]
    spread = F.pad(spread, (pad_w, pad_w + output_padding[1], pad_h, pad_h + output_padding[0]))
    # 3. flip the kernel and swap its in/out channel roles (per group)
    wg = weight.reshape(groups, c_in // groups, -1, k_h, k_w)  # (g, C_in/g, C_out/g, kH, kW)
    flipped = wg.transpose(1, 2).flip(-1, -2)  # (g, C_out/g, C_in/g, kH, kW)
    flipped = flipped.reshape(-1, c_in // groups, k_h, k_w)  # (C_out, C_in/g, kH, kW)
    return F.conv2d(spread, flipped, bias, stride=1, dilation=dilation, groups=groups)
