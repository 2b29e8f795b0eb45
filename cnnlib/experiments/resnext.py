"""ResNeXt vs ResNet at an equal budget (chapter 26): cardinality, with parameters and MACs held fixed.

Xie et al. (2017, https://arxiv.org/abs/1611.05431, Table 2-3) keep a bottleneck's cost fixed
while trading the number of paths C against the width d of each: ResNet-50 is "1x64d", and
"4x24d" (4 paths of 24 channels in the first stage) has the same parameters and MACs; on
ImageNet the 4x24d model had 22.6% top-1 error against 23.9%. Here both templates are scaled
down by 4 in width (first-stage planes 16 instead of 64) and trained with one recipe on
Fashion-MNIST; the model is `cnnlib.models.small_images.SmallBottleneckNet`, built from chapter 25's Bottleneck.
"""

from __future__ import annotations

import time

import torch

from cnnlib.experiments import Config, Result, experiment
from cnnlib.models.small_images import SmallBottleneckNet


def build(variant: dict, config: Config) -> SmallBottleneckNet:
    """The model of one variant ({'groups', 'width_per_group'}) at the config's planes and blocks."""
    return SmallBottleneckNet(variant["groups"], variant["width_per_group"], tuple(config["planes"]),
                              tuple(config["blocks"]))


def run(config: Config) -> Result:
    """Train each variant with the same recipe; rows of parameters, MACs and accuracies."""
    from cnnlib.counting import count_macs
    from cnnlib.data import load_images
    from cnnlib.summary import count_parameters
    from cnnlib.train import fit

    train_data = load_images("fashion_mnist", train=True, limit=config["train_images"], seed=config["seed"])
    test_data = load_images("fashion_mnist", train=False, limit=config["test_images"], seed=config["seed"])
    rows, epochs = [], []
    for variant in config["variants"]:
        torch.manual_seed(config["seed"])
        model = build(variant, config)
        params, macs = count_parameters(model), count_macs(model, torch.zeros(1, 1, 28, 28))
        start = time.perf_counter()
        history = fit(model, train_data, test_data, epochs=config["epochs"], lr=config["lr"],
                      batch_size=config["batch_size"], seed=config["seed"], progress=False,
                      verbose=False, evals_per_epoch=config["evals_per_epoch"], name=variant["name"])
        rows.append({"name": variant["name"], "groups": variant["groups"],
                     "width_per_group": variant["width_per_group"], "params": params, "macs": macs,
                     "test_acc": history.test_acc, "train_acc": history.epochs[-1]["train_acc"],
                     "seconds": round(time.perf_counter() - start, 1)})
        epochs += [{"model": variant["name"], **{k: round(v, 4) for k, v in row.items()}}
                   for row in history.epochs]
    return {"rows": rows, "epochs": epochs}


VARIANTS = [{"name": "ResNet 1x64d", "groups": 1, "width_per_group": 64},
            {"name": "ResNeXt 4x24d", "groups": 4, "width_per_group": 24}]
QUICK = {"variants": VARIANTS, "planes": [16, 32, 64], "blocks": [1, 1, 1], "train_images": 2000,
         "test_images": 1000, "epochs": 3, "lr": 3e-3, "batch_size": 64, "evals_per_epoch": 2, "seed": 0}
FULL = {**QUICK, "train_images": 4000, "epochs": 4}

experiment("resnext", quick=QUICK, full=FULL, chapter="26_resnext",
           about="ResNet vs ResNeXt at equal parameters and MACs, one recipe")(run)
