"""Part III experiments (augmentation, transfer, MNIST), the resize helpers and the curve plot."""

import dataclasses

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from cnnlib import plot, resize  # noqa: E402
from cnnlib.data import ImageData  # noqa: E402
from cnnlib.experiments import EXPERIMENTS  # noqa: E402
from cnnlib.experiments import transfer as tr  # noqa: E402
from cnnlib.style import legibility_problems  # noqa: E402


def grey_data(n=6, side=28, classes=10):
    """A tiny normalised grey dataset with labels 0..classes-1 repeated."""
    g = torch.Generator().manual_seed(0)
    pixels = torch.rand(n, 1, side, side, generator=g)
    mean, std = (0.3,), (0.4,)
    return ImageData(images=(pixels - 0.3) / 0.4, labels=torch.arange(n) % classes,
                     classes=[str(i) for i in range(classes)], name="toy train", mean=mean, std=std)


@pytest.mark.parametrize("name, chapter", [("augmentation", "17_data_augmentation"),
                                           ("augmentation_seeds", "17_data_augmentation"),
                                           ("augmentation_full_seeds", "17_data_augmentation"),
                                           ("transfer", "19_transfer_learning"),
                                           ("transfer_seeds", "19_transfer_learning"),
                                           ("transfer_full_seeds", "19_transfer_learning"),
                                           ("mnist", "16_mnist_cnn")])
def test_part3_experiments_are_registered(name, chapter):
    exp = EXPERIMENTS[name]
    assert exp.chapter == chapter and exp.quick != exp.full


def test_augmentation_seeds_runs_the_comparison_once_per_seed():
    exp = EXPERIMENTS["augmentation_seeds"]
    config = {**exp.quick, "train_images": 64, "test_images": 64, "epochs": 1, "seeds": [0, 1]}
    result = exp.run(config)
    assert [r["seed"] for r in result["rows"]] == [0, 1] and result["threads"] == torch.get_num_threads()
    for r in result["rows"]:
        assert r["edge"] == pytest.approx(r["aug_test_acc"] - r["plain_test_acc"], abs=1e-4)
        assert r["gap_cut"] == pytest.approx(r["plain_gap"] - r["aug_gap"], abs=1e-4)


def test_transfer_seeds_reports_head_starts_and_final_edges():
    exp = EXPERIMENTS["transfer_seeds"]
    config = {**exp.quick, "source_images": 200, "source_epochs": 1, "test_images": 100, "epochs": 2,
              "seeds": [0]}
    (row,) = exp.run(config)["rows"]
    assert row["seed"] == 0 and set(row["head_start"]) == set(tr.STRATEGIES[1:]) == set(row["final_edge"])
    assert all(-1 <= v <= 1 for v in [*row["head_start"].values(), *row["final_edge"].values()])


def test_pad_to_uses_the_background_colour():
    data = grey_data()
    padded = resize.pad_to(data, 32)
    assert padded.images.shape == (6, 1, 32, 32)
    torch.testing.assert_close(padded.images[:, :, 2:30, 2:30], data.images)
    black = (0 - 0.3) / 0.4
    assert torch.allclose(padded.images[:, :, :2], torch.tensor(black))
    assert torch.allclose(padded.denormalize(padded.images)[:, :, :, :2], torch.tensor(0.0))
    with pytest.raises(ValueError, match="smaller than the images"):
        resize.pad_to(data, 20)
    with pytest.raises(ValueError, match="side"):
        resize.pad_to(data, 0)


