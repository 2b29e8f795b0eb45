"""Receptive field by recurrence vs measured from input gradients, on random stacks."""

import random

import pytest
import torch
from torch import nn

from cnnlib.ops import (
    LayerSpec,
    empirical_receptive_field,
    formula_region,
    receptive_field,
    receptive_field_of,
    traced_region,
)


def test_known_values():
    assert receptive_field([LayerSpec(3)] * 3) == 7
    assert receptive_field([LayerSpec(7)]) == 7
    assert receptive_field([LayerSpec(3, dilation=2)]) == 5
    assert receptive_field([LayerSpec(3), LayerSpec(2, 2), LayerSpec(3)]) == 8


def random_stack(rng: random.Random) -> nn.Sequential:
    layers, channels = [], 2
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        k, s = rng.randint(1, 4), rng.randint(1, 2)
        if kind < 0.6:
            out = rng.randint(1, 3)
            d = rng.randint(1, 2)
            layers += [nn.Conv2d(channels, out, k, s, rng.randint(0, k // 2), d), nn.ReLU()]
            channels = out
        elif kind < 0.8:
            layers += [nn.MaxPool2d(k, s, rng.randint(0, k // 2)), nn.BatchNorm2d(channels)]
        else:
            layers += [nn.AvgPool2d(k, s, rng.randint(0, k // 2))]
    return nn.Sequential(*layers)


def test_formula_agrees_with_gradient_on_random_stacks():
    rng = random.Random(0)
    checked = interior = 0
    for _ in range(60):
        model = random_stack(rng)
        size = 24
        try:
            with torch.no_grad():
                out = model(torch.zeros(1, 2, size, size))
        except RuntimeError:  # the stack shrank the map below its next kernel
            continue
        unit = (rng.randrange(out.shape[-2]), rng.randrange(out.shape[-1]))
        measured = empirical_receptive_field(model, (2, size, size), unit)
        assert measured == traced_region(model, (2, size, size), unit)
        rf = receptive_field_of(model)[-1]
        top, bottom = rf.span(unit[0])
        left, right = receptive_field_of(model, axis=1)[-1].span(unit[1])
        if top >= 0 and left >= 0 and bottom < size and right < size:  # away from the borders
            assert measured == formula_region(model, (2, size, size), unit)
            interior += 1
        checked += 1
    assert checked >= 40 and interior >= 10


def test_nested_sequential_and_errors():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(1, 1, 3), nn.ReLU()), nn.Conv2d(1, 1, 3))
    assert receptive_field_of(model)[-1].size == 5
    with pytest.raises(ValueError, match="Flatten"):
        receptive_field_of(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(4, 2)))
    with pytest.raises(ValueError, match="kernel_size"):
        LayerSpec(0)
