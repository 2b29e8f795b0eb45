"""The paper's road from ResNet-50 to ConvNeXt-T, one design decision at a time (chapter 35).

Liu et al., "A ConvNet for the 2020s" (https://arxiv.org/abs/2201.03545), section 2 and
Figure 2. A `Design` holds every decision the paper changes; `STEPS` lists the changes in the
paper's order with the ImageNet top-1 accuracy and GFLOPs the paper reports for each (its
claims: nothing here is trained on ImageNet); `step_designs()` applies them one after another
and `StepNet(design)` builds the network of any step, so parameters and multiply-adds can be
counted per step. The first step is exactly torchvision's ResNet-50, the last exactly
ConvNeXt-T (tests check both). Intermediate networks are teaching models: not registered.

Where the paper does not spell out a detail of an intermediate step, we chose (and say):
- the patchify stem is conv + norm, as in the final ConvNeXt (ResNet's ReLU and max pool go);
- a block that changes shape puts its stride in its spatial conv (ResNet "v1.5", as
  torchvision) and gets a 1x1-conv + norm shortcut, until separate downsampling layers;
- "fewer activations" keeps the one between the two 1x1 convs and drops the one after the
  addition; "fewer norms" keeps the one after the depthwise conv (the shortcut keeps its own);
- a conv has a bias unless a BatchNorm follows it (BN's shift would cancel the bias; a
  LayerNorm, which normalises across channels, does not).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
from torch import nn

from cnnlib.layers.layer_norm_2d import LayerNorm2d
from cnnlib.layers.stochastic_depth import StochasticDepth

EPS = 1e-6  # ConvNeXt's LayerNorm epsilon


@dataclass(frozen=True)
class Design:
    """Every decision the paper changes on its way from ResNet-50 (the defaults) to ConvNeXt-T."""

    depths: tuple[int, ...] = (3, 4, 6, 3)  # blocks per stage
    width: int = 64  # narrow width of stage 1 (doubles every stage)
    stem: str = "resnet"  # "resnet": 7x7/2 conv, BN, ReLU, 3x3/2 max pool; "patchify": 4x4/4 conv, norm
    depthwise: bool = False  # the spatial conv has one filter per channel (groups = channels)
    inverted: bool = False  # narrow -> 4x wide -> narrow (instead of wide -> narrow -> wide)
    spatial_first: bool = False  # the spatial conv is the block's first layer, before the 1x1s
    kernel_size: int = 3  # of the spatial conv
    activation: str = "relu"  # "relu" or "gelu"
    one_activation: bool = False  # a single activation, between the two 1x1 convs
    one_norm: bool = False  # a single norm, after the spatial conv
    norm: str = "batch"  # "batch" (BatchNorm2d) or "layer" (LayerNorm over channels)
    separate_downsampling: bool = False  # norm + 2x2/2 conv between stages; norm before the FC
    layer_scale: float | None = None  # learnable per-channel factor on the branch (init value)

    def __post_init__(self) -> None:
        for name, value, allowed in (("stem", self.stem, ("resnet", "patchify")),
                                     ("activation", self.activation, ("relu", "gelu")),
                                     ("norm", self.norm, ("batch", "layer"))):
            if value not in allowed:
                raise ValueError(f"Design.{name} must be one of {allowed}, got {value!r}.")
        if self.inverted and not self.depthwise:
            raise ValueError("Design(inverted=True) needs depthwise=True: a dense conv at 4x width "
                             "would cost 16x more; the paper inverts the depthwise block.")
        if self.spatial_first and not self.inverted:
            raise ValueError("Design(spatial_first=True) needs inverted=True (the paper moves the "
                             "depthwise conv up in the inverted block).")
        if (self.one_activation or self.one_norm or self.separate_downsampling) and not self.spatial_first:
            raise ValueError("one_activation, one_norm and separate_downsampling describe the "
                             "ConvNeXt-style block: set spatial_first=True first.")
        if self.kernel_size % 2 != 1:
            raise ValueError(f"Design.kernel_size must be odd (keeps H, W), got {self.kernel_size}.")


class Step(NamedTuple):
    """One change of the paper's Figure 2, with the result the paper reports for it."""

    label: str
    change: dict  # fields of Design that this step sets
    paper_top1: float | None  # ImageNet-1K top-1 accuracy (%), the paper's claim
    paper_gflops: float | None  # the paper's "GFLOPs" (multiply-adds, in billions)


STEPS: tuple[Step, ...] = (
    Step("ResNet-50", {}, 78.8, 4.1),  # already trained with the modern recipe (76.1 -> 78.8)
    Step("stage ratio 3:3:9:3", {"depths": (3, 3, 9, 3)}, 79.4, 4.5),
    Step("patchify stem 4x4/4", {"stem": "patchify"}, 79.5, 4.4),
    Step("depthwise conv", {"depthwise": True}, 78.3, 2.4),
    Step("width 64 -> 96", {"width": 96}, 80.5, 5.3),
    Step("inverted bottleneck", {"inverted": True}, 80.6, 4.6),
    Step("depthwise conv moved up", {"spatial_first": True}, 79.9, 4.1),
    Step("kernel 3x3 -> 7x7", {"kernel_size": 7}, 80.6, 4.2),
    Step("ReLU -> GELU", {"activation": "gelu"}, 80.6, 4.2),
    Step("fewer activations", {"one_activation": True}, 81.3, 4.2),
    Step("fewer norms", {"one_norm": True}, 81.4, 4.2),
    Step("BN -> LN", {"norm": "layer"}, 81.5, 4.2),
    Step("separate downsampling", {"separate_downsampling": True}, 82.0, 4.5),
    # Layer scale is one of the paper's training settings, not a step of Figure 2: added last,
    # so that the end point is exactly ConvNeXt-T.
    Step("+ layer scale = ConvNeXt-T", {"layer_scale": 1e-6}, None, None),
)


