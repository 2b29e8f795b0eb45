"""Chapter 20's speed run on a CPU: the switch table, the fast recipe, and d2l's LeNet recipe.

One invocation measures (1) training throughput with one switch changed at a time, each
against the row it changes, so a switch that slows this device down shows a ratio below 1;
(2) the course's fast CPU recipe on full Fashion-MNIST, with channels_last and bf16 autocast
switched on only where the table just measured them to help; (3) d2l's LeNet recipe
(sigmoid, average pooling, SGD lr 0.9, batch 256, 10 epochs, DataLoader over PIL images) on
the same data, and the time ratio of the two. Times are wall and CPU seconds
(`cnnlib.fast.timed`) of training alone (scoring the test set is timed apart); the machine's
load average is stored with them. The recipe was chosen on a validation split carved from
the training set (`cnnlib.experiments.recipe_search`, results/fashion_recipe_search_cpu.json);
the test set is scored only at the end. `python scripts/record.py fashion_speed_cpu` or
`benchmarks/fashion_speed.py --device cpu --record` writes results/fashion_speed_cpu.json.
"""

from __future__ import annotations

import os

from cnnlib.experiments import Config, Result, experiment

# The recipe chosen on a validation split (50,000 train / 10,000 validation images carved from
# the training set; trial 16 of results/fashion_recipe_search_cpu.json, picked by
# cnnlib.experiments.recipe_search.pick_recipe): the 16-32-64 fast_cnn
# with each stage ordered conv -> max pool -> BN -> ReLU, Adam + OneCycle to lr 0.02, batch 256,
# label smoothing 0.1, random flips in training and flip TTA, 10 epochs; channels_last and
# bf16 autocast where they help. The rule that picked it, fixed before the test set was
# scored: the best validation accuracy among the trials whose time on 50,000 images, scaled
# by 6/5 to the full 60,000, stays under 55 s (a 5-s margin under the 60-s goal).
CPU_RECIPE = {"model": "fast_cnn", "widths": [16, 32, 64], "pool_first": True, "epochs": 10,
              "batch_size": 256, "lr": 2e-2, "label_smoothing": 0.1, "flip": True,
              "tta_flip": True, "channels_last": True, "bf16": True}
GOAL = {"test_acc": 0.92, "train_seconds": 60.0}  # issue 14, 2 CPU cores


def train_recipe(recipe: Config, train, test, device="cpu", seed: int = 0, progress: bool = False,
                 model=None, compile: bool = False):
    """Train `recipe` (a CPU_RECIPE-like dict) on `train`, score `test` once.

    The model is built from the recipe (`model`, and `widths`/`pool_first`/`width` where given)
    unless one is passed (the GPU run passes a model it has already compiled once). Training
    images get random flips if `flip`, and random padded crops too if `crop_padding` is set.
    Returns (history, wall s, CPU s): the seconds of training alone, without the scoring of
    `test` at the end (its time is in `history.eval_seconds` / `history.eval_cpu_seconds`).
    """
    import torch

    from cnnlib import augment
    from cnnlib.fast import fast_fit, timed
    from cnnlib.models import build_model
    from cnnlib.runtime import seed_everything

    seed_everything(seed)
    if model is None:
        kwargs = {key: recipe[key] for key in ("pool_first", "width") if key in recipe}
        if "widths" in recipe:
            kwargs["widths"] = tuple(recipe["widths"])
        model = build_model(recipe["model"], **kwargs)
    if recipe.get("crop_padding"):
        aug = augment.flip_and_crop(padding=recipe["crop_padding"], flip=recipe["flip"], seed=seed)
    elif recipe["flip"]:
        flips = torch.Generator().manual_seed(seed)
        aug = lambda x: augment.random_flip(x, generator=flips)  # noqa: E731
    else:
        aug = None
    history, wall, cpu = timed(lambda: fast_fit(
        model, train, test, epochs=recipe["epochs"], batch_size=recipe["batch_size"], lr=recipe["lr"],
        label_smoothing=recipe["label_smoothing"], augment=aug, tta_flip=recipe["tta_flip"],
        channels_last=recipe.get("channels_last", False), bf16=recipe.get("bf16", False),
        compile=compile, device=device, seed=seed, progress=progress, verbose=False,
        name=recipe["model"]))
    return history, wall - history.eval_seconds, cpu - history.eval_cpu_seconds


TABLE_ROWS = ("DataLoader + PIL, batch 64", "tensors in memory, batch 64", "tensors, batch 256",
              "batch 256 + channels_last", "batch 256 + bf16 autocast",
              "channels_last + bf16 autocast", "batch 256 + torch.compile")


