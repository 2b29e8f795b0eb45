"""Part IV experiments and small-image variants: shapes, equal budgets, result structure (tiny runs)."""

import pytest
import torch

from cnnlib.counting import count_macs
from cnnlib.experiments import EXPERIMENTS, degradation, resnext, zoo_table
from cnnlib.models import MODELS
from cnnlib.models.small_images import SmallBottleneckNet, SmallCifarResNet
from cnnlib.summary import count_parameters

SMALL = sorted(name for name in MODELS if name.endswith("_small_images"))


def test_small_image_variants_are_registered():
    assert {"alexnet_small_images", "vgg_small_images", "resnet8_small_images", "resnext_small_images",
            "mobilenet_v1_small_images", "mobilenet_v2_small_images", "mobilenet_v3_small_images",
            "shufflenet_v2_small_images"} <= set(SMALL)


@pytest.mark.parametrize("name", SMALL)
def test_small_image_variant_takes_fashion_mnist(name):
    model = MODELS[name]().eval()  # defaults: 10 classes, 1 input channel
    with torch.no_grad():
        assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    doc = MODELS[name].__doc__ or ""
    assert len(doc.strip()) > 20, f"{name} must say how it differs from the original"


def test_small_alexnet_checks_its_own_minimum_size():
    model = MODELS["alexnet_small_images"]().eval()
    with torch.no_grad():
        assert model(torch.zeros(1, 1, 15, 15)).shape == (1, 10)
        with pytest.raises(ValueError, match="at least 15x15"):
            model(torch.zeros(1, 1, 14, 14))


def test_mobilenet_v3_small_images_uses_fast_batchnorm():
    norms = [m for m in MODELS["mobilenet_v3_small_images"]().modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(m.momentum == 0.1 for m in norms)


def test_plain_and_residual_twins_have_equal_parameters():
    for n in (1, 3):
        plain, residual = SmallCifarResNet(n, (8, 16, 32), False), SmallCifarResNet(n, (8, 16, 32), True)
        assert count_parameters(plain) == count_parameters(residual)
        convs = sum(isinstance(m, torch.nn.Conv2d) for m in plain.modules())
        assert convs + 1 == degradation.depth_of(n) == 6 * n + 2  # + the FC layer
    with pytest.raises(ValueError, match="blocks_per_stage"):
        SmallCifarResNet(0)


@pytest.mark.parametrize("budget", ["quick", "full"])
def test_resnet_and_resnext_have_equal_budgets(budget):
    config = EXPERIMENTS["resnext"].config(budget)
    models = [resnext.build(v, config) for v in config["variants"]]
    params = [count_parameters(m) for m in models]
    macs = [count_macs(m, torch.zeros(1, 1, 28, 28)) for m in models]
    assert abs(params[1] / params[0] - 1) < 0.05 and abs(macs[1] / macs[0] - 1) < 0.05
    assert [m.layers[0].conv2.groups for m in models] == [1, 4]
    with pytest.raises(ValueError, match="one entry per stage"):
        SmallBottleneckNet(planes=(16, 32), blocks=(1,))


def test_zoo_builds_every_available_model():
    present, missing = zoo_table.available()
    assert len(present) >= 11 and all(part == "V" for _, _, part in missing)
    for _, name, _ in present:
        side = 32 if name in zoo_table.PADDED_TO_32 else 28
        with torch.no_grad():
            assert zoo_table.build(name).eval()(torch.zeros(2, 1, side, side)).shape == (2, 10)


def test_padding_to_32_uses_the_background_value():
    from cnnlib.data import load_images

    data = load_images("fashion_mnist", train=False, limit=8)
    padded = zoo_table.padded_to_32(data)
    assert padded.images.shape[-2:] == (32, 32)
    assert torch.allclose(padded.images[:, :, 0], torch.tensor(-data.mean[0] / data.std[0]))


def test_experiments_name_their_chapters():
    assert {EXPERIMENTS[n].chapter for n in ("degradation", "resnext", "zoo_table")} == {
        "25_resnet", "26_resnext", "31_comparison"}


def test_degradation_result_structure_on_a_tiny_run():
    config = {**EXPERIMENTS["degradation"].quick, "images": 64, "widths": [4, 4, 4], "blocks_per_stage": [1, 2],
              "epochs": 1, "evals_per_epoch": 1}
    result = degradation.run(config)
    assert [r["name"] for r in result["rows"]] == ["plain8", "resnet8", "plain14", "resnet14"]
    assert all(0 <= r["final_train_error"] <= 1 for r in result["rows"])
    assert {p["model"] for p in result["epochs"]} == {"plain8", "resnet8", "plain14", "resnet14"}


def test_zoo_result_structure_on_a_tiny_run():
    config = {**EXPERIMENTS["zoo_table"].quick, "zoo": [["LeNet-5", "lenet5", "IV"], ["X", "no_such_model", "V"]],
              "train_images": 64, "test_images": 32, "epochs": 1}
    result = zoo_table.run(config)
    assert [r["label"] for r in result["rows"]] == ["LeNet-5"] and result["missing"] == ["no_such_model"]
    row = result["rows"][0]
    assert row["input"] == 32 and row["params"] == 61_706 and row["seconds_per_epoch"] > 0
