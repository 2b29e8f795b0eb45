"""Conv -> BatchNorm -> activation, the unit every modern CNN is stacked from.

An `nn.Sequential` with children 0 (conv), 1 (norm), 2 (activation), the same layout as
torchvision's `Conv2dNormActivation`, so state_dicts load unchanged. Taught in chapter 28.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from cnnlib.ops.sizes import check_int

LayerFactory = Callable[..., nn.Module]


class ConvNormAct(nn.Sequential):
    """A k x k conv with "same" padding (at stride 1), then norm, then activation.

    `norm=None` drops the norm (and gives the conv a bias); `activation=None` drops the
    activation, e.g. for MobileNet V2's linear projection. The conv has no bias when a
    BatchNorm follows: the BatchNorm's shift would cancel it.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 stride: int = 1, groups: int = 1, dilation: int = 1,
                 norm: LayerFactory | None = nn.BatchNorm2d,
                 activation: LayerFactory | None = nn.ReLU) -> None:
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("kernel_size", kernel_size), ("stride", stride), ("groups", groups),
                            ("dilation", dilation)):
            check_int(value, name)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups={groups} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}; pick a common divisor.")
        padding = (kernel_size - 1) // 2 * dilation  # keeps H, W at stride 1
        layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                                             padding, dilation, groups=groups, bias=norm is None)]
        if norm is not None:
            layers.append(norm(out_channels))
        if activation is not None:
            layers.append(activation())  # called: a layer, not the class (a notes' bug)
        super().__init__(*layers)
        self.out_channels = out_channels
