"""Canvases: small images pasted at random places on a larger blank canvas, with their truth.

One seeded generator gives every pixel a class (background or the item's class), every item
a box and a label, so one dataset serves three tasks: where is the evidence (chapter 36,
Grad-CAM checked against the boxes), which class is each pixel (chapter 37, segmentation)
and where are the objects (chapter 37, boxes and IoU). Made from MNIST / Fashion-MNIST, so
it works offline.

Issue 13 asked for this generator in `cnnlib.data`; that module had another owner when it
was written, so it lives here, and `make_canvases` / `Canvases` can be re-exported from
`cnnlib.data` unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import torch
from torch.nn import functional as F

from cnnlib.data import ImageData


@dataclass
class Canvases:
    """A set of canvases with per-pixel classes, boxes and item labels (chapters 36-37)."""

    images: torch.Tensor  # (N, 1, S, S) float pixels in [0, 1]
    masks: torch.Tensor  # (N, S, S) int64: 0 = background, c + 1 = an item of class c
    boxes: list[torch.Tensor]  # per canvas (K, 4) float (x1, y1, x2, y2), x2/y2 exclusive
    labels: list[torch.Tensor]  # per canvas (K,) int64 item classes 0..C-1
    classes: list[str]  # the item classes (without "background")
    name: str

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        size = self.images.shape[-1]
        items = sum(len(b) for b in self.boxes)
        return f"Canvases({self.name}: {len(self)} canvases of {size}x{size}, {items} items)"

    @property
    def mask_classes(self) -> list[str]:
        """Names of the mask values: 'background' then the item classes."""
        return ["background", *self.classes]

    def subset(self, start: int, stop: int) -> Canvases:
        """Canvases start..stop-1 (they are already in random order)."""
        return replace(self, images=self.images[start:stop], masks=self.masks[start:stop],
                       boxes=self.boxes[start:stop], labels=self.labels[start:stop])

    def batches(self, batch_size: int, shuffle: bool = False,
                generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield (images, masks) mini-batches, shuffled with `generator` if asked."""
        order = torch.randperm(len(self), generator=generator) if shuffle else torch.arange(len(self))
        for start in range(0, len(self), batch_size):
            idx = order[start:start + batch_size]
            yield self.images[idx], self.masks[idx]

    def to_image_data(self) -> ImageData:
        """One-item canvases as a classification set (label = the item's class) for `train.fit`."""
        counts = sorted({len(lab) for lab in self.labels})
        if counts != [1]:
            raise ValueError(f"to_image_data needs exactly one item per canvas, got item counts {counts}; "
                             "make the canvases with items=1.")
        labels = torch.stack([lab[0] for lab in self.labels])
        # mean 0, std 1: the pixels stay in [0, 1] and `denormalize` is the identity
        return ImageData(images=self.images, labels=labels, classes=list(self.classes),
                         name=self.name, mean=(0.0,), std=(1.0,))


def mask_box(mask: torch.Tensor) -> torch.Tensor:
    """The tight box (x1, y1, x2, y2) around the True pixels of a (H, W) mask; x2, y2 exclusive."""
    if mask.ndim != 2:
        raise ValueError(f"mask must be (H, W), got shape {tuple(mask.shape)}.")
    rows = mask.any(1).nonzero().flatten()
    cols = mask.any(0).nonzero().flatten()
    if len(rows) == 0:
        raise ValueError("mask has no True pixel, so it has no box; skip empty masks first.")
    return torch.tensor([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], dtype=torch.float32)


def _overlaps(box: torch.Tensor, others: Sequence[torch.Tensor], gap: int) -> bool:
    """Do `box` and any of `others` come closer than `gap` pixels?"""
    for o in others:
        if (box[0] < o[2] + gap and o[0] < box[2] + gap and box[1] < o[3] + gap and o[1] < box[3] + gap):
            return True
    return False


