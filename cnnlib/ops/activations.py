"""Activation functions from scratch, each one line, checked against torch (chapter 4).

hard_sigmoid and hard_swish are MobileNetV3's cheap stand-ins for sigmoid and swish: only a
ReLU6, an add and a divide, no exponential.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from cnnlib.ops.sizes import check_tensor


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1 / (1 + e^-x): squashes to (0, 1); its slope is at most 1/4, so deep stacks vanish."""
    check_tensor(x, "x")
    return 1 / (1 + torch.exp(-x))


def relu(x: torch.Tensor) -> torch.Tensor:
    """max(0, x): slope 1 for x > 0, 0 otherwise (a unit stuck at x < 0 "dies")."""
    check_tensor(x, "x")
    return torch.clamp(x, min=0)


def relu6(x: torch.Tensor) -> torch.Tensor:
    """min(max(0, x), 6): ReLU capped at 6 (robust in low precision; MobileNet)."""
    check_tensor(x, "x")
    return torch.clamp(x, min=0, max=6)


def swish(x: torch.Tensor) -> torch.Tensor:
    """x * sigmoid(x) (also called SiLU)."""
    check_tensor(x, "x")
    return x * sigmoid(x)


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """ReLU6(x + 3) / 6: a piecewise-linear sigmoid; equals torch's nn.Hardsigmoid."""
    check_tensor(x, "x")
    return relu6(x + 3) / 6


def hard_swish(x: torch.Tensor) -> torch.Tensor:
    """x * ReLU6(x + 3) / 6 (h-swish, MobileNetV3); equals torch's nn.Hardswish."""
    check_tensor(x, "x")
    return x * hard_sigmoid(x)


# name -> (ours, torch's), for the chapter 4 explorer and the tests
ACTIVATIONS: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], Callable]] = {
    "sigmoid": (sigmoid, torch.sigmoid),
    "relu": (relu, F.relu),
    "relu6": (relu6, F.relu6),
    "swish": (swish, F.silu),
    "hard_sigmoid": (hard_sigmoid, F.hardsigmoid),
    "hard_swish": (hard_swish, F.hardswish),
    "tanh": (lambda x: 2 * sigmoid(2 * x) - 1, torch.tanh),
}
