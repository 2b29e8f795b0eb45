"""Group normalization from scratch: batch norm's alternative that ignores the batch (chapter 15).

Wu and He, "Group Normalization", ECCV 2018 (https://arxiv.org/abs/1803.08494).
The channels are split into groups and each sample is normalised over (its channels in the
group, H, W): no batch statistics, so no running averages and no train/eval difference.
num_groups=1 normalises over (C, H, W) of each sample (a LayerNorm over all of it);
num_groups=C normalises each channel of each sample alone (InstanceNorm).
"""

from __future__ import annotations

import torch


def group_norm(x: torch.Tensor, num_groups: int, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-5) -> torch.Tensor:
    """Normalise each group of channels of each sample, then scale and shift; as F.group_norm."""
    if x.ndim < 2:
        raise ValueError(f"group_norm needs input of shape (N, C, ...), got shape {tuple(x.shape)}.")
    n, channels = x.shape[:2]
    if num_groups < 1 or channels % num_groups:
        raise ValueError(f"num_groups={num_groups} must divide the {channels} channels; "
                         f"pick a divisor of {channels}.")
    groups = x.reshape(n, num_groups, -1)  # (N, G, C/G * H * W)
    mean = groups.mean(dim=2, keepdim=True)
    var = groups.var(dim=2, unbiased=False, keepdim=True)
    x_hat = ((groups - mean) / torch.sqrt(var + eps)).reshape(x.shape)  # back to (N, C, ...)
    shape = [1, channels] + [1] * (x.ndim - 2)  # per-channel scale and shift, as in batch norm
    if weight is not None:
        x_hat = x_hat * weight.view(shape)
    if bias is not None:
        x_hat = x_hat + bias.view(shape)
    return x_hat
