"""The one compute switch: which device to use, how big a training budget, and seeding.

`full` budget on a GPU, `quick` otherwise; env `CNNLIB_BUDGET=quick|full` overrides, and
env `CNNLIB_DEVICE` (e.g. `cpu`, `cuda:1`) overrides the device. A bad value of either is
reported with the variable's name and its allowed values. Introduced in chapter 1.
"""

from __future__ import annotations

import os
import random
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")
BUDGETS = ("quick", "full")
DEVICE_HELP = "cpu, cuda, cuda:N (N = 0, 1, ...) or mps"


class SettingError(ValueError):
    """An environment variable (or data root) holds a value that cannot work; says which and what is allowed."""


def check_device(device: torch.device | str, source: str = "CNNLIB_DEVICE") -> torch.device:
    """`device` as a torch.device that exists here; else a SettingError naming `source`."""
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise SettingError(f"{source}={str(device)!r} is not a device; use {DEVICE_HELP} "
                           "(or unset it to choose automatically).") from None
    usable = {"cpu": lambda: True, "cuda": torch.cuda.is_available,
              "mps": lambda: getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
    if device.type not in usable:
        raise SettingError(f"{source}={str(device)!r}: device type {device.type!r} is not supported by the course; "
                           f"use {DEVICE_HELP}.")
    if not usable[device.type]():
        raise SettingError(f"{source}={str(device)!r}, but this machine has no {device.type} device; use cpu "
                           "(or unset it to choose automatically).")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise SettingError(f"{source}={str(device)!r}, but this machine has {torch.cuda.device_count()} CUDA "
                           f"device(s), numbered from 0.")
    return device


def pick_device() -> torch.device:
    """CUDA if present, then Apple MPS, then the CPU (env `CNNLIB_DEVICE` overrides)."""
    wanted = os.environ.get("CNNLIB_DEVICE", "").strip()
    if wanted:
        return check_device(wanted)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def budget(device: torch.device | str | None = None) -> str:
    """'full' on a GPU, 'quick' otherwise; env `CNNLIB_BUDGET=quick|full` overrides.

    `device` is the device actually used (default: `pick_device()`), so training on the CPU
    means the quick budget even where a GPU exists.
    """
    wanted = os.environ.get("CNNLIB_BUDGET", "").strip().lower()
    if wanted:
        if wanted not in BUDGETS:
            raise SettingError(
                f"CNNLIB_BUDGET={wanted!r} is not a budget; use one of {BUDGETS} "
                "(or unset it to choose automatically)."
            )
        return wanted
    kind = torch.device(device).type if device is not None else pick_device().type
    return "full" if kind in ("cuda", "mps") else "quick"


def by_budget(quick: T, full: T) -> T:
    """Pick a setting by the current budget: `epochs = by_budget(quick=2, full=20)`."""
    return full if budget() == "full" else quick


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch so a notebook re-runs to the same numbers.

    Returns a torch.Generator seeded the same way, handy for data shuffling.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
