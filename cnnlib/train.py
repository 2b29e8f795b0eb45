"""The course's training loop: one function, a progress bar, a history, a one-line summary.

Deliberately plain (no callbacks, no trainer class) so a learner can read it in one sitting.
The speed switches of chapter 20 (channels_last, bf16, torch.compile, fixed-shape batches,
test-time flips) are options that default to off. Introduced in chapter 1.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

import torch
from torch import nn
from tqdm.auto import tqdm

from cnnlib import distributed
from cnnlib.data import ImageData
from cnnlib.runtime import budget, pick_device

OptimizerFactory = Callable[[list[torch.nn.Parameter]], torch.optim.Optimizer]
CHECK_EVERY_STEP = ("cpu",)  # device types whose loss is checked before every update (others: every 10 steps)
AUX_WEIGHT = 0.3  # GoogLeNet's weight on each auxiliary classifier's loss (Szegedy et al., 2015)


class TrainingDiverged(ValueError):
    """The training loss became NaN or infinite: `fit` (or `fit_segmentation`) stopped at once, usually lr too high."""

    def __init__(self, message: str, epoch: int, step: int, loss: float, history: object) -> None:
        super().__init__(message)
        self.epoch, self.step, self.loss, self.history = epoch, step, loss, history


@dataclass
class History:
    """Per-epoch metrics of one `fit` run, plus what is needed to state the result honestly."""

    model: str
    data: str
    device: str
    budget: str
    epochs: list[dict[str, float]] = field(default_factory=list)  # one row per epoch
    seconds: float = 0.0  # training wall time, evaluation included
    eval_seconds: float = 0.0  # the part of `seconds` spent scoring the test set
    eval_cpu_seconds: float = 0.0  # CPU seconds of this process spent scoring the test set
    standin: bool = False
    note: str = ""  # the data's caveat, e.g. "OFFLINE SUBSET: not an official MNIST result"
    last_train_loss: float = float("nan")  # mean loss of the last finished steps (set even if training diverged)

    @property
    def test_acc(self) -> float:
        """Test accuracy after the last epoch (0..1)."""
        return self.epochs[-1]["test_acc"] if self.epochs else float("nan")

    def summary(self) -> str:
        """One line: what was trained on what, where, how long, and how well."""
        line = (f"{self.model} on {self.data} | device {self.device} | budget {self.budget} | "
                f"{self.epochs[-1]['epoch'] if self.epochs else 0:g} epochs in {self.seconds:.1f} s | "
                f"test accuracy {100 * self.test_acc:.1f}%")
        if self.note:
            line += f" | {self.note}"
        elif self.standin:
            line += " | STAND-IN DATA: not a CIFAR-10 result"
        return line


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so a wall-clock reading means what it says (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def autocast(device: torch.device, bf16: bool):
    """bf16 autocast on `device` when asked (weights stay float32; matmuls/convs run in bf16)."""
    if not bf16:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def prepare_model(model: nn.Module, device: torch.device, channels_last: bool = False,
                  compile: bool = False) -> tuple[nn.Module, nn.Module]:
    """Move the model to `device` (channels_last if asked); return (model, the module to call).

    With `compile=True` the second is `torch.compile(model)`; it shares the parameters.
    """
    model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    runner = torch.compile(model) if compile else model
    return model, runner


def make_optimizer(name: str | OptimizerFactory, params, lr: float,
                   weight_decay: float = 0.0, fused: bool = False) -> torch.optim.Optimizer:
    """'sgd' (with momentum 0.9), 'adam', 'adamw', or your own factory; `fused` for CUDA Adam(W)."""
    if callable(name):
        return name(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    extra = {"fused": True} if fused else {}
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, **extra)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, **extra)
    raise ValueError(f"Unknown optimizer {name!r}; use 'sgd', 'adam', 'adamw' or a factory.")


@torch.no_grad()
def predict_logits(model: nn.Module, data: ImageData, batch_size: int = 1000,
                   device: torch.device | None = None, bf16: bool = False,
                   channels_last: bool = False, tta_flip: bool = False) -> torch.Tensor:
    """Logits (N, classes) of `model` in eval mode on every image of `data`, returned on the CPU.

    The course's one evaluation pass (`evaluate`, confusion matrices and mistake galleries use it).
    `tta_flip` averages the logits of each image and its mirror image (chapter 20).
    """
    device = device or next(model.parameters()).device
    model.eval()
    chunks = []
    for images, _ in data.batches(batch_size):
        images = images.to(device)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with autocast(device, bf16):
            logits = model(images).float()
            if tta_flip:
                logits = (logits + model(images.flip(3)).float()) / 2
        chunks.append(logits)
    return torch.cat(chunks).cpu()


def evaluate(model: nn.Module, data: ImageData, batch_size: int = 1000, device: torch.device | None = None,
             bf16: bool = False, channels_last: bool = False, tta_flip: bool = False,
             shard: bool = False) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy (0..1) of `model` on `data` (from `predict_logits`).

    `shard=True` (inside a torch.distributed process group, chapter 39): each process
    evaluates every world-size-th image and the sums are added up over the processes.
    """
    rank, size = distributed.rank_and_size() if shard else (0, 1)
    if size > 1:
        mine = distributed.shard(len(data), rank, size, equal=False).to(data.labels.device)
        data = replace(data, images=data.images[mine], labels=data.labels[mine])
    logits = predict_logits(model, data, batch_size, device, bf16, channels_last, tta_flip)
    labels = data.labels.cpu()
    if size > 1:
        loss_sum = nn.functional.cross_entropy(logits, labels, reduction="sum")
        correct = (logits.argmax(1) == labels).sum().double()
        loss_sum, correct, count = distributed.all_sum(loss_sum, correct, torch.tensor(float(len(labels))))
        return loss_sum.item() / count.item(), correct.item() / count.item()
    loss = nn.functional.cross_entropy(logits, labels).item()
    return loss, (logits.argmax(1) == labels).float().mean().item()


