"""Weight initialisations shared by several families: the ResNet paper's (chapter 25) and the
mobile networks' fan-out scheme (MobileNet V2/V3, EfficientNet)."""

import math

from torch import nn


def kaiming_init_(model: nn.Module) -> None:
    """Kaiming-normal (fan_out, ReLU) conv weights; BatchNorm scale 1 and shift 0, in place."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}.")
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def fan_out_init_(model: nn.Module, linear: str = "normal") -> None:
    """Kaiming-normal (fan_out) convs with zero bias, unit norms, and Linear layers either
    N(0, 0.01) (`linear="normal"`, torchvision's MobileNets) or uniform(+-1/sqrt(out))
    (`linear="uniform"`, the EfficientNet paper's code); zero Linear bias. In place."""
    if linear not in ("normal", "uniform"):
        raise ValueError(f"linear must be 'normal' or 'uniform', got {linear!r}.")
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            if linear == "normal":
                nn.init.normal_(m.weight, 0, 0.01)
            else:
                bound = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -bound, bound)
            nn.init.zeros_(m.bias)
