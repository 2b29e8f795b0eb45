"""DenseNet: torchvision parity (state_dict, outputs), published counts, the block's wiring."""

import pytest
import torch
from torch import nn

from cnnlib.models import MODELS, build_model
from cnnlib.models.densenet import DenseBlock, DenseLayer, DenseNet
from cnnlib.summary import count_parameters

NAMES = ["densenet121", "densenet161", "densenet169", "densenet201"]
# torchvision's weights metadata (IMAGENET1K_V1): parameters and GFLOPS (= billions of MACs)
PUBLISHED = {"densenet121": (7_978_856, 2.834), "densenet161": (28_681_000, 7.728),
             "densenet169": (14_149_480, 3.36), "densenet201": (20_013_928, 4.291)}


def test_all_builders_registered():
    assert set(NAMES + ["densenet_bc_100"]) <= set(MODELS)


def test_dense_block_channels_and_concatenation():
    block = DenseBlock(num_layers=4, num_input_features=10, bn_size=4, growth_rate=6).eval()
    x = torch.randn(2, 10, 5, 5)
    out = block(x)
    assert out.shape == (2, 10 + 4 * 6, 5, 5)
    assert torch.equal(out[:, :10], x)  # the block input is passed on unchanged
    assert [layer.conv1.in_channels for layer in block.values()] == [10, 16, 22, 28]
    assert all(layer.conv1.out_channels == 24 and layer.conv2.out_channels == 6 for layer in block.values())


def test_memory_efficient_gives_the_same_values_and_gradients():
    torch.manual_seed(0)
    plain = DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8, num_classes=3,
                     small_inputs=True)
    efficient = DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8, num_classes=3,
                         small_inputs=True, memory_efficient=True)
    efficient.load_state_dict(plain.state_dict())
    x = torch.randn(3, 3, 8, 8)
    plain(x).sum().backward()
    efficient(x).sum().backward()
    for (name, a), b in zip(plain.named_parameters(), efficient.parameters(), strict=True):
        torch.testing.assert_close(a.grad, b.grad, msg=name)


def test_small_input_variant():
    model = build_model("densenet_bc_100")
    assert round(count_parameters(model) / 1e6, 1) == 0.8  # paper, Table 2: 0.8M
    assert model.features.conv0.kernel_size == (3, 3) and model.features.conv0.stride == (1, 1)
    assert not any(isinstance(m, nn.MaxPool2d) for m in model.modules())
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    gray = DenseNet(growth_rate=8, block_config=(2, 2, 2), num_init_features=16, num_classes=10,
                    in_channels=1, small_inputs=True)
    assert gray(torch.zeros(1, 1, 28, 28)).shape == (1, 10)


def test_layer_accepts_a_tensor_or_a_list():
    layer = DenseLayer(6, growth_rate=3).eval()
    x = torch.randn(1, 6, 4, 4)
    torch.testing.assert_close(layer(x), layer([x[:, :2], x[:, 2:]]))


def test_bad_arguments():
    with pytest.raises(ValueError, match="block_config"):
        DenseNet(block_config=())
    with pytest.raises(ValueError, match="compression"):
        DenseNet(compression=0.0)


def test_drawn_connections_are_the_dense_ones():
    from cnnlib.diagrams import dense_connections

    block = DenseBlock(num_layers=5, num_input_features=4, bn_size=2, growth_rate=3)
    pairs = dense_connections(block)
    assert len(pairs) == 5 * 6 // 2 and all(j < i for j, i in pairs)


@pytest.mark.parametrize("kwargs", [dict(), dict(small_inputs=True, block_config=(2, 2, 2)),
                                    dict(block_config=(1,)), dict(block_config=(1, 1))])
def test_input_check_is_exactly_what_torch_needs(kwargs):
    from cnnlib.models.input_check import input_check_of

    with torch.device("meta"):
        model = DenseNet(growth_rate=4, num_init_features=8, num_classes=3, **kwargs).eval()
    low = input_check_of(model).min_size
    with pytest.raises(ValueError, match="in_channels=3"):
        model(torch.empty(1, 4, 64, 64, device="meta"))
    if low > 1:
        with pytest.raises(ValueError, match=f"at least {low}x{low}"):
            model(torch.empty(1, 3, low - 1, low - 1, device="meta"))
    model._forward_pre_hooks.clear()
    with torch.no_grad():
        model(torch.empty(1, 3, low, low, device="meta"))
        if low > 1:
            with pytest.raises(RuntimeError):
                model(torch.empty(1, 3, low - 1, low - 1, device="meta"))
