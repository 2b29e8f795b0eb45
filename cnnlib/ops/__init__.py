"""From-scratch versions of convolution-network operations, checked against torch.

Same argument names and semantics as `torch.nn.functional`, so a learner can swap one for
the other. Readable first, vectorised where it matters.
"""

from cnnlib.ops.activations import (
    ACTIVATIONS,
    hard_sigmoid,
    hard_swish,
    relu,
    relu6,
    sigmoid,
    swish,
)
from cnnlib.ops.conv import conv2d, conv2d_loop, im2col
from cnnlib.ops.conv3d import conv3d
from cnnlib.ops.conv_grad import Conv2dFunction, col2im, conv2d_grads, conv2d_manual_grad
from cnnlib.ops.coverage import pixel_usage
from cnnlib.ops.losses import binary_cross_entropy_with_logits, cross_entropy, log_softmax, softmax
from cnnlib.ops.matrix import (
    conv2d_by_matrix,
    conv_matrix,
    conv_transpose2d_by_matrix,
    matching_output_padding,
)
from cnnlib.ops.pool import adaptive_avg_pool2d, avg_pool2d, lp_pool2d, max_pool2d
from cnnlib.ops.receptive_field import (
    LayerSpec,
    ReceptiveField,
    empirical_receptive_field,
    formula_region,
    input_gradient,
    layer_specs,
    receptive_field,
    receptive_field_of,
    receptive_fields,
    traced_pixels,
    traced_region,
)
from cnnlib.ops.sizes import (
    ConvConfigCheck,
    check_conv_config,
    conv_output_size,
    effective_kernel_size,
    pool_output_size,
)
from cnnlib.ops.transpose import conv_transpose2d, conv_transpose2d_as_conv, conv_transpose_output_size

__all__ = [
    "ACTIVATIONS",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hard_sigmoid",
    "hard_swish",
    "log_softmax",
    "relu",
    "relu6",
    "sigmoid",
    "softmax",
    "swish",
    "Conv2dFunction",
    "ConvConfigCheck",
    "LayerSpec",
    "ReceptiveField",
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "check_conv_config",
    "col2im",
    "conv2d",
    "conv2d_grads",
    "conv2d_loop",
    "conv2d_manual_grad",
    "conv_output_size",
    "effective_kernel_size",
    "empirical_receptive_field",
    "formula_region",
    "im2col",
    "input_gradient",
    "layer_specs",
    "lp_pool2d",
    "max_pool2d",
    "pixel_usage",
    "pool_output_size",
    "receptive_field",
    "receptive_field_of",
    "receptive_fields",
    "traced_pixels",
    "traced_region",
    # Part II: transposed and 3-D convolution, and convolution as a matrix
    "conv3d",
    "conv_transpose2d",
    "conv_transpose2d_as_conv",
    "conv_transpose_output_size",
    "conv_matrix",
    "conv2d_by_matrix",
    "conv_transpose2d_by_matrix",
    "matching_output_padding",
]