def test_resize_to_rgb_and_renormalize_keep_the_pixels():
    data = grey_data()
    big = resize.resize(data, 56)
    assert big.images.shape == (6, 1, 56, 56)
    rgb = resize.to_rgb(big)
    assert rgb.images.shape == (6, 3, 56, 56) and len(rgb.mean) == 3
    imagenet = resize.renormalize(rgb, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    torch.testing.assert_close(imagenet.denormalize(imagenet.images), rgb.denormalize(rgb.images))
    with pytest.raises(ValueError, match="one per channel"):
        resize.renormalize(data, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


def test_split_halves_and_grouped_make_a_new_task_on_other_images():
    data = grey_data(n=40)
    source, target = tr.split_halves(data, seed=0)
    assert len(source) + len(target) == 40
    assert not set(map(tuple, source.images.flatten(1)[:, :5].tolist())) & set(
        map(tuple, target.images.flatten(1)[:, :5].tolist()))          # disjoint images
    groups = {"a": (0, 1), "b": (2,), "c": (3, 4, 5)}
    task = tr.grouped(data, groups, per_group=3, seed=1)
    assert len(task) == 9 and sorted(task.labels.tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert task.classes == ["a", "b", "c"]
    every = tr.grouped(data, groups)
    expected = {0: 0, 1: 0, 2: 1, 3: 2, 4: 2, 5: 2}
    original = torch.arange(40) % 10
    assert sorted(every.labels.tolist()) == sorted(expected[int(c)] for c in original if int(c) in expected)
    assert torch.equal(task.images, tr.grouped(data, groups, per_group=3, seed=1).images)


def test_early_accuracy_is_the_mean_of_the_first_half():
    result = {"epochs": [{"strategy": "s", "draw": 0, "epoch": e, "test_acc": a}
                         for e, a in zip((1, 2, 3, 4), (0.1, 0.3, 0.8, 0.9), strict=True)]}
    assert tr.early_accuracy(result, "s") == pytest.approx(0.2)


def test_strategies_freeze_what_they_say():
    source = tr.TransferNet(5)
    state = source.state_dict()
    counts = {}
    for strategy in tr.STRATEGIES:
        model = tr.transfer_model(strategy, state, 5, (16, 32, 64), 64)
        counts[strategy] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in source.parameters())
    features = sum(p.numel() for p in source.features.parameters())
    assert counts["from scratch"] == counts["fine-tune all"] == total
    assert counts["freeze features"] == total - features      # the whole feature extractor
    assert counts["new head only"] == 64 * 5 + 5
    assert features > 0.8 * total                              # most weights are in the features
    with pytest.raises(ValueError, match="strategy"):
        tr.transfer_model("freeze all", state, 5, (16, 32, 64), 64)


def test_frozen_batch_norm_stays_fixed_in_training_mode():
    model = tr.transfer_model("freeze features", tr.TransferNet(5).state_dict(), 5, (16, 32, 64), 64)
    model.train()
    bns = [m for m in model.features.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    before = [m.running_mean.clone() for m in bns]
    x = torch.randn(8, 1, 28, 28)
    alone, in_batch = model.features(x[:4]), model.features(x)[:4]
    torch.testing.assert_close(alone, in_batch)                  # no batch statistics
    assert bns and all(torch.equal(a, m.running_mean) for a, m in zip(before, bns, strict=True))
    assert model.classifier.training


def test_plot_runs_is_legible_and_checks_input():
    rows = [{"epoch": e, "train_loss": 1 / e, "test_loss": 1.2 / e, "train_acc": 0.5, "test_acc": 0.4}
            for e in (1, 2, 3)]
    fig = plot.plot_runs({"quick": rows, "recorded": rows})
    assert legibility_problems(fig) == []
    with pytest.raises(ValueError, match="empty"):
        plot.plot_runs({})


def test_transfer_run_tiny(monkeypatch):
    """The experiment end to end on a toy dataset (shapes and keys, not accuracy)."""
    import cnnlib.data

    toy = dataclasses.replace(grey_data(n=60))
    monkeypatch.setattr(cnnlib.data, "load_images", lambda *a, **k: toy)
    config = {**tr.QUICK, "source_images": 8, "source_epochs": 1, "labels_per_class": 2,
              "test_images": 20, "epochs": 2, "batch_size": 4}
    result = tr.run(config)
    assert [r["strategy"] for r in result["rows"]] == list(tr.STRATEGIES)
    assert set(result["mean_test_acc"]) == set(tr.STRATEGIES) and result["epochs"]
