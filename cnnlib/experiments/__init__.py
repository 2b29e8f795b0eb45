"""Experiments the chapters run: one function per lesson, a quick and a full configuration each.

A chapter runs an experiment's quick configuration live (CPU, seconds) and plots it beside the
recorded run of its full configuration (`results/NAME.json`, written by
`python scripts/record.py NAME`). Every module in this package registers its experiments with
`experiment(...)`, so adding one is adding a file. The test suite fails when a record no longer
matches the configuration the code would run (a stale record).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Config = dict[str, Any]
Result = dict[str, Any]  # JSON-able: must hold "epochs" (a list of per-epoch metric dicts) or "rows"


@dataclass(frozen=True)
class Experiment:
    """A named experiment: `run(config)` gives a JSON-able result; `quick`/`full` are its configs."""

    name: str
    run: Callable[[Config], Result]
    quick: Config
    full: Config
    chapter: str  # the chapter that shows it, e.g. "25_resnet"
    about: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def config(self, budget: str) -> Config:
        """The configuration for a budget, 'quick' or 'full'."""
        if budget not in ("quick", "full"):
            raise ValueError(f"budget must be 'quick' or 'full', got {budget!r}.")
        return dict(self.quick if budget == "quick" else self.full)


EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, *, quick: Config, full: Config, chapter: str, about: str = ""):
    """Decorator: register `run(config) -> result` as experiment `name` (names must be unique)."""

    def register(run: Callable[[Config], Result]) -> Callable[[Config], Result]:
        if name in EXPERIMENTS:
            raise ValueError(f"Two experiments are named {name!r}; rename one.")
        EXPERIMENTS[name] = Experiment(name, run, dict(quick), dict(full), chapter, about)
        return run

    return register


def run_experiment(name: str, budget: str | None = None) -> Result:
    """Run experiment `name` with the configuration of `budget` (default: the current budget)."""
    from cnnlib.runtime import budget as current_budget

    if name not in EXPERIMENTS:
        raise ValueError(f"Unknown experiment {name!r}; choose one of {sorted(EXPERIMENTS)}.")
    exp = EXPERIMENTS[name]
    return exp.run(exp.config(budget or current_budget()))


def over_seeds(run: Callable[[Config], Result], config: Config,
               summarize: Callable[[Result], dict[str, Any]]) -> Result:
    """Run `run` once per seed in config["seeds"]; one row per seed: {"seed": s, **summarize(result)}.

    How much of a small comparison is luck: a chapter asserts only what holds for every seed.
    The torch thread count is recorded too: sums in another order grow into other weights.
    """
    import torch

    base = {k: v for k, v in config.items() if k != "seeds"}
    rows = [{"seed": seed, **summarize(run({**base, "seed": seed}))} for seed in config["seeds"]]
    return {"rows": rows, "threads": torch.get_num_threads()}


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if not _module.startswith("_"):
        importlib.import_module(f"{__name__}.{_module}")

__all__ = ["EXPERIMENTS", "Experiment", "experiment", "over_seeds", "run_experiment"]
