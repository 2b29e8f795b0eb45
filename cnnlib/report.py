"""Printing results so they read well and stay the same when a library updates.

A float printed with all its digits changes when torch changes a kernel (2.72e+03 became
2.73e+03 in one release), and nbval compares printed text. Chapters print measured numbers
through `rounded` (a few significant digits) and assert the value itself with a tolerance.
`show_source` prints the code a chapter teaches straight from cnnlib, so there is one copy.
"""

from __future__ import annotations

import inspect
import math
import platform


def rounded(value: float, digits: int = 2) -> str:
    """`value` with `digits` significant digits, e.g. rounded(2718.3) == '2700'; stable across versions."""
    if digits < 1:
        raise ValueError(f"digits must be at least 1, got {digits}.")
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 6 or magnitude <= -4:
        return f"{value:.{digits - 1}e}"
    places = digits - 1 - magnitude  # decimal places that keep `digits` significant ones
    value = round(value, places)  # negative places round to tens, hundreds, ...
    return f"{value:.{max(places, 0)}f}"


def percent(fraction: float, decimals: int = 0) -> str:
    """A fraction 0..1 as a percentage with few decimals, e.g. percent(0.9134) == '91%'."""
    return f"{100 * float(fraction):.{decimals}f}%"


def versions() -> str:
    """One line of the versions that produced an output (print it only in a cell nbval ignores)."""
    import numpy
    import torch

    try:
        import torchvision

        tv = torchvision.__version__
    except ImportError:
        tv = "not installed"
    return (f"python {platform.python_version()}, torch {torch.__version__}, "
            f"torchvision {tv}, numpy {numpy.__version__}")


def show_source(obj: object) -> None:
    """Print the source of a cnnlib function or class, so the chapter shows the code it teaches."""
    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as error:
        raise ValueError(f"show_source needs a function or class defined in Python source, got "
                         f"{obj!r} ({error}).") from None
    print(source.rstrip())
