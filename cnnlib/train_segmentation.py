"""Training and scoring a segmentation net on canvases: a short loop, one summary line.

The classifier loop (`cnnlib.train.fit`, chapter 1) compares one label per image; here the
target is a class per pixel, so the loss is cross-entropy over (N, classes, H, W) logits and
(N, H, W) int64 masks, and the scores are pixel accuracy and mean IoU. Chapter 37.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from cnnlib.canvas import Canvases
from cnnlib.metrics import boundary_band, mean_iou, pixel_accuracy, pixel_confusion
from cnnlib.runtime import budget, pick_device
from cnnlib.train import check_counts, check_lr, divergence_error


@dataclass
class SegmentationResult:
    """Scores of one segmentation net on a test set, with what is needed to state them honestly."""

    model: str
    data: str
    device: str
    budget: str
    epochs: int
    seconds: float
    losses: list[float] = field(default_factory=list)  # mean training loss per epoch
    pixel_acc: float = float("nan")
    miou: float = float("nan")
    boundary_acc: float = float("nan")  # pixel accuracy within 1 pixel of a true class change

    def summary(self) -> str:
        """One line: what, on what, where, how long, how well."""
        return (f"{self.model} on {self.data} | device {self.device} | budget {self.budget} | "
                f"{self.epochs} epochs in {self.seconds:.1f} s | pixel accuracy {100 * self.pixel_acc:.1f}% | "
                f"mIoU {100 * self.miou:.1f}% | boundary accuracy {100 * self.boundary_acc:.1f}%")


@torch.no_grad()
def predict_masks(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Predicted class map (N, H, W) of every image (N, C, H, W), on the CPU."""
    device = next(model.parameters()).device
    model.eval()
    return torch.cat([model(images[i:i + batch_size].to(device)).argmax(1).cpu()
                      for i in range(0, len(images), batch_size)])


def score_segmentation(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> dict[str, float]:
    """Pixel accuracy, mean IoU and boundary accuracy of predicted class maps (N, H, W)."""
    band = boundary_band(target, width=1)
    return {"pixel_acc": pixel_accuracy(pred, target),
            "miou": mean_iou(pixel_confusion(pred, target, num_classes)),
            "boundary_acc": (pred == target)[band].float().mean().item()}


def fit_segmentation(model: nn.Module, train: Canvases, test: Canvases, *, epochs: int, lr: float = 3e-3,
                     batch_size: int = 32, seed: int = 0, device: torch.device | str | None = None,
                     name: str | None = None, progress: bool = True, verbose: bool = True) -> SegmentationResult:
    """Train with per-pixel cross-entropy (Adam, OneCycle), then score on `test`; prints a summary.

    A NaN or infinite loss stops training before its update with `TrainingDiverged`, as in `fit`.
    """
    check_counts(epochs=epochs, batch_size=batch_size)
    check_lr(lr)
    if len(train) == 0:
        raise ValueError("the training set is empty; make some canvases (check `n`).")
    device = torch.device(device) if device is not None else pick_device()
    model = model.to(device)
    num_classes = len(train.mask_classes)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = -(-len(train) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps)
    generator = torch.Generator().manual_seed(seed)
    result = SegmentationResult(model=name or type(model).__name__, data=train.name, device=str(device),
                                budget=budget(), epochs=epochs, seconds=0.0)
    start = time.perf_counter()
    bar = tqdm(total=epochs * steps, desc="training", disable=not progress)
    for epoch in range(1, epochs + 1):
        model.train()
        total, seen = 0.0, 0
        for step, (images, masks) in enumerate(train.batches(batch_size, shuffle=True, generator=generator)):
            images, masks = images.to(device), masks.to(device)
            logits = model(images)  # (N, classes, H, W)
            loss = F.cross_entropy(logits, masks)  # masks: (N, H, W) int64 class indices
            value = loss.item()
            if not math.isfinite(value):  # stop before the update spoils the weights
                bar.close()
                raise divergence_error(result, epoch, step, value, lr, steps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total, seen = total + value * len(images), seen + len(images)
            bar.update(1)
            if step % 10 == 0:  # a refresh per step would flood a notebook with widget messages
                bar.set_postfix(epoch=epoch, loss=f"{total / seen:.3f}")
        result.losses.append(total / seen)
    bar.close()
    pred = predict_masks(model, test.images)
    for key, value in score_segmentation(pred, test.masks, num_classes).items():
        setattr(result, key, value)
    result.seconds = time.perf_counter() - start
    if verbose:
        print(result.summary())
    return result
