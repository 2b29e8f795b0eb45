"""Recorded longer runs: `results/NAME.json`, written once by a command, plotted by chapters.

A record holds what is needed to trust and repeat it: the command, the configuration, the
device and its name, the torch version, wall seconds, the per-epoch metrics (or table rows)
and the git commit. Chapters plot a record beside their quick run, labelled "recorded on
DEVICE in T s with COMMAND" (`record_label`).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"


def device_name(device: str) -> str:
    """A human name for a device string: the GPU model, or the CPU's model and core count."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def git_commit() -> str:
    """The checkout's commit (with '+changes' if the tree is dirty), or 'unknown'."""
    root = RESULTS_DIR.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if dirty else "")


def record_path(name: str) -> Path:
    """Where record `name` lives."""
    if not name or any(ch in name for ch in "/\\. "):
        raise ValueError(f"a record name is a plain word like 'degradation', got {name!r}.")
    return RESULTS_DIR / f"{name}.json"


def save_record(name: str, *, command: str, config: dict[str, Any], result: dict[str, Any],
                device: str, seconds: float) -> Path:
    """Write results/NAME.json atomically (a temporary file renamed), so nothing is half-written."""
    import torch

    record = {"name": name, "command": command, "config": config, "device": device,
              "device_name": device_name(device), "torch": torch.__version__,
              "seconds": round(seconds, 1), "commit": git_commit(), "result": result}
    text = json.dumps(record, indent=1, allow_nan=False) + "\n"
    path = record_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)
    return path


def load_record(name: str) -> dict[str, Any]:
    """The record `name`, or a FileNotFoundError saying how to make it."""
    path = record_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no recorded run {path.name} in {RESULTS_DIR}; make it with "
                                f"`python scripts/record.py {name}`.")
    return json.loads(path.read_text())


def record_label(record: dict[str, Any]) -> str:
    """'recorded on DEVICE_NAME (device) in T s with COMMAND' for a plot legend or caption."""
    minutes = record["seconds"] / 60
    took = f"{record['seconds']:.0f} s" if minutes < 2 else f"{minutes:.0f} min"
    return f"recorded on {record['device_name']} ({record['device']}) in {took} with `{record['command']}`"
