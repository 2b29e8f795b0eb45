"""cnnlib.deploy: exported programs give the same outputs, int8 models are close and smaller,
bad input is refused with a clear message (chapter 38)."""

import pytest
import torch
from torch import nn

from cnnlib import deploy
from cnnlib.models import fast_lenet


@pytest.fixture(scope="module")
def model() -> nn.Module:
    torch.manual_seed(0)
    net = fast_lenet()
    with torch.no_grad():  # give the BatchNorms non-trivial statistics
        net.train()
        for _ in range(3):
            net(torch.randn(32, 1, 28, 28))
    return net.eval()


def test_exported_program_round_trip_gives_the_same_outputs(model, tmp_path):
    program = deploy.export_program(model, torch.randn(1, 1, 28, 28))
    path = deploy.save_program(program, tmp_path / "model.pt2")
    loaded = deploy.load_program(path)
    for batch in (1, 5):  # the batch size stays free
        x = torch.randn(batch, 1, 28, 28)
        assert deploy.max_difference(model, loaded, x) < 1e-5
    assert deploy.saved_size(program) > 0


def test_export_refuses_training_mode_and_bad_examples(model):
    model.train()
    try:
        with pytest.raises(ValueError, match="eval"):
            deploy.export_program(model, torch.randn(1, 1, 28, 28))
    finally:
        model.eval()
    with pytest.raises(ValueError, match="example"):
        deploy.export_program(model, torch.randn(1, 28, 28))
    with pytest.raises(ValueError, match="model"):
        deploy.export_program("net", torch.randn(1, 1, 28, 28))
    with pytest.raises(ValueError, match="save_program"):
        deploy.load_program("/nonexistent/model.pt2")


def test_int8_model_is_close_smaller_and_needs_calibration(model):
    calibration = [torch.randn(64, 1, 28, 28) for _ in range(2)]
    quantized = deploy.quantize_int8(model, calibration)
    x = torch.randn(16, 1, 28, 28)
    with torch.no_grad():
        reference = model(x)
        scale = reference.abs().max().item()
    assert deploy.max_difference(model, quantized, x) < 0.1 * scale
    assert deploy.saved_size(quantized) < 0.4 * deploy.saved_size(model)
    with pytest.raises(ValueError, match="calibration"):
        deploy.quantize_int8(model, [])
    with pytest.raises(ValueError, match="backend"):
        deploy.quantize_int8(model, calibration, backend="tpu")
    with pytest.raises(ValueError, match=r"calibration\[0\]"):
        deploy.quantize_int8(model, [torch.randn(28, 28)])


def test_dynamic_quantization_changes_only_linear_layers(model):
    quantized = deploy.quantize_dynamic_int8(model)
    kinds = {type(m).__module__ for m in quantized.modules() if "Linear" in type(m).__name__}
    assert all("quantized" in k for k in kinds)
    assert any(isinstance(m, nn.Conv2d) for m in quantized.modules())  # convs stay float
    assert deploy.max_difference(model, quantized, torch.randn(4, 1, 28, 28)) < 0.5


def test_folded_model_matches(model):
    folded = deploy.fold_batch_norms(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert deploy.max_difference(model, folded, torch.randn(4, 1, 28, 28)) < 1e-4


def test_saved_size_refuses_other_objects():
    with pytest.raises(ValueError, match="saved_size"):
        deploy.saved_size([1, 2, 3])


@pytest.mark.skipif(not deploy.onnx_available(), reason="onnx tools not installed (optional)")
def test_onnx_round_trip(model, tmp_path):
    path = deploy.export_onnx(model, torch.randn(1, 1, 28, 28), tmp_path / "model.onnx")
    x = torch.randn(3, 1, 28, 28)
    assert deploy.max_difference(model, lambda z: deploy.run_onnx(path, z), x) < 1e-4


def test_missing_onnx_gives_install_hint(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    assert not deploy.onnx_available()
    with pytest.raises(deploy.OptionalDependencyMissing, match=r"cnnlib\[deploy\]"):
        deploy.run_onnx("model.onnx", torch.zeros(1))
