"""The ResNet paper's initialisation, shared by every residual family (chapter 25)."""

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
