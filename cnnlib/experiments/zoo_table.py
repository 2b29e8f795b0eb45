"""One recipe, one dataset (chapter 31): every architecture of Parts IV and V trained the same way.

Published accuracies come from different recipes (epochs, augmentation, schedules), so they
compare recipes as much as architectures. Here every model is a small-image variant
(`cnnlib.models.small_images` and the Part V chapters' own small variants) trained with the
same optimizer, schedule, batch size, epochs and images of Fashion-MNIST (28x28; LeNet-5 gets
them padded to 32x32, as in chapter 21). Each row: test accuracy, parameters, multiply-adds
per image, and wall seconds per epoch on the machine that ran it.
"""

from __future__ import annotations

import dataclasses
import time

import torch
from torch.nn import functional as F

from cnnlib.experiments import Config, Result, experiment

# (label, registry name, part of the book). Part V entries are used when their builder exists.
ZOO: list[tuple[str, str, str]] = [
    ("LeNet-5", "lenet5", "IV"),
    ("AlexNet", "alexnet_small_images", "IV"),
    ("VGG", "vgg_small_images", "IV"),
    ("Inception", "mnist_inception_net", "IV"),
    ("ResNet", "resnet8_small_images", "IV"),
    ("ResNeXt", "resnext_small_images", "IV"),
    ("MobileNet V1", "mobilenet_v1_small_images", "IV"),
    ("MobileNet V2", "mobilenet_v2_small_images", "IV"),
    ("MobileNet V3", "mobilenet_v3_small_images", "IV"),
    ("ShuffleNet V2", "shufflenet_v2_small_images", "IV"),
    ("DenseNet", "densenet_small_images", "V"),
    ("EfficientNet", "efficientnet_small_images", "V"),
    ("RegNet", "regnet_small_images", "V"),
    ("ConvNeXt", "convnext_mini", "V"),
]
PADDED_TO_32 = {"lenet5"}  # LeNet-5's first FC layer is sized for 32x32 inputs


def available(zoo: list[tuple[str, str, str]] | None = None) -> tuple[list, list]:
    """(entries whose builder is registered, entries that are not) of the zoo."""
    from cnnlib.models import MODELS

    zoo = ZOO if zoo is None else zoo
    return [z for z in zoo if z[1] in MODELS], [z for z in zoo if z[1] not in MODELS]


def build(name: str):
    """The small-image model `name` for 1-channel images and 10 classes."""
    from cnnlib.models import MODELS

    if name in ("lenet5", "mnist_inception_net"):
        return MODELS[name](num_classes=10)  # grey 32x32 / 28x28 already
    return MODELS[name](num_classes=10, in_channels=1)


def padded_to_32(data):
    """The images padded from 28x28 to 32x32 with the background value (a 0 pixel)."""
    background = -data.mean[0] / data.std[0]
    return dataclasses.replace(data, images=F.pad(data.images, (2, 2, 2, 2), value=background))


def run(config: Config) -> Result:
    """Train every available zoo model with one recipe; one row per model."""
    from cnnlib.counting import count_macs
    from cnnlib.data import load_images
    from cnnlib.models import MODELS
    from cnnlib.summary import count_parameters
    from cnnlib.train import fit

    train_data = load_images("fashion_mnist", train=True, limit=config["train_images"], seed=config["seed"])
    test_data = load_images("fashion_mnist", train=False, limit=config["test_images"], seed=config["seed"])
    present, missing = available([tuple(z) for z in config["zoo"]])
    rows, epochs = [], []
    for label, name, part in present:
        torch.manual_seed(config["seed"])
        model = build(name)
        tr, te = train_data, test_data
        if name in PADDED_TO_32:
            tr, te = padded_to_32(train_data), padded_to_32(test_data)
        side = tr.images.shape[-1]
        params, macs = count_parameters(model), count_macs(model, torch.zeros(1, 1, side, side))
        start = time.perf_counter()
        history = fit(model, tr, te, epochs=config["epochs"], lr=config["lr"], batch_size=config["batch_size"],
                      seed=config["seed"], progress=False, verbose=False, name=label)
        seconds = time.perf_counter() - start
        doc = (MODELS[name].__doc__ or "").strip().split("\n")[0]
        rows.append({"label": label, "builder": name, "part": part, "input": side, "params": params,
                     "macs": macs, "test_acc": round(history.test_acc, 4),
                     "train_acc": round(history.epochs[-1]["train_acc"], 4),
                     "seconds_per_epoch": round(seconds / config["epochs"], 2), "adaptation": doc})
        epochs += [{"model": label, **{k: round(v, 4) for k, v in row.items()}} for row in history.epochs]
    return {"rows": rows, "epochs": epochs, "missing": [z[1] for z in missing]}


# One recipe for every model: Adam with a one-cycle schedule (train.fit's defaults), no augmentation.
QUICK = {"zoo": [list(z) for z in ZOO], "train_images": 1000, "test_images": 400, "epochs": 2,
         "lr": 3e-3, "batch_size": 32, "seed": 0}
FULL = {"zoo": [list(z) for z in ZOO], "train_images": 2000, "test_images": 500, "epochs": 3,
        "lr": 3e-3, "batch_size": 64, "seed": 0}

experiment("zoo_table", quick=QUICK, full=FULL, chapter="31_comparison",
           about="every Part IV-V architecture, small-image variant, one recipe on Fashion-MNIST")(run)
