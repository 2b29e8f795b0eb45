"""The command line: error paths give a clear message and a non-zero exit; one tiny real run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cnnlib.cli import EXIT_USAGE, UsageError, build_checked_model, main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, standin: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ, CNNLIB_DEVICE="cpu", CNNLIB_BUDGET="quick")
    shared = ROOT.parent / "shared" / "data"
    env.setdefault("CNNLIB_DATA", os.pathsep.join([str(ROOT / "data"), str(shared)]))
    if standin:
        env["CNNLIB_ALLOW_STANDIN"] = "1"
    return subprocess.run([sys.executable, "-m", "cnnlib", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def test_help_documents_train(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "train" in out and "JSON" in out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for option in ("--model", "--dataset", "--epochs", "--batch-size", "--lr", "--budget",
                   "--device", "--seed"):
        assert option in out


def test_python_dash_m_entry_point():
    result = run_cli("train", "--model", "no_such_model", "--dataset", "mnist")
    assert result.returncode == EXIT_USAGE
    assert "unknown model 'no_such_model'" in result.stderr and result.stdout == ""


def test_list_shows_models_and_datasets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "mnist_cnn" in out and "fast_lenet" in out and "fashion_mnist" in out


@pytest.mark.parametrize("args, fragment", [
    (["--model", "no_such_model", "--dataset", "mnist"], "unknown model 'no_such_model'"),
    (["--model", "mnist_cnn", "--dataset", "imagenet9"], "Unknown dataset 'imagenet9'"),
    (["--model", "mnist_cnn", "--dataset", "mnist", "--epochs", "0"], "--epochs must be at least"),
    (["--model", "mnist_cnn", "--dataset", "mnist", "--lr", "-1"], "--lr must be positive"),
    (["--model", "mnist_cnn", "--dataset", "mnist", "--batch-size", "0"], "--batch-size"),
])
def test_bad_arguments_exit_with_message(args, fragment, capsys):
    assert main(["train", *args]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert fragment in captured.err
    assert captured.out == ""


def test_model_that_does_not_fit_the_images_is_explained():
    # A network with a fixed-size FC layer for 28x28 single-channel images, given 3x32x32.
    from torch import nn

    from cnnlib.models import MODELS

    def fixed_net(num_classes: int = 10) -> nn.Module:
        return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, num_classes))

    MODELS["_test_fixed_net"] = fixed_net
    try:
        with pytest.raises(UsageError, match=r"does not fit CIFAR-10 images of shape 3x32x32"):
            build_checked_model("_test_fixed_net", "cifar10")
    finally:
        del MODELS["_test_fixed_net"]


def test_model_without_num_classes_is_explained():
    from torch import nn

    from cnnlib.models import MODELS

    MODELS["_test_two_classes"] = lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 2))
    try:
        with pytest.raises(UsageError, match=r"one score per class"):
            build_checked_model("_test_two_classes", "mnist")
    finally:
        del MODELS["_test_two_classes"]


def test_too_large_batch_is_explained(capsys, monkeypatch):
    monkeypatch.setenv("CNNLIB_DEVICE", "cpu")
    if "CNNLIB_DATA" not in os.environ:  # the offline MNIST subset lives in ../shared/data
        monkeypatch.setenv("CNNLIB_DATA", os.pathsep.join([str(ROOT / "data"),
                                                            str(ROOT.parent / "shared" / "data")]))
    status = main(["train", "--model", "fast_lenet", "--dataset", "mnist", "--limit", "50",
                   "--batch-size", "64", "--no-progress"])
    assert status == EXIT_USAGE
    assert "larger than the training set (50 images)" in capsys.readouterr().err


def test_tiny_real_run_prints_one_json_line():
    result = run_cli("train", "--model", "fast_lenet", "--dataset", "mnist", "--epochs", "1",
                     "--limit", "512", "--batch-size", "64", "--seed", "1", "--no-progress")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    for key in ("model", "dataset", "epochs", "device", "train_seconds", "test_acc", "standin"):
        assert key in record
    assert record["model"] == "fast_lenet" and record["dataset"] == "mnist"
    assert record["epochs"] == 1 and record["device"] == "cpu" and record["standin"] is False
    assert record["train_images"] == 512
    assert record["test_acc"] > 0.3  # far above chance (0.1) after one short epoch
    assert "fast_lenet on MNIST" in result.stderr  # fit's summary line goes to stderr


def test_cifar10_standin_is_flagged():
    result = run_cli("train", "--model", "fast_lenet", "--dataset", "cifar10", "--epochs", "1",
                     "--limit", "256", "--batch-size", "64", "--no-progress", standin=True)
    if result.returncode == 3:
        pytest.skip("CIFAR-10 stand-in needs Fashion-MNIST, which is not available here")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.strip().splitlines()[-1])
    if record["standin"]:
        assert "STAND-IN" in record["data"]
