"""Classic model zoo (LeNet, AlexNet, VGG, GoogLeNet, ResNet, ResNeXt, CIFAR ResNets): what is
particular to each family. Parity with torchvision for every twin is tests/test_models_torchvision.py."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from cnnlib.models import MODELS
from cnnlib.models.googlenet import InceptionV3A
from cnnlib.models.resnet import BasicBlock, ResNet
from cnnlib.summary import count_parameters


def _randomise_bn(model: nn.Module, gen: torch.Generator) -> None:
    """Give BN layers non-trivial running statistics so eval-mode outputs exercise them."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)


def test_googlenet_training_outputs_and_aux_parameters() -> None:
    torch.manual_seed(0)
    ours = MODELS["googlenet"](num_classes=5, init_weights=False).train()
    out = ours(torch.randn(2, 3, 64, 64))
    assert out.logits.shape == out.aux_logits1.shape == out.aux_logits2.shape == (2, 5)
    reference = torchvision.models.googlenet(weights=None, num_classes=5, transform_input=True,
                                             aux_logits=False, init_weights=False).eval()
    mine = MODELS["googlenet"](num_classes=5, transform_input=True, aux_logits=False,
                               init_weights=False).eval()
    mine.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(mine(x), reference(x))
    with pytest.raises(ValueError, match="transform_input"):
        MODELS["googlenet"](transform_input=True, in_channels=1)


def test_inception_v3_block_matches_torchvision() -> None:
    from torchvision.models.inception import InceptionA

    torch.manual_seed(0)
    reference = InceptionA(192, pool_features=32).eval()
    _randomise_bn(reference, torch.Generator().manual_seed(3))
    ours = InceptionV3A(192, pool_features=32).eval()
    ours.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 192, 9, 9)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x))
    assert ours(x).shape == (2, 256, 9, 9)


def test_basic_block_rejects_groups() -> None:
    with pytest.raises(ValueError, match="groups=1"):
        MODELS["resnet18"](groups=32, width_per_group=4)
    with pytest.raises(ValueError, match="width_per_group"):
        ResNet(BasicBlock, [2, 2, 2, 2], width_per_group=128)


def test_resnet_include_top_and_in_channels() -> None:
    backbone = MODELS["resnet18"](include_top=False, in_channels=1)
    assert backbone(torch.randn(1, 1, 64, 64)).shape == (1, 512, 2, 2)
    assert "fc.weight" not in backbone.state_dict()


@pytest.mark.parametrize("name", ["alexnet", "vgg11_bn", "resnet18", "googlenet"])
def test_grayscale_input(name: str) -> None:
    kwargs = {"init_weights": False} if name.startswith(("vgg", "googlenet")) else {}
    model = MODELS[name](num_classes=10, in_channels=1, **kwargs).eval()
    side = 64
    assert model(torch.randn(1, 1, side, side)).shape == (1, 10)


def test_alexnet_variants() -> None:
    half = MODELS["alexnet_half"](num_classes=10)
    widths = [m.out_channels for m in half.features if isinstance(m, nn.Conv2d)]
    assert widths == [48, 128, 192, 192, 128]
    assert half.classifier[1].out_features == 2048
    x = torch.randn(1, 3, 224, 224)
    sizes = []
    for layer in MODELS["alexnet"]().features:
        x = layer(x)
        if isinstance(layer, nn.MaxPool2d):
            sizes.append(x.shape[-1])
    assert sizes == [27, 13, 6]


def test_lenet_shapes_and_sizes() -> None:
    model = MODELS["lenet"]()
    x = torch.randn(2, 3, 32, 32)
    shapes = []
    for layer in model.features:
        x = layer(x)
        if not isinstance(layer, nn.ReLU):
            shapes.append(tuple(x.shape[1:]))
    assert shapes == [(16, 28, 28), (16, 14, 14), (32, 10, 10), (32, 5, 5)]
    assert model.classifier[0].in_features == 800
    classic = MODELS["lenet5"]()
    assert classic(torch.randn(2, 1, 32, 32)).shape == (2, 10)
    assert classic.classifier[0].in_features == 400
    assert count_parameters(classic) == 61706  # LeNet-5 with full C3 connections
    with pytest.raises(ValueError, match="32x32"):
        classic(torch.randn(1, 1, 28, 28))


def test_mnist_nets() -> None:
    x = torch.randn(3, 1, 28, 28)
    inception = MODELS["mnist_inception_net"]()
    assert inception.incep1(torch.randn(1, 10, 12, 12)).shape == (1, 88, 12, 12)
    assert inception.fc.in_features == 1408 and inception(x).shape == (3, 10)
    residual = MODELS["mnist_residual_net"]()
    assert residual.fc.in_features == 512 and residual(x).shape == (3, 10)
    # the 3x3 branch has its own first layer (the notes' bug shared the 5x5 branch's)
    assert inception.incep1.branch3x3dbl[0] is not inception.incep1.branch5x5[0]


# Paper (He et al. 2016, Table 6): 0.27M, 0.46M, 0.66M, 0.85M, 1.7M parameters.
CIFAR_PARAMS = {"resnet20": 269_722, "resnet32": 464_154, "resnet44": 658_586,
                "resnet56": 853_018, "resnet110": 1_727_962}
PAPER_MILLIONS = {"resnet20": 0.27, "resnet32": 0.46, "resnet44": 0.66, "resnet56": 0.85,
                  "resnet110": 1.7}


@pytest.mark.parametrize("name", sorted(CIFAR_PARAMS))
def test_cifar_resnets(name: str) -> None:
    model = MODELS[name]()
    params = count_parameters(model)
    assert params == CIFAR_PARAMS[name]
    digits = 1 if name == "resnet110" else 2
    assert round(params / 1e6, digits) == PAPER_MILLIONS[name]
    plain = MODELS[name.replace("resnet", "plain")]()
    assert count_parameters(plain) == params  # option-A shortcuts have no parameters
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_cifar_resnet_details() -> None:
    from cnnlib.models.resnet_cifar import cifar_resnet

    model = MODELS["resnet20"](in_channels=1).eval()
    assert model(torch.randn(1, 1, 28, 28)).shape == (1, 10)
    assert [len(s) for s in (model.layer1, model.layer2, model.layer3)] == [3, 3, 3]
    assert count_parameters(MODELS["resnet20"](option="B")) == 272_474
    with pytest.raises(ValueError, match="6n \\+ 2"):
        cifar_resnet(21)
    # a block whose residual branch outputs zero is exactly ReLU(shortcut(x))
    block = model.layer2[0]
    nn.init.zeros_(block.bn2.weight)
    x = torch.randn(1, 16, 8, 8)
    expected = torch.relu(torch.cat([x[:, :, ::2, ::2], torch.zeros(1, 16, 4, 4)], 1))
    torch.testing.assert_close(block(x), expected)
