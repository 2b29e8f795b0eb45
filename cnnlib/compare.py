"""Measure models side by side: parameters, multiply-adds, CPU latency, published figures.

Used by every architecture chapter of Part IV to check its counts against the paper and
torchvision, and by the comparison chapter (30) to put the whole zoo in one table.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call

from cnnlib.summary import count_parameters  # re-exported: chapters use compare.count_parameters

# torchvision's weight enum for each model name (its metadata: ImageNet accuracy, size, GFLOPS).
TORCHVISION_WEIGHTS = {
    "alexnet": "AlexNet_Weights",
    "vgg11": "VGG11_Weights",
    "vgg16": "VGG16_Weights",
    "vgg16_bn": "VGG16_BN_Weights",
    "googlenet": "GoogLeNet_Weights",
    "resnet18": "ResNet18_Weights",
    "resnet34": "ResNet34_Weights",
    "resnet50": "ResNet50_Weights",
    "resnext50_32x4d": "ResNeXt50_32X4D_Weights",
    "mobilenet_v2": "MobileNet_V2_Weights",
    "mobilenet_v3_large": "MobileNet_V3_Large_Weights",
    "mobilenet_v3_small": "MobileNet_V3_Small_Weights",
    "shufflenet_v2_x0_5": "ShuffleNet_V2_X0_5_Weights",
    "shufflenet_v2_x1_0": "ShuffleNet_V2_X1_0_Weights",
}


def layer_macs(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-adds of one Conv2d or Linear for the output it produced (0 for other layers).

    A conv output element needs (C_in / groups) * kH * kW multiply-adds; a Linear output
    element needs in_features. Biases, BatchNorm, activations and pooling are not counted
    (the convention of the papers and of torchvision's GFLOPS figures).
    """
    if isinstance(module, nn.Conv2d):
        k_h, k_w = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * k_h * k_w
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return 0


def macs_by_layer(model: nn.Module,
                  input_size: tuple[int, ...] = (1, 3, 224, 224)) -> dict[str, int]:
    """Multiply-adds of every Conv2d/Linear (by module name) for one forward pass of one image."""
    if len(input_size) < 2 or input_size[0] != 1:
        raise ValueError(f"input_size must be (1, C, H, W) for one image (or (1, features)), "
                         f"got {input_size}.")
    counts: dict[str, int] = {}
    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            def hook(mod, _inputs, output, name=name):
                counts[name] = counts.get(name, 0) + layer_macs(mod, output)
            hooks.append(module.register_forward_hook(hook))
    # Shapes are all we need: run on the "meta" device (no memory, no arithmetic), so even
    # VGG-16 at 224x224 costs milliseconds. The model's own tensors are left untouched.
    state = {name: torch.empty_like(t, device="meta")
             for name, t in [*model.named_parameters(), *model.named_buffers()]}
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            functional_call(model, state, (torch.zeros(input_size, device="meta"),))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return counts


def count_macs(model: nn.Module, input_size: tuple[int, ...] = (1, 3, 224, 224)) -> int:
    """Total multiply-adds of one image through `model` (convs and Linear layers).

    Counted layer by layer with hooks on the meta device (fast even for VGG at 224, and
    gives the per-layer split); `cnnlib.counting.count_macs` measures the same total with
    PyTorch's FlopCounterMode on real tensors, and tests check that they agree.
    """
    return sum(macs_by_layer(model, input_size).values())


def measure_latency(model: nn.Module, input_size: tuple[int, ...] = (1, 3, 224, 224),
                    reps: int = 3, warmup: int = 1) -> float:
    """Median wall time (seconds) of one forward pass in eval mode on the CPU; varies run to run."""
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}.")
    model = model.eval().cpu()
    x = torch.randn(input_size)
    times = []
    with torch.inference_mode():
        for i in range(warmup + reps):
            start = time.perf_counter()
            model(x)
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclass(frozen=True)
class Published:
    """torchvision's published figures for its ImageNet weights (available offline)."""

    num_params: int
    gmacs: float  # torchvision calls it GFLOPS; it counts multiply-adds (one per MAC)
    top1: float  # ImageNet-1K top-1 accuracy, %
    top5: float


def published(name: str, weights: str = "IMAGENET1K_V1") -> Published:
    """Figures from torchvision's weights metadata, e.g. published('mobilenet_v2').num_params."""
    import torchvision.models as tvm

    if name not in TORCHVISION_WEIGHTS:
        raise ValueError(f"No torchvision weights known for {name!r}; "
                         f"choose one of {sorted(TORCHVISION_WEIGHTS)}.")
    meta = getattr(getattr(tvm, TORCHVISION_WEIGHTS[name]), weights).meta
    metrics = meta["_metrics"]["ImageNet-1K"]
    return Published(meta["num_params"], meta["_ops"], metrics["acc@1"], metrics["acc@5"])


def trace_table(layers: nn.Sequential, input_size: tuple[int, ...]) -> list[dict]:
    """Run one image through the children of `layers` in order; per child: shape, parameters, MACs.

    The shape trace that the Part IV chapters print for every model, e.g. for
    `model.features` of a MobileNet.
    """
    x = torch.randn(input_size)
    rows = []
    with torch.no_grad():
        for name, child in layers.named_children():
            macs = count_macs(child, tuple(x.shape))
            x = child.eval()(x)
            rows.append({"name": name, "type": type(child).__name__, "shape": tuple(x.shape[1:]),
                         "params": count_parameters(child), "macs": macs})
    return rows


def print_trace_table(rows: list[dict], extra: dict[str, list] | None = None) -> None:
    """Print `trace_table` rows aligned; `extra` adds columns (name -> one value per row)."""
    extra = extra or {}
    head = f"{'#':>3} {'layer':<18} {'output (C, H, W)':<18} {'params':>10} {'MACs':>13}"
    print(head + "".join(f" {k:>8}" for k in extra))
    for i, row in enumerate(rows):
        line = (f"{row['name']:>3} {row['type']:<18} {str(row['shape']):<18} "
                f"{row['params']:>10,} {row['macs']:>13,}")
        print(line + "".join(f" {str(v[i]):>8}" for v in extra.values()))
