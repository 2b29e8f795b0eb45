"""Taking a trained model out of the notebook: export, int8 quantization, BN folding (chapter 38).

- `export_program` / `save_program` / `load_program`: `torch.export` captures the forward pass
  as a graph of ATen operations with the weights (a `.pt2` file) that runs without the Python
  class that defined the model.
- `export_onnx` / `load_onnx` / `run_onnx`: the same graph in the ONNX format, run by onnxruntime. Optional:
  needs `pip install "cnnlib[deploy]"` (onnx, onnxscript, onnxruntime); `onnx_available()` says
  whether they are installed, and a clear error says how to install them otherwise.
- `quantize_int8`: post-training static quantization with torch.ao's FX graph mode and the x86
  backend (fbgemm kernels): weights per channel and activations per tensor in int8, the scales
  of the activations measured on calibration images. It is what runs int8 convolutions on a CPU
  in PyTorch without a compiler; torch.ao.quantization is deprecated in favour of torchao's
  PT2E flow, whose int8 models only run fast after `torch.compile`, so its deprecation warnings
  are silenced here. `quantize_dynamic_int8` quantizes only the Linear layers (no calibration).
- BatchNorm folding is `cnnlib.layers.batch_norm.fold_batch_norms` (chapter 15), re-exported.
- `saved_size`: the bytes `torch.save` writes, to compare file sizes.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import os
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from torch import nn

from cnnlib.layers.batch_norm import fold_batch_norm, fold_batch_norms
from cnnlib.ops.sizes import check_tensor

__all__ = ["OptionalDependencyMissing", "export_onnx", "export_program", "fold_batch_norm",
           "fold_batch_norms", "load_onnx", "load_program", "max_difference", "onnx_available",
           "quantize_dynamic_int8", "quantize_int8", "run_onnx", "save_program", "saved_size"]

ONNX_PACKAGES = ("onnx", "onnxscript", "onnxruntime")
BACKENDS = ("x86", "fbgemm", "qnnpack")


class OptionalDependencyMissing(ImportError):
    """An optional package (here: the ONNX tools) is not installed."""


def _check_model(model: object) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}.")
    return model


def _check_eval(model: nn.Module, what: str) -> None:
    """Refuse a model in training mode: BatchNorm and dropout would be frozen in their training
    behaviour (batch statistics, random zeros), so the result would not match `model.eval()`."""
    if model.training:
        raise ValueError(f"{what} needs the model in eval mode (BatchNorm would use batch "
                         "statistics and dropout would drop units); call model.eval() first.")


def saved_size(obj: nn.Module | dict | torch.export.ExportedProgram) -> int:
    """Bytes on disk of a model's state_dict (or a state dict, or an exported program)."""
    if isinstance(obj, torch.export.ExportedProgram):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.pt2"
            torch.export.save(obj, path)
            return os.path.getsize(path)
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise ValueError(f"saved_size takes a model, a state dict or an ExportedProgram, got "
                         f"{type(obj).__name__}.")
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.tell()


def max_difference(reference: nn.Module, other, x: torch.Tensor) -> float:
    """Largest absolute difference between two models' outputs on `x` (no gradients)."""
    check_tensor(x, "x")
    with torch.no_grad():
        return float((reference(x) - torch.as_tensor(other(x))).abs().max())


# --- torch.export ---------------------------------------------------------------------------
def export_program(model: nn.Module, example: torch.Tensor,
                   dynamic_batch: bool = True) -> torch.export.ExportedProgram:
    """Capture `model`'s forward on inputs shaped like `example` (N, C, H, W) with torch.export.

    `dynamic_batch=True` keeps the batch size free (any N >= 1 works later); height, width and
    channels are fixed to the example's. The model must be in eval mode.
    """
    _check_model(model)
    check_tensor(example, "example", 4, "(N, C, H, W)")
    _check_eval(model, "export_program")
    shapes = None
    if dynamic_batch:
        # batch sizes 1 and 2 are special-cased by the tracer; give an example of >= 2
        example = example.expand(max(2, example.shape[0]), *example.shape[1:]).contiguous()
        shapes = ({0: torch.export.Dim("batch", min=1)},)
    return torch.export.export(model, (example,), dynamic_shapes=shapes)


