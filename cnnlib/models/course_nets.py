"""The course's own small networks: the 4-conv batch-norm MNIST CNN and fast LeNet-style nets.

- `mnist_cnn` (chapter 16): conv 1->16->32->64->128 (3x3), 2x2 max pooling after the 2nd and
  4th conv, then FC 128*4*4 -> 1024 -> 128 -> 10. The convolutions use no padding ("valid"):
  28 -> 26 -> 24 -> pool 12 -> 10 -> 8 -> pool 4, which is where the 4x4 comes from. With
  "same" padding (P=1) the map would stay 28 -> 14 -> 7 and the first FC would need 128*7*7.
- `fast_lenet` (chapter 20): LeNet's 5x5 conv / pool / FC layout with batch norm, small
  enough to train on full Fashion-MNIST in under a minute on two CPU cores.
- `fast_cnn` (chapter 20, CPU recipe): three 3x3 conv-BN-ReLU-maxpool stages (16-32-64
  channels, 28 -> 14 -> 7 -> 3) and one linear layer: about 2 M multiply-adds per image,
  the net of the CPU speed recipe (goal: 92% on full Fashion-MNIST within a minute on two
  cores; see results/fashion_speed_cpu.json for what it reached).
- `fast_resnet` (chapter 20, GPU recipe): a small residual net (32-64-128) for the GPU
  speed run, where the arithmetic is cheap and a wider net buys accuracy.
"""

from __future__ import annotations

from torch import nn

from cnnlib.models.input_check import check_model_args, expect_input, sizes_giving
from cnnlib.models.registry import register
from cnnlib.ops.sizes import check_int


def conv_out(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Output size floor((W - F + 2P) / S) + 1 of a convolution or pooling layer (chapter 3)."""
    return (size - kernel + 2 * padding) // stride + 1


def conv_bn_relu(in_channels: int, out_channels: int, kernel: int, padding: int) -> nn.Sequential:
    """Conv (no bias: the BN shift replaces it) -> BatchNorm -> ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, padding=padding, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class MnistCNN(nn.Module):
    """Four 3x3 conv-BN-ReLU layers (pool after the 2nd and 4th) then three FC layers.

    `padding=0` is the syllabus network (FC 128*4*4 on 28x28 input); `padding=1` keeps
    each conv "same" and the FC input grows to 128*7*7. The FC size is computed from
    `image_size` with the output-size formula, so any square input works.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 28,
                 padding: int = 0) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels, image_size=image_size)
        check_int(padding, "padding", 0)

        def feature_size(size: int) -> int:
            for step in ("conv", "conv", "pool", "conv", "conv", "pool"):
                size = conv_out(size, 3, 1, padding) if step == "conv" else conv_out(size, 2, 2)
                if size < 1:
                    return 0
            return size

        size = feature_size(image_size)
        if size < 1:
            raise ValueError(f"image_size={image_size} is too small for MnistCNN with "
                             f"padding={padding}: the last feature map would be {size}x{size}; "
                             "use images of at least 12x12 (or padding=1).")
        self.features = nn.Sequential(
            conv_bn_relu(in_channels, 16, 3, padding),
            conv_bn_relu(16, 32, 3, padding),
            nn.MaxPool2d(2, 2),
            conv_bn_relu(32, 64, 3, padding),
            conv_bn_relu(64, 128, 3, padding),
            nn.MaxPool2d(2, 2),
        )
        self.feature_size = size  # 4 for 28x28 input and padding=0
        self.classifier = nn.Sequential(
            nn.Flatten(),  # (N, 128, s, s) -> (N, 128*s*s)
            nn.Linear(128 * size * size, 1024),
            nn.ReLU(inplace=True),
            nn.Linear(1024, 128),
            nn.ReLU(inplace=True),
            nn.Linear(128, num_classes),
        )
        low, high = sizes_giving(size, feature_size)
        expect_input(self, in_channels, size=image_size if low <= image_size <= high else low,
                     max_size=high,
                     why=f"its first Linear layer is sized for the {size}x{size} map of "
                         f"image_size={image_size}, padding={padding}",
                     hint=", or build the model with image_size set to your images' size")

    def forward(self, x):
        return self.classifier(self.features(x))


class FastLeNet(nn.Module):
    """LeNet-5 layout with BN: 5x5 conv(same)/pool, 5x5 conv/pool, FC 400 -> 120 -> 84 -> classes.

    `channels` are the two conv widths (LeNet-5's 6 and 16 by default).
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 28,
                 channels: tuple[int, int] = (6, 16)) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels, image_size=image_size,
                         channels_0=channels[0], channels_1=channels[1])

        def feature_size(size: int) -> int:
            size = conv_out(conv_out(size, 5, 1, 2), 2, 2)  # 28 -> 28 -> 14
            if size < 5:
                return 0  # the unpadded 5x5 conv does not fit
            return conv_out(conv_out(size, 5), 2, 2)  # 14 -> 10 -> 5

        size = feature_size(image_size)
        if size < 1:
            raise ValueError(f"image_size={image_size} is too small for FastLeNet; use >= 12.")
        self.features = nn.Sequential(
            conv_bn_relu(in_channels, channels[0], 5, 2),
            nn.MaxPool2d(2, 2),
            conv_bn_relu(channels[0], channels[1], 5, 0),
            nn.MaxPool2d(2, 2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),  # (N, 16, 5, 5) -> (N, 400)
            nn.Linear(channels[1] * size * size, 120, bias=False),
            nn.BatchNorm1d(120),
            nn.ReLU(inplace=True),
            nn.Linear(120, 84),
            nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )
        low, high = sizes_giving(size, feature_size)
        expect_input(self, in_channels, size=image_size, max_size=high,
                     why=f"its first Linear layer is sized for the {size}x{size} map of "
                         f"image_size={image_size}",
                     hint=", or build the model with image_size set to your images' size")

    def forward(self, x):
        return self.classifier(self.features(x))


