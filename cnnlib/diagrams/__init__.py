"""Explanatory drawings: the one home of every diagram the chapters draw (plots of data and
training results live in `cnnlib.plot`). Each `draw_*(fig, ...)` draws into a given figure,
so the same function serves a static figure and a `cnnlib.widgets.Explorer`.
"""

from cnnlib.diagrams.activations import draw_activation
from cnnlib.diagrams.architectures import draw_block, draw_layer_stack
from cnnlib.diagrams.channels import draw_grouped_stack, grouped_connectivity
from cnnlib.diagrams.dense_block import dense_connections, draw_dense_block
from cnnlib.diagrams.grids import POOL_INPUT, draw_cells, draw_conv_window, draw_pooling
from cnnlib.diagrams.normalization import draw_normalization_sets, normalization_set
from cnnlib.diagrams.receptive_field import draw_receptive_field

__all__ = ["POOL_INPUT", "dense_connections", "draw_activation", "draw_block", "draw_cells",
           "draw_conv_window", "draw_dense_block", "draw_grouped_stack", "draw_layer_stack",
           "draw_normalization_sets", "draw_pooling", "draw_receptive_field", "grouped_connectivity",
           "normalization_set"]
