"""Loading torchvision's pretrained weights into the course's own models.

Every builder with a torchvision twin keeps torchvision's attribute names, so the twin's
state_dict loads with `strict=True`: `cnnlib.models.resnet18(weights="IMAGENET1K_V1")` gives
our ResNet-18 with torchvision's ImageNet weights (downloaded once, online).
Used in the transfer learning chapter.
"""

from __future__ import annotations

from torch import nn


def torchvision_twin(name: str) -> bool:
    """Whether torchvision has a model of this name (so its weights fit ours)."""
    import torchvision.models as tvm

    return name in tvm.list_models(module=tvm)


def load_torchvision_weights(model: nn.Module, name: str, weights: str, progress: bool = True) -> nn.Module:
    """Download torchvision's `weights` (e.g. "IMAGENET1K_V1" or "DEFAULT") for `name` into `model`."""
    import torchvision.models as tvm

    if not torchvision_twin(name):
        raise ValueError(f"{name!r} has no torchvision twin, so there are no pretrained weights "
                         "for it; build it with weights=None.")
    enum = tvm.get_model_weights(name)
    try:
        chosen = enum[weights] if weights != "DEFAULT" else enum.DEFAULT
    except KeyError:
        raise ValueError(f"weights={weights!r} is not one of {name}'s weights: "
                         f"{sorted(enum.__members__)} (or 'DEFAULT').") from None
    try:
        state = chosen.get_state_dict(progress=progress)
    except Exception as error:  # offline: URLError / OSError
        raise ConnectionError(
            f"could not download {enum.__name__}.{chosen.name} ({type(error).__name__}: {error}). "
            "Pretrained weights need internet access once (they are cached in ~/.cache/torch); "
            "offline, build the model with weights=None.") from None
    model.load_state_dict(state, strict=True)
    return model
