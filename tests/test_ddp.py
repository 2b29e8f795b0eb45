"""Data-parallel training: `python -m cnnlib train` under torchrun (2 CPU processes, gloo) matches one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from cnnlib import distributed

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["-m", "cnnlib", "train", "--model", "fast_lenet", "--dataset", "mnist", "--epochs", "2",
        "--limit", "2000", "--batch-size", "64", "--lr", "3e-3", "--device", "cpu", "--no-progress"]


def run(*launcher: str) -> tuple[dict, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", CNNLIB_BUDGET="quick")
    done = subprocess.run([sys.executable, *launcher, *ARGS], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout  # only rank 0 prints the result
    return json.loads(lines[0]), done.stderr


def test_two_processes_match_one_within_noise():
    one, _ = run()
    two, stderr = run("-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2")
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert two["train_images"] == one["train_images"] and two["batch_size"] == one["batch_size"]
    assert one["test_acc"] > 0.85 and two["test_acc"] > 0.85
    assert abs(one["test_acc"] - two["test_acc"]) < 0.04  # 400 test images: noise is about 1%
    assert stderr.count("fast_lenet on MNIST") == 1  # fit's summary: rank 0 only


def test_without_torchrun_everything_is_a_no_op():
    assert not distributed.launched() and not distributed.active()
    assert distributed.rank_and_size() == (0, 1) and distributed.is_main()
    world = distributed.setup("cpu")
    assert (world.rank, world.size, world.active, world.is_main) == (0, 1, False, True)
    x = torch.tensor(3.0)
    assert distributed.all_sum(x)[0] is x


def test_shards_cover_an_epoch_once_with_equal_counts():
    order = torch.randperm(11, generator=torch.Generator().manual_seed(0))
    shards = [distributed.shard(11, r, 3, order) for r in range(3)]
    assert [len(s) for s in shards] == [3, 3, 3]  # equal: every process takes the same number of steps
    assert len(set(torch.cat(shards).tolist())) == 9
    uneven = [distributed.shard(11, r, 3, equal=False) for r in range(3)]
    assert sorted(torch.cat(uneven).tolist()) == list(range(11))  # evaluation sees every image once
