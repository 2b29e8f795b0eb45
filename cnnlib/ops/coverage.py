"""How often each input pixel is read by a sliding window: the cost of small strides, the
blind spots of large ones, and why zero padding protects the border. Chapter 2.
"""

from __future__ import annotations

import torch

from cnnlib.ops.conv_grad import col2im
from cnnlib.ops.sizes import as_pair, conv_output_size


def pixel_usage(
    size: int | tuple[int, int],
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
) -> torch.Tensor:
    """(H, W) integer map: in how many windows each input pixel takes part (padding not shown).

    It is col2im of an all-ones column matrix: every window adds 1 to each pixel it reads.
    """
    height, width = as_pair(tuple(size) if isinstance(size, list) else size, "size", low=1)
    # raises a ValueError naming the argument to change when a setting is impossible
    out_h = conv_output_size(height, kernel_size, stride, padding, dilation)
    out_w = conv_output_size(width, kernel_size, stride, padding, dilation)
    ones = torch.ones(
        1, kernel_size * kernel_size, out_h * out_w
    )  # (1, kH*kW, L): every tap of every window
    padded = col2im(
        ones,
        (height + 2 * padding, width + 2 * padding),
        (kernel_size, kernel_size),
        (stride, stride),
        (dilation, dilation),
    )[0, 0]  # (Hp, Wp)
    return padded[padding : padding + height, padding : padding + width].round().long()