def step_designs() -> list[tuple[Step, Design]]:
    """Each step with the design it reaches: the changes of all steps so far, applied in order."""
    design, result = Design(), []
    for step in STEPS:
        design = replace(design, **step.change)
        result.append((step, design))
    return result


def _norm(design: Design, channels: int) -> nn.Module:
    if design.norm == "batch":
        return nn.BatchNorm2d(channels)
    return LayerNorm2d(channels, eps=EPS)  # channels-first LayerNorm: every pixel on its own


def _activation(design: Design) -> nn.Module:
    return nn.ReLU(inplace=True) if design.activation == "relu" else nn.GELU()


class StepBlock(nn.Module):
    """A residual block of any step: three convs (`conv1..3`), their norms and activations.

    Layouts (w: the stage's narrow width):
      ResNet bottleneck:      1x1 (-> w), kxk (w, stride), 1x1 (-> 4w);  output 4w channels
      inverted:               1x1 (-> 4w), kxk depthwise (4w, stride), 1x1 (-> w);  output w
      inverted, spatial first: kxk depthwise (in, stride), 1x1 (-> 4w), 1x1 (-> w);  output w
    `norms[i]`/`acts[i]` follow `conv{i+1}` (Identity where a step removed them); `act_out`
    follows the addition (a ResNet's final ReLU).
    """

    def __init__(self, design: Design, in_channels: int, width: int, stride: int = 1) -> None:
        super().__init__()
        wide = 4 * width
        k, pad = design.kernel_size, design.kernel_size // 2
        if not design.inverted:
            groups = width if design.depthwise else 1
            specs = [(in_channels, width, 1, 1, 1), (width, width, k, stride, groups),
                     (width, wide, 1, 1, 1)]
            out_channels, spatial = wide, 1
        elif not design.spatial_first:
            specs = [(in_channels, wide, 1, 1, 1), (wide, wide, k, stride, wide), (wide, width, 1, 1, 1)]
            out_channels, spatial = width, 1
        else:
            specs = [(in_channels, in_channels, k, stride, in_channels), (in_channels, wide, 1, 1, 1),
                     (wide, width, 1, 1, 1)]
            out_channels, spatial = width, 0
        # Which convs are followed by a norm / an activation (index into specs).
        has_norm = [i == spatial for i in range(3)] if design.one_norm else [True, True, True]
        if design.one_activation:
            has_act = [i == 1 for i in range(3)]  # between the two 1x1 convs
        else:
            has_act = [True, True, False]  # ResNet: after conv1 and conv2; the third after the add
        batch = design.norm == "batch"
        for i, (c_in, c_out, size, s, groups) in enumerate(specs):
            bias = not (has_norm[i] and batch)  # BatchNorm's shift would cancel a conv bias
            pad_i = pad if size == k else 0
            setattr(self, f"conv{i + 1}", nn.Conv2d(c_in, c_out, size, s, pad_i, groups=groups, bias=bias))
        self.norms = nn.ModuleList(_norm(design, specs[i][1]) if has_norm[i] else nn.Identity()
                                   for i in range(3))
        self.acts = nn.ModuleList(_activation(design) if has_act[i] else nn.Identity() for i in range(3))
        self.act_out = nn.Identity() if design.one_activation else _activation(design)
        self.layer_scale = (None if design.layer_scale is None else
                            nn.Parameter(torch.full((out_channels, 1, 1), design.layer_scale)))
        self.stochastic_depth = StochasticDepth(0.0)  # rate 0: counting needs no randomness
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:  # shape changes: project the input
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=not batch),
                                          _norm(design, out_channels))
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for conv, norm, act in zip((self.conv1, self.conv2, self.conv3), self.norms, self.acts, strict=True):
            out = act(norm(conv(out)))
        if self.layer_scale is not None:
            out = self.layer_scale * out
        return self.act_out(self.shortcut(x) + self.stochastic_depth(out))


class StepNet(nn.Module):
    """The whole network of one step: stem, four stages (with or without separate
    downsampling layers), global average pooling, (norm,) fully connected layer."""

    def __init__(self, design: Design, num_classes: int = 1000, in_channels: int = 3) -> None:
        super().__init__()
        batch = design.norm == "batch"
        w = design.width
        if design.stem == "resnet":  # 224 -> 112 (conv) -> 56 (max pool)
            self.stem = nn.Sequential(nn.Conv2d(in_channels, w, 7, 2, 3, bias=False), nn.BatchNorm2d(w),
                                      _activation(design), nn.MaxPool2d(3, 2, 1))
        else:  # 224 -> 56: non-overlapping 4x4 patches
            self.stem = nn.Sequential(nn.Conv2d(in_channels, w, 4, 4, bias=not batch), _norm(design, w))
        stages: list[nn.Module] = []
        channels = w
        for i, depth in enumerate(design.depths):
            width = w * 2 ** i
            stride = 1 if i == 0 else 2
            if design.separate_downsampling and i > 0:  # the stage starts with its own layer
                stages.append(nn.Sequential(_norm(design, channels), nn.Conv2d(channels, width, 2, 2)))
                channels, stride = width, 1
            blocks = []
            for j in range(depth):
                blocks.append(StepBlock(design, channels, width, stride if j == 0 else 1))
                channels = blocks[-1].out_channels
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.head_norm = _norm(design, channels) if design.separate_downsampling else nn.Identity()
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))  # (N, C, H / 32, W / 32)
        x = self.head_norm(self.avgpool(x))  # (N, C, 1, 1)
        return self.fc(torch.flatten(x, 1))  # (N, num_classes)
