"""The course's training loop: one function, a progress bar, a history, a one-line summary.

Deliberately plain (no callbacks, no trainer class) so a learner can read it in one sitting.
The speed switches of chapter 20 (channels_last, bf16, torch.compile, fixed-shape batches,
test-time flips) are options that default to off. Introduced in chapter 1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from cnnlib.data import ImageData
from cnnlib.runtime import budget, pick_device

OptimizerFactory = Callable[[list[torch.nn.Parameter]], torch.optim.Optimizer]


@dataclass
class History:
    """Per-epoch metrics of one `fit` run, plus what is needed to state the result honestly."""

    model: str
    data: str
    device: str
    budget: str
    epochs: list[dict[str, float]] = field(default_factory=list)  # one row per epoch
    seconds: float = 0.0  # training wall time, evaluation included
    standin: bool = False

    @property
    def test_acc(self) -> float:
        """Test accuracy after the last epoch (0..1)."""
        return self.epochs[-1]["test_acc"] if self.epochs else float("nan")

    def summary(self) -> str:
        """One line: what was trained on what, where, how long, and how well."""
        line = (f"{self.model} on {self.data} | device {self.device} | budget {self.budget} | "
                f"{self.epochs[-1]['epoch'] if self.epochs else 0:g} epochs in {self.seconds:.1f} s | "
                f"test accuracy {100 * self.test_acc:.1f}%")
        if self.standin:
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
             bf16: bool = False, channels_last: bool = False, tta_flip: bool = False) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy (0..1) of `model` on `data` (from `predict_logits`)."""
    logits = predict_logits(model, data, batch_size, device, bf16, channels_last, tta_flip)
    labels = data.labels.cpu()
    loss = nn.functional.cross_entropy(logits, labels).item()
    return loss, (logits.argmax(1) == labels).float().mean().item()


def fit(model: nn.Module, train: ImageData, test: ImageData, *, epochs: int, lr: float = 1e-3,
        batch_size: int = 128, optimizer: str | OptimizerFactory = "adam",
        weight_decay: float = 0.0, schedule: str = "onecycle", label_smoothing: float = 0.0,
        augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
        device: torch.device | str | None = None, seed: int = 0, progress: bool = True,
        name: str | None = None, verbose: bool = True, channels_last: bool = False,
        bf16: bool = False, compile: bool = False, drop_last: bool = False,
        eval_every_epoch: bool = True, tta_flip: bool = False, evals_per_epoch: int = 1) -> History:
    """Train `model` on `train`, evaluate on `test` after every epoch, print a summary line.

    evals_per_epoch: evaluate (and add a history row) this many times per epoch, so a short run
    still draws a readable learning curve; rows then have fractional "epoch" values (0.5, 1.0, ...).
    schedule: 'onecycle' (warm up to `lr`, then anneal; robust for short runs) or 'constant'.
    augment: a function applied to each training batch of images (on the device).
    Speed switches (chapter 20, all off by default): channels_last, bf16 autocast, compile,
    drop_last (same-shape steps), eval_every_epoch=False (test only at the end), tta_flip.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    if evals_per_epoch < 1:
        raise ValueError(f"evals_per_epoch must be at least 1, got {evals_per_epoch}.")
    if drop_last and batch_size > len(train):
        raise ValueError(f"batch_size={batch_size} is larger than the training set "
                         f"({len(train)} images) and drop_last=True would leave no batch; use a smaller batch.")
    device = torch.device(device) if device is not None else pick_device()
    model, runner = prepare_model(model, device, channels_last, compile)
    train, test = train.to(device), test.to(device)
    opt = make_optimizer(optimizer, model.parameters(), lr, weight_decay, fused=device.type == "cuda")
    steps_per_epoch = len(train) // batch_size if drop_last else -(-len(train) // batch_size)
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
                      budget=budget(), standin=train.standin)
    synchronize(device)
    start = time.perf_counter()
    bar = tqdm(total=epochs * steps_per_epoch, desc="training", disable=not progress)
    evals_per_epoch = min(evals_per_epoch, steps_per_epoch)
    eval_steps = {round(k * steps_per_epoch / evals_per_epoch): k for k in range(1, evals_per_epoch + 1)}
    for epoch in range(1, epochs + 1):
        model.train()
        # Running sums stay on the device: calling .item() every step would make a GPU wait.
        seen = 0
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        batches = train.batches(batch_size, shuffle=True, generator=generator, drop_last=drop_last)
        for step, (images, labels) in enumerate(batches):
            if augment is not None:
                images = augment(images)
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            with autocast(device, bf16):
                logits = runner(images)
                loss = loss_fn(logits.float(), labels)
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
                bar.set_postfix(epoch=epoch, loss=f"{loss_sum.item() / seen:.3f}")
            if step + 1 not in eval_steps:
                continue
            # A history row: training metrics since the last row, then (if asked) the test set.
            k = eval_steps[step + 1]
            row = {"epoch": epoch - 1 + k / evals_per_epoch, "train_loss": loss_sum.item() / seen,
                   "train_acc": correct.item() / seen, "test_loss": float("nan"), "test_acc": float("nan")}
            if eval_every_epoch or (epoch == epochs and k == evals_per_epoch):
                row["test_loss"], row["test_acc"] = evaluate(model, test, device=device, bf16=bf16,
                                                             channels_last=channels_last, tta_flip=tta_flip)
                model.train()
            history.epochs.append(row)
            seen = 0
            loss_sum.zero_()
            correct.zero_()
    bar.close()
    synchronize(device)
    history.seconds = time.perf_counter() - start
    if verbose:
        print(history.summary())
    return history