def split_outputs(out) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """(main logits, auxiliary logits) of a model's output: a tensor, or a tuple such as GoogLeNet's.

    GoogLeNet in training mode returns (logits, aux_logits2, aux_logits1) (chapter 24).
    """
    if isinstance(out, torch.Tensor):
        return out, []
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0], [o for o in out[1:] if isinstance(o, torch.Tensor)]
    raise TypeError(f"the model returned {type(out).__name__}; fit needs logits (a tensor) or a tuple "
                    "(logits, aux_logits, ...).")


def _train_batches(train: ImageData, batch_size: int, generator: torch.Generator, drop_last: bool,
                   merge_lone: bool, rank: int = 0, world: int = 1) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Shuffled training batches; a last batch of one image is merged into the one before it.

    BatchNorm in training mode cannot normalise a batch of one (its variance is undefined).
    In data-parallel training every process draws the same permutation (same seed) and takes
    every world-th image of it: its shard of the epoch.
    """
    order = torch.randperm(len(train), generator=generator)
    if world > 1:
        order = distributed.shard(len(train), rank, world, order)
    order = order.to(train.labels.device)
    stop = len(order) - (len(order) % batch_size if drop_last else 0)
    held = None
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        images, labels = train.images[idx], train.labels[idx]
        if held is not None:
            if merge_lone and len(labels) == 1:
                images, labels = torch.cat([held[0], images]), torch.cat([held[1], labels])
            else:
                yield held
        held = (images, labels)
    if held is not None:
        yield held


def _bad_anywhere(bad: bool) -> bool:
    """True when this or (in data-parallel training) any other process saw a non-finite loss."""
    if not distributed.active():
        return bad
    return distributed.all_sum(torch.tensor(float(bad)))[0].item() > 0


def check_counts(**counts: object) -> None:
    """Each count (epochs=, batch_size=, ...) must be a whole number >= 1; a clear error names it."""
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")


def check_lr(lr: object) -> None:
    """The learning rate must be a finite positive number; a clear error says what is typical."""
    try:
        lr_ok = math.isfinite(float(lr)) and float(lr) > 0
    except (TypeError, ValueError):
        lr_ok = False
    if not lr_ok:
        raise ValueError(f"lr must be a finite positive number, got {lr!r}; typical values are 1e-4 to 0.1.")


def divergence_error(history: object, epoch: int, step: int, loss: float, lr: float,
                     steps_per_epoch: int) -> TrainingDiverged:
    """The error a training loop raises at a non-finite loss; `history` is what it recorded so far."""
    what = "NaN" if math.isnan(loss) else f"{loss}"
    return TrainingDiverged(
        f"Training diverged: the loss became {what} at epoch {epoch}, step {step + 1} of {steps_per_epoch} "
        f"(lr={lr:g}). The weights are no longer usable. Try a lower learning rate (e.g. lr={lr / 10:g}); "
        "also check the inputs for NaN/inf values.",
        epoch=epoch, step=step + 1, loss=loss, history=history)


def fit(model: nn.Module, train: ImageData, test: ImageData, *, epochs: int, lr: float = 1e-3,
        batch_size: int = 128, optimizer: str | OptimizerFactory = "adam",
        weight_decay: float = 0.0, schedule: str = "onecycle", label_smoothing: float = 0.0,
        augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
        device: torch.device | str | None = None, seed: int = 0, progress: bool = True,
        name: str | None = None, verbose: bool = True, channels_last: bool = False,
        bf16: bool = False, compile: bool = False, drop_last: bool = False,
        eval_every_epoch: bool = True, tta_flip: bool = False, evals_per_epoch: int = 1,
        aux_weight: float = AUX_WEIGHT) -> History:
    """Train `model` on `train`, evaluate on `test` after every epoch, print a summary line.

    evals_per_epoch: evaluate (and add a history row) this many times per epoch, so a short run
    still draws a readable learning curve; rows then have fractional "epoch" values (0.5, 1.0, ...).
    schedule: 'onecycle' (warm up to `lr`, then anneal; robust for short runs) or 'constant'.
    augment: a function applied to each training batch of images (on the device).
    Speed switches (chapter 20, all off by default): channels_last, bf16 autocast, compile,
    drop_last (same-shape steps), eval_every_epoch=False (test only at the end), tta_flip.
    A model with auxiliary outputs (GoogLeNet) trains on main loss + aux_weight x each aux loss.
    A NaN or infinite loss stops training at once with `TrainingDiverged` (a ValueError).
    """
    check_counts(epochs=epochs, evals_per_epoch=evals_per_epoch, batch_size=batch_size)
    check_lr(lr)
    if len(train) == 0:
        raise ValueError("the training set is empty; load some images (check `limit`).")
    if drop_last and batch_size > len(train):
        raise ValueError(f"batch_size={batch_size} is larger than the training set "
                         f"({len(train)} images) and drop_last=True would leave no batch; use a smaller batch.")
    rank, world = distributed.rank_and_size()
    if batch_size % world:
        raise ValueError(f"batch_size={batch_size} must be divisible by the number of processes ({world}): "
                         "it is the global batch, split evenly over the processes.")
    local_batch, local_n = batch_size // world, len(train) // world if world > 1 else len(train)
    has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if has_bn and (local_batch == 1 or local_n == 1):
        raise ValueError(f"batch_size={batch_size} with {len(train)} training images gives batches of one image"
                         f"{' per process' if world > 1 else ''}, which BatchNorm cannot normalise in training "
                         "mode; use a larger batch_size.")
    device = torch.device(device) if device is not None else pick_device()
    model, runner = prepare_model(model, device, channels_last, compile and world == 1)
    if world > 1:  # gradients are averaged over processes during backward()
        ids = [device.index if device.index is not None else torch.cuda.current_device()] \
            if device.type == "cuda" else None
        runner = nn.parallel.DistributedDataParallel(model, device_ids=ids)
        runner = torch.compile(runner) if compile else runner
    train, test = train.to(device), test.to(device)
    opt = make_optimizer(optimizer, model.parameters(), lr, weight_decay, fused=device.type == "cuda")
    merge_lone = not drop_last and local_n > 1 and local_n % local_batch == 1
    steps_per_epoch = local_n // local_batch if drop_last or merge_lone else -(-local_n // local_batch)
    if schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                    steps_per_epoch=steps_per_epoch)
    elif schedule == "constant":
        sched = None
    else:
        raise ValueError(f"Unknown schedule {schedule!r}; use 'onecycle' or 'constant'.")
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    generator = torch.Generator().manual_seed(seed)
    history = History(model=name or type(model).__name__, data=train.name, device=str(device),
                      budget=budget(device), standin=train.standin, note=getattr(train, "note", ""))
    # On the CPU every step's loss is checked before its update; on a GPU that would make every
    # step wait, so the first bad step is recorded on the device and checked every 10 steps.
    check_now = device.type in CHECK_EVERY_STEP
    synchronize(device)
    start = time.perf_counter()
    bar = tqdm(total=epochs * steps_per_epoch, desc="training", disable=not progress or rank != 0)
    evals_per_epoch = min(evals_per_epoch, steps_per_epoch)
    eval_steps = {round(k * steps_per_epoch / evals_per_epoch): k for k in range(1, evals_per_epoch + 1)}
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            # Running sums stay on the device: calling .item() every step would make a GPU wait.
            seen = 0
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), dtype=torch.long, device=device)
            first_bad = torch.full((), -1, dtype=torch.long, device=device)
            bad_loss = torch.zeros((), device=device)
            batches = _train_batches(train, local_batch, generator, drop_last, merge_lone, rank, world)
            for step, (images, labels) in enumerate(batches):
                if augment is not None:
                    images = augment(images)
                if channels_last:
                    images = images.contiguous(memory_format=torch.channels_last)
                with autocast(device, bf16):
                    logits, aux = split_outputs(runner(images))
                    loss = loss_fn(logits.float(), labels)
                    for extra in aux:
                        loss = loss + aux_weight * loss_fn(extra.float(), labels)
                if check_now:
                    value = loss.item()
                    if world > 1 and _bad_anywhere(not math.isfinite(value)) and math.isfinite(value):
                        value = math.nan  # another process diverged: all stop together, none waits forever
                    if not math.isfinite(value):
                        if seen:
                            history.last_train_loss = loss_sum.item() / seen
                        raise divergence_error(history, epoch, step, value, lr, steps_per_epoch)
                else:
                    bad = ~torch.isfinite(loss.detach()) & (first_bad < 0)
                    first_bad = torch.where(bad, step, first_bad)
                    bad_loss = torch.where(bad, loss.detach(), bad_loss)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
                seen += len(labels)
                loss_sum += loss.detach() * len(labels)
                correct += (logits.detach().argmax(1) == labels).sum()
                bar.update(1)
                if step % 10 == 0:
                    if not check_now and _bad_anywhere(first_bad.item() >= 0):
                        raise divergence_error(history, epoch, first_bad.item(), bad_loss.item(), lr, steps_per_epoch)
                    history.last_train_loss = loss_sum.item() / seen
                    bar.set_postfix(epoch=epoch, loss=f"{history.last_train_loss:.3f}")
                if step + 1 not in eval_steps:
                    continue
                if not check_now and _bad_anywhere(first_bad.item() >= 0):
                    raise divergence_error(history, epoch, first_bad.item(), bad_loss.item(), lr, steps_per_epoch)
                # A history row: training metrics since the last row (summed over processes), then the test set.
                total = torch.tensor(float(seen))
                if world > 1:
                    loss_sum, correct, total = distributed.all_sum(loss_sum, correct, total)
                k = eval_steps[step + 1]
                row = {"epoch": epoch - 1 + k / evals_per_epoch, "train_loss": loss_sum.item() / total.item(),
                       "train_acc": correct.item() / total.item(), "test_loss": float("nan"),
                       "test_acc": float("nan")}
                history.last_train_loss = row["train_loss"]
                if eval_every_epoch or (epoch == epochs and k == evals_per_epoch):
                    eval_start, eval_cpu = time.perf_counter(), time.process_time()
                    row["test_loss"], row["test_acc"] = evaluate(model, test, device=device, bf16=bf16,
                                                                 channels_last=channels_last, tta_flip=tta_flip,
                                                                 shard=world > 1)
                    history.eval_seconds += time.perf_counter() - eval_start
                    history.eval_cpu_seconds += time.process_time() - eval_cpu
                    model.train()
                history.epochs.append(row)
                seen = 0
                loss_sum.zero_()
                correct.zero_()
    finally:
        bar.close()
    synchronize(device)
    history.seconds = time.perf_counter() - start
    if verbose and rank == 0:
        print(history.summary())
    return history
