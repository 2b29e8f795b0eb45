"""Every registered builder with a torchvision twin: strict state_dict load, equal outputs,
and parameters and multiply-adds equal to torchvision's published metadata.

One test for the whole zoo, so a new family is checked the moment it is registered.
"""

import pytest
import torch
import torchvision
from torch import nn

from cnnlib.counting import count_macs
from cnnlib.models import MODELS, torchvision_twin
from cnnlib.published import published
from cnnlib.summary import count_parameters

TWINS = sorted(name for name in MODELS if torchvision_twin(name))
HEAVY = {"vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
         "convnext_base", "convnext_large", "resnet152", "densenet161", "densenet201"}


def randomise_batchnorm(model: nn.Module, seed: int = 1) -> None:
    """Non-trivial BN statistics, so a misplaced BN cannot hide behind mean 0, var 1."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=gen) - 0.5)


def test_the_zoo_has_torchvision_twins():
    assert len(TWINS) >= 30, TWINS


@pytest.mark.parametrize("name", TWINS)
def test_loads_torchvision_state_dict_and_gives_equal_outputs(name):
    torch.manual_seed(0)
    # skip the slow random init where both sides allow it: the weights are copied anyway
    kwargs = {"init_weights": False} if name.startswith(("vgg", "googlenet")) else {}
    reference = getattr(torchvision.models, name)(weights=None, num_classes=7, **kwargs)
    randomise_batchnorm(reference)
    ours = MODELS[name](num_classes=7, **kwargs)
    ours.load_state_dict(reference.state_dict(), strict=True)
    size = 32 if name in HEAVY else 64
    x = torch.randn(2, 3, size, size) if not name.startswith(("alexnet", "googlenet")) else torch.randn(
        2, 3, 96, 96)
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(x), reference.eval()(x), atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("name", TWINS)
def test_parameters_and_macs_match_published(name):
    # torchvision's published GoogLeNet drops the two auxiliary heads (training only).
    model = MODELS[name](aux_logits=False) if name == "googlenet" else MODELS[name]()
    figures = published(name)
    assert count_parameters(model) == figures.num_params
    size = figures.resolution  # e.g. 240 for efficientnet_b1
    macs = count_macs(model, torch.zeros(1, 3, size, size))
    assert macs / 1e9 == pytest.approx(figures.gmacs, abs=0.006, rel=0.003)
