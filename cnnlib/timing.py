"""Timing done right: torch.utils.benchmark at a fixed thread count, reported as ratios.

Timings on a shared machine swing by 2x between runs, so a chapter never states an absolute
time as a fact: it measures a baseline and a contender in the same run and states the ratio,
"measured on this machine". Used by the speed and deployment chapters and the benchmarks.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Comparison:
    """Per-round seconds of several functions timed in alternation, and their ratios."""

    rounds: list[dict[str, float]]

    @property
    def seconds(self) -> dict[str, float]:
        """Median seconds per call of each function over the rounds."""
        return {name: statistics.median(r[name] for r in self.rounds) for name in self.rounds[0]}

    def ratios(self, numerator: str, denominator: str) -> list[float]:
        """Numerator's time / denominator's time in each round (both timed in that round)."""
        for name in (numerator, denominator):
            if name not in self.rounds[0]:
                raise KeyError(f"no timing named {name!r}; the names are {list(self.rounds[0])}.")
        return [r[numerator] / r[denominator] for r in self.rounds]

    def ratio(self, numerator: str, denominator: str) -> float:
        """Median over rounds of numerator's time / denominator's time: robust to a busy moment."""
        return statistics.median(self.ratios(numerator, denominator))


def compare(fns: Mapping[str, Callable[[], object]], rounds: int = 5, threads: int = 1,
            min_run_time: float = 0.2) -> Comparison:
    """Time each function once per round, alternating, so a busy moment hits all of them.

    A lone measurement on a shared machine can land in a quiet or a noisy moment and flip a
    comparison; the median of per-round ratios does not, unless the effect itself is gone.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}.")
    if not fns:
        raise ValueError("compare needs at least one function to time.")
    return Comparison([
        {name: seconds_per_call(fn, threads=threads, min_run_time=min_run_time)
         for name, fn in fns.items()}
        for _ in range(rounds)
    ])


def compare_forward(models: Mapping[str, Callable[[torch.Tensor], object]], x: torch.Tensor,
                    rounds: int = 5, threads: int = 1, min_run_time: float = 0.2) -> Comparison:
    """`compare` for inference: each model runs `x` under inference_mode, in the mode it is in.

    The caller puts modules in eval mode: some (exported programs) cannot be switched here.
    """

    def forward(model: Callable[[torch.Tensor], object]) -> Callable[[], None]:
        def run() -> None:
            with torch.inference_mode():
                model(x)

        return run

    return compare({name: forward(m) for name, m in models.items()}, rounds=rounds,
                   threads=threads, min_run_time=min_run_time)
