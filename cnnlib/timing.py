"""Timing done right: torch.utils.benchmark at a fixed thread count, reported as ratios.

Timings on a shared machine swing by 2x between runs, so a chapter never states an absolute
time as a fact: it measures a baseline and a contender in the same run and states the ratio,
"measured on this machine". Used by the speed and deployment chapters and the benchmarks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import torch
from torch import nn

# torch.utils.benchmark imports cpp_extension, which logs a CUDA_HOME warning on CPU-only
# machines; it is noise in a notebook, so it is silenced.
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
from torch.utils import benchmark  # noqa: E402


def seconds_per_call(fn: Callable[[], object], threads: int = 1, min_run_time: float = 0.3) -> float:
    """Median seconds of one call of `fn`, with torch.utils.benchmark's blocked_autorange."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}.")
    timer = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=threads)
    return timer.blocked_autorange(min_run_time=min_run_time).median


def latency(model: nn.Module, input_size: tuple[int, ...] = (1, 3, 224, 224), threads: int = 1,
            min_run_time: float = 0.3) -> float:
    """Median seconds of one eval-mode forward pass of a zero input on the CPU."""
    model = model.eval().cpu()
    x = torch.zeros(input_size)

    def forward() -> None:
        with torch.inference_mode():
            model(x)

    return seconds_per_call(forward, threads=threads, min_run_time=min_run_time)
