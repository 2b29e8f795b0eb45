"""The command line: train any registered model on any course dataset, print one JSON line.

    python -m cnnlib list
    python -m cnnlib train --model mnist_cnn --dataset mnist --epochs 2
    python -m cnnlib train --model resnet20 --dataset cifar10 --budget full --device cuda

Progress and the training summary go to stderr; stdout gets exactly one JSON line with the
result, so `python -m cnnlib train ... | tail -1 | jq .test_acc` works. Bad arguments exit
with status 2 and a message saying what is wrong and how to fix it. Taught in chapter 20.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import sys
from collections.abc import Sequence

EXIT_USAGE = 2
EXIT_DATA = 3

DESCRIPTION = """Train course models from the command line (cnnlib, the CNN course library).

Commands:
  train   train a registered model on a course dataset with cnnlib.train.fit
  list    show the registered models and the datasets

The last line of `train`'s stdout is one JSON object: model, dataset, data, epochs,
batch_size, lr, device, budget, train_images, test_images, parameters, train_seconds,
test_acc, standin (true when CIFAR-10 was replaced by the offline stand-in)."""


class UsageError(Exception):
    """Arguments that cannot work together; the message says why and how to fix it."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `python -m cnnlib`."""
    parser = argparse.ArgumentParser(prog="python -m cnnlib", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="{train,list}")
    sub.required = True
    sub.add_parser("list", help="show the registered models and the datasets")
    train = sub.add_parser(
        "train", help="train a model and print one JSON line with the result",
        description="Train a registered cnnlib model on a cnnlib dataset "
                    "(see `python -m cnnlib list`).")
    train.add_argument("--model", required=True,
                       help="registered model name, e.g. mnist_cnn, resnet20")
    train.add_argument("--dataset", required=True, help="fashion_mnist, mnist or cifar10")
    train.add_argument("--epochs", type=int, default=None,
                       help="passes over the training data (default: 2 for quick, 10 for full)")
    train.add_argument("--batch-size", type=int, default=128, help="mini-batch size (default 128)")
    train.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
    train.add_argument("--optimizer", choices=("adam", "adamw", "sgd"), default="adam",
                       help="optimizer (default adam; sgd uses momentum 0.9)")
    train.add_argument("--label-smoothing", type=float, default=0.0, help="default 0")
    train.add_argument("--budget", choices=("quick", "full"), default=None,
                       help="quick: a subset and few epochs (CPU); full: everything "
                            "(default: full on a GPU, quick otherwise, or env CNNLIB_BUDGET)")
    train.add_argument("--limit", type=int, default=None,
                       help="use at most this many training images (default: 10000 in quick "
                            "budget, all in full); the test set is limited to a fifth of it")
    train.add_argument("--device", default=None,
                       help="cpu, cuda, cuda:1, mps (default: best available)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _model_kwargs(builder, shape: tuple[int, int, int], num_classes: int) -> dict:
    """The keyword arguments a builder accepts among num_classes, in_channels and image_size."""
    params = inspect.signature(builder).parameters
    wanted = {"num_classes": num_classes, "in_channels": shape[0], "image_size": shape[1]}
    return {k: v for k, v in wanted.items() if k in params}


def build_checked_model(name: str, dataset: str):
    """Build model `name` for `dataset`'s images and classes, checked by a dry forward pass."""
    import torch

    from cnnlib.data import DATASETS, dataset_key
    from cnnlib.models import MODELS

    if name not in MODELS:
        raise UsageError(f"unknown model {name!r}. Registered models: {', '.join(sorted(MODELS))}.")
    try:
        key = dataset_key(dataset)
    except ValueError as error:
        raise UsageError(str(error)) from None
    info = DATASETS[key]
    builder = MODELS[name]
    kwargs = _model_kwargs(builder, info.shape, len(info.classes))
    model = builder(**kwargs)
    c, h, w = info.shape
    model.eval()
    try:
        with torch.no_grad():
            out = model(torch.zeros(2, c, h, w))
    except (RuntimeError, ValueError) as error:
        text = str(error).strip()
        first = text.splitlines()[0].rstrip(".") if text else type(error).__name__
        raise UsageError(
            f"model {name!r} does not fit {info.title} images of shape {c}x{h}x{w}: a dry forward "
            f"pass of a (2, {c}, {h}, {w}) batch failed with: {first}. The model expects another "
            "input size or channel count; pick a model made for this dataset "
            "(see `python -m cnnlib list`)."
        ) from None
    if tuple(out.shape) != (2, len(info.classes)):
        raise UsageError(
            f"model {name!r} gives outputs of shape {tuple(out.shape)} for a batch of 2, but "
            f"{info.title} needs (2, {len(info.classes)}): one score per class. Its builder "
            "does not take num_classes; pick another model.")
    return model, key, kwargs


def _check_numbers(args: argparse.Namespace) -> None:
    if args.epochs is not None and args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}.")
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}.")
    if not args.lr > 0:
        raise UsageError(f"--lr must be positive, got {args.lr}.")
    if args.limit is not None and args.limit < 10:
        raise UsageError(f"--limit must be at least 10 images, got {args.limit}.")
    if not 0 <= args.label_smoothing < 1:
        raise UsageError(f"--label-smoothing must be in [0, 1), got {args.label_smoothing}.")


