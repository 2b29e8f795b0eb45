"""DenseNet-BC (121/161/169/201) and its small-image form (chapter 32).

Huang, Liu, van der Maaten and Weinberger, "Densely Connected Convolutional Networks",
CVPR 2017 (https://arxiv.org/abs/1608.06993).
Inside a dense block every layer receives the channel-wise concatenation of the block input
and of all earlier layers' outputs, and adds `growth_rate` (k) new channels. Each layer is a
bottleneck BN-ReLU-1x1 conv (to bn_size * k = 4k channels) then BN-ReLU-3x3 conv (to k).
Between blocks a transition layer (BN-ReLU-1x1 conv, 2x2 average pool) halves both the
channels (compression 0.5) and the resolution. An architecture is (k, layers per block,
stem width). Same layout and attribute names as torchvision, so its state_dicts load.

Departures: none for the ImageNet models. The small-image form (`small_inputs=True`) follows
the paper's CIFAR networks: a single 3x3 stride-1 conv stem (2k channels, no BN, no max pool).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from cnnlib.models.input_check import check_model_args, expect_input
from cnnlib.models.registry import register


class DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv (to bn_size * k) then BN-ReLU-3x3 conv (to k) on the concatenated inputs."""

    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int = 4,
                 drop_rate: float = 0.0, memory_efficient: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bottleneck(self, *features: torch.Tensor) -> torch.Tensor:
        """Concatenate on the channels (dim 1), then BN-ReLU-1x1: C_in -> bn_size * k channels."""
        x = torch.cat(features, 1)  # (N, C0 + i * k, H, W)
        return self.conv1(self.relu1(self.norm1(x)))

    def forward(self, features: list[torch.Tensor] | torch.Tensor) -> torch.Tensor:
        if isinstance(features, torch.Tensor):
            features = [features]
        if self.memory_efficient and any(f.requires_grad for f in features):
            # Recompute the concatenation and the bottleneck in the backward pass instead of
            # keeping them (Pleiss et al. 2017): less memory, more time.
            out = checkpoint(self.bottleneck, *features, use_reentrant=False)
        else:
            out = self.bottleneck(*features)
        out = self.conv2(self.relu2(self.norm2(out)))  # (N, k, H, W)
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        return out


class DenseBlock(nn.ModuleDict):
    """`num_layers` dense layers; the output is the input plus every layer's k new channels."""

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int, growth_rate: int,
                 drop_rate: float = 0.0, memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            layer = DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size,
                               drop_rate, memory_efficient)
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.values():
            features.append(layer(features))  # each layer sees all earlier feature maps
        return torch.cat(features, 1)  # (N, C0 + num_layers * k, H, W)


