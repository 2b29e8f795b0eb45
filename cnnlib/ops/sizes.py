"""Output-size arithmetic for convolution and pooling windows (chapters 1-3)."""

from __future__ import annotations


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """How many input pixels a dilated kernel spans: D(F-1)+1."""
    return dilation * (kernel_size - 1) + 1


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Output length along one dimension, floor((W - D(F-1) - 1 + 2P) / S) + 1, as PyTorch computes it."""
    return (size + 2 * padding - effective_kernel_size(kernel_size, dilation)) // stride + 1
