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
import math
import os
import sys
from collections.abc import Sequence

EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_DIVERGED = 4
EXIT_INTERRUPTED = 130  # the shell's convention for Ctrl-C (128 + SIGINT)
SIZE_LADDER = (28, 32, 64, 96, 128, 224)  # image sizes tried when a model needs larger images
LR_REFUSE = 10.0  # learning rates above this are refused; above LR_WARN they get a warning
LR_WARN = 1.0

DESCRIPTION = """Train course models from the command line (cnnlib, the CNN course library).

Commands:
  train   train a registered model on a course dataset with cnnlib.train.fit
  list    show the registered models and the datasets

The last line of `train`'s stdout is one strict JSON object (no NaN/Infinity): status
("ok" or "diverged"), model, dataset, data, epochs, batch_size, lr, device, budget,
train_images, test_images, image_size, resized, aux_loss_weight, parameters,
train_seconds, final_train_loss, test_acc, standin (true when CIFAR-10 was replaced by
the offline stand-in), offline_subset (true for the MNIST offline subset), data_note,
world_size. Exit status: 0 done, 2 bad arguments or settings, 3 data not available,
4 training diverged (NaN/inf loss), 130 interrupted (Ctrl-C)."""


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
    train.add_argument("--no-resize", action="store_true",
                       help="refuse a model that needs larger images than the dataset has "
                            "(default: resize the images to the smallest size the model accepts)")
    return parser


def _model_kwargs(builder, shape: tuple[int, int, int], num_classes: int) -> dict:
    """The keyword arguments a builder accepts among num_classes, in_channels and image_size."""
    params = inspect.signature(builder).parameters
    wanted = {"num_classes": num_classes, "in_channels": shape[0], "image_size": shape[1]}
    return {k: v for k, v in wanted.items() if k in params}


def _dry_run(model, c: int, size: int, num_classes: int) -> tuple[str | None, bool]:
    """Run a (2, c, size, size) batch through `model` in eval and train mode: (error or None, has aux outputs)."""
    import torch

    from cnnlib.train import split_outputs

    buffers = {name: b.clone() for name, b in model.named_buffers()}  # BatchNorm statistics
    with torch.random.fork_rng(), torch.no_grad():  # dry runs must not change the seeded run that follows
        try:
            model.eval()
            out, _ = split_outputs(model(torch.zeros(2, c, size, size)))
            model.train()
            train_out, aux = split_outputs(model(torch.zeros(2, c, size, size)))
        except (RuntimeError, ValueError, TypeError) as error:
            text = str(error).strip()
            return (text.splitlines()[0].rstrip(".") if text else type(error).__name__), False
        finally:
            for name, b in model.named_buffers():
                b.copy_(buffers[name])
    shapes = {tuple(o.shape) for o in [out, train_out, *aux]}
    if shapes != {(2, num_classes)}:
        return f"outputs of shape {sorted(shapes)}", False
    return None, bool(aux)


def build_checked_model(name: str, dataset: str, resize: bool = True):
    """Build model `name` for `dataset`'s images and classes, checked by dry forward passes.

    A model that needs larger images is tried on the sizes of SIZE_LADDER; returns
    (model, dataset key, builder kwargs, image size, has auxiliary outputs).
    """
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
    c, h, w = info.shape
    num_classes = len(info.classes)
    sizes = [h] + [s for s in SIZE_LADDER if s > h]
    takes_size = "image_size" in inspect.signature(builder).parameters
    model, first_error = None, None
    for size in sizes:
        kwargs = _model_kwargs(builder, (c, size, size), num_classes)
        if model is None or takes_size:  # other models do not change with the image size
            try:
                model = builder(**kwargs)
            except (ValueError, TypeError) as error:
                raise UsageError(f"model {name!r} cannot be built for {info.title} ({kwargs}): {error}") from None
        error, has_aux = _dry_run(model, c, size, num_classes)
        if error is None and (resize or size == h):
            return model, key, kwargs, size, has_aux
        if error is not None and error.startswith("outputs of shape"):
            raise UsageError(
                f"model {name!r} gives {error} for a batch of 2, but {info.title} needs (2, {num_classes}): "
                "one score per class. Its builder does not take num_classes; pick another model.")
        first_error = first_error or error
        if error is None:  # works at this size, but resizing was refused
            raise UsageError(
                f"model {name!r} does not fit {info.title} images of shape {c}x{h}x{w}: a dry forward pass of a "
                f"(2, {c}, {h}, {w}) batch failed with: {first_error}. It works with {size}x{size} images: drop "
                "--no-resize to resize the images to that, or pick a model made for this dataset "
                "(see `python -m cnnlib list`).")
    raise UsageError(
        f"model {name!r} does not fit {info.title} images of shape {c}x{h}x{w}: a dry forward "
        f"pass of a (2, {c}, {h}, {w}) batch failed with: {first_error}, and no size up to "
        f"{sizes[-1]}x{sizes[-1]} works either. Pick a model made for this dataset (see `python -m cnnlib list`)."
    )