class FastCNN(nn.Module):
    """Stages of 3x3 conv (same) -> BN -> ReLU -> 2x2 max pool, then one linear layer.

    `widths` are the stages' channel counts; each stage halves the map (28 -> 14 -> 7 -> 3
    for three stages), and the classifier reads the whole last map (64 x 3 x 3 = 576 inputs).
    `pool_first=True` orders each stage conv -> max pool -> BN -> ReLU instead: the same
    parameters, but BN and ReLU work on the pooled map, a quarter of the values (faster on a
    CPU, where these memory-bound layers cost as much as the convolutions). Max pooling
    commutes with ReLU, but not with BN's per-channel scale, so it is a different network.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, image_size: int = 28,
                 widths: tuple[int, ...] = (16, 32, 64), pool_first: bool = False) -> None:
        super().__init__()
        widths = tuple(widths)
        if not widths:
            raise ValueError("widths must name at least one stage, e.g. widths=(16, 32, 64).")
        check_model_args(num_classes, in_channels, image_size=image_size,
                         **{f"widths_{i}": w for i, w in enumerate(widths)})
        size = image_size
        for _ in widths:
            size = conv_out(size, 2, 2)  # each 2x2 pool halves the map (rounding down)
        if size < 1:
            raise ValueError(f"image_size={image_size} is too small for {len(widths)} pooled stages; "
                             f"use >= {2 ** len(widths)} or fewer widths.")
        stages, channels = [], in_channels
        for width in widths:
            if pool_first:  # BN and ReLU then run on maps 4x smaller
                stages += [nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.MaxPool2d(2),
                           nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
            else:
                stages += [conv_bn_relu(channels, width, 3, 1), nn.MaxPool2d(2)]
            channels = width
        self.features = nn.Sequential(*stages)
        self.classifier = nn.Sequential(nn.Flatten(),  # (N, 64, 3, 3) -> (N, 576)
                                        nn.Linear(channels * size * size, num_classes))
        low, high = sizes_giving(size, lambda s: self._map_size(s, len(widths)))
        expect_input(self, in_channels, size=image_size, max_size=high,
                     why=f"its linear layer is sized for the {size}x{size} map of image_size={image_size}",
                     hint=", or build the model with image_size set to your images' size")

    @staticmethod
    def _map_size(size: int, stages: int) -> int:
        for _ in range(stages):
            size = conv_out(size, 2, 2)
        return size

    def forward(self, x):
        return self.classifier(self.features(x))


class Residual(nn.Module):
    """x + f(x) for a shape-preserving f."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class FastResNet(nn.Module):
    """A small ResNet-9-style net: stem, three pooled stages (one with two residual convs), FC."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 32) -> None:
        super().__init__()
        check_model_args(num_classes, in_channels, width=width)
        w = width
        self.features = nn.Sequential(
            conv_bn_relu(in_channels, w, 3, 1),
            conv_bn_relu(w, 2 * w, 3, 1),
            nn.MaxPool2d(2),  # 28 -> 14
            Residual(nn.Sequential(conv_bn_relu(2 * w, 2 * w, 3, 1),
                                   conv_bn_relu(2 * w, 2 * w, 3, 1))),
            conv_bn_relu(2 * w, 4 * w, 3, 1),
            nn.MaxPool2d(2),  # 14 -> 7
            Residual(nn.Sequential(conv_bn_relu(4 * w, 4 * w, 3, 1),
                                   conv_bn_relu(4 * w, 4 * w, 3, 1))),
            nn.AdaptiveMaxPool2d(1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * w, num_classes))
        expect_input(self, in_channels, min_size=4,
                     why="its two 2x2 max pools need a 4x4 image to leave one pixel")

    def forward(self, x):
        return self.classifier(self.features(x))


@register
def mnist_cnn(num_classes: int = 10, in_channels: int = 1, image_size: int = 28,
              padding: int = 0) -> MnistCNN:
    """The syllabus's 4-conv batch-norm MNIST network (chapter 16)."""
    return MnistCNN(num_classes, in_channels, image_size, padding)


@register
def fast_lenet(num_classes: int = 10, in_channels: int = 1, image_size: int = 28,
               channels: tuple[int, int] = (6, 16)) -> FastLeNet:
    """LeNet-5 with batch norm, for the CPU speed goal (chapter 20)."""
    return FastLeNet(num_classes, in_channels, image_size, channels)


@register
def fast_cnn(num_classes: int = 10, in_channels: int = 1, image_size: int = 28,
             widths: tuple[int, ...] = (16, 32, 64), pool_first: bool = False) -> FastCNN:
    """Three conv-BN-ReLU-pool stages and one linear layer, for the CPU speed goal (chapter 20)."""
    return FastCNN(num_classes, in_channels, image_size, widths, pool_first)


@register
def fast_resnet(num_classes: int = 10, in_channels: int = 1, width: int = 32) -> FastResNet:
    """A small residual net for the GPU speed recipe (chapter 20)."""
    return FastResNet(num_classes, in_channels, width)
