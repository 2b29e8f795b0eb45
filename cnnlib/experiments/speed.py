"""Chapter 20's speed run on a CPU: the switch table, the fast recipe, and d2l's LeNet recipe.

One invocation measures (1) training throughput with one switch changed at a time, each
against the row it changes, so a switch that slows this device down shows a ratio below 1;
(2) the course's fast CPU recipe on full Fashion-MNIST; (3) d2l's LeNet recipe (sigmoid,
average pooling, SGD lr 0.9, batch 256, 10 epochs, DataLoader over PIL images) on the same
data, and the time ratio of the two. Times are wall and CPU seconds (`cnnlib.fast.timed`);
the machine's load average is stored with them. The recipe was chosen on a validation split
carved from the training set (see chapter 20); the test set is scored only at the end.
`python scripts/record.py fashion_speed_cpu` or `benchmarks/fashion_speed.py --record`
writes results/fashion_speed_cpu.json.
"""

from __future__ import annotations

import os

from cnnlib.experiments import Config, Result, experiment

# The recipe chosen on a validation split (50,000 train / 10,000 validation images carved from
# the training set; chapter 20): a 16-32-64 three-stage CNN with batch norm, Adam + OneCycle,
# label smoothing 0.1, random flips in training and flip TTA. Its validation run: 91.1%,
# 91.4% with flip TTA, 72 CPU s on one thread for 4 epochs (a shared machine, load ~15).
CPU_RECIPE = {"model": "fast_cnn", "widths": [16, 32, 64], "epochs": 4, "batch_size": 256, "lr": 5e-3,
              "label_smoothing": 0.1, "flip": True, "tta_flip": True}


def train_recipe(recipe: Config, train, test, device="cpu", seed: int = 0, progress: bool = False):
    """Train `recipe` (a CPU_RECIPE-like dict) on `train`, score `test` once; (history, wall s, CPU s)."""
    import torch

    from cnnlib import augment
    from cnnlib.fast import fast_fit, timed
    from cnnlib.models import build_model
    from cnnlib.runtime import seed_everything

    seed_everything(seed)
    model = build_model(recipe["model"], widths=tuple(recipe["widths"]))
    flips = torch.Generator().manual_seed(seed)
    aug = (lambda x: augment.random_flip(x, generator=flips)) if recipe["flip"] else None
    history, wall, cpu = timed(lambda: fast_fit(
        model, train, test, epochs=recipe["epochs"], batch_size=recipe["batch_size"], lr=recipe["lr"],
        label_smoothing=recipe["label_smoothing"], augment=aug, tta_flip=recipe["tta_flip"],
        device=device, seed=seed, progress=progress, verbose=False, name=recipe["model"]))
    return history, wall, cpu


def switch_table(model_name: str, device, steps: int, compile: bool = False, clock=None,
                 model_kwargs: Config | None = None) -> list[dict]:
    """Training images per second of each configuration, one switch changed at a time.

    Each row names the row it changes ("against"); `vs_against` < 1 means the switch slowed
    this device down. `clock` is `time.perf_counter` (wall, default) or `time.process_time`.
    """
    import time

    import torch

    from cnnlib.data import load_images
    from cnnlib.fast import images_per_second, plain_loader
    from cnnlib.models import build_model
    from cnnlib.runtime import seed_everything

    device = torch.device(device)
    on_device = load_images("fashion_mnist", train=True, device=device)
    gen = torch.Generator().manual_seed(0)
    clock = clock or time.perf_counter
    rows: list[dict] = []
    plans = [("DataLoader + PIL, batch 64", None, lambda: iter(plain_loader("fashion_mnist")), {}),
             ("tensors in memory, batch 64", 0, lambda: on_device.batches(64, True, gen), {}),
             ("tensors, batch 256", 1, lambda: on_device.batches(256, True, gen), {}),
             ("batch 256 + channels_last", 2, lambda: on_device.batches(256, True, gen),
              {"channels_last": True}),
             ("batch 256 + bf16 autocast", 2, lambda: on_device.batches(256, True, gen), {"bf16": True})]
    if compile:
        plans.append(("batch 256 + torch.compile", 2, lambda: on_device.batches(256, True, gen),
                      {"compile": True}))
    for label, against, batches, switches in plans:
        seed_everything(0)
        model = build_model(model_name, **(model_kwargs or {}))
        speed = images_per_second(model, batches(), steps, device=device, clock=clock, **switches)
        base = rows[0]["images_per_s"] if rows else speed
        ref = rows[against]["images_per_s"] if against is not None else speed
        rows.append({"config": label, "images_per_s": round(speed, 1), "vs_plain": round(speed / base, 3),
                     "against": rows[against]["config"] if against is not None else "",
                     "vs_against": round(speed / ref, 3)})
    return rows


def run(config: Config) -> Result:
    """Throughput table, the fast recipe on full Fashion-MNIST and d2l's recipe, on this device."""
    import time

    import torch

    from cnnlib.data import load_images
    from cnnlib.fast import train_d2l_baseline
    from cnnlib.records import device_name

    torch.set_num_threads(config["threads"])
    device = torch.device("cpu")
    load_before = os.getloadavg()[0]
    rows = switch_table(config["recipe"]["model"], device, config["table_steps"], clock=time.process_time,
                        model_kwargs={"widths": tuple(config["recipe"]["widths"])})
    train = load_images("fashion_mnist", train=True, limit=config["train_images"])
    test = load_images("fashion_mnist", train=False)
    history, wall, cpu = train_recipe(config["recipe"], train, test, device)
    baseline = train_d2l_baseline(epochs=config["baseline_epochs"], limit=config["train_images"])
    final = {"test_acc": round(history.test_acc, 4), "train_seconds": round(wall, 1),
             "train_cpu_seconds": round(cpu, 1), "train_images": len(train), "test_images": len(test)}
    return {"device_name": device_name("cpu"), "threads": config["threads"],
            "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "rows": rows, "epochs": [{k: (round(v, 4) if v == v else None) for k, v in r.items()}  # NaN: not scored
                                  for r in history.epochs],
            "final": final, "baseline": baseline,
            "ratio_wall": round(baseline["train_seconds"] / wall, 2),
            "ratio_cpu": round(baseline["train_cpu_seconds"] / cpu, 2),
            "goal_met": final["test_acc"] >= 0.92 and cpu <= 60}


QUICK = {"recipe": {**CPU_RECIPE, "epochs": 1}, "train_images": 4096, "baseline_epochs": 1,
         "table_steps": 5, "threads": 2}
FULL = {"recipe": CPU_RECIPE, "train_images": None, "baseline_epochs": 10, "table_steps": 60, "threads": 2}

experiment("fashion_speed_cpu", quick=QUICK, full=FULL, chapter="20_training_fast",
           about="CPU speed run: switch table, fast recipe on full Fashion-MNIST, d2l LeNet baseline")(run)