class Transition(nn.Sequential):
    """Between blocks: BN-ReLU-1x1 conv (compress the channels), then 2x2 average pooling."""

    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, 1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """Stem, dense blocks separated by transitions, final BN-ReLU, global average pool, FC.

    block_config: layers per dense block, e.g. (6, 12, 24, 16) for DenseNet-121.
    compression: the transitions keep floor(compression * channels) channels (0.5 in -BC).
    small_inputs: a 3x3 stride-1 stem conv with 2k channels and no pooling (CIFAR-style).
    """

    def __init__(self, growth_rate: int = 32, block_config: tuple[int, ...] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0.0,
                 num_classes: int = 1000, memory_efficient: bool = False, in_channels: int = 3,
                 compression: float = 0.5, small_inputs: bool = False) -> None:
        super().__init__()
        check_model_args(num_classes=num_classes, in_channels=in_channels, growth_rate=growth_rate,
                         num_init_features=num_init_features, bn_size=bn_size)
        if not block_config or min(block_config) < 1:
            raise ValueError(f"block_config must list positive layer counts per dense block, e.g. "
                             f"(6, 12, 24, 16); got {block_config}.")
        if not 0 < compression <= 1:
            raise ValueError(f"compression must be in (0, 1] (0.5 halves the channels), got {compression}.")
        if small_inputs:  # paper section 3, CIFAR: one 3x3 conv, full resolution kept
            stem = [("conv0", nn.Conv2d(in_channels, num_init_features, 3, padding=1, bias=False))]
        else:  # ImageNet: 7x7/2 conv, BN, ReLU, 3x3/2 max pool (224 -> 56)
            stem = [("conv0", nn.Conv2d(in_channels, num_init_features, 7, 2, padding=3, bias=False)),
                    ("norm0", nn.BatchNorm2d(num_init_features)),
                    ("relu0", nn.ReLU(inplace=True)),
                    ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))]
        self.features = nn.Sequential(OrderedDict(stem))
        channels = num_init_features
        for i, num_layers in enumerate(block_config):
            block = DenseBlock(num_layers, channels, bn_size, growth_rate, drop_rate, memory_efficient)
            self.features.add_module(f"denseblock{i + 1}", block)
            channels += num_layers * growth_rate
            if i != len(block_config) - 1:
                out = int(channels * compression)
                self.features.add_module(f"transition{i + 1}", Transition(channels, out))
                channels = out
        self.features.add_module(f"norm{len(block_config) + 1}", nn.BatchNorm2d(channels))
        self.classifier = nn.Linear(channels, num_classes)
        for m in self.modules():  # the paper's initialisation, as torchvision
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
        # Each transition's 2x2 pooling needs a map of at least 2x2: with T transitions the first
        # block needs 2**T pixels a side; the ImageNet stem divides the size by 4 (rounding up).
        first_block = 2 ** (len(block_config) - 1)
        min_size = first_block if small_inputs else 4 * (first_block - 1) + 1
        expect_input(self, in_channels, min_size=min_size,
                     why=f"{len(block_config) - 1} transitions halve it")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.features(x))  # the last BN is in `features`; its ReLU is here
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)  # (N, channels)
        return self.classifier(x)


def _densenet(growth_rate: int, block_config: tuple[int, ...], num_init_features: int,
              num_classes: int, in_channels: int, **kwargs) -> DenseNet:
    return DenseNet(growth_rate, block_config, num_init_features, num_classes=num_classes,
                    in_channels=in_channels, **kwargs)


# (growth rate k, layers per dense block, stem channels): the paper's Table 1 (161: k = 48).
@register
def densenet121(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> DenseNet:
    """DenseNet-121: k = 32, blocks (6, 12, 24, 16), 64-channel stem (8.0M parameters)."""
    return _densenet(32, (6, 12, 24, 16), 64, num_classes, in_channels, **kwargs)


@register
def densenet161(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> DenseNet:
    """DenseNet-161: k = 48, blocks (6, 12, 36, 24), 96-channel stem (28.7M parameters)."""
    return _densenet(48, (6, 12, 36, 24), 96, num_classes, in_channels, **kwargs)


@register
def densenet169(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> DenseNet:
    """DenseNet-169: k = 32, blocks (6, 12, 32, 32), 64-channel stem (14.1M parameters)."""
    return _densenet(32, (6, 12, 32, 32), 64, num_classes, in_channels, **kwargs)


@register
def densenet201(num_classes: int = 1000, in_channels: int = 3, **kwargs) -> DenseNet:
    """DenseNet-201: k = 32, blocks (6, 12, 48, 32), 64-channel stem (20.0M parameters)."""
    return _densenet(32, (6, 12, 48, 32), 64, num_classes, in_channels, **kwargs)


@register
def densenet_bc_100(num_classes: int = 10, in_channels: int = 3, **kwargs) -> DenseNet:
    """The paper's CIFAR DenseNet-BC (L = 100, k = 12): 3 blocks of 16 layers, 3x3 stem (0.8M)."""
    kwargs.setdefault("small_inputs", True)
    return _densenet(12, (16, 16, 16), 24, num_classes, in_channels, **kwargs)
