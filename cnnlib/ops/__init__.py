"""From-scratch versions of convolution-network operations, checked against torch.

Same argument names and semantics as `torch.nn.functional`, so a learner can swap one for
the other. Readable first, vectorised where it matters.
"""

from cnnlib.ops.conv import conv2d, conv2d_loop, im2col
from cnnlib.ops.sizes import conv_output_size

__all__ = ["conv2d", "conv2d_loop", "conv_output_size", "im2col"]
