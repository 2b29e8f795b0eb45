"""cnnlib.train and cnnlib.runtime: the loop learns, reports honestly, and the budget switch works."""

import pytest
import torch
from torch import nn

import cnnlib
from cnnlib import train
from cnnlib.data import ImageData


def toy_data(n: int, seed: int) -> ImageData:
    """Two classes that a tiny CNN separates easily: bright left half vs bright right half."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    images = torch.randn(n, 1, 8, 8, generator=g) * 0.3
    images[labels == 0, :, :, :4] += 1
    images[labels == 1, :, :, 4:] += 1
    return ImageData(images, labels, ["left", "right"], f"toy-{seed}", (0.0,), (1.0,))


def tiny() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(16, 2))


def test_fit_learns_and_summarises(capsys):
    cnnlib.seed_everything(0)
    history = train.fit(tiny(), toy_data(512, 0), toy_data(256, 1), epochs=3, lr=1e-2,
                        batch_size=64, device="cpu", progress=False, name="tiny")
    assert history.test_acc > 0.9
    assert len(history.epochs) == 3 and history.seconds > 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("tiny on toy-0 | device cpu | budget") and "test accuracy" in line


def test_fit_is_reproducible():
    runs = []
    for _ in range(2):
        cnnlib.seed_everything(1)
        runs.append(train.fit(tiny(), toy_data(128, 0), toy_data(64, 1), epochs=1, device="cpu",
                              progress=False).epochs[-1]["train_loss"])
    assert runs[0] == runs[1]


def test_standin_results_say_so():
    d = toy_data(64, 0)
    d.standin = True
    history = train.fit(tiny(), d, toy_data(32, 1), epochs=1, device="cpu", progress=False)
    assert "STAND-IN" in history.summary()


@pytest.mark.parametrize("bad", [dict(epochs=0), dict(epochs=1, schedule="cosine"),
                                 dict(epochs=1, optimizer="lbfgs")])
def test_bad_settings_are_explained(bad):
    with pytest.raises(ValueError):
        train.fit(tiny(), toy_data(16, 0), toy_data(16, 1), device="cpu", progress=False, **bad)


def test_budget_switch(monkeypatch):
    monkeypatch.setenv("CNNLIB_BUDGET", "full")
    assert cnnlib.budget() == "full" and cnnlib.by_budget(quick=1, full=2) == 2
    monkeypatch.setenv("CNNLIB_BUDGET", "quick")
    assert cnnlib.by_budget(quick=1, full=2) == 1
    monkeypatch.setenv("CNNLIB_BUDGET", "huge")
    with pytest.raises(ValueError, match="CNNLIB_BUDGET"):
        cnnlib.budget()
    monkeypatch.delenv("CNNLIB_BUDGET")
    expected = "full" if cnnlib.pick_device().type != "cpu" else "quick"
    assert cnnlib.budget() == expected


def test_device_override(monkeypatch):
    monkeypatch.setenv("CNNLIB_DEVICE", "cpu")
    assert cnnlib.pick_device() == torch.device("cpu")
