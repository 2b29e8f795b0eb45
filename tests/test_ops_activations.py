"""Activations, softmax and the two cross-entropies from scratch, against torch."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlib.ops import (
    ACTIVATIONS,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hard_sigmoid,
    log_softmax,
    pixel_usage,
    softmax,
)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_and_gradients_match_torch(name):
    ours, reference = ACTIVATIONS[name]
    x = torch.linspace(-8, 8, 1601, dtype=torch.float64)  # includes the kinks at -3, 0, 3, 6
    x = x[(x - x.round()).abs() > 1e-9]  # derivatives at kinks are conventions: skip them
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    torch.testing.assert_close(ours(a), reference(b))
    ours(a).sum().backward()
    reference(b).sum().backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_hardsigmoid_is_relu6_shifted():
    x = torch.randn(1000)
    torch.testing.assert_close(hard_sigmoid(x), nn.ReLU6()(x + 3) / 6)
    torch.testing.assert_close(nn.Hardsigmoid()(x), nn.ReLU6()(x + 3) / 6)


def test_softmax_and_losses_match_torch():
    torch.manual_seed(0)
    logits = torch.randn(64, 10, dtype=torch.float64) * 20  # large values test stability
    labels = torch.randint(0, 10, (64,))
    torch.testing.assert_close(log_softmax(logits), F.log_softmax(logits, 1))
    torch.testing.assert_close(softmax(logits), F.softmax(logits, 1))
    torch.testing.assert_close(cross_entropy(logits, labels), F.cross_entropy(logits, labels))
    soft = F.softmax(torch.randn(64, 10, dtype=torch.float64), 1)
    torch.testing.assert_close(cross_entropy(logits, soft), F.cross_entropy(logits, soft))
    z, y = torch.randn(64, 5, dtype=torch.float64) * 30, torch.rand(64, 5, dtype=torch.float64)
    torch.testing.assert_close(
        binary_cross_entropy_with_logits(z, y), F.binary_cross_entropy_with_logits(z, y)
    )
    with pytest.raises(ValueError, match="shape"):
        cross_entropy(logits, labels[:3])


def test_pixel_usage_counts():
    assert pixel_usage(7, 3)[0, 0] == 1 and pixel_usage(7, 3, padding=1)[0, 0] == 4
    assert pixel_usage(7, 3)[3, 3] == 9
    assert (pixel_usage(10, 3, stride=2)[:, -1] == 0).all()  # floored: last column never read
    assert int(pixel_usage(12, 3, stride=4).eq(0).sum()) > 0  # stride > kernel skips pixels
    total = int(pixel_usage(9, 3, 2, 1).sum())
    assert total == 9 * 5 * 5 - (4 * 5 * 3 - 4)  # every tap of 5x5 windows, minus taps in padding
    with pytest.raises(ValueError, match="padding"):
        pixel_usage(2, 5)
