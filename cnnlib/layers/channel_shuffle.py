"""Channel shuffle: interleave the channels of g groups so the next grouped convolution mixes them.

ShuffleNet (Zhang et al. 2018, https://arxiv.org/abs/1707.01083). Taught in chapter 11.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlib.ops.sizes import check_tensor


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Reorder channels [g0c0, g0c1, ..., g1c0, ...] -> [g0c0, g1c0, ..., g0c1, g1c1, ...].

    Reshape to (groups, channels per group), transpose, flatten: every new group of
    C/groups consecutive channels then holds one channel from each old group.
    """
    check_tensor(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have a channel dimension (N, C, ...), got {tuple(x.shape)}.")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"groups must be a positive int, got groups={groups!r}.")
    n, c = x.shape[:2]
    if c % groups:
        raise ValueError(f"groups={groups} must divide the number of channels ({c}); "
                         f"pick a divisor of {c}.")
    rest = x.shape[2:]
    x = x.reshape(n, groups, c // groups, *rest)  # (N, g, C/g, ...)
    x = x.transpose(1, 2)  # (N, C/g, g, ...)
    return x.reshape(n, c, *rest)  # (N, C, ...)


class ChannelShuffle(nn.Module):
    """`channel_shuffle` as a layer, to sit between two grouped convolutions."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"groups must be a positive int, got groups={groups!r}.")
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_shuffle(x, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