def switch_table(model_name: str, device, steps: int, compile: bool = False, clock=None,
                 model_kwargs: Config | None = None) -> list[dict]:
    """Training images per second of each configuration, one switch changed at a time.

    Each row names the row it changes ("against"); `vs_against` < 1 means the switch slowed
    this device down. `clock` is `time.perf_counter` (wall, default) or `time.process_time`.
    `warmup_s` is the wall time of each row's first, untimed steps: torch.compile's compile time.
    """
    import time

    import torch

    from cnnlib.data import load_images
    from cnnlib.fast import plain_loader, throughput
    from cnnlib.models import build_model
    from cnnlib.runtime import seed_everything

    device = torch.device(device)
    on_device = load_images("fashion_mnist", train=True, device=device)
    gen = torch.Generator().manual_seed(0)
    clock = clock or time.perf_counter
    rows: list[dict] = []
    cl, bf16 = {"channels_last": True}, {"bf16": True}
    plans = [(TABLE_ROWS[0], None, lambda: iter(plain_loader("fashion_mnist")), {}),
             (TABLE_ROWS[1], 0, lambda: on_device.batches(64, True, gen), {}),
             (TABLE_ROWS[2], 1, lambda: on_device.batches(256, True, gen), {}),
             (TABLE_ROWS[3], 2, lambda: on_device.batches(256, True, gen), cl),
             (TABLE_ROWS[4], 2, lambda: on_device.batches(256, True, gen), bf16),
             (TABLE_ROWS[5], 3, lambda: on_device.batches(256, True, gen), cl | bf16)]
    if compile:
        plans.append((TABLE_ROWS[6], 2, lambda: on_device.batches(256, True, gen), {"compile": True}))
    for label, against, batches, switches in plans:
        seed_everything(0)
        model = build_model(model_name, **(model_kwargs or {}))
        measured = throughput(model, batches(), steps, device=device, clock=clock, **switches)
        speed = measured.images_per_s
        base = rows[0]["images_per_s"] if rows else speed
        ref = rows[against]["images_per_s"] if against is not None else speed
        rows.append({"config": label, "images_per_s": round(speed, 1), "vs_plain": round(speed / base, 3),
                     "against": rows[against]["config"] if against is not None else "",
                     "vs_against": round(speed / ref, 3), "warmup_s": round(measured.warmup_seconds, 2)})
    return rows


def helpful_switches(rows: list[dict]) -> dict[str, bool]:
    """channels_last and bf16 autocast, each on only if the switch table measured it faster here.

    bf16 is judged on top of channels_last when channels_last helps, else on its own.
    """
    by = {row["config"]: row for row in rows}
    channels_last = by[TABLE_ROWS[3]]["vs_against"] > 1
    bf16_row = by[TABLE_ROWS[5]] if channels_last else by[TABLE_ROWS[4]]
    return {"channels_last": channels_last, "bf16": bf16_row["vs_against"] > 1}


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
    recipe = config["recipe"]
    rows = switch_table(recipe["model"], device, config["table_steps"], clock=time.process_time,
                        compile=config.get("compile", False),
                        model_kwargs={"widths": tuple(recipe["widths"]),
                                      "pool_first": recipe.get("pool_first", False)})
    switches = helpful_switches(rows)
    recipe = recipe | {k: recipe.get(k, False) and on for k, on in switches.items()}
    train = load_images("fashion_mnist", train=True, limit=config["train_images"])
    test = load_images("fashion_mnist", train=False)
    history, wall, cpu = train_recipe(recipe, train, test, device)
    baseline = train_d2l_baseline(epochs=config["baseline_epochs"], limit=config["train_images"])
    final = {"test_acc": round(history.test_acc, 4), "train_seconds": round(wall, 1),
             "train_cpu_seconds": round(cpu, 1), "test_seconds": round(history.eval_seconds, 1),
             "train_images": len(train), "test_images": len(test)}
    return {"device_name": device_name("cpu"), "threads": config["threads"],
            "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "rows": rows, "switches_used": {k: recipe[k] for k in switches},
            "epochs": [{k: (round(v, 4) if v == v else None) for k, v in r.items()}  # NaN: not scored
                       for r in history.epochs],
            "final": final, "baseline": baseline,
            "ratio_wall": round(baseline["train_seconds"] / wall, 2),
            "ratio_cpu": round(baseline["train_cpu_seconds"] / cpu, 2),
            "goal": GOAL,
            "goal_met": final["test_acc"] >= GOAL["test_acc"] and wall <= GOAL["train_seconds"]}


QUICK = {"recipe": {**CPU_RECIPE, "epochs": 1}, "train_images": 4096, "baseline_epochs": 1,
         "table_steps": 5, "threads": 2, "compile": False, "device": "cpu"}
FULL = {"recipe": CPU_RECIPE, "train_images": None, "baseline_epochs": 10, "table_steps": 60,
        "threads": 2, "compile": True, "device": "cpu"}

experiment("fashion_speed_cpu", quick=QUICK, full=FULL, chapter="20_training_fast",
           about="CPU speed run: switch table, fast recipe on full Fashion-MNIST, d2l LeNet baseline")(run)
