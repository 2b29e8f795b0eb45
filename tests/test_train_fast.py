"""Course networks, batched augmentation, evaluation helpers and the fast training loop."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from torch import nn

from cnnlib import augment
from cnnlib.data import ImageData
from cnnlib.evaluate import confusion_matrix, mistakes, per_class_accuracy
from cnnlib.fast import d2l_lenet, fast_fit, images_per_second, profile_step, timed
from cnnlib.models import build_model
from cnnlib.models.course_nets import conv_out
from cnnlib.train import evaluate


def test_mnist_cnn_shapes_follow_the_syllabus():
    model = build_model("mnist_cnn")
    x = torch.randn(3, 1, 28, 28)
    sizes = []
    for layer in model.features:
        x = layer(x)
        sizes.append(tuple(x.shape[1:]))
    assert sizes == [(16, 26, 26), (32, 24, 24), (32, 12, 12),
                     (64, 10, 10), (128, 8, 8), (128, 4, 4)]
    fcs = [m for m in model.classifier if isinstance(m, nn.Linear)]
    shapes = [(f.in_features, f.out_features) for f in fcs]
    assert shapes == [(128 * 4 * 4, 1024), (1024, 128), (128, 10)]
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("size, padding, expected",
                         [(28, 0, 4), (28, 1, 7), (32, 0, 5), (32, 1, 8)])
def test_mnist_cnn_other_sizes(size, padding, expected):
    model = build_model("mnist_cnn", in_channels=3, image_size=size, padding=padding, num_classes=5)
    assert model.feature_size == expected
    assert model(torch.randn(2, 3, size, size)).shape == (2, 5)


def test_mnist_cnn_too_small_raises():
    with pytest.raises(ValueError, match="image_size=10"):
        build_model("mnist_cnn", image_size=10)


@pytest.mark.parametrize("name", ["fast_lenet", "fast_cnn", "fast_resnet"])
def test_fast_nets_forward(name):
    model = build_model(name, num_classes=10)
    assert model(torch.randn(4, 1, 28, 28)).shape == (4, 10)


def test_conv_out_matches_torch():
    gen = torch.Generator().manual_seed(0)
    for _ in range(30):
        size, k, s, p = (int(torch.randint(lo, hi, (1,), generator=gen)) for lo, hi in
                         ((8, 40), (1, 6), (1, 4), (0, 3)))
        if p > k // 2:
            continue
        out = nn.Conv2d(1, 1, k, s, p)(torch.zeros(1, 1, size, size))
        assert out.shape[-1] == conv_out(size, k, s, p)


def test_random_flip_matches_torch_flip():
    images = torch.randn(64, 2, 5, 7)
    out = augment.random_flip(images, generator=torch.Generator().manual_seed(0))
    flipped = [torch.equal(o, i.flip(-1)) for o, i in zip(out, images, strict=True)]
    kept = [torch.equal(o, i) for o, i in zip(out, images, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    assert 10 < sum(flipped) < 54
    assert torch.equal(augment.random_flip(images, p=0.0), images)


def test_random_crop_is_a_shifted_window_of_the_padded_image():
    gen = torch.Generator().manual_seed(1)
    images = torch.randn(40, 3, 6, 6)
    out = augment.random_crop(images, padding=2, fill=0.0, generator=gen)
    padded = nn.functional.pad(images, (2, 2, 2, 2))
    for o, p in zip(out, padded, strict=True):
        windows = [torch.equal(o, p[:, y:y + 6, x:x + 6]) for y in range(5) for x in range(5)]
        assert any(windows)
    assert out.shape == images.shape


def test_cutout_and_compose_keep_shape():
    images = torch.randn(8, 1, 12, 12)
    aug = augment.compose(augment.flip_and_crop(padding=1, seed=0), lambda x: augment.cutout(x, 4))
    assert aug(images).shape == images.shape
    with pytest.raises(ValueError, match="size must be in 1..12"):
        augment.cutout(images, 20)
    with pytest.raises(ValueError, match="batch"):
        augment.random_flip(images[0])


def test_confusion_matrix_counts_pairs():
    labels = torch.tensor([0, 0, 1, 2, 2, 2])
    predicted = torch.tensor([0, 1, 1, 2, 0, 2])
    matrix = confusion_matrix(predicted, labels, 3)
    expected = torch.zeros(3, 3, dtype=torch.long)
    for t, p in zip(labels, predicted, strict=True):
        expected[t, p] += 1
    assert torch.equal(matrix, expected)
    assert torch.allclose(per_class_accuracy(matrix), torch.tensor([0.5, 1.0, 2 / 3]))
    logits = torch.tensor([[5.0, 0, 0], [0, 1.0, 0], [0, 3.0, 0],
                           [0, 0, 1.0], [9.0, 0, 0], [0, 0, 1.0]])
    assert mistakes(logits, labels).tolist() == [4, 1]  # most confident mistake first


def _toy_data(n: int, seed: int) -> ImageData:
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=gen)
    images = torch.randn(n, 1, 12, 12, generator=gen) * 0.5
    images[labels == 1, :, :, :6] += 1.5  # class 1: bright left half
    return ImageData(images, labels, ["dark", "left"], f"toy {seed}", (0.0,), (1.0,))


def test_fast_fit_learns_a_toy_problem():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 2))
    history = fast_fit(model, _toy_data(512, 0), _toy_data(256, 1), epochs=3, batch_size=64,
                       lr=1e-2, device="cpu", progress=False, verbose=False,
                       augment=lambda x: augment.random_crop(x, 1))
    assert history.test_acc > 0.9
    assert len(history.epochs) == 3
    _, acc_tta = evaluate(model, _toy_data(256, 1), tta_flip=True)
    assert acc_tta > 0.5  # the flip moves the bright half, so TTA is wrong here on purpose


def test_fast_fit_rejects_bad_settings():
    with pytest.raises(ValueError, match="epochs"):
        fast_fit(nn.Linear(1, 1), _toy_data(8, 0), _toy_data(8, 1), epochs=0)
    with pytest.raises(ValueError, match="batch_size=64"):
        fast_fit(nn.Linear(1, 1), _toy_data(8, 0), _toy_data(8, 1), epochs=1, batch_size=64)


def test_profile_step_reports_four_parts():
    data = _toy_data(256, 0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(144, 2))
    times = profile_step(model, data.batches(32, shuffle=True), steps=4, device="cpu")
    assert set(times) == {"data", "forward", "backward", "optimizer"}
    assert all(t >= 0 for t in times.values())


def test_fast_cnn_maps_halve_per_stage_and_bad_arguments_are_refused():
    model = build_model("fast_cnn")
    x = torch.randn(2, 1, 28, 28)
    sizes = [tuple(x.shape[1:])]
    for layer in model.features:
        x = layer(x)
        if isinstance(layer, nn.MaxPool2d):
            sizes.append(tuple(x.shape[1:]))
    assert sizes == [(1, 28, 28), (16, 14, 14), (32, 7, 7), (64, 3, 3)]
    assert model.classifier[-1].in_features == 64 * 3 * 3
    two = build_model("fast_cnn", widths=(8, 16), image_size=32, in_channels=3, num_classes=4)
    assert two(torch.randn(2, 3, 32, 32)).shape == (2, 4)
    with pytest.raises(ValueError, match="widths must name"):
        build_model("fast_cnn", widths=())
    with pytest.raises(ValueError, match="image_size=4 is too small"):
        build_model("fast_cnn", image_size=4)
    with pytest.raises(ValueError, match="28x28"):
        model(torch.randn(1, 1, 32, 32))


def test_d2l_lenet_is_the_sigmoid_average_pool_baseline():
    model = d2l_lenet()
    kinds = {type(m) for m in model.modules()}
    assert nn.Sigmoid in kinds and nn.AvgPool2d in kinds and nn.ReLU not in kinds
    assert nn.BatchNorm2d not in kinds and nn.MaxPool2d not in kinds
    assert model(torch.randn(3, 1, 28, 28)).shape == (3, 10)
    assert sum(p.numel() for p in model.parameters()) == 61706  # d2l's LeNet for 28x28


def test_timed_reports_wall_and_cpu_seconds():
    result, wall, cpu = timed(lambda: sum(range(200_000)))
    assert result == sum(range(200_000)) and wall > 0 and cpu >= 0


def test_images_per_second_can_count_cpu_seconds():
    import time

    data = _toy_data(256, 0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(144, 2))
    speed = images_per_second(model, data.batches(32, shuffle=True), steps=4, device="cpu",
                              clock=time.process_time)
    assert speed > 0


def test_speed_experiment_is_registered_for_chapter_20():
    from cnnlib.experiments import EXPERIMENTS, speed

    exp = EXPERIMENTS["fashion_speed_cpu"]
    assert exp.chapter == "20_training_fast"
    full = exp.config("full")
    assert full["recipe"] == speed.CPU_RECIPE and full["baseline_epochs"] == 10
    assert full["train_images"] is None and full["threads"] == 2
    assert speed.CPU_RECIPE["model"] == "fast_cnn"


def test_cpu_recipe_is_the_one_the_recorded_search_picked():
    from cnnlib.experiments import recipe_search, speed
    from cnnlib.records import load_record

    record = load_record("fashion_recipe_search_cpu")
    rows = record["result"]["rows"]
    picked = recipe_search.pick_recipe(rows)
    assert picked["trial"] == record["result"]["picked"]
    assert picked["recipe"] == speed.CPU_RECIPE  # chosen on validation data, before the test set


def test_pick_recipe_keeps_the_time_margin():
    from cnnlib.experiments.recipe_search import pick_recipe

    rows = [{"trial": 1, "val_acc": 0.93, "train_seconds": 50.0},  # 60 s on 60k: too slow
            {"trial": 2, "val_acc": 0.92, "train_seconds": 40.0},
            {"trial": 3, "val_acc": 0.91, "train_seconds": 30.0}]
    assert pick_recipe(rows)["trial"] == 2
    with pytest.raises(ValueError, match="no trial fits"):
        pick_recipe(rows, limit_s=10.0)


def test_split_validation_is_disjoint_and_fixed():
    from cnnlib.experiments.recipe_search import split_validation

    data = _toy_data(100, 0)
    data = replace(data, images=torch.arange(100.0).view(100, 1, 1, 1).expand(100, 1, 12, 12))
    train, val = split_validation(data, n_val=20)
    ids = lambda d: set(d.images[:, 0, 0, 0].tolist())  # noqa: E731
    assert len(train) == 80 and len(val) == 20 and not ids(train) & ids(val)
    assert ids(split_validation(data, n_val=20)[1]) == ids(val)
    with pytest.raises(ValueError, match="n_val"):
        split_validation(data, n_val=100)


def test_helpful_switches_follow_the_table():
    from cnnlib.experiments.speed import TABLE_ROWS, helpful_switches

    def rows(cl: float, bf16: float, both: float) -> list[dict]:
        ratios = {TABLE_ROWS[3]: cl, TABLE_ROWS[4]: bf16, TABLE_ROWS[5]: both}
        return [{"config": name, "vs_against": ratios.get(name, 1.0)} for name in TABLE_ROWS[:6]]

    assert helpful_switches(rows(1.5, 0.8, 1.2)) == {"channels_last": True, "bf16": True}
    assert helpful_switches(rows(1.5, 1.3, 0.9)) == {"channels_last": True, "bf16": False}
    assert helpful_switches(rows(0.8, 1.3, 0.5)) == {"channels_last": False, "bf16": True}
    assert helpful_switches(rows(0.8, 0.25, 2.0)) == {"channels_last": False, "bf16": False}


def test_throughput_reports_the_warmup_apart():
    from cnnlib.fast import throughput

    data = _toy_data(256, 0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(144, 2))
    measured = throughput(model, data.batches(32, shuffle=True), steps=4, device="cpu")
    assert measured.images_per_s > 0 and measured.warmup_seconds > 0
    with pytest.raises(ValueError, match="more than warmup"):
        throughput(model, data.batches(128), steps=4, device="cpu")


def test_fit_times_the_test_scoring_apart():
    data = _toy_data(128, 0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(144, 2))
    history = fast_fit(model, data, data, epochs=2, batch_size=32, device="cpu", progress=False,
                       verbose=False)
    assert 0 < history.eval_seconds < history.seconds and history.eval_cpu_seconds >= 0


def test_fast_cnn_pool_first_has_the_same_parameters_and_output_shape():
    from cnnlib.models import build_model

    plain, pooled = build_model("fast_cnn"), build_model("fast_cnn", pool_first=True)
    assert [p.shape for p in plain.parameters()] == [p.shape for p in pooled.parameters()]
    x = torch.randn(4, 1, 28, 28)
    assert pooled(x).shape == plain(x).shape == (4, 10)
    kinds = [type(m).__name__ for m in pooled.features][:4]
    assert kinds == ["Conv2d", "MaxPool2d", "BatchNorm2d", "ReLU"]


def test_pick_epochs_takes_the_cheapest_that_clears_the_goal():
    from cnnlib.experiments.speed_gpu import pick_epochs

    sweep = [{"epochs": 2, "val_acc": 0.935, "train_seconds": 1.0},
             {"epochs": 4, "val_acc": 0.944, "train_seconds": 2.0},
             {"epochs": 8, "val_acc": 0.950, "train_seconds": 4.0}]
    goal = {"test_acc": 0.94, "train_seconds": 3.0}
    assert pick_epochs(sweep, goal, margin=0.003)["epochs"] == 4
    assert pick_epochs(sweep, goal, margin=0.02)["epochs"] == 4  # none clears: best that fits
    assert pick_epochs(sweep, {"test_acc": 0.9, "train_seconds": 0.5}, 0.0)["epochs"] == 2


def test_gpu_speed_run_works_end_to_end_on_the_cpu():
    """The GPU experiment's code path (table with compile, sweep, compiled goal runs), tiny."""
    from cnnlib.experiments import EXPERIMENTS

    exp = EXPERIMENTS["fashion_speed_gpu"]
    result = exp.run(exp.config("quick"))
    assert [r["config"] for r in result["rows"]][-1] == "batch 256 + torch.compile"
    assert len(result["sweep"]) == 1 and len(result["finals"]) == 2
    for final in result["finals"]:
        assert final["train_seconds"] < 10  # compiled beforehand: no compile in the timing