def _tight_boxes(masks: torch.Tensor) -> torch.Tensor:
    """(M, 4) tight boxes of a stack of (M, h, w) masks at once (each with a True pixel)."""
    rows, cols = masks.any(2).float(), masks.any(1).float()  # (M, h), (M, w)
    x1, y1 = cols.argmax(1), rows.argmax(1)  # argmax finds the first True
    x2 = cols.shape[1] - cols.flip(1).argmax(1)  # one past the last True
    y2 = rows.shape[1] - rows.flip(1).argmax(1)
    return torch.stack([x1, y1, x2, y2], 1).float()


def make_canvases(pixels: torch.Tensor, labels: torch.Tensor, n: int, size: int = 64,
                  items: int | tuple[int, int] = (1, 3), classes: Sequence[str] | None = None,
                  threshold: float = 0.3, gap: int = 1, seed: int = 0,
                  name: str = "canvases") -> Canvases:
    """`n` canvases of `size`x`size` with 1..k items pasted at random, non-touching places.

    pixels: (M, 1, h, w) items in [0, 1] (e.g. `data.denormalize(data.images)`); labels: (M,).
    items: a count or an inclusive (low, high) range per canvas. A pixel belongs to an item
    where the item's value is above `threshold`; its mask value is the item's class + 1.
    Boxes are tight around those pixels; items keep `gap` pixels apart. Same seed, same canvases.
    """
    if pixels.ndim != 4 or pixels.shape[1] != 1:
        raise ValueError(f"pixels must be (M, 1, h, w) grey items, got shape {tuple(pixels.shape)}.")
    if len(labels) != len(pixels):
        raise ValueError(f"labels has {len(labels)} entries for {len(pixels)} items; give one per item.")
    low, high = (items, items) if isinstance(items, int) else items
    h, w = pixels.shape[-2:]
    if not 1 <= low <= high:
        raise ValueError(f"items must be >= 1 (or a range low <= high), got {items}.")
    if size < max(h, w):
        raise ValueError(f"size={size} is smaller than an item ({h}x{w}); use size >= {max(h, w)}.")
    if float(pixels.min()) < 0 or float(pixels.max()) > 1:
        raise ValueError("pixels must lie in [0, 1]; pass data.denormalize(data.images), not the "
                         "normalised images.")
    gen = torch.Generator().manual_seed(seed)
    foreground = pixels[:, 0] > threshold  # (M, h, w)
    usable = foreground.flatten(1).any(1).nonzero().flatten()  # items with at least one pixel
    if len(usable) == 0:
        raise ValueError(f"no item has a pixel above threshold={threshold}; lower the threshold.")
    item_boxes = _tight_boxes(foreground)  # (M, 4), relative to each item's corner
    images = torch.zeros(n, 1, size, size)
    masks = torch.zeros(n, size, size, dtype=torch.int64)
    all_boxes, all_labels = [], []
    for i in range(n):
        k = int(torch.randint(low, high + 1, (1,), generator=gen))
        boxes, item_labels = [], []
        for _ in range(100 * k):  # rejection sampling of places; give up on crowded canvases
            if len(boxes) == k:
                break
            j = int(usable[int(torch.randint(len(usable), (1,), generator=gen))])
            y, x = (int(v) for v in torch.randint(size - h + 1, (2,), generator=gen))
            box = item_boxes[j] + torch.tensor([x, y, x, y])
            if _overlaps(box, boxes, gap):
                continue
            region = images[i, 0, y:y + h, x:x + w]
            torch.maximum(region, pixels[j, 0], out=region)
            masks[i, y:y + h, x:x + w][foreground[j]] = int(labels[j]) + 1
            boxes.append(box)
            item_labels.append(int(labels[j]))
        all_boxes.append(torch.stack(boxes))
        all_labels.append(torch.tensor(item_labels, dtype=torch.int64))
    names = list(classes) if classes is not None else [str(c) for c in range(int(labels.max()) + 1)]
    return Canvases(images, masks, all_boxes, all_labels, names, name)


def canvases_from(data: ImageData, n: int, size: int = 64, items: int | tuple[int, int] = (1, 3),
                  seed: int = 0, **kwargs) -> Canvases:
    """`make_canvases` from an ImageData split (e.g. `load_images("mnist")`), named after it."""
    return make_canvases(data.denormalize(data.images), data.labels, n=n, size=size, items=items,
                         classes=data.classes, seed=seed, name=f"{data.name} on {size}x{size} canvases",
                         **kwargs)


