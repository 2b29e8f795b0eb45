"""A plain dict of model builders, by name: enough for the command line and widget dropdowns."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

Builder = Callable[..., nn.Module]
MODELS: dict[str, Builder] = {}


def register(builder: Builder) -> Builder:
    """Decorator: add a public builder under its function name (names must be unique)."""
    name = builder.__name__
    if name in MODELS:
        raise ValueError(f"Two model builders are named {name!r}; rename one.")
    MODELS[name] = builder
    return builder


def build_model(name: str, **kwargs) -> nn.Module:
    """Build a registered model, e.g. build_model('resnet18', num_classes=10)."""
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}. Available: {', '.join(sorted(MODELS))}.")
    return MODELS[name](**kwargs)
