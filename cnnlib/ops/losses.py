"""Softmax, cross-entropy and binary cross-entropy from scratch (chapter 4).

`cross_entropy` takes raw scores (logits) like torch's: it applies log-softmax itself, so a
model must NOT end in a Softmax layer (the "double softmax" bug).
"""

from __future__ import annotations

import torch


def log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(e^z_i / sum_j e^z_j), computed stably by subtracting the maximum first."""
    shifted = logits - logits.max(dim=dim, keepdim=True).values
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Probabilities that sum to 1 along `dim`."""
    return log_softmax(logits, dim).exp()


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of H(y*, y) = -sum_i y*_i log y_i with y = softmax(logits); target = class indices
    (N,) or probabilities (N, K). Same as F.cross_entropy."""
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, classes), got shape {tuple(logits.shape)}.")
    log_probs = log_softmax(logits, dim=1)  # (N, K)
    if target.dtype in (torch.int64, torch.int32):
        if target.shape != logits.shape[:1]:
            raise ValueError(
                f"class-index target must have shape ({logits.shape[0]},), "
                f"got {tuple(target.shape)}."
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
    if logits.shape != target.shape:
        raise ValueError(
            f"logits {tuple(logits.shape)} and target {tuple(target.shape)} must match."
        )
    return (logits.clamp(min=0) - logits * target + torch.log1p(torch.exp(-logits.abs()))).mean()
