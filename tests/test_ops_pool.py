"""cnnlib.ops pooling against torch on random configs (values, indices, gradients, errors)."""

import random

import pytest
import torch
import torch.nn.functional as F

from cnnlib.ops import adaptive_avg_pool2d, avg_pool2d, lp_pool2d, max_pool2d, pool_output_size


def random_window(rng: random.Random, dilation: bool = True):
    k = (rng.randint(1, 4), rng.randint(1, 4))
    stride = rng.choice([None, (rng.randint(1, 3), rng.randint(1, 3))])
    padding = (rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2))
    d = (rng.randint(1, 2), rng.randint(1, 2)) if dilation else (1, 1)
    span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    h = max(span[0] - 2 * padding[0], 1) + rng.randint(0, 6)
    w = max(span[1] - 2 * padding[1], 1) + rng.randint(0, 6)
    dtype = rng.choice([torch.float32, torch.float64])
    shape = (
        (rng.randint(1, 2), rng.randint(1, 3), h, w)
        if rng.random() < 0.8
        else (rng.randint(1, 3), h, w)
    )
    return torch.randn(*shape, dtype=dtype), k, stride, padding, d, rng.random() < 0.5


def test_max_pool2d_values_indices_and_unpool_match_torch():
    rng = random.Random(0)
    for _ in range(300):
        x, k, s, p, d, ceil = random_window(rng)
        ours, idx = max_pool2d(x, k, s, p, d, ceil, return_indices=True)
        ref, ref_idx = F.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
        torch.testing.assert_close(ours, ref)
        if (
            ref.isinf().any()
        ):  # a dilated window that falls on padding only: torch's index is arbitrary
            continue
        assert torch.equal(idx, ref_idx)
        if d == (1, 1) and x.ndim == 4:
            unpooled = F.max_unpool2d(ours, idx, k, s, p, output_size=x.shape[-2:])
            torch.testing.assert_close(
                unpooled, F.max_unpool2d(ref, ref_idx, k, s, p, output_size=x.shape[-2:])
            )


def test_max_pool2d_ties_pick_the_first_like_torch():
    x = torch.ones(1, 1, 4, 4)
    assert torch.equal(
        max_pool2d(x, 2, return_indices=True)[1], F.max_pool2d(x, 2, return_indices=True)[1]
    )


def test_avg_pool2d_matches_torch():
    rng = random.Random(1)
    for _ in range(300):
        x, k, s, p, _, ceil = random_window(rng, dilation=False)
        include = rng.random() < 0.5
        divisor = rng.choice([None, None, None, 3])
        torch.testing.assert_close(
            avg_pool2d(x, k, s, p, ceil, include, divisor),
            F.avg_pool2d(x, k, s, p, ceil, include, divisor),
        )


def test_pool_gradients_match_torch():
    rng = random.Random(2)
    for _ in range(60):
        x, k, s, p, d, ceil = random_window(rng)
        x = x.double()
        if F.max_pool2d(x, k, s, p, d, ceil).isinf().any():
            continue
        pairs = (
            (max_pool2d, F.max_pool2d, (k, s, p, d, ceil)),
            (avg_pool2d, F.avg_pool2d, (k, s, p, ceil)),
        )
        for ours_fn, ref_fn, args in pairs:

            def ours(t, fn=ours_fn, args=args):
                return fn(t, *args)

            def ref(t, fn=ref_fn, args=args):
                return fn(t, *args)

            a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
            g = torch.randn_like(ref(b))
            ours(a).backward(g)
            ref(b).backward(g)
            torch.testing.assert_close(a.grad, b.grad)


def test_lp_pool2d_matches_torch():
    rng = random.Random(3)
    for _ in range(100):
        x, k, s, _, _, ceil = random_window(rng, dilation=False)
        p = rng.choice([1.0, 2.0, 3.0])
        if x.shape[-2] < k[0] or x.shape[-1] < k[1]:  # lp_pool2d has no padding
            continue
        x = x.abs() + 0.1 if p != 2.0 else x
        torch.testing.assert_close(lp_pool2d(x, p, k, s, ceil), F.lp_pool2d(x, p, k, s, ceil))


def test_adaptive_avg_pool2d_matches_torch():
    rng = random.Random(4)
    for _ in range(100):
        x = torch.randn(2, 3, rng.randint(1, 12), rng.randint(1, 12))
        size = (rng.randint(1, 7), rng.randint(1, 7))
        torch.testing.assert_close(adaptive_avg_pool2d(x, size), F.adaptive_avg_pool2d(x, size))


def test_pool_output_size_matches_torch():
    rng = random.Random(5)
    for _ in range(300):
        size, k = rng.randint(1, 15), rng.randint(1, 4)
        s, p, d, ceil = (
            rng.randint(1, 4),
            rng.randint(0, k // 2),
            rng.randint(1, 2),
            rng.random() < 0.5,
        )
        if size + 2 * p < d * (k - 1) + 1:
            continue
        out = F.max_pool2d(torch.zeros(1, 1, size, 1), (k, 1), (s, 1), (p, 0), (d, 1), ceil)
        assert out.shape[2] == pool_output_size(size, k, s, p, d, ceil)


@pytest.mark.parametrize(
    "call,words",
    [
        (lambda: max_pool2d(torch.randn(5, 5), 2), ["3-D", "(5, 5)"]),
        (
            lambda: max_pool2d(torch.randn(1, 1, 5, 5), 3, padding=2),
            ["padding", "at most half", "1"],
        ),
        (lambda: avg_pool2d(torch.randn(1, 1, 5, 5), 2, padding=2), ["padding", "at most half"]),
        (lambda: max_pool2d(torch.randn(1, 1, 2, 2), 3), ["spans 3", "only 2"]),
        (lambda: max_pool2d(torch.randn(1, 1, 4, 4), 2, stride=0), ["stride", "(0, 0)"]),
        (lambda: lp_pool2d(torch.randn(1, 1, 4, 4), 0, 2), ["norm_type"]),
        (lambda: adaptive_avg_pool2d(torch.randn(1, 1, 4, 4), 0), ["output_size"]),
    ],
)
def test_pool_errors_name_the_problem(call, words):
    with pytest.raises(ValueError) as error:
        call()
    for word in words:
        assert word in str(error.value), (word, str(error.value))
