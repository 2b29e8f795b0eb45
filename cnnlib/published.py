"""torchvision's published figures for a model: parameters, multiply-adds, ImageNet accuracy.

They come with torchvision's weight enums (no download), so every architecture chapter can
assert its rebuilt model against them. Used from the LeNet chapter on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    """torchvision's published figures for one set of ImageNet weights (available offline)."""

    num_params: int
    gmacs: float  # torchvision calls it GFLOPS; it counts multiply-adds (one per MAC)
    top1: float  # ImageNet-1K top-1 accuracy, %
    top5: float
    resolution: int  # the image size the figures were measured at (torchvision's eval crop)


def published(name: str, weights: str = "IMAGENET1K_V1") -> Published:
    """Figures from torchvision's weights metadata, e.g. published('mobilenet_v2').num_params."""
    import torchvision.models as tvm

    try:
        enum = tvm.get_model_weights(name)
    except ValueError:
        raise ValueError(f"torchvision has no model named {name!r}; see "
                         "torchvision.models.list_models().") from None
    if weights not in enum.__members__:
        raise ValueError(f"{enum.__name__} has no {weights!r}; choose one of "
                         f"{sorted(enum.__members__)}.")
    meta = enum[weights].meta
    metrics = meta["_metrics"]["ImageNet-1K"]
    crop = getattr(enum[weights].transforms, "keywords", {}).get("crop_size", 224)
    crop = crop[0] if isinstance(crop, (list, tuple)) else crop
    return Published(meta["num_params"], meta["_ops"], metrics["acc@1"], metrics["acc@5"], int(crop))
