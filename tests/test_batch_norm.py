"""Batch norm and group norm from scratch against torch (values, gradients, buffers), BN folding."""

import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnlib.layers.batch_norm import BatchNorm2d, batch_norm, fold_batch_norm, fold_batch_norms
from cnnlib.layers.group_norm import group_norm
from cnnlib.layers.layer_norm_2d import LayerNorm2d


def _random_case(seed: int):
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    dtype = rng.choice([torch.float32, torch.float64])
    shape = (rng.randint(2, 5), rng.randint(1, 6), rng.randint(1, 5), rng.randint(1, 5))
    x = torch.randn(shape, generator=gen, dtype=dtype) * rng.uniform(0.5, 3) + rng.uniform(-2, 2)
    c = shape[1]
    weight = torch.rand(c, generator=gen, dtype=dtype) + 0.5
    bias = torch.randn(c, generator=gen, dtype=dtype)
    mean = torch.randn(c, generator=gen, dtype=dtype)
    var = torch.rand(c, generator=gen, dtype=dtype) + 0.5
    momentum, eps = rng.choice([0.1, 0.01, 0.5]), rng.choice([1e-5, 1e-3])
    return x, weight, bias, mean, var, momentum, eps


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("training", [True, False])
def test_function_matches_torch_values_gradients_buffers(seed, training):
    x, weight, bias, mean, var, momentum, eps = _random_case(seed)
    inputs = [t.clone().requires_grad_() for t in (x, weight, bias)]
    reference = [t.clone().requires_grad_() for t in (x, weight, bias)]
    ours_mean, ours_var, ref_mean, ref_var = mean.clone(), var.clone(), mean.clone(), var.clone()
    out = batch_norm(inputs[0], ours_mean, ours_var, inputs[1], inputs[2], training, momentum, eps)
    expected = F.batch_norm(reference[0], ref_mean, ref_var, reference[1], reference[2], training, momentum, eps)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(ours_mean, ref_mean)
    torch.testing.assert_close(ours_var, ref_var)
    grad = torch.randn_like(out)
    out.backward(grad)
    expected.backward(grad)
    for ours, ref in zip(inputs, reference, strict=True):
        torch.testing.assert_close(ours.grad, ref.grad)


def test_function_without_affine_or_buffers():
    x = torch.randn(4, 3, 5, 5)
    torch.testing.assert_close(batch_norm(x, None, None, training=True),
                               F.batch_norm(x, None, None, training=True))


def test_batch_of_one_value_per_channel_raises_like_torch():
    x = torch.randn(1, 3, 1, 1)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(x, None, None, training=True)
    with pytest.raises(ValueError):
        nn.BatchNorm2d(3).train()(x)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm2d(3).train()(x)
    BatchNorm2d(3).eval()(x)  # eval mode uses the running statistics: fine


def test_eval_without_running_stats_raises():
    with pytest.raises(ValueError, match="running_mean"):
        batch_norm(torch.randn(2, 3, 2, 2), None, None, training=False)


@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
@pytest.mark.parametrize("affine", [True, False])
def test_module_matches_nn_batchnorm_over_train_and_eval(momentum, affine):
    torch.manual_seed(0)
    ours, reference = BatchNorm2d(4, momentum=momentum, affine=affine), nn.BatchNorm2d(4, momentum=momentum,
                                                                                      affine=affine)
    ours.load_state_dict(reference.state_dict(), strict=True)
    for step in range(5):
        x = torch.randn(3, 4, 6, 5) * (step + 1) + step
        torch.testing.assert_close(ours.train()(x), reference.train()(x))
    for name, buffer in reference.named_buffers():
        torch.testing.assert_close(getattr(ours, name), buffer)
    x = torch.randn(2, 4, 3, 3)
    before = ours.running_mean.clone()
    torch.testing.assert_close(ours.eval()(x), reference.eval()(x))
    assert torch.equal(ours.running_mean, before)  # eval mode never updates the statistics
    assert ours.num_batches_tracked.item() == 5


def test_module_without_running_stats_always_uses_the_batch():
    ours, reference = BatchNorm2d(3, track_running_stats=False), nn.BatchNorm2d(3, track_running_stats=False)
    x = torch.randn(4, 3, 2, 2)
    torch.testing.assert_close(ours.eval()(x), reference.eval()(x))
    assert set(ours.state_dict()) == set(reference.state_dict())


def test_module_gradients_match():
    torch.manual_seed(1)
    ours, reference = BatchNorm2d(5), nn.BatchNorm2d(5)
    nn.init.uniform_(reference.weight, 0.5, 1.5)
    nn.init.uniform_(reference.bias, -1, 1)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(3, 5, 4, 4)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    (ours(xa) ** 2).sum().backward()
    (reference(xb) ** 2).sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad)
    torch.testing.assert_close(ours.weight.grad, reference.weight.grad)
    torch.testing.assert_close(ours.bias.grad, reference.bias.grad)


