"""Backpropagation through a convolution, by hand: gradients for input, weight and bias.

With cols = im2col(padded input) and out = W @ cols + b (per group), the chain rule gives
    dL/db = sum of dL/dout over batch and positions,
    dL/dW = dL/dout @ cols^T,
    dL/dcols = W^T @ dL/dout, folded back onto the input by col2im (the transpose of im2col).
`Conv2dFunction` plugs these formulas into autograd so they can be checked against torch. Chapter 4.
"""

from __future__ import annotations

import torch

from cnnlib.ops.conv import _check_conv_args, _pair, conv2d, im2col
from cnnlib.ops.sizes import check_tensor, conv_output_size


def col2im(
    cols: torch.Tensor,
    padded_hw: tuple[int, int],
    kernel_size: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
) -> torch.Tensor:
    """Transpose of im2col: add every column entry back onto the pixel it came from.

    (N, C*kH*kW, L) -> (N, C, Hp, Wp); a pixel in several windows receives the sum.
    """
    check_tensor(cols, "cols", 3, "(N, C*kH*kW, L)")
    kh, kw = _pair(kernel_size, "kernel_size", low=1)
    stride, dilation = _pair(stride, "stride", low=1), _pair(dilation, "dilation", low=1)
    height, width = _pair(padded_hw, "padded_hw", low=1)
    n = cols.shape[0]
    out_h = conv_output_size(height, kh, stride[0], 0, dilation[0])
    out_w = conv_output_size(width, kw, stride[1], 0, dilation[1])
    if cols.shape[1] % (kh * kw) or cols.shape[2] != out_h * out_w:
        raise ValueError(
            f"cols has shape {tuple(cols.shape)} but kernel_size ({kh}, {kw}) on a padded_hw "
            f"{(height, width)} input needs (N, C*{kh * kw}, {out_h * out_w}); pass the "
            "kernel_size, stride, dilation and padded_hw im2col was called with.")
    cols = cols.reshape(n, -1, kh, kw, out_h, out_w)  # (N, C, kH, kW, oH, oW)
    image = cols.new_zeros(n, cols.shape[1], height, width)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dilation[0], j * dilation[1]
            image[
                :,
                :,
                top : top + stride[0] * (out_h - 1) + 1 : stride[0],
                left : left + stride[1] * (out_w - 1) + 1 : stride[1],
            ] += cols[:, :, i, j]
    return image


def conv2d_grads(
    grad_output: torch.Tensor,
    input: torch.Tensor,
    weight: torch.Tensor,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dL/dinput, dL/dweight, dL/dbias) of conv2d from dL/doutput, by the formulas above."""
    stride, padding, dilation = (
        _pair(stride, "stride", low=1),
        _pair(padding, "padding", low=0),
        _pair(dilation, "dilation", low=1),
    )
    _check_conv_args(input, weight, None, stride, dilation, groups)
    check_tensor(grad_output, "grad_output", 4, "(N, C_out, oH, oW)")
    n, c_in, height, width = input.shape
    c_out, _, kh, kw = weight.shape
    padded = torch.nn.functional.pad(input, (padding[1], padding[1], padding[0], padding[0]))
    expected = (n, c_out, conv_output_size(height, kh, stride[0], padding[0], dilation[0]),
                conv_output_size(width, kw, stride[1], padding[1], dilation[1]))
    if tuple(grad_output.shape) != expected:
        raise ValueError(f"grad_output must have the conv output's shape {expected}, got "
                         f"{tuple(grad_output.shape)}; pass dL/d(output) of this very conv.")
    cols = im2col(padded, (kh, kw), stride, dilation)  # (N, C*kH*kW, L)
    cols = cols.view(n, groups, -1, cols.shape[-1])  # (N, g, C/g*kH*kW, L)
    grad = grad_output.reshape(n, groups, c_out // groups, -1)  # (N, g, C_out/g, L)
    w = weight.reshape(groups, c_out // groups, -1)  # (g, C_out/g, C/g*kH*kW)

    grad_bias = grad_output.sum(dim=(0, 2, 3))  # (C_out,)
    grad_weight = torch.einsum("ngol,ngkl->gok", grad, cols).reshape(weight.shape)
    grad_cols = torch.einsum("gok,ngol->ngkl", w, grad).reshape(
        n, -1, grad.shape[-1]
    )  # (N, C*kH*kW, L)
    grad_padded = col2im(grad_cols, tuple(padded.shape[-2:]), (kh, kw), stride, dilation)
    grad_input = grad_padded[
        :, :, padding[0] : padding[0] + height, padding[1] : padding[1] + width
    ]
    return grad_input, grad_weight, grad_bias


class Conv2dFunction(torch.autograd.Function):
    """conv2d whose backward is `conv2d_grads`, so autograd uses our formulas instead of torch's."""

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation, groups):
        ctx.save_for_backward(input, weight)
        ctx.settings = (stride, padding, dilation, groups)
        ctx.has_bias = bias is not None
        return conv2d(input, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        grad_input, grad_weight, grad_bias = conv2d_grads(grad_output, input, weight, *ctx.settings)
        return grad_input, grad_weight, grad_bias if ctx.has_bias else None, None, None, None, None


def conv2d_manual_grad(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> torch.Tensor:
    """conv2d (same arguments as F.conv2d, numeric padding only) with hand-written gradients."""
    if isinstance(padding, str):
        raise ValueError(f"padding={padding!r}: conv2d_manual_grad takes numeric padding only.")
    return Conv2dFunction.apply(input, weight, bias, stride, padding, dilation, groups)
