"""The one compute switch: which device to use, how big a training budget, and seeding.

`full` budget on a GPU, `quick` otherwise; env `CNNLIB_BUDGET=quick|full` overrides, and
env `CNNLIB_DEVICE` (e.g. `cpu`, `cuda:1`) overrides the device. Introduced in chapter 1.
"""

from __future__ import annotations

import os
import random
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")
BUDGETS = ("quick", "full")


def pick_device() -> torch.device:
    """CUDA if present, then Apple MPS, then the CPU (env `CNNLIB_DEVICE` overrides)."""
    wanted = os.environ.get("CNNLIB_DEVICE", "").strip()
    if wanted:
        return torch.device(wanted)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def budget() -> str:
    """'full' on a GPU, 'quick' otherwise; env `CNNLIB_BUDGET=quick|full` overrides."""
    wanted = os.environ.get("CNNLIB_BUDGET", "").strip().lower()
    if wanted:
        if wanted not in BUDGETS:
            raise ValueError(
                f"CNNLIB_BUDGET={wanted!r} is not a budget; use one of {BUDGETS} "
                "(or unset it to choose automatically)."
            )
        return wanted
    return "full" if pick_device().type in ("cuda", "mps") else "quick"


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