def save_program(program: torch.export.ExportedProgram, path: str | Path) -> Path:
    """Write an exported program to a `.pt2` file; returns the path."""
    if not isinstance(program, torch.export.ExportedProgram):
        raise ValueError(f"program must come from export_program, got {type(program).__name__}.")
    path = Path(path)
    torch.export.save(program, path)
    return path


def load_program(path: str | Path) -> nn.Module:
    """Load a `.pt2` file as a callable module (no need for the class that defined the model)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no exported program at {path}; write one with save_program first.")
    with warnings.catch_warnings():
        # torch 2.11 warns that it reads the archive's weights from a read-only buffer (harmless)
        warnings.filterwarnings("ignore", message="The given buffer is not writable")
        return torch.export.load(path).module()


# --- ONNX (optional) ------------------------------------------------------------------------
def onnx_available() -> bool:
    """Whether onnx, onnxscript and onnxruntime are installed (`pip install "cnnlib[deploy]"`)."""
    return all(importlib.util.find_spec(name) is not None for name in ONNX_PACKAGES)


def _require_onnx() -> None:
    missing = [name for name in ONNX_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise OptionalDependencyMissing(
            f"ONNX export needs {', '.join(missing)}, which are optional; install them with "
            "pip install \"cnnlib[deploy]\" (or pip install onnx onnxscript onnxruntime).")


def export_onnx(model: nn.Module, example: torch.Tensor, path: str | Path,
                dynamic_batch: bool = True) -> Path:
    """Write `model` as an ONNX file (via torch.export), batch size free; returns the path."""
    _require_onnx()
    program = export_program(model, example, dynamic_batch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_program = torch.onnx.export(program, verbose=False)
    path = Path(path)
    onnx_program.save(str(path))
    return path


def load_onnx(path: str | Path) -> Callable[[torch.Tensor], torch.Tensor]:
    """An onnxruntime session for an ONNX file (CPU), as a function from tensor to tensor.

    Creating the session (parsing and optimising the graph) is done once, here; the function
    it returns only runs it, so it is the thing to time or to serve.
    """
    _require_onnx()
    import onnxruntime

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no ONNX file at {path}; write one with export_onnx first.")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x")
        return torch.from_numpy(session.run(None, {name: x.detach().cpu().numpy()})[0])

    return run


def run_onnx(path: str | Path, x: torch.Tensor) -> torch.Tensor:
    """Run an ONNX file with onnxruntime on the CPU once and return the (first) output."""
    return load_onnx(path)(x)


# --- int8 quantization ------------------------------------------------------------------------
def quantize_int8(model: nn.Module, calibration: Iterable[torch.Tensor],
                  backend: str = "x86") -> nn.Module:
    """Post-training static int8 quantization (FX graph mode), calibrated on `calibration`.

    Steps: trace the model, fuse conv+BN(+ReLU), insert observers, run the calibration batches
    through it so each observer records the range of its activation, then convert every conv
    and Linear to an int8 kernel with those scales. Without calibration the observers have seen
    nothing and the scales are meaningless (the "spot the bug" of chapter 38). Returns a new
    model; `model` is unchanged.
    """
    _check_model(model)
    _check_eval(model, "quantize_int8")
    if backend not in BACKENDS or backend not in torch.backends.quantized.supported_engines:
        raise ValueError(f"backend must be one of {BACKENDS} supported by this torch build "
                         f"({torch.backends.quantized.supported_engines}), got {backend!r}.")
    batches = list(calibration)
    if not batches:
        raise ValueError("calibration is empty: give a few batches of real training images, "
                         "e.g. [train.images[:500]], so the observers can measure the ranges.")
    for i, batch in enumerate(batches):
        check_tensor(batch, f"calibration[{i}]", 4, "(N, C, H, W)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao deprecation and observer notes
        from torch.ao.quantization import get_default_qconfig_mapping
        from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

        torch.backends.quantized.engine = backend
        prepared = prepare_fx(copy.deepcopy(model).eval(), get_default_qconfig_mapping(backend),
                              (batches[0],))
        with torch.no_grad():
            for batch in batches:
                prepared(batch)  # observers record min/max of every activation
        return convert_fx(prepared)


def quantize_dynamic_int8(model: nn.Module) -> nn.Module:
    """int8 weights for the Linear layers only, activations quantized on the fly (no calibration).

    The easy option, and the usual one for transformers; a CNN spends its time in convolutions,
    which stay float here.
    """
    _check_model(model)
    _check_eval(model, "quantize_dynamic_int8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8)
