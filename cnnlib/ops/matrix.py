"""Convolution as a matrix: conv(x) = C @ x.flatten(), and transposed convolution = C.T @ y.

C is sparse and banded (a doubly block-Toeplitz matrix for one channel): row r holds the
kernel's weights at the columns of the input pixels under output position r, zeros
elsewhere. Its transpose maps an output-sized tensor back to an input-sized one; that is
exactly `F.conv_transpose2d` with the same weight, which is why it is called "transposed".
Small sizes only (the matrix is dense here, for reading). Chapter 12.
"""

from __future__ import annotations

import torch

from cnnlib.ops.sizes import as_pair, check_int, check_tensor, conv_output_size


def _check_settings(stride: int, padding: int, dilation: int) -> None:
    check_int(stride, "stride")
    check_int(padding, "padding", 0)
    check_int(dilation, "dilation")


def _as_4d(weight: torch.Tensor) -> torch.Tensor:
    check_tensor(weight, "weight")
    if weight.ndim == 2:
        return weight[None, None]  # (1, 1, kH, kW)
    if weight.ndim == 4:
        return weight
    raise ValueError("weight must be (kH, kW) or (C_out, C_in, kH, kW), "
                     f"got {tuple(weight.shape)}.")


def conv_matrix(weight: torch.Tensor, input_size: tuple[int, int], stride: int = 1,
                padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """The (C_out*oH*oW, C_in*H*W) matrix C with conv2d(x, weight).flatten() == C @ x.flatten().

    Taps that land in the zero padding simply have no column (they multiply zeros).
    """
    w = _as_4d(weight)
    _check_settings(stride, padding, dilation)
    c_out, c_in, k_h, k_w = w.shape
    h, wid = as_pair(tuple(input_size) if isinstance(input_size, (tuple, list, torch.Size))
                     else input_size, "input_size", low=1)
    span_h, span_w = dilation * (k_h - 1) + 1, dilation * (k_w - 1) + 1
    if h + 2 * padding < span_h or wid + 2 * padding < span_w:
        raise ValueError(f"a {k_h}x{k_w} kernel (dilation {dilation}) does not fit a {h}x{wid} "
                         f"input with padding {padding}; use a larger input_size or more padding.")
    out_h = conv_output_size(h, k_h, stride, padding, dilation)
    out_w = conv_output_size(wid, k_w, stride, padding, dilation)
    matrix = w.new_zeros(c_out, out_h, out_w, c_in, h, wid)
    for r in range(out_h):
        for c in range(out_w):
            for i in range(k_h):
                for j in range(k_w):
                    row = r * stride - padding + i * dilation  # input pixel under tap (i, j)
                    col = c * stride - padding + j * dilation
                    if 0 <= row < h and 0 <= col < wid:
                        matrix[:, r, c, :, row, col] = w[:, :, i, j]  # all channel pairs at once
    return matrix.reshape(c_out * out_h * out_w, c_in * h * wid)  # (C_out*oH*oW, C_in*H*W)


def conv2d_by_matrix(x: torch.Tensor, weight: torch.Tensor, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> torch.Tensor:
    """conv2d (no bias) computed as C @ x.flatten() for each image in the batch: (N, C, H, W) in."""
    w = _as_4d(weight)
    check_tensor(x, "x", 4, "(N, C_in, H, W)")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels but weight expects {w.shape[1]} "
                         f"(weight.shape[1]); shapes x {tuple(x.shape)}, weight {tuple(w.shape)}.")
    matrix = conv_matrix(w, tuple(x.shape[-2:]), stride, padding, dilation)
    out_h = conv_output_size(x.shape[-2], w.shape[-2], stride, padding, dilation)
    out_w = conv_output_size(x.shape[-1], w.shape[-1], stride, padding, dilation)
    flat = x.reshape(x.shape[0], -1)  # (N, C_in*H*W)
    return (flat @ matrix.T).reshape(x.shape[0], w.shape[0], out_h, out_w)


def conv_transpose2d_by_matrix(y: torch.Tensor, weight: torch.Tensor,
                               input_size: tuple[int, int], stride: int = 1, padding: int = 0,
                               dilation: int = 1) -> torch.Tensor:
    """C.T @ y.flatten(): map conv outputs (N, C_out, oH, oW) back to inputs (N, C_in, H, W).

    `weight` is the convolution's (C_out, C_in, kH, kW), which is also the layout
    F.conv_transpose2d expects for a map from C_out back to C_in channels.
    """
    w = _as_4d(weight)
    check_tensor(y, "y", 4, "(N, C_out, oH, oW)")
    matrix = conv_matrix(w, input_size, stride, padding, dilation)
    flat = y.reshape(y.shape[0], -1)  # (N, C_out*oH*oW)
    if flat.shape[1] != matrix.shape[0]:
        raise ValueError(f"y has {flat.shape[1]} values per image but the convolution of a "
                         f"{input_size} input produces {matrix.shape[0]}; pass the matching "
                         "input_size.")
    return (flat @ matrix).reshape(y.shape[0], w.shape[1], *input_size)


def matching_output_padding(input_size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                            dilation: int = 1) -> int:
    """output_padding that makes conv_transpose2d return `input_size` again.

    A strided conv maps several input sizes to one output size (it floors); the leftover
    rows, (W + 2P - D(F-1) - 1) mod S, are what output_padding restores.
    """
    conv_output_size(input_size, kernel_size, stride, padding, dilation)  # checks every argument
    return (input_size + 2 * padding - dilation * (kernel_size - 1) - 1) % stride
