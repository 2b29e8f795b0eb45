"""Random conv2d configurations shared by the op tests: valid by construction, both dtypes."""

import random

import torch


def random_config(rng: random.Random, always_bias: bool = False):
    """(input, weight, bias or None, keyword arguments) for one random valid configuration."""
    groups = rng.choice([1, 1, 2, 3])
    c_in, c_out = groups * rng.randint(1, 3), groups * rng.randint(1, 3)
    k = (rng.randint(1, 4), rng.randint(1, 4))
    stride, dilation = (
        (rng.randint(1, 3), rng.randint(1, 3)),
        (rng.randint(1, 2), rng.randint(1, 2)),
    )
    padding = (rng.randint(0, 2), rng.randint(0, 2))
    h = max(dilation[0] * (k[0] - 1) + 1 - 2 * padding[0], 1) + rng.randint(0, 6)
    w = max(dilation[1] * (k[1] - 1) + 1 - 2 * padding[1], 1) + rng.randint(0, 6)
    dtype = rng.choice([torch.float32, torch.float64])
    x = torch.randn(rng.randint(1, 3), c_in, h, w, dtype=dtype)
    weight = torch.randn(c_out, c_in // groups, *k, dtype=dtype)
    bias = torch.randn(c_out, dtype=dtype) if always_bias or rng.random() < 0.7 else None
    return x, weight, bias, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
