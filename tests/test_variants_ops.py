"""Transposed convolution, the matrix view and 3-D convolution against torch (chapters 12-13)."""

import random

import pytest
import torch
import torch.nn.functional as F

from cnnlib.ops.conv3d import conv3d
from cnnlib.ops.matrix import (
    conv2d_by_matrix,
    conv_matrix,
    conv_transpose2d_by_matrix,
    matching_output_padding,
)
from cnnlib.ops.transpose import (
    conv_transpose2d,
    conv_transpose2d_as_conv,
    conv_transpose_output_size,
)


def _random_transpose_config(rng: random.Random) -> dict:
    groups = rng.choice([1, 1, 2, 3])
    stride = (rng.randint(1, 3), rng.randint(1, 3))
    dilation = (rng.randint(1, 3), rng.randint(1, 3))
    return dict(
        c_in=groups * rng.randint(1, 3),
        c_out=groups * rng.randint(1, 3),
        groups=groups,
        kernel=(rng.randint(1, 4), rng.randint(1, 4)),
        size=(rng.randint(1, 6), rng.randint(1, 6)),
        stride=stride,
        dilation=dilation,
        padding=(rng.randint(0, 2), rng.randint(0, 2)),
        output_padding=tuple(
            rng.randint(0, max(s, d) - 1) for s, d in zip(stride, dilation, strict=True)
        ),
    )


@pytest.mark.parametrize("impl", [conv_transpose2d, conv_transpose2d_as_conv])
def test_conv_transpose2d_matches_torch(impl):
    rng = random.Random(0)
    torch.manual_seed(0)
    checked = 0
    for _ in range(250):
        cfg = _random_transpose_config(rng)
        x = torch.randn(2, cfg["c_in"], *cfg["size"], dtype=torch.double)
        w = torch.randn(
            cfg["c_in"], cfg["c_out"] // cfg["groups"], *cfg["kernel"], dtype=torch.double
        )
        b = torch.randn(cfg["c_out"], dtype=torch.double)
        args = (
            cfg["stride"],
            cfg["padding"],
            cfg["output_padding"],
            cfg["groups"],
            cfg["dilation"],
        )
        try:
            expected = F.conv_transpose2d(x, w, b, *args)
        except RuntimeError:  # torch refuses (output too small): so must we
            with pytest.raises(ValueError):
                impl(x, w, b, *args)
            continue
        torch.testing.assert_close(impl(x, w, b, *args), expected)
        checked += 1
    assert checked > 150


def test_conv_transpose2d_gradients_match_torch():
    torch.manual_seed(1)
    x = torch.randn(2, 4, 5, 6, dtype=torch.double, requires_grad=True)
    w = torch.randn(4, 3, 3, 2, dtype=torch.double, requires_grad=True)
    args = dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(1, 2))
    mine = conv_transpose2d(x, w, **args)
    grads = torch.autograd.grad(mine.square().sum(), (x, w))
    ref = F.conv_transpose2d(x, w, **args)
    ref_grads = torch.autograd.grad(ref.square().sum(), (x, w))
    for a, b in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b)


def test_conv_transpose_output_size_formula():
    rng = random.Random(2)
    for _ in range(100):
        size, k, s, p, d = (
            rng.randint(1, 8),
            rng.randint(1, 4),
            rng.randint(1, 3),
            rng.randint(0, 1),
            1,
        )
        op = rng.randint(0, s - 1)
        if (size - 1) * s - 2 * p + d * (k - 1) + op + 1 < 1:
            with pytest.raises(ValueError, match="padding"):  # torch raises too
                conv_transpose_output_size(size, k, s, p, op, d)
            continue
        expected_size = conv_transpose_output_size(size, k, s, p, op, d)
        out = F.conv_transpose2d(
            torch.zeros(1, 1, size, size),
            torch.zeros(1, 1, k, k),
            stride=s,
            padding=p,
            output_padding=op,
            dilation=d,
        )
        assert out.shape[-1] == expected_size


def test_syllabus_example_2x2_to_4x4():
    # 2x2 input, 3x3 kernel, stride 1, no cropping (the conv it reverses had full zero padding)
    out = conv_transpose2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 3, 3))
    assert out.shape == (1, 1, 4, 4)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(stride=2, output_padding=2), "output_padding"),
        (dict(stride=1, output_padding=1), "output_padding"),
        (dict(padding=-1), "padding"),
        (dict(groups=3), "groups"),
        (dict(padding=5), "padding"),
    ],
)
def test_conv_transpose2d_bad_arguments(kwargs, message):
    x, w = torch.randn(1, 4, 3, 3), torch.randn(4, 2, 3, 3)
    with pytest.raises(ValueError, match=message):
        conv_transpose2d(x, w, **kwargs)


