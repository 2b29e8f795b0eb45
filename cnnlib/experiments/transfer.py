"""Transfer learning (chapter 19): pretrain on one task, reuse the network for another with few labels.

Source task: the ten Fashion-MNIST classes, learned from thousands of labelled images (one
half of the training split). Target task: another question asked of *other* images (the
other half): four coarse groups (top; trousers or dress; footwear; bag), with only
`labels_per_class` labelled images per group. The network (`TransferNet`) keeps most of its
weights in its convolutional feature extractor and ends in a small two-layer head, so the
strategies differ in what they train:

- from scratch: every weight starts random;
- fine-tune all: start from the source weights (new last layer), train everything;
- freeze features: the whole feature extractor is frozen (and its batch norm kept in eval
  mode, so it is a fixed function); the two-layer head trains;
- new head only: everything pretrained is frozen; only a new last layer trains (a linear probe).

Every strategy trains with one recipe; the test accuracy is evaluated after every epoch, so
the curves show how fast each one learns as well as where it ends. (During development,
disjoint classes such as 0-4 -> 5-9 showed no gain over training from scratch at this scale,
with these nets and 10-20 labels per class; the coarser question is one the source features
serve.)
"""

from __future__ import annotations

import copy
import dataclasses

import torch
from torch import nn

from cnnlib.experiments import Config, Result, experiment, over_seeds

STRATEGIES = ("from scratch", "fine-tune all", "freeze features", "new head only")
SOURCE_CLASSES = tuple(range(10))  # the ten Fashion-MNIST classes
# The target task asks another question of other images: four coarse groups.
TARGET_GROUPS = {"top": (0, 2, 4, 6), "trousers or dress": (1, 3), "footwear": (5, 7, 9), "bag": (8,)}


class TransferNet(nn.Module):
    """Three conv-BN-ReLU-pool blocks, global average pooling, a head FC -> ReLU -> FC.

    The feature extractor (`features`) holds most of the weights, as in the ImageNet models
    transfer learning usually starts from; `classifier[-1]` is the layer a new task replaces.
    """

    def __init__(self, num_classes: int = 5, widths: tuple[int, int, int] = (16, 32, 64),
                 hidden: int = 64, in_channels: int = 1) -> None:
        super().__init__()
        layers, width = [], in_channels
        for out in widths:
            layers += [nn.Conv2d(width, out, 3, padding=1, bias=False), nn.BatchNorm2d(out),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]  # 28 -> 14 -> 7 -> 3
            width = out
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(width, hidden), nn.ReLU(inplace=True),
                                        nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.avgpool(self.features(x)))  # (N, classes)



def _use_running_statistics(module: nn.Module, inputs) -> None:
    module.training = False  # set just before each forward, whatever model.train() said


def keep_frozen_bn_in_eval(model: nn.Module) -> nn.Module:
    """Make every batch-norm layer whose weights are frozen run in eval mode, even in `model.train()`.

    A frozen layer should be a fixed function; in training mode batch norm would still
    normalise with each batch's statistics and update its running averages. A forward
    pre-hook switches such a layer to eval mode right before it runs.
    """
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and not any(p.requires_grad for p in m.parameters()):
            m.register_forward_pre_hook(_use_running_statistics)
    return model


def split_halves(data, seed: int = 0):
    """Two disjoint random halves of `data` (the source and the target task use different images)."""
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    half = len(data) // 2
    return (dataclasses.replace(data, images=data.images[order[:half]], labels=data.labels[order[:half]]),
            dataclasses.replace(data, images=data.images[order[half:]], labels=data.labels[order[half:]]))


def grouped(data, groups: dict[str, tuple[int, ...]], per_group: int | None = None, seed: int = 0):
    """A new task on `data`: label k = the k-th group of original classes; `per_group` images each."""
    generator = torch.Generator().manual_seed(seed)
    relabel = torch.full((len(data.classes),), -1, dtype=torch.long)
    picks = []
    for k, members in enumerate(groups.values()):
        relabel[list(members)] = k
        where = torch.isin(data.labels, torch.tensor(members)).nonzero().flatten()
        where = where[torch.randperm(len(where), generator=generator)]
        picks.append(where[:per_group] if per_group else where)
    pick = torch.cat(picks)
    pick = pick[torch.randperm(len(pick), generator=generator)]  # (n,) mixed groups
    return dataclasses.replace(data, images=data.images[pick], labels=relabel[data.labels[pick]],
                               classes=list(groups), name=f"{data.name} ({len(groups)} groups)")


