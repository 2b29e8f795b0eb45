"""ConvNeXt (chapter 35): torchvision parity, published counts, and the modernisation steps."""

import pytest
import torch
import torchvision
from torch import nn

from cnnlib.counting import count_macs
from cnnlib.layers.layer_norm_2d import LayerNorm2d
from cnnlib.models import build_model
from cnnlib.models.convnext import CNBlock, ConvNeXt
from cnnlib.models.convnext_steps import STEPS, Design, StepNet, step_designs
from cnnlib.summary import count_parameters

WEIGHTS = {"convnext_tiny": torchvision.models.ConvNeXt_Tiny_Weights,
           "convnext_small": torchvision.models.ConvNeXt_Small_Weights,
           "convnext_base": torchvision.models.ConvNeXt_Base_Weights,
           "convnext_large": torchvision.models.ConvNeXt_Large_Weights}


def _randomise(model: nn.Module, seed: int) -> None:
    """Non-trivial weights everywhere (layer scale 1e-6 and zero biases would hide bugs)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.1 + (0.5 if p.ndim == 3 else 0.0))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)


def _meta(builder, **kwargs) -> nn.Module:
    with torch.device("meta"):  # shapes only: counting without memory or arithmetic
        return builder(**kwargs)


def _meta_macs(model: nn.Module) -> int:
    return count_macs(model, torch.zeros(1, 3, 224, 224, device="meta"))


def test_stochastic_depth_rates_and_training_noise():
    model = build_model("convnext_tiny")
    rates = [m.stochastic_depth.p for m in model.modules() if isinstance(m, CNBlock)]
    assert len(rates) == 18 and rates[0] == 0.0 and rates[-1] == pytest.approx(0.1)
    assert rates == pytest.approx([0.1 * i / 17 for i in range(18)])
    block = CNBlock(8, layer_scale=1.0, stochastic_depth_prob=0.5).train()
    x = torch.randn(400, 8, 5, 5)
    with torch.no_grad():
        unchanged = (block(x) == x).flatten(1).all(1).float().mean().item()
        assert 0.35 < unchanged < 0.65  # whole samples skip the branch
        block.eval()
        torch.testing.assert_close(block(x), x + block.block(x))  # eval: no drop, no rescale


def test_layer_scale_starts_blocks_near_identity():
    block = CNBlock(16).eval()  # layer_scale 1e-6
    x = torch.randn(2, 16, 8, 8)
    with torch.no_grad():
        change = (block(x) - x).norm() / x.norm()
    assert change < 1e-5


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="widths and depths"):
        ConvNeXt((96, 192), (3,))
    with pytest.raises(ValueError, match="kernel_size"):
        ConvNeXt((8,), (1,), kernel_size=4)
    with pytest.raises(ValueError, match="inverted"):
        Design(inverted=True)
    with pytest.raises(ValueError, match="norm"):
        Design(norm="group")


def test_mini_variant_trains_shapes():
    model = build_model("convnext_mini")
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert model(torch.zeros(2, 1, 32, 32)).shape == (2, 10)


def test_steps_start_at_resnet50_and_end_at_convnext_tiny():
    designs = step_designs()
    assert len(designs) == len(STEPS) == 14
    first, last = _meta(StepNet, design=designs[0][1]), _meta(StepNet, design=designs[-1][1])
    assert count_parameters(first) == 25_557_032 == count_parameters(_meta(torchvision.models.resnet50))
    assert count_parameters(last) == 28_589_128
    assert _meta_macs(first) == 4_089_184_256
    assert _meta_macs(last) == 4_455_531_264


def _resnet_to_step(name: str) -> str:
    """torchvision resnet50 key -> StepNet key."""
    name = name.replace("conv1.", "stem.0.", 1) if name.startswith("conv1.") else name
    name = name.replace("bn1.", "stem.1.", 1) if name.startswith("bn1.") else name
    for i in range(1, 5):
        name = name.replace(f"layer{i}.", f"stages.{i - 1}.")
    for i in range(1, 4):
        name = name.replace(f".bn{i}.", f".norms.{i - 1}.")
    return name.replace(".downsample.", ".shortcut.")


def test_first_step_computes_resnet50():
    torch.manual_seed(0)
    reference = torchvision.models.resnet50(num_classes=5)
    _randomise(reference, seed=2)
    ours = StepNet(Design(), num_classes=5)
    ours.load_state_dict({_resnet_to_step(k): v for k, v in reference.state_dict().items()}, strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(x), reference.eval()(x), atol=1e-4, rtol=1e-4)


def _convnext_to_step(name: str, value: torch.Tensor) -> tuple[str, torch.Tensor]:
    """torchvision ConvNeXt key and tensor -> StepNet key and tensor (Linear -> 1x1 conv)."""
    parts = name.split(".")
    if parts[0] == "features" and parts[1] == "0":
        return "stem." + ".".join(parts[2:]), value
    if parts[0] == "classifier":
        return ("head_norm." if parts[1] == "0" else "fc.") + parts[2], value
    stage = f"stages.{int(parts[1]) - 1}"
    if len(parts) == 4:  # downsampling layer: features.k.{0,1}.param
        return f"{stage}.{parts[2]}.{parts[3]}", value
    block = f"{stage}.{parts[2]}"
    if parts[3] == "layer_scale":
        return f"{block}.layer_scale", value
    target = {"0": "conv1", "2": "norms.0", "3": "conv2", "5": "conv3"}[parts[4]]
    if target in ("conv2", "conv3") and parts[5] == "weight":
        value = value[:, :, None, None]  # Linear (out, in) -> 1x1 conv (out, in, 1, 1)
    return f"{block}.{target}.{parts[5]}", value


def test_last_step_computes_convnext_tiny():
    torch.manual_seed(0)
    reference = build_model("convnext_tiny", num_classes=5)
    _randomise(reference, seed=3)
    ours = StepNet(step_designs()[-1][1], num_classes=5)
    ours.load_state_dict(dict(_convnext_to_step(k, v) for k, v in reference.state_dict().items()), strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(x), reference.eval()(x), atol=1e-4, rtol=1e-4)


def test_step_blocks_follow_the_design():
    design = step_designs()[10][1]  # fewer norms: one BN after the depthwise conv, one GELU
    block = StepNet(design).stages[0][1]
    norms = [m for m in block.norms if not isinstance(m, nn.Identity)]
    acts = [m for m in block.modules() if isinstance(m, nn.GELU)]
    assert len(norms) == 1 and block.norms[0] is norms[0] and len(acts) == 1
    assert block.conv1.groups == block.conv1.in_channels and block.conv1.kernel_size == (7, 7)
    ln_block = StepNet(step_designs()[11][1]).stages[0][1]
    assert isinstance(ln_block.norms[0], LayerNorm2d) and ln_block.conv1.bias is not None