def _check_numbers(args: argparse.Namespace) -> None:
    if args.epochs is not None and args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}.")
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got {args.batch_size}.")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError(f"--lr must be positive and finite, got {args.lr}; typical values are 1e-4 to 0.1.")
    if args.lr > LR_REFUSE:
        raise UsageError(f"--lr {args.lr:g} is absurdly large (above {LR_REFUSE:g}): training would diverge. "
                         "Typical values are 1e-4 to 0.1 (Adam: about 1e-3; SGD: about 0.1).")
    if args.lr > LR_WARN:
        print(f"python -m cnnlib train: warning: --lr {args.lr:g} is unusually large; if the loss becomes "
              "NaN, training stops with exit status 4.", file=sys.stderr)
    if args.limit is not None and args.limit < 10:
        raise UsageError(f"--limit must be at least 10 images, got {args.limit}.")
    if not 0 <= args.label_smoothing < 1:
        raise UsageError(f"--label-smoothing must be in [0, 1), got {args.label_smoothing}.")


def _check_settings(args: argparse.Namespace) -> None:
    """Read every CNNLIB_* variable in use once, so a bad value stops the run before any work."""
    from cnnlib.data import data_roots, downloads_allowed, standin_allowed
    from cnnlib.runtime import budget, pick_device

    if not args.device:  # --device overrides CNNLIB_DEVICE
        pick_device()
    if not args.budget:  # --budget overrides CNNLIB_BUDGET
        budget("cpu")
    standin_allowed()
    downloads_allowed()
    data_roots()


def _resize(data, size: int):
    """`data` with its images resized to size x size (bilinear), in chunks to bound memory."""
    from dataclasses import replace

    import torch

    chunks = [torch.nn.functional.interpolate(part, size=(size, size), mode="bilinear", align_corners=False)
              for part in data.images.split(1000)]
    return replace(data, images=torch.cat(chunks))


