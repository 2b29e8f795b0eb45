"""Receptive fields: by the recurrence over a stack of layers, and measured from input gradients.

Along one axis, a layer with kernel F, stride S, padding P and dilation D changes the receptive
field r, the jump j (input pixels between neighbouring units) and the centre c of the first unit:
    r_out = r_in + D(F-1) * j_in,   j_out = j_in * S,   c_out = c_in + (D(F-1)/2 - P) * j_in.
Chapter 5.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from cnnlib.ops.sizes import check_int, pool_output_size

# Layers that keep every unit's view of the input unchanged (element-wise or per-channel).
PASS_THROUGH = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.GELU,
    nn.SiLU,
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Mish,
    nn.Softplus,
    nn.BatchNorm2d,
    nn.InstanceNorm2d,
    nn.GroupNorm,
    nn.LayerNorm,
    nn.Dropout,
    nn.Dropout2d,
    nn.Identity,
)


@dataclass(frozen=True)
class LayerSpec:
    """One sliding-window layer along one axis."""

    kernel_size: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    name: str = ""
    ceil_mode: bool = False  # pooling only: round the output size up

    def __post_init__(self) -> None:
        for field, low in (("kernel_size", 1), ("stride", 1), ("dilation", 1), ("padding", 0)):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(
                    f"{field} of layer {self.name or '?'} must be an int >= {low}, got {value!r}."
                )


@dataclass(frozen=True)
class ReceptiveField:
    """What a unit after some layer sees along one axis."""

    name: str
    size: int  # r: input pixels one unit sees
    jump: int  # j: input pixels between neighbouring units
    start: float  # c: centre of unit 0 in input coordinates (can be negative: padding)

    def __post_init__(self) -> None:
        check_int(self.size, "size")
        check_int(self.jump, "jump")

    def span(self, unit: int) -> tuple[float, float]:
        """First and last input pixel (unclipped) seen by unit `unit` of this layer."""
        centre = self.start + unit * self.jump
        return centre - (self.size - 1) / 2, centre + (self.size - 1) / 2


def receptive_fields(layers: Iterable[LayerSpec]) -> list[ReceptiveField]:
    """Apply the recurrence layer by layer; element 0 is the input itself (r=1, j=1, c=0)."""
    layers = _check_specs(layers, "layers")
    size, jump, start = 1, 1, 0.0
    result = [ReceptiveField("input", size, jump, start)]
    for i, layer in enumerate(layers):
        span = layer.dilation * (layer.kernel_size - 1)  # D(F-1): extra pixels the window adds
        start = start + (span / 2 - layer.padding) * jump
        size = size + span * jump
        jump = jump * layer.stride
        result.append(ReceptiveField(layer.name or f"layer {i + 1}", size, jump, start))
    return result


def receptive_field(layers: Iterable[LayerSpec]) -> int:
    """Receptive field (along one axis) of a unit after the whole stack."""
    return receptive_fields(layers)[-1].size


def _check_specs(specs, name: str) -> list[LayerSpec]:
    """The specs as a list, or a ValueError if one of them is not a LayerSpec."""
    if isinstance(specs, (str, bytes, LayerSpec)) or not isinstance(specs, Iterable):
        raise ValueError(f"{name} must be a list of LayerSpec, got {type(specs).__name__}.")
    specs = list(specs)
    for i, spec in enumerate(specs):
        if not isinstance(spec, LayerSpec):
            raise ValueError(f"{name}[{i}] must be a LayerSpec(kernel_size, stride, padding, "
                             f"dilation), got {spec!r}.")
    return specs


def _check_model(model: object, axis: int | None = None) -> None:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module (e.g. an nn.Sequential), got "
                         f"{type(model).__name__}.")
    if axis is not None and axis not in (0, 1):
        raise ValueError(f"axis must be 0 (height) or 1 (width), got axis={axis!r}.")


def _check_shape_and_unit(input_shape: Sequence[int], unit: tuple[int, int]) -> None:
    if (isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence)
            or len(input_shape) != 3):
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}.")
    for name, value in zip(("input_shape[0] (channels)", "input_shape[1] (height)",
                            "input_shape[2] (width)"), input_shape, strict=True):
        check_int(value, name)
    if (not isinstance(unit, (tuple, list)) or len(unit) != 2
            or not all(isinstance(u, int) and not isinstance(u, bool) and u >= 0 for u in unit)):
        raise ValueError(f"unit must be a (row, col) pair of non-negative ints, got {unit!r}.")


def _axis_value(value, axis: int) -> int:
    return value[axis] if isinstance(value, (tuple, list)) else value


def layer_specs(model: nn.Module, axis: int = 0) -> list[LayerSpec]:
    """The sliding-window layers of an nn.Sequential (nested ones too), along axis 0 (H) or 1 (W).

    Conv2d, MaxPool2d and AvgPool2d count; activations, normalisation and dropout pass through;
    anything else raises, because its receptive field is not a single window.
    """
    _check_model(model, axis)
    specs: list[LayerSpec] = []
    for name, module in model.named_children() if len(list(model.children())) else [("", model)]:
        if isinstance(module, nn.Sequential):
            specs += [
                LayerSpec(
                    s.kernel_size, s.stride, s.padding, s.dilation, f"{name}.{s.name}", s.ceil_mode
                )
                for s in layer_specs(module, axis)
            ]
        elif isinstance(module, nn.Conv2d):
            if isinstance(module.padding, str):
                raise ValueError(
                    f"layer {name}: padding={module.padding!r}; give the padding as numbers."
                )
            specs.append(
                LayerSpec(
                    _axis_value(module.kernel_size, axis),
                    _axis_value(module.stride, axis),
                    _axis_value(module.padding, axis),
                    _axis_value(module.dilation, axis),
                    name,
                )
            )
        elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            stride = module.stride if module.stride is not None else module.kernel_size
            dilation = getattr(module, "dilation", 1)
            specs.append(
                LayerSpec(
                    _axis_value(module.kernel_size, axis),
                    _axis_value(stride, axis),
                    _axis_value(module.padding, axis),
                    _axis_value(dilation, axis),
                    name,
                    module.ceil_mode,
                )
            )
        elif isinstance(module, PASS_THROUGH):
            continue
        else:
            raise ValueError(
                f"layer {name!r} is a {type(module).__name__}, which receptive_field_of cannot "
                "follow; use Conv2d/MaxPool2d/AvgPool2d, activations, normalisation or dropout."
            )
    return specs


def receptive_field_of(model: nn.Module, axis: int = 0) -> list[ReceptiveField]:
    """Receptive field after every sliding-window layer of an nn.Sequential."""
    _check_model(model, axis)
    return receptive_fields(layer_specs(model, axis))


def _uniform_probe(model: nn.Module) -> nn.Module:
    """A copy whose gradient reaches every input pixel a unit can see (no cancellation).

    Positive weights, zero biases, identity batch norm, and max pooling replaced by average
    pooling (max pooling sends the gradient to one pixel per window).
    """
    probe = copy.deepcopy(model).eval()
    for name, module in list(probe.named_modules()):
        if isinstance(module, nn.Conv2d):
            nn.init.constant_(module.weight, 1.0 / module.weight[0].numel())
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            module.reset_parameters()
        elif isinstance(module, nn.MaxPool2d):
            parent = probe.get_submodule(name.rpartition(".")[0]) if "." in name else probe
            if module.dilation not in (1, (1, 1)):
                raise ValueError(
                    f"layer {name}: a dilated MaxPool2d has no average-pool equivalent."
                )
            setattr(
                parent,
                name.rpartition(".")[2],
                nn.AvgPool2d(module.kernel_size, module.stride, module.padding, module.ceil_mode),
            )
    return probe


def input_gradient(
    model: nn.Module,
    input_shape: Sequence[int],
    unit: tuple[int, int],
    channel: int = 0,
    uniform: bool = True,
    input: torch.Tensor | None = None,
) -> torch.Tensor:
    """|d output[0, channel, row, col] / d input|, summed over input channels: (H, W).

    uniform=True probes a positive copy of the model (the theoretical receptive field);
    uniform=False uses the model as it is (its effective receptive field).
    """
    _check_model(model)
    _check_shape_and_unit(input_shape, unit)
    check_int(channel, "channel", 0)
    net = _uniform_probe(model) if uniform else model
    x = torch.ones(1, *input_shape) if input is None else input.detach().clone()
    x.requires_grad_(True)
    out = net(x)
    row, col = unit
    if not (0 <= row < out.shape[-2] and 0 <= col < out.shape[-1]):
        raise ValueError(f"unit {unit} is outside the output map of size {tuple(out.shape[-2:])}.")
    if channel >= out.shape[1]:
        raise ValueError(f"channel={channel} but the output has {out.shape[1]} channels; use "
                         f"0 <= channel < {out.shape[1]}.")
    out[0, channel, row, col].backward()
    return x.grad[0].abs().sum(dim=0)  # (H, W)


def empirical_receptive_field(
    model: nn.Module,
    input_shape: Sequence[int],
    unit: tuple[int, int],
    channel: int = 0,
    uniform: bool = True,
) -> tuple[int, int, int, int]:
    """Input rows and columns (top, bottom, left, right, inclusive) with a non-zero gradient."""
    grad = input_gradient(model, input_shape, unit, channel, uniform)
    rows = torch.nonzero(grad.sum(dim=1)).flatten()
    cols = torch.nonzero(grad.sum(dim=0)).flatten()
    if len(rows) == 0:
        raise ValueError(
            f"unit {unit} has a zero gradient everywhere (a dead unit?); try uniform=True."
        )
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def formula_region(
    model: nn.Module, input_shape: Sequence[int], unit: tuple[int, int]
) -> tuple[int, int, int, int]:
    """The recurrence's region for `unit` (top, bottom, left, right), clipped to the input.

    Exact for units whose region lies inside the input; near a border padded deeper in the
    stack the true region is smaller (see `traced_region`).
    """
    _check_model(model)
    _check_shape_and_unit(input_shape, unit)
    height, width = input_shape[-2:]
    rf_h, rf_w = receptive_field_of(model, axis=0)[-1], receptive_field_of(model, axis=1)[-1]
    top, bottom = rf_h.span(unit[0])
    left, right = rf_w.span(unit[1])
    # an even kernel puts the centre between pixels: spans are then half-integers on both ends
    top, left = int(-(-top // 1)), int(-(-left // 1))
    bottom, right = int(bottom // 1), int(right // 1)
    return max(top, 0), min(bottom, height - 1), max(left, 0), min(right, width - 1)


def traced_pixels(specs: Sequence[LayerSpec], size: int, unit: int) -> list[int]:
    """Exactly which input pixels (one axis) reach `unit` of the last layer, borders included.

    Walks back layer by layer through the real units only, so padding (which has no input
    behind it), floored sizes and dilation gaps are all accounted for.
    """
    specs = _check_specs(specs, "specs")
    check_int(size, "size")
    check_int(unit, "unit", 0)
    sizes = [size]
    for spec in specs:
        sizes.append(
            pool_output_size(
                sizes[-1],
                spec.kernel_size,
                spec.stride,
                spec.padding,
                spec.dilation,
                spec.ceil_mode,
            )
        )
    if not 0 <= unit < sizes[-1]:
        raise ValueError(f"unit {unit} is outside the last layer's {sizes[-1]} positions.")
    units = {unit}
    for spec, below in zip(reversed(specs), reversed(sizes[:-1]), strict=True):
        units = {
            u * spec.stride - spec.padding + t * spec.dilation
            for u in units
            for t in range(spec.kernel_size)
        }
        units = {u for u in units if 0 <= u < below}  # padding positions have nothing behind them
    return sorted(units)


def traced_region(
    model: nn.Module, input_shape: Sequence[int], unit: tuple[int, int]
) -> tuple[int, int, int, int]:
    """Bounding box (top, bottom, left, right) of `traced_pixels` along both axes."""
    _check_model(model)
    _check_shape_and_unit(input_shape, unit)
    rows = traced_pixels(layer_specs(model, 0), input_shape[-2], unit[0])
    cols = traced_pixels(layer_specs(model, 1), input_shape[-1], unit[1])
    return rows[0], rows[-1], cols[0], cols[-1]
