"""Smoke tests: every chapter 2-5 drawing renders, and impossible settings raise ValueError."""

import functools

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import nn

from cnnlib import diagrams as figures


def render(draw, **state):
    fig = Figure()
    FigureCanvasAgg(fig)
    draw(fig, **state)
    fig.canvas.draw()


def test_drawings_render():
    render(figures.draw_conv_window, size=10, stride=2, position=3)
    render(figures.draw_pooling, mode="average", kernel_size=3, stride=2, ceil_mode=True)
    render(figures.draw_pooling, mode="L2")
    render(figures.draw_activation, name="hard_swish")
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    render(functools.partial(figures.draw_receptive_field, model=model, input_size=12), layer=3)


@pytest.mark.parametrize(
    "draw,state",
    [
        (figures.draw_conv_window, dict(size=3, kernel_size=5)),
        (figures.draw_pooling, dict(kernel_size=2, padding=2)),
        (figures.draw_pooling, dict(mode="L2", padding=1)),
        (figures.draw_activation, dict(name="nope")),
    ],
)
def test_impossible_settings_raise(draw, state):
    with pytest.raises(ValueError):
        render(draw, **state)