def strict_json(value):
    """`value` with every non-finite float replaced by None, so json.dumps(allow_nan=False) works."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def train_command(args: argparse.Namespace) -> dict:
    """Run `train`: returns the result dict printed as JSON (status 'diverged' if the loss blew up)."""
    _check_numbers(args)
    _check_settings(args)
    import torch

    from cnnlib import distributed
    from cnnlib.data import load_images
    from cnnlib.runtime import SettingError, budget, by_budget, check_device, pick_device, seed_everything
    from cnnlib.summary import count_parameters
    from cnnlib.train import AUX_WEIGHT, TrainingDiverged, fit

    try:
        device = check_device(args.device, "--device") if args.device else pick_device()
        torch.empty(1, device=device)
    except SettingError as error:
        raise UsageError(str(error)) from None
    except (RuntimeError, AssertionError) as error:
        raise UsageError(f"--device {args.device!r} is not usable here ({error}); "
                         "use cpu, or cuda/mps on a machine that has them.") from None
    world = distributed.setup(device)  # under torchrun: join the process group (one GPU per process)
    device = world.device
    if args.batch_size % world.size:
        raise UsageError(f"--batch-size {args.batch_size} is the global batch, split evenly over the "
                         f"{world.size} processes; use a multiple of {world.size}.")
    # The budget follows the device actually used: --device cpu on a GPU machine is quick.
    os.environ["CNNLIB_BUDGET"] = args.budget or budget(device)
    seed_everything(args.seed)
    model, key, _, size, has_aux = build_checked_model(args.model, args.dataset, resize=not args.no_resize)
    epochs = args.epochs or by_budget(quick=2, full=10)
    limit = args.limit if args.limit is not None else by_budget(quick=10_000, full=None)
    test_limit = max(limit // 5, 10) if limit is not None else None
    # stdout is kept for the JSON line; in data-parallel runs only rank 0 speaks.
    quiet = open(os.devnull, "w") if not world.is_main else contextlib.nullcontext(sys.stderr)  # noqa: SIM115
    with quiet as chatter, contextlib.redirect_stdout(chatter):
        train = load_images(key, train=True, limit=limit, seed=args.seed)
        test = load_images(key, train=False, limit=test_limit, seed=args.seed)
        native = train.images.shape[-1]
        if size != native:
            print(f"Note: {args.model} needs images of at least {size}x{size}; resizing the "
                  f"{native}x{native} images to {size}x{size} (bilinear).")
            train, test = _resize(train, size), _resize(test, size)
        if args.batch_size > len(train):
            raise UsageError(f"--batch-size {args.batch_size} is larger than the training set "
                             f"({len(train)} images); use a smaller batch or a larger --limit.")
        if has_aux:
            print(f"Note: {args.model} has auxiliary classifiers; training on the main loss + "
                  f"{AUX_WEIGHT} x each auxiliary loss (evaluation uses the main output only).")
        status, error = "ok", None
        try:
            history = fit(model, train, test, epochs=epochs, lr=args.lr, batch_size=args.batch_size,
                          optimizer=args.optimizer, label_smoothing=args.label_smoothing,
                          device=device, seed=args.seed, progress=not args.no_progress and world.is_main,
                          name=args.model, verbose=world.is_main)
        except TrainingDiverged as diverged:
            status, error, history = "diverged", str(diverged), diverged.history
    result = {
        "status": status, "model": args.model, "dataset": key, "data": train.name, "epochs": epochs,
        "batch_size": args.batch_size, "lr": args.lr, "device": str(device),
        "budget": history.budget, "train_images": len(train), "test_images": len(test),
        "image_size": size, "resized": size != native, "aux_loss_weight": AUX_WEIGHT if has_aux else None,
        "parameters": count_parameters(model), "train_seconds": round(history.seconds, 2),
        "final_train_loss": round(history.last_train_loss, 4) if math.isfinite(history.last_train_loss) else None,
        "test_acc": round(history.test_acc, 4) if history.epochs else None,
        "standin": train.standin, "offline_subset": "offline subset" in train.name.lower(),
        "data_note": train.note or None, "world_size": world.size,
    }
    if error:
        result["error"] = error
    return result


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
    from cnnlib import distributed
    from cnnlib.data import DatasetNotFoundError
    from cnnlib.runtime import SettingError

    try:
        result = train_command(args)
    except UsageError as error:
        print(f"python -m cnnlib train: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SettingError as error:
        print(f"python -m cnnlib train: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except DatasetNotFoundError as error:
        print(f"python -m cnnlib train: data not available: {error}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("python -m cnnlib train: interrupted (Ctrl-C); no result, nothing half-written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        distributed.teardown()
    if not distributed.launched() or os.environ.get("RANK", "0") == "0":  # one JSON line per run
        print(json.dumps(strict_json(result), allow_nan=False))
        if result["status"] == "diverged":
            print(f"python -m cnnlib train: {result['error']}", file=sys.stderr)
    return EXIT_DIVERGED if result["status"] == "diverged" else 0