def test_conv_transpose2d_wrong_weight_layout():
    with pytest.raises(ValueError, match="weight.shape"):
        conv_transpose2d(torch.randn(1, 4, 3, 3), torch.randn(2, 4, 3, 3))


def test_conv_matrix_and_its_transpose():
    rng = random.Random(3)
    torch.manual_seed(3)
    checked = 0
    for _ in range(120):
        c_in, c_out, k = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3)
        s, p, d = rng.randint(1, 3), rng.randint(0, 2), rng.randint(1, 2)
        h, w = rng.randint(3, 7), rng.randint(3, 7)
        if d * (k - 1) + 1 > min(h, w) + 2 * p:
            continue
        x = torch.randn(2, c_in, h, w, dtype=torch.double)
        weight = torch.randn(c_out, c_in, k, k, dtype=torch.double)
        y = F.conv2d(x, weight, stride=s, padding=p, dilation=d)
        torch.testing.assert_close(conv2d_by_matrix(x, weight, s, p, d), y)
        g = torch.randn_like(y)
        op = (matching_output_padding(h, k, s, p, d), matching_output_padding(w, k, s, p, d))
        expected = F.conv_transpose2d(g, weight, stride=s, padding=p, output_padding=op, dilation=d)
        torch.testing.assert_close(conv_transpose2d_by_matrix(g, weight, (h, w), s, p, d), expected)
        checked += 1
    assert checked > 80


def test_conv_matrix_is_sparse_with_kernel_rows():
    weight = torch.arange(1.0, 10.0).view(3, 3)
    matrix = conv_matrix(weight, (4, 4))
    assert matrix.shape == (4, 16)
    assert (matrix != 0).sum(dim=1).tolist() == [9, 9, 9, 9]  # each row: the 9 weights
    assert matrix[0, :3].tolist() == [1.0, 2.0, 3.0]


def test_conv3d_matches_torch():
    rng = random.Random(4)
    torch.manual_seed(4)
    for _ in range(120):
        g = rng.choice([1, 1, 2])
        c_in, c_out = g * rng.randint(1, 2), g * rng.randint(1, 2)
        k = tuple(rng.randint(1, 3) for _ in range(3))
        s = tuple(rng.randint(1, 2) for _ in range(3))
        d = tuple(rng.randint(1, 2) for _ in range(3))
        p = tuple(rng.randint(0, 1) for _ in range(3))
        size = tuple(rng.randint(5, 7) for _ in range(3))
        x = torch.randn(2, c_in, *size, dtype=torch.double)
        w = torch.randn(c_out, c_in // g, *k, dtype=torch.double)
        b = torch.randn(c_out, dtype=torch.double)
        torch.testing.assert_close(conv3d(x, w, b, s, p, d, g), F.conv3d(x, w, b, s, p, d, g))


def test_conv3d_bad_arguments():
    with pytest.raises(ValueError, match="5-D"):
        conv3d(torch.randn(1, 2, 4, 4), torch.randn(1, 2, 3, 3, 3))
    with pytest.raises(ValueError, match="groups"):
        conv3d(torch.randn(1, 3, 4, 4, 4), torch.randn(2, 1, 3, 3, 3), groups=2)
    with pytest.raises(ValueError, match="does not fit"):
        conv3d(torch.randn(1, 1, 2, 4, 4), torch.randn(1, 1, 3, 3, 3))


def test_conv3d_gradients_match_torch():
    torch.manual_seed(5)
    x = torch.randn(2, 4, 5, 6, 6, dtype=torch.double, requires_grad=True)
    w = torch.randn(6, 2, 2, 3, 3, dtype=torch.double, requires_grad=True)
    args = dict(stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1), groups=2)
    grads = torch.autograd.grad(conv3d(x, w, **args).square().sum(), (x, w))
    ref_grads = torch.autograd.grad(F.conv3d(x, w, **args).square().sum(), (x, w))
    for a, b in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b)


def test_transposed_conv_is_the_input_gradient_of_conv():
    torch.manual_seed(6)
    x = torch.randn(1, 2, 7, 7, dtype=torch.double, requires_grad=True)
    w = torch.randn(3, 2, 3, 3, dtype=torch.double)
    upstream = torch.randn(1, 3, 3, 3, dtype=torch.double)
    F.conv2d(x, w, stride=2).backward(upstream)
    torch.testing.assert_close(conv_transpose2d(upstream, w, stride=2), x.grad)