def transfer_model(strategy: str, pretrained_state: dict | None, num_classes: int,
                   widths: tuple[int, int, int], hidden: int) -> nn.Module:
    """A `TransferNet` set up for one of the four `STRATEGIES`."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}.")
    if strategy == "from scratch":
        return TransferNet(num_classes, widths, hidden)
    source_classes = pretrained_state["classifier.3.bias"].numel()
    model = TransferNet(source_classes, widths, hidden)
    model.load_state_dict(pretrained_state)
    if strategy == "freeze features":
        for p in model.features.parameters():
            p.requires_grad = False
    elif strategy == "new head only":
        for p in model.parameters():
            p.requires_grad = False
    model.classifier[-1] = nn.Linear(hidden, num_classes)  # new classes: a new, trainable last layer
    return keep_frozen_bn_in_eval(model)


def run(config: Config) -> Result:
    """Pretrain on the source classes, then train each strategy on the target's few labels."""
    from cnnlib.data import load_images
    from cnnlib.summary import count_parameters
    from cnnlib.train import fit

    source_pool, target_pool = split_halves(load_images("fashion_mnist", train=True))
    test_all = load_images("fashion_mnist", train=False, limit=config["test_images"])
    source_train = source_pool.subset(config["source_images"])
    target_test = grouped(test_all, TARGET_GROUPS)
    widths, hidden = tuple(config["widths"]), config["hidden"]
    torch.manual_seed(config["seed"])
    pretrained = TransferNet(len(SOURCE_CLASSES), widths, hidden)
    source = fit(pretrained, source_train, test_all, epochs=config["source_epochs"], lr=config["lr"],
                 batch_size=64, seed=config["seed"], eval_every_epoch=False, progress=False, verbose=False)
    state = copy.deepcopy(pretrained.state_dict())
    epochs, rows = [], []
    for draw in range(config["draws"]):
        target_train = grouped(target_pool, TARGET_GROUPS, config["labels_per_class"], seed=draw)
        for strategy in STRATEGIES:
            torch.manual_seed(config["seed"] + draw)
            model = transfer_model(strategy, state, len(TARGET_GROUPS), widths, hidden)
            history = fit(model, target_train, target_test, epochs=config["epochs"], lr=config["lr"],
                          batch_size=config["batch_size"], seed=config["seed"] + draw, progress=False,
                          verbose=False, name=strategy)
            rows.append({"strategy": strategy, "draw": draw, "test_acc": round(history.test_acc, 4),
                         "trainable": count_parameters(model, trainable_only=True),
                         "parameters": count_parameters(model)})
            epochs += [{"strategy": strategy, "draw": draw, "epoch": row["epoch"],
                        "test_acc": round(row["test_acc"], 4), "train_loss": round(row["train_loss"], 4)}
                       for row in history.epochs]
    mean = {s: round(sum(r["test_acc"] for r in rows if r["strategy"] == s) / config["draws"], 4)
            for s in STRATEGIES}
    return {"epochs": epochs, "rows": rows, "mean_test_acc": mean,
            "source_test_acc": round(source.test_acc, 4), "target_train_images": len(target_train),
            "target_test_images": len(target_test)}


def early_accuracy(result: Result, strategy: str) -> float:
    """Mean test accuracy over the first half of the target epochs (all draws): the head start."""
    rows = [r for r in result["epochs"] if r["strategy"] == strategy]
    last = max(r["epoch"] for r in rows)
    early = [r["test_acc"] for r in rows if r["epoch"] <= last / 2]
    return sum(early) / len(early)


QUICK = {"source_images": 3000, "source_epochs": 2, "labels_per_class": 10, "test_images": 500,
         "epochs": 20, "batch_size": 10, "lr": 3e-3, "widths": [16, 32, 64], "hidden": 64, "draws": 1,
         "seed": 0}
FULL = {**QUICK, "source_images": 10000, "source_epochs": 3, "test_images": 1000, "draws": 2}

experiment("transfer", quick=QUICK, full=FULL, chapter="19_transfer_learning",
           about="Fashion-MNIST 10 classes -> 4 coarse groups with 10 labels each: scratch vs three strategies")(run)


def head_start_and_final_edge(result: Result) -> dict:
    """One comparison's summary: per strategy, its head start and final edge over scratch."""
    scratch_early = early_accuracy(result, "from scratch")
    mean = result["mean_test_acc"]
    return {"source_test_acc": result["source_test_acc"],
            "head_start": {s: round(early_accuracy(result, s) - scratch_early, 4) for s in STRATEGIES[1:]},
            "final_edge": {s: round(mean[s] - mean["from scratch"], 4) for s in STRATEGIES[1:]}}


def run_seeds(config: Config) -> Result:
    """`run` once per seed: how much of each strategy's head start and final edge is luck."""
    return over_seeds(run, config, head_start_and_final_edge)


experiment("transfer_seeds", quick={**QUICK, "seeds": [0, 1]}, full={**QUICK, "seeds": list(range(6))},
           chapter="19_transfer_learning",
           about="the quick transfer comparison repeated over seeds: head starts and final edges")(run_seeds)

experiment("transfer_full_seeds", quick={**QUICK, "seeds": [1]}, full={**FULL, "seeds": [1, 2]},
           chapter="19_transfer_learning",
           about="the recorded transfer comparison (seed 0) repeated with seeds 1 and 2")(run_seeds)
