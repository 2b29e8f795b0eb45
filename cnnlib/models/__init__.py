"""The model zoo: one file per family, builders named and called as in torchvision.

Every module in this package is imported here, and importing a family module registers its
public builders (see `registry.register`), so adding a family is adding a file. Each builder
is then an attribute of this package, `cnnlib.models.resnet18(num_classes=10)`, like
`torchvision.models.resnet18`; builders with a torchvision twin also take
`weights="IMAGENET1K_V1"` (see `pretrained.py`), so a learner can swap one import.
"""

import functools
import importlib
import inspect
import pkgutil

from cnnlib.models.pretrained import load_torchvision_weights, torchvision_twin
from cnnlib.models.registry import MODELS, build_model, register

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module not in ("registry", "pretrained") and not _module.startswith("_"):
        importlib.import_module(f"{__name__}.{_module}")


def _with_weights(name: str, builder):
    """`builder` that also accepts weights=None|"IMAGENET1K_V1"|"DEFAULT" (torchvision's names)."""

    @functools.wraps(builder)
    def build(*args, weights: str | None = None, progress: bool = True, **kwargs):
        model = builder(*args, **kwargs)
        if weights is not None:
            load_torchvision_weights(model, name, weights, progress)
        return model

    params = list(inspect.signature(builder).parameters.values())
    extra = [inspect.Parameter("weights", inspect.Parameter.KEYWORD_ONLY, default=None),
             inspect.Parameter("progress", inspect.Parameter.KEYWORD_ONLY, default=True)]
    variadic = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
    named = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
    build.__signature__ = inspect.Signature(named + extra + variadic)
    return build


for _name, _builder in list(MODELS.items()):
    if torchvision_twin(_name):
        MODELS[_name] = _with_weights(_name, _builder)
    globals()[_name] = MODELS[_name]  # cnnlib.models.resnet18 is the builder, as in torchvision

__all__ = ["MODELS", "build_model", "register", *sorted(MODELS)]
