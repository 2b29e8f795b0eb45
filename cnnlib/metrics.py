"""Scores for dense and box predictions: pixel accuracy, IoU per class, mean IoU, box IoU.

All computed from scratch (chapter 37). Per-pixel scores come from one confusion matrix,
the same `evaluate.confusion_matrix` the classifiers use (chapter 16), over every pixel.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from cnnlib.evaluate import confusion_matrix


def _check_maps(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} must have the same "
                         "shape: pass class maps (N, H, W), e.g. logits.argmax(1), not logits.")


def pixel_confusion(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """counts[i, j] = pixels of true class i predicted as class j, over all images."""
    _check_maps(pred, target)
    return confusion_matrix(pred.flatten(), target.flatten(), num_classes)


def pixel_accuracy(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of pixels whose predicted class is right (dominated by the background)."""
    _check_maps(pred, target)
    return (pred == target).float().mean().item()


def iou_per_class(matrix: torch.Tensor) -> torch.Tensor:
    """IoU of each class from a confusion matrix: TP / (TP + FP + FN); NaN for a class never seen.

    TP is the diagonal, TP + FN the row sum (true pixels), TP + FP the column sum (predicted).
    """
    matrix = matrix.double()
    tp = matrix.diag()
    union = matrix.sum(1) + matrix.sum(0) - tp
    return torch.where(union > 0, tp / union.clamp(min=1), torch.full_like(tp, float("nan")))


def mean_iou(matrix: torch.Tensor) -> float:
    """Mean of the per-class IoUs over the classes that occur (in truth or prediction)."""
    return iou_per_class(matrix).nanmean().item()


def boundary_band(target: torch.Tensor, width: int = 1) -> torch.Tensor:
    """(N, H, W) True where a pixel lies within `width` pixels of a class change in `target`.

    A pixel is in the band if its (2w+1)x(2w+1) neighbourhood holds more than one class
    (max pool of the map differs from min pool). Used to score boundaries alone.
    """
    if target.ndim != 3:
        raise ValueError(f"target must be (N, H, W) class maps, got shape {tuple(target.shape)}.")
    x = target[:, None].float()  # (N, 1, H, W)
    k = 2 * width + 1
    high = F.max_pool2d(x, k, stride=1, padding=width)
    low = -F.max_pool2d(-x, k, stride=1, padding=width)
    return (high != low)[:, 0]


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Areas of (K, 4) boxes (x1, y1, x2, y2)."""
    return (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(N, M) intersection over union of every box in `a` (N, 4) with every box in `b` (M, 4).

    Boxes are (x1, y1, x2, y2) with x1 <= x2, y1 <= y2, as in torchvision.ops.box_iou.
    """
    for name, boxes in (("a", a), ("b", b)):
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"{name} must be (K, 4) boxes (x1, y1, x2, y2), got shape {tuple(boxes.shape)}.")
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])  # (N, M, 2)
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])  # (N, M, 2)
    overlap = (bottom_right - top_left).clamp(min=0)
    inter = overlap[..., 0] * overlap[..., 1]  # (N, M)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return inter / union
