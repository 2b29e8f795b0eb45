"""The model zoo: one file per family, builders named as in torchvision, all in `MODELS`.

Every module in this package is imported here, and importing a family module registers
its public builders (see `registry.register`), so adding a family is adding a file.
"""

import importlib
import pkgutil

from cnnlib.models.registry import MODELS, build_model, register

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module != "registry" and not _module.startswith("_"):
        importlib.import_module(f"{__name__}.{_module}")

__all__ = ["MODELS", "build_model", "register"]
