"""Factorised convolutions: a k x k (x C) kernel replaced by cheaper steps.

- `DepthwiseSeparableConv2d`: one k x k kernel per channel, then a 1x1 mix (chapter 9;
  MobileNet V1, https://arxiv.org/abs/1704.04861, reuses it with BN + ReLU after each step).
- `SpatiallySeparableConv2d`: a k x 1 then a 1 x k convolution (chapter 8).
- `FlattenedConv2d`: 1x1 across channels, then k x 1 and 1 x k per channel (chapter 10;
  Jin et al. 2014, https://arxiv.org/abs/1412.5474).

Each has `equivalent_kernel()`: the single standard kernel the steps compute (when no
normalisation or activation sits between them), so tests can compare with one nn.Conv2d.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from cnnlib.ops.sizes import check_int, check_tensor


def _check_layer(in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 padding: int | None, dilation: int = 1, mid_channels: int | None = None) -> None:
    """ValueError naming the first argument that is not a positive int (padding: >= 0 or None)."""
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):
        check_int(value, name)
    if padding is not None:
        check_int(padding, "padding", 0)
    if mid_channels is not None:
        check_int(mid_channels, "mid_channels")


def _norm_act(channels: int, enabled: bool,
              activation: Callable[[], nn.Module]) -> tuple[nn.Module, nn.Module]:
    if not enabled:
        return nn.Identity(), nn.Identity()
    return nn.BatchNorm2d(channels), activation()


class DepthwiseSeparableConv2d(nn.Module):
    """Depthwise k x k conv (groups = in_channels) then pointwise 1x1 conv.

    Weights: C_in*k*k + C_in*C_out instead of C_in*C_out*k*k. With `norm_act=True` each step
    is conv (no bias) -> BatchNorm -> activation, as in MobileNet V1. `padding=None` keeps
    the size at stride 1 (k // 2 times the dilation).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 padding: int | None = None, dilation: int = 1, bias: bool = True,
                 norm_act: bool = False, activation: Callable[[], nn.Module] = nn.ReLU) -> None:
        super().__init__()
        _check_layer(in_channels, out_channels, kernel_size, stride, padding, dilation)
        padding = dilation * (kernel_size // 2) if padding is None else padding
        conv_bias = bias and not norm_act  # BatchNorm's shift replaces a conv bias
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size, stride, padding, dilation,
                                   groups=in_channels, bias=conv_bias)
        self.bn1, self.act1 = _norm_act(in_channels, norm_act, activation)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=conv_bias)
        self.bn2, self.act2 = _norm_act(out_channels, norm_act, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.bn1(self.depthwise(x)))  # (N, C_in, H', W'): channels kept apart
        return self.act2(self.bn2(self.pointwise(out)))  # (N, C_out, H', W'): channels mixed

    def equivalent_kernel(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(weight, bias) of the one standard conv these two steps equal (without norm/act)."""
        dw = self.depthwise.weight[:, 0]  # (C_in, k, k)
        pw = self.pointwise.weight[:, :, 0, 0]  # (C_out, C_in)
        weight = pw[:, :, None, None] * dw[None]  # (C_out, C_in, k, k): rank-1 across channels
        bias = None
        if self.pointwise.bias is not None:
            bias = self.pointwise.bias + pw @ self.depthwise.bias
        return weight, bias


class SpatiallySeparableConv2d(nn.Module):
    """A k x 1 (vertical) conv then a 1 x k (horizontal) conv: 2k weights per channel pair, not k*k.

    Equal to one k x k conv whose kernel is column x row (rank 1), e.g. Sobel = [1,2,1]^T [-1,0,1].
    `mid_channels` (default out_channels) is the width between the two steps; only the
    second step has a bias, so the pair equals a single conv exactly, borders included.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 padding: int | None = None, bias: bool = True,
                 mid_channels: int | None = None) -> None:
        super().__init__()
        _check_layer(in_channels, out_channels, kernel_size, stride, padding,
                     mid_channels=mid_channels)
        padding = kernel_size // 2 if padding is None else padding
        mid = out_channels if mid_channels is None else mid_channels
        k = kernel_size
        self.vertical = nn.Conv2d(in_channels, mid, (k, 1), (stride, 1), (padding, 0), bias=False)
        self.horizontal = nn.Conv2d(mid, out_channels, (1, k), (1, stride), (0, padding), bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.horizontal(self.vertical(x))

    def equivalent_kernel(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(weight, bias) of the single k x k conv: sum over the middle channels of column x row."""
        col = self.vertical.weight[:, :, :, 0]  # (mid, C_in, k)
        row = self.horizontal.weight[:, :, 0, :]  # (C_out, mid, k)
        weight = torch.einsum("mci,omj->ocij", col, row)  # (C_out, C_in, k, k)
        return weight, self.horizontal.bias


class FlattenedConv2d(nn.Module):
    """Lateral 1x1 (across channels), vertical k x 1 and horizontal 1 x k (each per channel).

    Per output channel the C x k x k kernel becomes three 1-D kernels, C + k + k weights; the
    product of the three is a rank-1 3-D kernel (see `equivalent_kernel`). `norm_act=True`
    puts BatchNorm + activation after the last step only (inside, the steps stay linear).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 padding: int | None = None, bias: bool = True, norm_act: bool = False,
                 activation: Callable[[], nn.Module] = nn.ReLU) -> None:
        super().__init__()
        _check_layer(in_channels, out_channels, kernel_size, stride, padding)
        padding = kernel_size // 2 if padding is None else padding
        k, c = kernel_size, out_channels
        self.lateral = nn.Conv2d(in_channels, c, 1, bias=False)
        self.vertical = nn.Conv2d(c, c, (k, 1), (stride, 1), (padding, 0), groups=c, bias=False)
        self.horizontal = nn.Conv2d(c, c, (1, k), (1, stride), (0, padding), groups=c,
                                    bias=bias and not norm_act)
        self.bn, self.act = _norm_act(c, norm_act, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lateral(x)  # (N, C_out, H, W): mix channels
        out = self.vertical(out)  # (N, C_out, H', W): 1-D along height, per channel
        out = self.horizontal(out)  # (N, C_out, H', W'): 1-D along width, per channel
        return self.act(self.bn(out))

    def equivalent_kernel(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(weight, bias) of the one conv: w[o, c, i, j] = lateral[o, c] vert[o, i] horiz[o, j]."""
        lat = self.lateral.weight[:, :, 0, 0]  # (C_out, C_in)
        vert = self.vertical.weight[:, 0, :, 0]  # (C_out, k)
        horiz = self.horizontal.weight[:, 0, 0, :]  # (C_out, k)
        weight = torch.einsum("oc,oi,oj->ocij", lat, vert, horiz)  # (C_out, C_in, k, k)
        return weight, self.horizontal.bias


def rank1_factors(kernel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Best column x row approximation of a 2-D kernel by SVD: (column, row, singular values).

    The kernel is separable exactly when only the first singular value is non-zero
    (rank 1); then `column[:, None] * row[None, :]` rebuilds it. Chapter 8.
    """
    check_tensor(kernel, "kernel")
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be 2-D (kH, kW), got shape {tuple(kernel.shape)}.")
    u, s, vh = torch.linalg.svd(kernel.double())
    scale = s[0].sqrt()
    column, row = u[:, 0] * scale, vh[0] * scale
    if column[column.abs().argmax()] < 0:  # sign: the column's largest entry positive
        column, row = -column, -row
    return column.to(kernel.dtype), row.to(kernel.dtype), s.to(kernel.dtype)
