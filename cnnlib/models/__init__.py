"""The model zoo: one file per family, builders named as in torchvision, all in `MODELS`.

Importing a family module registers its builders (see `registry.register`).
"""

from cnnlib.models.registry import MODELS, build_model, register

__all__ = ["MODELS", "build_model", "register"]
