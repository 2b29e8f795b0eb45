"""Clear errors for bad model arguments and for images a model cannot take.

Without these, `num_classes=0` builds a model that predicts nothing, and an image of the wrong
size or channel count fails deep inside the network with torch's "mat1 and mat2 shapes cannot
be multiplied" or "Output size is too small". Every family calls `check_model_args` and
`expect_input`; `expect_input` installs a forward pre-hook, so `forward` stays as the paper
draws it and tracing (torch.export, FX) sees the same graph.
"""

from __future__ import annotations

import torch
from torch import nn

from cnnlib.ops.sizes import check_int


def check_model_args(num_classes: int | None = None, in_channels: int | None = None,
                     **counts: int | None) -> None:
    """ValueError unless every given count (num_classes, in_channels, ...) is an int >= 1."""
    for name, value in {"num_classes": num_classes, "in_channels": in_channels, **counts}.items():
        if value is not None:
            check_int(value, name)


class InputCheck:
    """Forward pre-hook: refuse inputs with the wrong rank, channel count or image size.

    `size` is the image size a model whose first Linear layer is sized for one feature map
    needs; `max_size` (default `size`) allows the few larger sizes that the layers' floors map
    to the same feature map. Otherwise the height and width must be at least `min_size` (the
    smallest image every layer can still slide over). A plain object, so models stay picklable.
    """

    def __init__(self, model_name: str, channels: int, size: int | None = None,
                 min_size: int = 1, why: str = "", hint: str = "",
                 max_size: int | None = None) -> None:
        self.model_name, self.channels, self.size = model_name, channels, size
        self.max_size = size if max_size is None else max_size
        self.min_size, self.why, self.hint = min_size, why, hint

    def __call__(self, module: nn.Module, args: tuple) -> None:
        if not args or not isinstance(args[0], torch.Tensor):
            return
        x = args[0]
        name = self.model_name
        if x.ndim != 4:
            raise ValueError(
                f"{name} expects a batch of images (N, C, H, W), got shape {tuple(x.shape)}; "
                "for a single image add the batch dimension with x.unsqueeze(0).")
        if x.shape[1] != self.channels:
            raise ValueError(
                f"{name} was built for in_channels={self.channels} but the input has "
                f"{x.shape[1]} channels (shape {tuple(x.shape)}); build it with "
                f"in_channels={x.shape[1]}, or convert the images (e.g. grey to RGB with "
                "x.expand(-1, 3, -1, -1)).")
        height, width = int(x.shape[-2]), int(x.shape[-1])
        why = f" ({self.why})" if self.why else ""
        if self.size is not None and not (self.size <= min(height, width)
                                          and max(height, width) <= self.max_size):
            need = f"{self.size}x{self.size}"
            also = (f" (up to {self.max_size}x{self.max_size} gives the same feature map)"
                    if self.max_size != self.size else "")
            raise ValueError(
                f"{name} needs {need} inputs{why}, got {height}x{width}{also}; resize or pad "
                f"the images to {need}{self.hint}.")
        if min(height, width) < self.min_size:
            raise ValueError(
                f"{name} needs inputs of at least {self.min_size}x{self.min_size}{why}, got "
                f"{height}x{width}; upsample the images (F.interpolate) to at least "
                f"{self.min_size}x{self.min_size}, or use a model made for small images.")


def expect_input(model: nn.Module, channels: int, size: int | None = None, min_size: int = 1,
                 why: str = "", hint: str = "", max_size: int | None = None) -> nn.Module:
    """Install an `InputCheck` on `model` (checked before anything runs); return the model."""
    check_int(channels, "in_channels")
    check_int(min_size, "min_size")
    model.register_forward_pre_hook(
        InputCheck(type(model).__name__, channels, size, min_size, why, hint, max_size))
    return model


def sizes_giving(feature_size: int, feature_of, limit: int = 1024) -> tuple[int, int]:
    """(smallest, largest) input size whose feature map is `feature_size`, by `feature_of(size)`.

    For a model whose first Linear layer was sized from one input size: the floors in the
    size formula map a few neighbouring sizes to the same map, and those work too.
    """
    def feature(size: int) -> int | None:
        try:
            return feature_of(size)
        except ValueError:  # a window larger than the map: no feature map at all
            return None

    fits = [s for s in range(1, limit) if feature(s) == feature_size]
    if not fits:
        raise ValueError(f"no input size up to {limit} gives a {feature_size}x{feature_size} map.")
    return fits[0], fits[-1]


def input_check_of(model: nn.Module) -> InputCheck | None:
    """The model's `InputCheck`, if it has one (tests read the sizes it asks for)."""
    for hook in model._forward_pre_hooks.values():
        if isinstance(hook, InputCheck):
            return hook
    return None
