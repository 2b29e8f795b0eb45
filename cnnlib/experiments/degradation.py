"""Degradation (chapter 25): a deeper plain net trains worse than a shallow one; a residual one does not.

He et al. (2016, https://arxiv.org/abs/1512.03385, figure 1 and section 4.2) trained plain and
residual CIFAR nets of 20 and 56 layers: plain-56 had higher *training* error than plain-20,
ResNet-56 lower than ResNet-20. This is the same experiment scaled down until a CPU shows it in
seconds: narrow nets (`SmallCifarResNet`: the paper's CIFAR layout and block at a fraction of its widths), a
subset of Fashion-MNIST at 14x14, a few epochs. Training error is measured on the (clean)
training images in eval mode, several times per epoch.
"""

from __future__ import annotations

import dataclasses
import time

import torch
from torch.nn import functional as F

from cnnlib.experiments import Config, Result, experiment
from cnnlib.models.small_images import SmallCifarResNet


def depth_of(blocks_per_stage: int) -> int:
    """Weighted layers of a CIFAR-style net: stem + 2 convs per block x 3 stages + FC."""
    return 6 * blocks_per_stage + 2


def training_subset(images: int, side: int, seed: int = 0):
    """`images` Fashion-MNIST training images, shrunk to side x side (area averaging)."""
    from cnnlib.data import load_images

    data = load_images("fashion_mnist", train=True, limit=images, seed=seed)
    small = F.interpolate(data.images, size=(side, side), mode="area")  # (N, 1, side, side)
    return dataclasses.replace(data, images=small, name=f"{data.name} ({images} images, {side}x{side})")


def run(config: Config) -> Result:
    """Train plain and residual nets of two depths with one recipe; per-step training error."""
    from cnnlib.train import fit

    data = training_subset(config["images"], config["side"], config["seed"])
    runs = []
    for n in config["blocks_per_stage"]:
        for shortcut in (False, True):
            name = f"{'resnet' if shortcut else 'plain'}{depth_of(n)}"
            torch.manual_seed(config["seed"])
            model = SmallCifarResNet(n, tuple(config["widths"]), shortcut)
            start = time.perf_counter()
            # The training images are also the evaluation set: degradation is about training error.
            history = fit(model, data, data, epochs=config["epochs"], lr=config["lr"],
                          batch_size=config["batch_size"], optimizer="sgd",
                          weight_decay=config["weight_decay"], seed=config["seed"],
                          evals_per_epoch=config["evals_per_epoch"], progress=False,
                          verbose=False, name=name)
            runs.append({"name": name, "depth": depth_of(n), "shortcut": shortcut,
                         "seconds": round(time.perf_counter() - start, 1),
                         "final_train_error": 1 - history.epochs[-1]["test_acc"]})
            for row in history.epochs:
                runs[-1].setdefault("curve", []).append(
                    {"epoch": round(row["epoch"], 3), "train_error": round(1 - row["test_acc"], 4),
                     "train_loss": round(row["test_loss"], 4)})
    epochs = [{"model": r["name"], **point} for r in runs for point in r["curve"]]
    return {"epochs": epochs, "rows": [{k: v for k, v in r.items() if k != "curve"} for r in runs]}


QUICK = {"images": 2000, "side": 14, "widths": [8, 16, 32], "blocks_per_stage": [1, 5],
         "epochs": 4, "lr": 0.1, "batch_size": 64, "weight_decay": 1e-4, "evals_per_epoch": 2, "seed": 0}
FULL = {**QUICK, "images": 3000, "blocks_per_stage": [1, 7], "epochs": 5}

experiment("degradation", quick=QUICK, full=FULL, chapter="25_resnet",
           about="plain vs residual nets at two depths: training error")(run)
