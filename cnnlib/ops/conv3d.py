"""3-D convolution from scratch: the kernel slides along depth (time, slices) too.

Same arguments and result as `torch.nn.functional.conv3d` (stride, padding, dilation,
groups). Input (N, C, D, H, W), weight (C_out, C_in/groups, kD, kH, kW). Chapter 13.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnnlib.ops.sizes import check_tensor

IntTriple = int | tuple[int, int, int]


def _triple(value: IntTriple, name: str) -> tuple[int, int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value, value
    if isinstance(value, (tuple, list)) and len(value) == 3:
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return int(value[0]), int(value[1]), int(value[2])
    raise ValueError(f"{name} must be an int or a triple of ints, got {value!r}.")


def conv3d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: IntTriple = 1, padding: IntTriple = 0, dilation: IntTriple = 1,
           groups: int = 1) -> torch.Tensor:
    """Same as torch.nn.functional.conv3d: each kernel tap's strided slice, then one einsum."""
    stride, padding = _triple(stride, "stride"), _triple(padding, "padding")
    dilation = _triple(dilation, "dilation")
    check_tensor(input, "input")
    check_tensor(weight, "weight")
    if bias is not None:
        check_tensor(bias, "bias")
    if input.ndim != 5:
        raise ValueError(f"input must be 5-D (N, C, D, H, W), got shape {tuple(input.shape)}; "
                         "a single volume needs input.unsqueeze(0).")
    if weight.ndim != 5:
        raise ValueError("weight must be 5-D (C_out, C_in/groups, kD, kH, kW), "
                         f"got {tuple(weight.shape)}.")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"groups must be a positive int, got groups={groups!r}.")
    n, c_in = input.shape[:2]
    c_out = weight.shape[0]
    if c_in % groups or c_out % groups or weight.shape[1] * groups != c_in:
        raise ValueError(f"groups={groups} must divide input channels ({c_in}) and output "
                         f"channels ({c_out}), and weight.shape[1] ({weight.shape[1]}) must be "
                         f"{c_in}/groups.")
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"stride and dilation must be positive and padding non-negative, got "
                         f"stride={stride}, dilation={dilation}, padding={padding}.")
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"bias must have shape ({c_out},), got {tuple(bias.shape)}.")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != input.dtype):
        raise ValueError(f"input ({input.dtype}), weight ({weight.dtype}) and bias must share a "
                         "dtype, as torch requires; convert them, e.g. weight.to(input.dtype).")
    kernel = tuple(weight.shape[2:])
    x = F.pad(input, (padding[2], padding[2], padding[1], padding[1], padding[0], padding[0]))
    out = [(x.shape[2 + a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in range(3)]
    if min(out) < 1:
        raise ValueError(f"kernel {kernel} with dilation {dilation} does not fit the padded input "
                         f"{tuple(x.shape[2:])}; use a smaller kernel or more padding.")
    taps = []
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            for k in range(kernel[2]):
                start = (i * dilation[0], j * dilation[1], k * dilation[2])
                # tap (i, j, k) for every output position: one strided slice of the input
                taps.append(x[:, :, start[0]: start[0] + stride[0] * (out[0] - 1) + 1: stride[0],
                              start[1]: start[1] + stride[1] * (out[1] - 1) + 1: stride[1],
                              start[2]: start[2] + stride[2] * (out[2] - 1) + 1: stride[2]])
    cols = torch.stack(taps, dim=2)  # (N, C_in, kD*kH*kW, oD, oH, oW)
    cols = cols.reshape(n, groups, -1, *out)  # (N, g, C_in/g*kD*kH*kW, oD, oH, oW)
    w = weight.reshape(groups, c_out // groups, -1)  # (g, C_out/g, C_in/g*kD*kH*kW)
    result = torch.einsum("gok,ngkdhw->ngodhw", w, cols)  # (N, g, C_out/g, oD, oH, oW)
    result = result.reshape(n, c_out, *out)  # (N, C_out, oD, oH, oW)
    if bias is not None:
        result = result + bias.view(1, -1, 1, 1, 1)
    return result