def connected_components(mask: torch.Tensor, max_steps: int | None = None) -> torch.Tensor:
    """Label the 8-connected regions of a (H, W) boolean mask: 0 = off, 1..K = regions.

    Each pixel starts with its own number and repeatedly takes the largest number among its
    neighbours inside the mask (a 3x3 max pool), until nothing changes. Chapter 37.
    """
    if mask.ndim != 2:
        raise ValueError(f"mask must be (H, W), got shape {tuple(mask.shape)}.")
    mask = mask.bool()
    h, w = mask.shape
    ids = torch.arange(1, h * w + 1, dtype=torch.float32).view(1, 1, h, w) * mask  # (1, 1, H, W)
    for _ in range(max_steps or h * w):
        grown = F.max_pool2d(ids, 3, stride=1, padding=1) * mask
        if torch.equal(grown, ids):
            break
        ids = grown
    with_zero = torch.cat([torch.zeros(1), ids.view(-1)])  # so 0 is always the smallest value
    _, compact = torch.unique(with_zero, return_inverse=True)
    return compact[1:].view(h, w)  # (H, W) region numbers 1..K, 0 off the mask


def boxes_from_segmentation(pred: torch.Tensor, min_area: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Read boxes off a predicted (H, W) class map: one per connected non-background region.

    Each region gets its tight box and the class most of its pixels have (minus 1, so item
    classes are 0..C-1); regions under `min_area` pixels are dropped as noise. Chapter 37.
    """
    regions = connected_components(pred > 0)
    boxes, labels = [], []
    for r in range(1, int(regions.max()) + 1):
        inside = regions == r
        if int(inside.sum()) < min_area:
            continue
        boxes.append(mask_box(inside))
        labels.append(int(pred[inside].mode().values) - 1)
    if not boxes:
        return torch.zeros(0, 4), torch.zeros(0, dtype=torch.int64)
    return torch.stack(boxes), torch.tensor(labels, dtype=torch.int64)


def show_canvases(images: torch.Tensor, masks: torch.Tensor | None = None,
                  boxes: Sequence[torch.Tensor] | None = None, labels: Sequence[torch.Tensor] | None = None,
                  classes: Sequence[str] | None = None, rows: Mapping[str, torch.Tensor] | None = None,
                  width: float = 8.0):
    """Canvases in the first row (with boxes and labels), then their masks and any other class maps.

    masks and the maps in `rows` are (N, H, W) class maps drawn with one colour per class
    (background black, up to 10 item classes); boxes/labels are per canvas, as in `Canvases`.
    """
    import matplotlib.pyplot as plt

    class_rows = ({"truth": masks} if masks is not None else {}) | dict(rows or {})
    n, nrows = len(images), 1 + len(class_rows)
    side = width / n
    fig, axes = plt.subplots(nrows, n, figsize=(width, side * nrows + 0.3 * nrows), squeeze=False)
    from matplotlib.colors import ListedColormap

    colours = ListedColormap(["black", *plt.get_cmap("tab10").colors])  # background black, 10 classes
    for col in range(n):
        axes[0, col].imshow(images[col, 0].cpu().numpy(), cmap="gray", vmin=0, vmax=1)
        if boxes is not None:
            for k, box in enumerate(boxes[col]):
                x1, y1, x2, y2 = (float(v) for v in box)
                axes[0, col].add_patch(plt.Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False,
                                                     edgecolor="tab:green", lw=1.5))
                if labels is not None and classes is not None:
                    axes[0, col].text(x1, y1 - 1, classes[int(labels[col][k])], color="tab:green",
                                      fontsize=9, va="bottom")
        for row, (name, maps) in enumerate(class_rows.items(), start=1):
            axes[row, col].imshow(maps[col].cpu().numpy(), cmap=colours, vmin=-0.5, vmax=10.5,
                                  interpolation="nearest")
            if col == 0:
                axes[row, col].set_ylabel(name, fontsize=10)
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    return fig
