"""A plain dict of model builders, by name: enough for the command line and widget dropdowns."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from torch import nn

from cnnlib.models.input_check import check_model_args

Builder = Callable[..., nn.Module]
MODELS: dict[str, Builder] = {}
COUNTS = ("num_classes", "in_channels")  # arguments every builder checks are ints >= 1


def register(builder: Builder) -> Builder:
    """Decorator: add a public builder under its function name (names must be unique).

    The registered builder first checks `num_classes` and `in_channels` (ints >= 1, with a
    ValueError naming the argument), so no family can forget to; same name, signature, source.
    """
    name = builder.__name__
    if name in MODELS:
        raise ValueError(f"Two model builders are named {name!r}; rename one.")
    signature = inspect.signature(builder)
    checked = [c for c in COUNTS if c in signature.parameters]

    @functools.wraps(builder)
    def build(*args, **kwargs) -> nn.Module:
        try:
            bound = signature.bind_partial(*args, **kwargs)
        except TypeError as error:  # an unknown or repeated argument: say which ones exist
            raise TypeError(f"{name}(): {error}; its arguments are {signature}.") from None
        bound.apply_defaults()
        check_model_args(**{c: bound.arguments[c] for c in checked})
        return builder(*args, **kwargs)

    MODELS[name] = build
    return build


def build_model(name: str, **kwargs) -> nn.Module:
    """Build a registered model, e.g. build_model('resnet18', num_classes=10)."""
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}. Available: {', '.join(sorted(MODELS))}.")
    return MODELS[name](**kwargs)
