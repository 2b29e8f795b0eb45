"""One parameter counter, one MAC counter, one layer table, the drawings, published figures, timing."""

import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from cnnlib import counting, diagrams
from cnnlib.models import MODELS, build_model
from cnnlib.published import published
from cnnlib.summary import count_parameters, layer_table, summary
from cnnlib.timing import compare, compare_forward, latency, seconds_per_call


def small_net() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8 * 4 * 4, 10))


def test_mac_counter_matches_hand_counts_and_leaves_weights_alone():
    model = small_net()
    before = model[0].weight.clone()
    by_module = counting.macs_by_module(model, torch.zeros(1, 3, 8, 8))
    assert by_module["0"] == 8 * 16 * 27 and by_module["3"] == 128 * 10
    assert by_module[""] == counting.count_macs(model, torch.zeros(1, 3, 8, 8)) == 8 * 16 * 27 + 1280
    assert torch.equal(model[0].weight, before) and model[0].weight.device.type == "cpu"


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2", "vgg16"])
def test_mac_counter_matches_torchvision_published(name):
    macs = counting.count_macs(build_model(name), torch.zeros(1, 3, 224, 224))
    assert macs / 1e9 == pytest.approx(published(name).gmacs, abs=0.006)


def test_layer_table_rows_in_call_order_with_params_and_macs():
    model = small_net()
    rows = layer_table(model, torch.zeros(1, 3, 8, 8))
    assert [r.shape for r in rows] == [(8, 4, 4), (8, 4, 4), (128,), (10,)]
    assert sum(r.params for r in rows) == count_parameters(model)
    assert sum(r.macs for r in rows) == counting.count_macs(model, torch.zeros(1, 3, 8, 8))
    lenet = MODELS["lenet"]()
    pools = layer_table(lenet, torch.zeros(1, 3, 32, 32), kinds=(nn.MaxPool2d,))
    assert [r.shape for r in pools] == [(16, 14, 14), (32, 5, 5)]
    named = layer_table(lenet, torch.zeros(1, 3, 32, 32), names=["features", "classifier"])
    assert [r.shape for r in named] == [(32, 5, 5), (10,)]
    with pytest.raises(ValueError, match="not found"):
        layer_table(lenet, torch.zeros(1, 3, 32, 32), names=["nope"])
    with pytest.raises(ValueError, match="depth"):
        layer_table(lenet, torch.zeros(1, 3, 32, 32), depth=0)


def test_summary_prints_totals(capsys):
    summary(build_model("resnet18"), (1, 3, 64, 64), depth=2)
    out = capsys.readouterr().out
    assert "layer1.0 (BasicBlock)" in out and "11,689,512 parameters" in out


def test_drawings_of_architectures():
    lenet = MODELS["lenet"]()
    rows = layer_table(lenet, torch.zeros(1, 3, 32, 32), kinds=(nn.Conv2d, nn.MaxPool2d, nn.Linear))
    fig = Figure()
    diagrams.draw_layer_stack(fig, rows, (3, 32, 32), "LeNet")
    diagrams.draw_block(fig.add_subplot(1, 2, 1), ["3x3 conv", "BN"], "block")
    diagrams.draw_block(fig.add_subplot(1, 2, 2), ["3x3 conv", "BN"], "plain", shortcut=None)


def test_published_and_timing():
    assert published("mobilenet_v2").num_params == 3_504_872
    with pytest.raises(ValueError, match="no model named"):
        published("lenet5")
    with pytest.raises(ValueError, match="has no"):
        published("resnet18", weights="NOPE")
    assert latency(small_net(), (1, 3, 8, 8), min_run_time=0.01) > 0
    with pytest.raises(ValueError, match="threads"):
        seconds_per_call(lambda: None, threads=0)


def test_compare_alternates_rounds_and_takes_median_ratios():
    import time

    result = compare({"slow": lambda: time.sleep(0.002), "fast": lambda: None}, rounds=3,
                     min_run_time=0.01)
    assert len(result.rounds) == 3 and set(result.seconds) == {"slow", "fast"}
    assert result.ratio("slow", "fast") > 10 and result.ratio("fast", "slow") < 0.1
    assert len(result.ratios("slow", "fast")) == 3
    with pytest.raises(KeyError, match="no timing named 'medium'"):
        result.ratio("medium", "fast")
    with pytest.raises(ValueError, match="rounds"):
        compare({"fast": lambda: None}, rounds=0)


def test_compare_forward_runs_models_as_they_are_without_grad():
    seen = []
    net = nn.Sequential(nn.Dropout(0.5), nn.Linear(8, 8)).eval()
    net.register_forward_hook(lambda m, i, out: seen.append((m.training, out.requires_grad)))
    timed = compare_forward({"net": net, "plain": lambda x: x + 1}, torch.zeros(2, 8), rounds=2,
                            min_run_time=0.01)
    assert set(timed.seconds) == {"net", "plain"} and seen and set(seen) == {(False, False)}


def test_builders_are_package_attributes_and_take_weights():
    import inspect

    import cnnlib.models as models

    assert models.resnet18 is MODELS["resnet18"] and callable(models.alexnet)
    assert models.resnet18(num_classes=10).fc.out_features == 10
    assert "weights" in inspect.signature(models.resnet18).parameters
    with pytest.raises(ValueError, match="not one of"):
        models.resnet18(weights="NOPE")
    with pytest.raises(ValueError, match="no torchvision twin"):
        from cnnlib.models.pretrained import load_torchvision_weights

        load_torchvision_weights(MODELS["lenet"](), "lenet", "DEFAULT")


def test_torchvision_weights_load_into_our_model(monkeypatch):
    """Offline stand-in for the download: torchvision's own (random) state_dict goes through the same path."""
    import torchvision

    import cnnlib.models as models

    reference = torchvision.models.resnet18().eval()
    monkeypatch.setattr(torchvision.models.ResNet18_Weights.IMAGENET1K_V1.__class__, "get_state_dict",
                        lambda self, progress=True: reference.state_dict())
    ours = models.resnet18(weights="IMAGENET1K_V1").eval()
    x = torch.randn(2, 3, 64, 64)
    torch.testing.assert_close(ours(x), reference(x))
