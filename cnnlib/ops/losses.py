"""Softmax, cross-entropy and binary cross-entropy from scratch (chapter 4).

`cross_entropy` takes raw scores (logits) like torch's: it applies log-softmax itself, so a
model must NOT end in a Softmax layer (the "double softmax" bug).
"""

from __future__ import annotations

import torch

from cnnlib.ops.sizes import check_tensor


def _check_dim(logits: torch.Tensor, dim: int) -> None:
    check_tensor(logits, "logits")
    if not isinstance(dim, int) or isinstance(dim, bool) or not -logits.ndim <= dim < max(logits.ndim, 1):
        raise ValueError(f"dim must be an int in [{-logits.ndim}, {logits.ndim - 1}] for logits of "
                         f"shape {tuple(logits.shape)}, got dim={dim!r}.")
    if not logits.is_floating_point():
        raise ValueError(f"logits must be floating point, got {logits.dtype}; use logits.float().")


def log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(e^z_i / sum_j e^z_j), computed stably by subtracting the maximum first."""
    _check_dim(logits, dim)
    shifted = logits - logits.max(dim=dim, keepdim=True).values
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Probabilities that sum to 1 along `dim`."""
    _check_dim(logits, dim)
    return log_softmax(logits, dim).exp()


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of H(y*, y) = -sum_i y*_i log y_i with y = softmax(logits); target = class indices
    (N,) or probabilities (N, K). Same as F.cross_entropy."""
    check_tensor(logits, "logits", 2, "(N, classes)")
    check_tensor(target, "target")
    log_probs = log_softmax(logits, dim=1)  # (N, K)
    if target.dtype in (torch.int64, torch.int32):
        if target.shape != logits.shape[:1]:
            raise ValueError(
                f"class-index target must have shape ({logits.shape[0]},), "
                f"got {tuple(target.shape)}."
            )
        if target.numel() and (target.min() < 0 or target.max() >= logits.shape[1]):
            raise ValueError(
                f"target holds class indices in [{int(target.min())}, {int(target.max())}] but "
                f"logits have {logits.shape[1]} classes; indices must be in "
                f"[0, {logits.shape[1] - 1}]."
            )
        target = torch.nn.functional.one_hot(target.long(), logits.shape[1]).to(logits.dtype)
    if target.shape != logits.shape:
        raise ValueError(
            f"probability target must match logits {tuple(logits.shape)}, "
            f"got {tuple(target.shape)}."
        )
    return -(target * log_probs).sum(dim=1).mean()


def binary_cross_entropy_with_logits(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of -[y log s(z) + (1-y) log(1-s(z))] for independent yes/no outputs, written
    stably as max(z,0) - z*y + log(1 + e^-|z|). Same as F.binary_cross_entropy_with_logits."""
    check_tensor(logits, "logits")
    check_tensor(target, "target")
    if logits.shape != target.shape:
        raise ValueError(
            f"logits {tuple(logits.shape)} and target {tuple(target.shape)} must match."
        )
    return (logits.clamp(min=0) - logits * target + torch.log1p(torch.exp(-logits.abs()))).mean()
