"""Hand-written convolution gradients (cnnlib.ops.conv_grad) against autograd on random configs."""

import random

import torch
import torch.nn.functional as F
from conv_configs import random_config

from cnnlib.ops import col2im, conv2d_grads, conv2d_manual_grad, im2col


def test_conv2d_grads_match_autograd():
    rng = random.Random(0)
    for _ in range(100):
        x, weight, bias, settings = random_config(rng, always_bias=True)
        dtype = x.dtype
        x, weight, bias = (t.requires_grad_() for t in (x, weight, bias))
        out = F.conv2d(x, weight, bias, **settings)
        grad_out = torch.randn_like(out)
        expected = torch.autograd.grad(out, (x, weight, bias), grad_out)
        ours = conv2d_grads(grad_out, x.detach(), weight.detach(), **settings)
        tol = dict(atol=1e-4, rtol=1e-4) if dtype == torch.float32 else dict(atol=1e-10, rtol=1e-10)
        for a, b in zip(ours, expected, strict=True):
            torch.testing.assert_close(a, b, **tol)


def test_autograd_function_uses_hand_gradients():
    torch.manual_seed(0)
    x = torch.randn(1, 4, 5, 4, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(4, 2, 3, 2, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(4, dtype=torch.float64, requires_grad=True)
    settings = (2, 1, (1, 2), 2)
    assert torch.autograd.gradcheck(
        lambda a, b, c: conv2d_manual_grad(a, b, c, *settings), (x, weight, bias)
    )
    out = conv2d_manual_grad(x, weight, None, *settings)
    out.square().sum().backward()
    assert weight.grad is not None and bias.grad is None


def test_col2im_is_the_transpose_of_im2col():
    torch.manual_seed(1)
    x = torch.randn(2, 3, 8, 7, dtype=torch.float64)
    cols = im2col(x, (3, 2), (2, 1), (1, 2))
    y = torch.randn_like(cols)
    # <im2col(x), y> == <x, col2im(y)> is what "transpose" means
    torch.testing.assert_close(
        (cols * y).sum(), (x * col2im(y, (8, 7), (3, 2), (2, 1), (1, 2))).sum()
    )
