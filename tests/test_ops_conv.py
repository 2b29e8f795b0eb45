"""cnnlib.ops.conv2d / conv2d_loop / im2col against torch, and their error messages."""

import random

import pytest
import torch
import torch.nn.functional as F
from conv_configs import random_config

from cnnlib.ops import (
    check_conv_config,
    conv2d,
    conv2d_loop,
    conv_output_size,
    effective_kernel_size,
)


def tol(dtype):
    return dict(atol=1e-4, rtol=1e-4) if dtype == torch.float32 else dict(atol=1e-10, rtol=1e-10)


def test_conv2d_matches_torch_on_random_configs():
    rng = random.Random(0)
    for _ in range(300):
        x, weight, bias, kw = random_config(rng)
        torch.testing.assert_close(
            conv2d(x, weight, bias, **kw), F.conv2d(x, weight, bias, **kw), **tol(x.dtype)
        )


def test_conv2d_loop_matches_im2col():
    rng = random.Random(1)
    for _ in range(40):
        x, weight, bias, kw = random_config(rng)
        torch.testing.assert_close(
            conv2d_loop(x, weight, bias, **kw), conv2d(x, weight, bias, **kw), **tol(x.dtype)
        )


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("k,d", [(3, 1), (4, 1), (3, 2), (2, 3)])
def test_same_padding_matches_torch(k, d):
    x, weight = torch.randn(2, 3, 9, 8), torch.randn(4, 3, k, k)
    torch.testing.assert_close(
        conv2d(x, weight, padding="same", dilation=d),
        F.conv2d(x, weight, padding="same", dilation=d),
        atol=1e-4,
        rtol=1e-4,
    )


def test_output_size_formula_matches_torch():
    rng = random.Random(2)
    for _ in range(200):
        size, k, s, p, d = (
            rng.randint(1, 20),
            rng.randint(1, 5),
            rng.randint(1, 4),
            rng.randint(0, 3),
            rng.randint(1, 3),
        )
        if size + 2 * p < effective_kernel_size(k, d):
            continue
        out = F.conv2d(
            torch.zeros(1, 1, size, 1),
            torch.zeros(1, 1, k, 1),
            stride=s,
            padding=(p, 0),
            dilation=(d, 1),
        )
        assert out.shape[2] == conv_output_size(size, k, s, p, d)


@pytest.mark.parametrize(
    "args,kwargs,words",
    [
        ((torch.randn(3, 5, 5), torch.randn(2, 3, 3, 3)), {}, ["4-D", "(3, 5, 5)"]),
        ((torch.randn(1, 4, 5, 5), torch.randn(2, 3, 3, 3)), {}, ["input channels", "4"]),
        ((torch.randn(1, 4, 5, 5), torch.randn(3, 2, 3, 3)), {"groups": 2}, ["groups=2", "(3)"]),
        ((torch.randn(1, 3, 5, 5), torch.randn(2, 3, 7, 7)), {}, ["7x7", "5x5", "padding"]),
        ((torch.randn(1, 3, 5, 5), torch.randn(2, 3, 3, 3)), {"stride": 0}, ["stride", "(0, 0)"]),
        (
            (torch.randn(1, 3, 5, 5), torch.randn(2, 3, 3, 3)),
            {"dilation": (1, 0)},
            ["dilation", "(1, 0)"],
        ),
        ((torch.randn(1, 3, 5, 5), torch.randn(2, 3, 3, 3)), {"padding": -1}, ["padding", "-1"]),
        ((torch.randn(1, 3, 5, 5), torch.randn(2, 3, 3, 3), torch.randn(3)), {}, ["bias", "(2,)"]),
        (
            (torch.randn(1, 3, 5, 5), torch.randn(2, 3, 3, 3)),
            {"stride": 2, "padding": "same"},
            ["same", "stride"],
        ),
    ],
)
def test_conv2d_errors_name_the_problem(args, kwargs, words):
    for fn in (conv2d, conv2d_loop):
        with pytest.raises(ValueError) as error:
            fn(*args, **kwargs)
        for word in words:
            assert word in str(error.value), (word, str(error.value))


def test_check_conv_config_w10_f3_s2():
    check = check_conv_config(10, 3, stride=2)
    assert check.exact == 4.5 and check.output == 4 and check.unused == 1 and not check.tiles
    assert check.symmetric_padding is None and check.extra_end_padding == 1
    assert "4.5" in check.message and "floors to 4" in check.message
    x = F.pad(torch.randn(1, 1, 10, 10), (0, 1, 0, 1))
    assert F.conv2d(x, torch.randn(1, 1, 3, 3), stride=2).shape[-1] == 5


def test_check_conv_config_random_agrees_with_torch():
    rng = random.Random(3)
    for _ in range(200):
        size, k, s, p = rng.randint(3, 20), rng.randint(1, 5), rng.randint(1, 4), rng.randint(0, 2)
        if size + 2 * p < k:
            continue
        check = check_conv_config(size, k, s, p)
        assert check.output == conv_output_size(size, k, s, p)
        assert check.tiles == ((size + 2 * p - k) % s == 0)
        if check.symmetric_padding is not None:
            assert check_conv_config(size, k, s, check.symmetric_padding).tiles
        assert check_conv_config(size + check.extra_end_padding, k, s, p).tiles
        if size - check.crop >= 1 and size - check.crop + 2 * p >= k:
            assert check_conv_config(size - check.crop, k, s, p).tiles


def test_check_conv_config_errors():
    with pytest.raises(ValueError, match="stride"):
        check_conv_config(10, 3, stride=0)
    with pytest.raises(ValueError, match="padding >= 2"):
        check_conv_config(3, 7)
