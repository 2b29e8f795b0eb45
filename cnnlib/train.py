"""The course's training loop: one function, a progress bar, a history, a one-line summary.

Deliberately plain (no callbacks, no trainer class) so a learner can read it in one sitting;
the "Training fast" chapter shows what each speed-up adds. Introduced in chapter 1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
                f"{len(self.epochs)} epochs in {self.seconds:.1f} s | "
                f"test accuracy {100 * self.test_acc:.1f}%")
        if self.standin:
            line += " | STAND-IN DATA: not a CIFAR-10 result"
        return line


def make_optimizer(name: str | OptimizerFactory, params, lr: float,
                   weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """'sgd' (with momentum 0.9), 'adam', 'adamw', or your own factory."""
    if callable(name):
        return name(params)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"Unknown optimizer {name!r}; use 'sgd', 'adam', 'adamw' or a factory.")


@torch.no_grad()
def evaluate(model: nn.Module, data: ImageData, batch_size: int = 1000,
             device: torch.device | None = None) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy (0..1) of `model` on `data`."""
    device = device or next(model.parameters()).device
    model.eval()
    total_loss, correct = 0.0, 0
    for images, labels in data.batches(batch_size):
        images, labels = images.to(device), labels.to(device)
        logits = model(images)
        total_loss += nn.functional.cross_entropy(logits, labels, reduction="sum").item()
        correct += (logits.argmax(1) == labels).sum().item()
    return total_loss / len(data), correct / len(data)


@torch.no_grad()
def predict(model: nn.Module, data: ImageData, batch_size: int = 1000) -> torch.Tensor:
    """Predicted class of every image, on the CPU."""
    device = next(model.parameters()).device
    model.eval()
    return torch.cat([model(x.to(device)).argmax(1).cpu() for x, _ in data.batches(batch_size)])


def fit(model: nn.Module, train: ImageData, test: ImageData, *, epochs: int, lr: float = 1e-3,
        batch_size: int = 128, optimizer: str | OptimizerFactory = "adam",
        weight_decay: float = 0.0, schedule: str = "onecycle", label_smoothing: float = 0.0,
        augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
        device: torch.device | str | None = None, seed: int = 0, progress: bool = True,
        name: str | None = None) -> History:
    """Train `model` on `train`, evaluate on `test` after every epoch, print a summary line.

    schedule: 'onecycle' (warm up to `lr`, then anneal; robust for short runs) or 'constant'.
    augment: a function applied to each training batch of images (on the device).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    device = torch.device(device) if device is not None else pick_device()
    model = model.to(device)
    train, test = train.to(device), test.to(device)
    opt = make_optimizer(optimizer, model.parameters(), lr, weight_decay)
    steps_per_epoch = -(-len(train) // batch_size)
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
    start = time.perf_counter()
    bar = tqdm(total=epochs * steps_per_epoch, desc="training", disable=not progress)
    for epoch in range(1, epochs + 1):
        model.train()
        # Running sums stay on the device: calling .item() every step would make a GPU wait.
        seen = 0
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        for step, (images, labels) in enumerate(train.batches(batch_size, shuffle=True, generator=generator)):
            if augment is not None:
                images = augment(images)
            logits = model(images)
            loss = loss_fn(logits, labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            seen += len(labels)
            loss_sum += loss.detach() * len(labels)
            correct += (logits.argmax(1) == labels).sum()
            bar.update(1)
            if step % 10 == 0:
                bar.set_postfix(epoch=epoch, loss=f"{loss_sum.item() / seen:.3f}")
        loss_sum, correct = loss_sum.item(), correct.item()
        test_loss, test_acc = evaluate(model, test, device=device)
        history.epochs.append({"epoch": epoch, "train_loss": loss_sum / seen,
                               "train_acc": correct / seen, "test_loss": test_loss,
                               "test_acc": test_acc})
    bar.close()
    history.seconds = time.perf_counter() - start
    print(history.summary())
    return history