def train_command(args: argparse.Namespace) -> dict:
    """Run `train`: returns the result dict printed as JSON."""
    _check_numbers(args)
    if args.budget:
        os.environ["CNNLIB_BUDGET"] = args.budget
    import torch

    from cnnlib.data import load_images
    from cnnlib.runtime import by_budget, pick_device, seed_everything
    from cnnlib.summary import count_parameters
    from cnnlib.train import fit

    try:
        device = torch.device(args.device) if args.device else pick_device()
        torch.empty(1, device=device)
    except (RuntimeError, AssertionError) as error:
        raise UsageError(f"--device {args.device!r} is not usable here ({error}); "
                         "use cpu, or cuda/mps on a machine that has them.") from None
    seed_everything(args.seed)
    model, key, _ = build_checked_model(args.model, args.dataset)
    epochs = args.epochs or by_budget(quick=2, full=10)
    limit = args.limit if args.limit is not None else by_budget(quick=10_000, full=None)
    test_limit = max(limit // 5, 10) if limit is not None else None
    with contextlib.redirect_stdout(sys.stderr):  # stdout is kept for the JSON line
        train = load_images(key, train=True, limit=limit, seed=args.seed)
        test = load_images(key, train=False, limit=test_limit, seed=args.seed)
        if args.batch_size > len(train):
            raise UsageError(f"--batch-size {args.batch_size} is larger than the training set "
                             f"({len(train)} images); use a smaller batch or a larger --limit.")
        history = fit(model, train, test, epochs=epochs, lr=args.lr, batch_size=args.batch_size,
                      optimizer=args.optimizer, label_smoothing=args.label_smoothing,
                      device=device, seed=args.seed, progress=not args.no_progress,
                      name=args.model)
    return {
        "model": args.model, "dataset": key, "data": train.name, "epochs": epochs,
        "batch_size": args.batch_size, "lr": args.lr, "device": str(device),
        "budget": history.budget, "train_images": len(train), "test_images": len(test),
        "parameters": count_parameters(model), "train_seconds": round(history.seconds, 2),
        "test_acc": round(history.test_acc, 4), "standin": train.standin,
    }


def list_command() -> str:
    """Text of `list`: registered models with their parameter counts, then the datasets."""
    from cnnlib.data import DATASETS
    from cnnlib.models import MODELS

    lines = ["Models (python -m cnnlib train --model NAME):"]
    lines += [f"  {name}" for name in sorted(MODELS)]
    lines.append("Datasets (--dataset NAME):")
    for key, info in DATASETS.items():
        c, h, w = info.shape
        lines.append(f"  {key:<14} {info.title}: {c}x{h}x{w}, {len(info.classes)} classes")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m cnnlib`; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "list":
        print(list_command())
        return 0
    from cnnlib.data import DatasetNotFoundError

    try:
        result = train_command(args)
    except UsageError as error:
        print(f"python -m cnnlib train: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except DatasetNotFoundError as error:
        print(f"python -m cnnlib train: data not available: {error}", file=sys.stderr)
        return EXIT_DATA
    print(json.dumps(result))
    return 0