def test_module_rejects_wrong_channels():
    with pytest.raises(ValueError, match="expects"):
        BatchNorm2d(3)(torch.randn(2, 4, 2, 2))


def _trained_bn(bn: nn.Module, gen: torch.Generator) -> nn.Module:
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(bn.num_features, generator=gen))
        bn.running_var.copy_(torch.rand(bn.num_features, generator=gen) + 0.3)
        if bn.weight is not None:
            bn.weight.copy_(torch.rand(bn.num_features, generator=gen) + 0.5)
            bn.bias.copy_(torch.randn(bn.num_features, generator=gen))
    return bn.eval()


@pytest.mark.parametrize("seed", range(8))
def test_fold_batch_norm_equals_conv_then_bn(seed):
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    groups = rng.choice([1, 2])
    c_in, c_out = groups * rng.randint(1, 4), groups * rng.randint(1, 4)
    conv = nn.Conv2d(c_in, c_out, rng.choice([1, 3]), stride=rng.choice([1, 2]), padding=rng.choice([0, 1]),
                     groups=groups, bias=rng.random() < 0.5)
    bn = _trained_bn(rng.choice([nn.BatchNorm2d, BatchNorm2d])(c_out, affine=rng.random() < 0.8), gen)
    folded = fold_batch_norm(conv, bn)
    x = torch.randn(2, c_in, 7, 6)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), bn(conv(x)), atol=1e-5, rtol=1e-5)
    assert folded.bias is not None and folded.stride == conv.stride and folded.groups == conv.groups


def test_fold_batch_norm_rejects_mismatches():
    with pytest.raises(ValueError, match="output channels"):
        fold_batch_norm(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(5))
    with pytest.raises(ValueError, match="running statistics"):
        fold_batch_norm(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, track_running_stats=False))


def test_fold_batch_norms_on_a_resnet():
    from cnnlib.models import build_model

    gen = torch.Generator().manual_seed(0)
    model = build_model("resnet18", num_classes=5)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            _trained_bn(m, gen)
    model.eval()
    folded = fold_batch_norms(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 20  # original untouched
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), model(x), atol=1e-4, rtol=1e-4)


def test_fold_batch_norms_keeps_a_bn_whose_conv_has_two_users():
    class TwoUsers(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv2d(2, 2, 1), nn.BatchNorm2d(2)

        def forward(self, x):
            y = self.conv(x)
            return self.bn(y) + y

    folded = fold_batch_norms(TwoUsers())
    assert any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())


@pytest.mark.parametrize("seed", range(6))
def test_group_norm_matches_torch(seed):
    rng = random.Random(seed)
    groups = rng.choice([1, 2, 3])
    c = groups * rng.randint(1, 3)
    x = torch.randn(rng.randint(1, 3), c, rng.randint(1, 4), rng.randint(1, 4), dtype=torch.float64)
    if x[0].numel() // groups == 1:
        x = torch.randn(x.shape[0], c, 2, 2, dtype=torch.float64)
    weight, bias = torch.rand(c, dtype=torch.float64) + 0.5, torch.randn(c, dtype=torch.float64)
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, expected = group_norm(a, groups, weight, bias), F.group_norm(b, groups, weight, bias)
    torch.testing.assert_close(out, expected)
    grad = torch.randn_like(out)
    out.backward(grad)
    expected.backward(grad)
    torch.testing.assert_close(a.grad, b.grad)


def test_group_norm_rejects_groups_that_do_not_divide():
    with pytest.raises(ValueError, match="must divide"):
        group_norm(torch.randn(2, 6, 2, 2), 4)


def test_layer_norm_2d_is_group_norm_over_channels_per_pixel():
    x = torch.randn(2, 6, 3, 4)
    layer_norm = LayerNorm2d(6)
    per_pixel = x.permute(0, 2, 3, 1).reshape(-1, 6, 1, 1)  # every pixel as its own sample
    expected = group_norm(per_pixel, 1, eps=layer_norm.eps).reshape(2, 3, 4, 6).permute(0, 3, 1, 2)
    torch.testing.assert_close(layer_norm(x), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("call, words", [
    (lambda: batch_norm(torch.randn(3), None, None, training=True), "shape"),
    (lambda: BatchNorm2d(0), "num_features"),
    (lambda: BatchNorm2d(3)(torch.randn(3, 3, 3)), "expects"),
    (lambda: group_norm(torch.randn(4), 2), "shape"),
    (lambda: group_norm(torch.randn(2, 6, 2, 2), 0), "num_groups"),
    (lambda: fold_batch_norm(nn.Linear(3, 3), nn.BatchNorm2d(3)), "Conv2d"),
])
def test_bad_input_raises_a_value_error_naming_it(call, words):
    with pytest.raises(ValueError, match=words):
        call()
