"""Data-parallel training with torch.distributed: the process group, ranks, and summed metrics.

Launched by `torchrun --nproc_per_node N ...`, every process runs the same script; torchrun
tells each its RANK, LOCAL_RANK and WORLD_SIZE through environment variables. `setup()`
joins the process group (gloo on CPUs, NCCL on GPUs, one GPU per process), and
`cnnlib.train.fit` notices it: each process trains on its shard of every epoch,
DistributedDataParallel averages the gradients, metrics are summed over processes, and only
rank 0 prints. Without torchrun all of this is a no-op (world size 1). Taught in chapter 39.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    """Where this process stands: its rank among `size` processes and the device it drives."""

    rank: int
    size: int
    local_rank: int
    device: torch.device
    active: bool  # True when a process group with more than one process is running

    @property
    def is_main(self) -> bool:
        """Rank 0 prints results and writes files; the others stay quiet."""
        return self.rank == 0


def launched() -> bool:
    """True when this process was started by torchrun (or another launcher) with WORLD_SIZE > 1."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device: torch.device | str | None = None) -> World:
    """Join the process group when launched by torchrun; return this process's World.

    `device` is the device type wanted ('cpu' or 'cuda'); on CUDA each process takes the GPU
    numbered by its LOCAL_RANK and the backend is NCCL, else gloo.
    """
    device = torch.device(device) if device is not None else torch.device("cpu")
    if not launched():
        return World(0, 1, 0, device, False)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if not dist.is_initialized():
        extra = {"device_id": device} if device.type == "cuda" else {}  # binds NCCL to this GPU
        dist.init_process_group(backend=backend, **extra)
    return World(dist.get_rank(), dist.get_world_size(), local_rank, device, True)


def teardown() -> None:
    """Leave the process group (safe to call when none was joined)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def active() -> bool:
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank_and_size() -> tuple[int, int]:
    """(rank, world size): (0, 1) when not distributed."""
    if not active():
        return 0, 1
    return dist.get_rank(), dist.get_world_size()


def is_main() -> bool:
    """True on rank 0, and always when not distributed."""
    return rank_and_size()[0] == 0


def all_sum(*values: torch.Tensor) -> list[torch.Tensor]:
    """Each tensor summed over all processes (one collective for all of them); unchanged when alone."""
    if not active():
        return list(values)
    where = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
    flat = torch.stack([v.detach().to(where, torch.float64).reshape(()) for v in values])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    return [flat[i].to(v.device, v.dtype) for i, v in enumerate(values)]


def shard(n: int, rank: int, size: int, order: torch.Tensor | None = None, equal: bool = True) -> torch.Tensor:
    """The indices process `rank` of `size` handles among n items (every size-th item from `order`).

    With `equal`, every process gets the same count (the last n % size items are dropped), so
    all take the same number of steps and DistributedDataParallel never waits for a missing one.
    """
    order = torch.arange(n) if order is None else order
    mine = order[rank::size]
    return mine[: n // size] if equal else mine
