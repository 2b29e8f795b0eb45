"""Looking past the accuracy number: confusion matrix, per-class accuracy, a gallery of mistakes.

Introduced in chapter 16 (a complete CNN on MNIST) and reused in chapters 17-20.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from cnnlib.data import ImageData


def confusion_matrix(predicted: torch.Tensor, labels: torch.Tensor,
                     num_classes: int) -> torch.Tensor:
    """counts[i, j] = how many images of true class i were predicted as class j."""
    if predicted.shape != labels.shape:
        raise ValueError(f"predicted {tuple(predicted.shape)} and labels {tuple(labels.shape)} "
                         "must have the same shape (one prediction per label).")
    index = labels.cpu().long() * num_classes + predicted.cpu().long()  # (N,) cell of each pair
    return torch.bincount(index, minlength=num_classes ** 2).view(num_classes, num_classes)


def per_class_accuracy(matrix: torch.Tensor) -> torch.Tensor:
    """Recall of each class: the diagonal over the row sums of a confusion matrix."""
    return matrix.diag().float() / matrix.sum(1).clamp(min=1).float()


def plot_confusion_matrix(matrix: torch.Tensor, classes: Sequence[str], title: str = "",
                          size: float = 5.0) -> Figure:
    """The confusion matrix as a heat map with the count written in every non-zero cell."""
    k = len(classes)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix.numpy(), cmap="Blues")
    for i in range(k):
        for j in range(k):
            value = int(matrix[i, j])
            if value:
                color = "white" if value > matrix.max() / 2 else "black"
                ax.text(j, i, str(value), ha="center", va="center", fontsize=9, color=color)
    ax.set_xticks(range(k), classes, rotation=60, ha="right", fontsize=9)
    ax.set_yticks(range(k), classes, fontsize=9)
    ax.set(xlabel="predicted class", ylabel="true class", title=title or "confusion matrix")
    fig.tight_layout()
    return fig


def mistakes(logits: torch.Tensor, labels: torch.Tensor, k: int = 16) -> torch.Tensor:
    """Indices of up to k wrong predictions, the most confident (the most surprising) first."""
    probs = logits.softmax(1)
    confidence, predicted = probs.max(1)
    wrong = (predicted != labels.cpu()).nonzero().flatten()
    order = confidence[wrong].argsort(descending=True)
    return wrong[order][:k]


def show_mistakes(data: ImageData, logits: torch.Tensor, k: int = 16, ncols: int = 8,
                  size: float = 1.4) -> Figure:
    """The most confident mistakes, titled 'true -> predicted (confidence)'."""
    picks = mistakes(logits, data.labels, k)
    probs = logits.softmax(1)
    nrows = max(1, -(-len(picks) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, 1.35 * size * nrows),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, picks.tolist(), strict=False):
        image = data.denormalize(data.images[i].cpu())  # (C, H, W) in [0, 1]
        shown = image[0] if image.shape[0] == 1 else image.permute(1, 2, 0)
        ax.imshow(shown.numpy(), cmap="gray")
        true, guess = data.classes[int(data.labels[i])], data.classes[int(probs[i].argmax())]
        ax.set_title(f"{true[:9]} -> {guess[:9]}\n({probs[i].max():.0%})", fontsize=9)
    fig.tight_layout()
    return fig
