"""Stochastic depth: during training, drop a residual branch for whole samples at random.

Huang et al. 2016 (https://arxiv.org/abs/1603.09382). EfficientNet and ConvNeXt use the
per-sample ("row") form, as torchvision's `StochasticDepth(p, "row")`: each sample's branch is
zeroed with probability `p` and the survivors are scaled by 1/(1 - p), so the expected output
is unchanged and evaluation needs no rescaling. Taught in the EfficientNet chapter.
"""

from __future__ import annotations

import torch
from torch import nn


def stochastic_depth(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """Zero each sample of `x` (N, ...) with probability `p` in training; identity in eval."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"stochastic depth probability p must be in [0, 1), got {p}.")
    if not training or p == 0.0:
        return x
    keep = 1.0 - p
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)  # (N, 1, 1, 1): one coin per sample
    mask = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x * mask / keep


class StochasticDepth(nn.Module):
    """`stochastic_depth` as a layer; no parameters, so state_dicts are unaffected."""

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"stochastic depth probability p must be in [0, 1), got {p}.")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return stochastic_depth(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
