"""VGG (chapter 23): only 3x3 convolutions and 2x2 max pools, built from a table of widths.

Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015 (https://arxiv.org/abs/1409.1556). Configurations A, B, D, E of the
paper's Table 1 are VGG-11, 13, 16 and 19; "_bn" adds batch norm after every conv (not in the
paper; BN came later). Same layout and names as torchvision.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register

# Widths of the 3x3 convs in order; "M" is a 2x2/2 max pool. Every table the builders use
# is defined right here (the notes' builder referred to a `cfgs` dict it never defined).
VGG_CONFIGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],  # VGG-11
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],  # VGG-13
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],  # VGG-16
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],  # VGG-19
}


def make_layers(config: list[int | str], batch_norm: bool = False,
                in_channels: int = 3) -> nn.Sequential:
    """Turn a width table into conv3x3(-BN)-ReLU and max-pool layers."""
    check_model_args(in_channels=in_channels)
    layers: list[nn.Module] = []
    channels = in_channels
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        elif isinstance(item, int) and not isinstance(item, bool) and item >= 1:
            layers.append(nn.Conv2d(channels, item, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(item))
            layers.append(nn.ReLU(inplace=True))
            channels = item
        else:
            raise ValueError(
                f"A VGG config holds conv widths (ints >= 1) and 'M' for pooling, got {item!r}.")
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """features (from the table) -> 7x7 adaptive pool -> classifier (FC 4096, 4096, classes)."""

    def __init__(self, features: nn.Sequential, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5, hidden: int = 4096) -> None:
        super().__init__()
        check_model_args(num_classes, hidden=hidden)
        convs = [m for m in features if isinstance(m, nn.Conv2d)]
        if not convs:
            raise ValueError("features must contain at least one nn.Conv2d (see make_layers).")
        self.features = features
        last = convs[-1].out_channels
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(last * 7 * 7, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)
        pools = sum(isinstance(m, nn.MaxPool2d) for m in features)
        expect_input(self, convs[0].in_channels, min_size=2 ** pools,
                     why=f"its {pools} 2x2/2 max pools halve the size {pools} times")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        x = torch.flatten(x, 1)  # (N, 512 * 7 * 7)
        return self.classifier(x)


def _vgg(config: str, batch_norm: bool, num_classes: int, in_channels: int, init_weights: bool,
         dropout: float) -> VGG:
    if config not in VGG_CONFIGS:
        raise ValueError(f"config must be one of {sorted(VGG_CONFIGS)}, got {config!r}.")
    features = make_layers(VGG_CONFIGS[config], batch_norm, in_channels)
    return VGG(features, num_classes, init_weights, dropout)


@register
def vgg11(num_classes: int = 1000, in_channels: int = 3, init_weights: bool = True,
          dropout: float = 0.5) -> VGG:
    """VGG-11 (configuration A)."""
    return _vgg("A", False, num_classes, in_channels, init_weights, dropout)


@register
def vgg13(num_classes: int = 1000, in_channels: int = 3, init_weights: bool = True,
          dropout: float = 0.5) -> VGG:
    """VGG-13 (configuration B)."""
    return _vgg("B", False, num_classes, in_channels, init_weights, dropout)


@register
def vgg16(num_classes: int = 1000, in_channels: int = 3, init_weights: bool = True,
          dropout: float = 0.5) -> VGG:
    """VGG-16 (configuration D, ~138M parameters)."""
    return _vgg("D", False, num_classes, in_channels, init_weights, dropout)


@register
def vgg19(num_classes: int = 1000, in_channels: int = 3, init_weights: bool = True,
          dropout: float = 0.5) -> VGG:
    """VGG-19 (configuration E)."""
    return _vgg("E", False, num_classes, in_channels, init_weights, dropout)


@register
def vgg11_bn(num_classes: int = 1000, in_channels: int = 3, init_weights: bool = True,
             dropout: float = 0.5) -> VGG:
    """VGG-11 with batch norm after every conv."""
    return _vgg("A", True, num_classes, in_channels, init_weights, dropout)


@register
def vgg13_bn(num_classes: int = 1000, in_channels: int = 3, init_weights: bool = True,
             dropout: float = 0.5) -> VGG:
    """VGG-13 with batch norm after every conv."""
    return _vgg("B", True, num_classes, in_channels, init_weights, dropout)


@register
def vgg16_bn(num_classes: int = 1000, in_channels: int = 3, init_weights: bool = True,
             dropout: float = 0.5) -> VGG:
    """VGG-16 with batch norm after every conv."""
    return _vgg("D", True, num_classes, in_channels, init_weights, dropout)


@register
def vgg19_bn(num_classes: int = 1000, in_channels: int = 3, init_weights: bool = True,
             dropout: float = 0.5) -> VGG:
    """VGG-19 with batch norm after every conv."""
    return _vgg("E", True, num_classes, in_channels, init_weights, dropout)
