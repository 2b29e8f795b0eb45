"""The command line: error paths give a clear message and a non-zero exit; every model trains one step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cnnlib.cli import EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_USAGE, UsageError, build_checked_model, main

ROOT = Path(__file__).resolve().parent.parent


def strict_loads(line: str) -> dict:
    """json.loads that refuses NaN/Infinity (not JSON, though Python writes them by default)."""
    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")
    return json.loads(line, parse_constant=refuse)


def run_cli(*args: str, standin: bool = False, **env_extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CNNLIB_DEVICE="cpu", CNNLIB_BUDGET="quick", **env_extra)
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
                   "--device", "--seed", "--no-resize"):
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
    (["--model", "mnist_cnn", "--dataset", "mnist", "--lr", "0"], "--lr must be positive"),
    (["--model", "mnist_cnn", "--dataset", "mnist", "--lr", "inf"], "--lr must be positive and finite"),
    (["--model", "mnist_cnn", "--dataset", "mnist", "--lr", "nan"], "--lr must be positive and finite"),
    (["--model", "mnist_cnn", "--dataset", "mnist", "--lr", "1e30"], "absurdly large"),
    (["--model", "mnist_cnn", "--dataset", "mnist", "--batch-size", "0"], "--batch-size"),
    (["--model", "mnist_cnn", "--dataset", "mnist", "--limit", "3"], "--limit must be at least 10"),
    (["--model", "mnist_cnn", "--dataset", "mnist", "--device", "gpu7"], "--device='gpu7' is not a device"),
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


def test_small_images_are_resized_to_the_smallest_size_that_works():
    model, key, kwargs, size, aux = build_checked_model("lenet5", "mnist")  # LeNet-5 wants 32x32
    assert (key, size, aux) == ("mnist", 32, False)
    with pytest.raises(UsageError, match=r"It works with 32x32 images: drop --no-resize"):
        build_checked_model("lenet5", "mnist", resize=False)
    assert build_checked_model("alexnet", "mnist")[3] == 64  # AlexNet's stride-4 stem needs more


def test_googlenet_trains_on_main_and_auxiliary_losses():
    *_, size, aux = build_checked_model("googlenet", "mnist")
    assert aux and size == 28


def test_too_large_batch_is_explained(capsys, monkeypatch):
    monkeypatch.setenv("CNNLIB_DEVICE", "cpu")
    status = main(["train", "--model", "fast_lenet", "--dataset", "mnist", "--limit", "50",
                   "--batch-size", "64", "--no-progress"])
    assert status == EXIT_USAGE
    assert "larger than the training set (50 images)" in capsys.readouterr().err


def test_tiny_real_run_prints_one_json_line():
    result = run_cli("train", "--model", "fast_lenet", "--dataset", "mnist", "--epochs", "1",
                     "--limit", "512", "--batch-size", "64", "--lr", "3e-3", "--seed", "1", "--no-progress")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    record = strict_loads(lines[0])
    for key in ("status", "model", "dataset", "epochs", "device", "train_seconds", "test_acc", "standin",
                "offline_subset", "data_note", "final_train_loss", "world_size", "image_size"):
        assert key in record
    assert record["status"] == "ok" and record["world_size"] == 1
    assert record["model"] == "fast_lenet" and record["dataset"] == "mnist"
    assert record["epochs"] == 1 and record["device"] == "cpu" and record["standin"] is False
    assert record["train_images"] == 512 and record["final_train_loss"] > 0
    assert record["test_acc"] > 0.3  # far above chance (0.1) after one short epoch
    assert "fast_lenet on MNIST" in result.stderr  # fit's summary line goes to stderr
    if record["offline_subset"]:  # no full MNIST here: the result says so everywhere
        assert "offline subset" in record["data"] and record["data_note"]
        assert "OFFLINE SUBSET" in result.stderr


def test_cifar10_standin_is_flagged():
    result = run_cli("train", "--model", "fast_lenet", "--dataset", "cifar10", "--epochs", "1",
                     "--limit", "256", "--batch-size", "64", "--no-progress", standin=True)
    if result.returncode == 3:
        pytest.skip("CIFAR-10 stand-in needs Fashion-MNIST, which is not available here")
    assert result.returncode == 0, result.stderr
    record = strict_loads(result.stdout.strip().splitlines()[-1])
    if record["standin"]:
        assert "STAND-IN" in record["data"] and "STAND-IN" in record["data_note"]


def test_budget_follows_the_device_used(monkeypatch, capsys):
    """CNNLIB_DEVICE names a GPU, but --device cpu trains on the CPU: the quick budget."""
    monkeypatch.setenv("CNNLIB_DEVICE", "cuda")  # (this machine need not have one: --device wins)
    monkeypatch.delenv("CNNLIB_BUDGET", raising=False)
    status = main(["train", "--model", "fast_lenet", "--dataset", "mnist", "--limit", "20", "--epochs", "1",
                   "--batch-size", "10", "--device", "cpu", "--no-progress"])
    assert status == 0, capsys.readouterr().err
    record = strict_loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["device"] == "cpu" and record["budget"] == "quick"


def _nan_model(num_classes: int = 10, in_channels: int = 1):
    """A model whose training loss is NaN from the first step (its outputs are finite in eval mode)."""
    import torch
    from torch import nn

    class Blows(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(in_channels * 28 * 28, num_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.fc(x.flatten(1))
            return out * float("nan") if self.training and torch.is_grad_enabled() else out

    return Blows()


def test_diverged_training_exits_non_zero_with_strict_json(capsys):
    from cnnlib.models import MODELS

    MODELS["_test_nan"] = _nan_model
    try:
        status = main(["train", "--model", "_test_nan", "--dataset", "mnist", "--limit", "40", "--epochs", "1",
                       "--batch-size", "10", "--device", "cpu", "--no-progress"])
    finally:
        del MODELS["_test_nan"]
    captured = capsys.readouterr()
    assert status == EXIT_DIVERGED
    record = strict_loads(captured.out.strip().splitlines()[-1])  # no NaN/Infinity in the line
    assert record["status"] == "diverged" and "final_train_loss" in record and record["test_acc"] is None
    assert "epoch 1, step 1" in record["error"] and "lower learning rate" in record["error"]
    assert "Training diverged" in captured.err


def test_ctrl_c_stops_with_one_line_and_status_130(monkeypatch, capsys):
    import cnnlib.train

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cnnlib.train, "fit", interrupted)
    status = main(["train", "--model", "fast_lenet", "--dataset", "mnist", "--limit", "20", "--epochs", "1",
                   "--batch-size", "10", "--device", "cpu", "--no-progress"])
    captured = capsys.readouterr()
    assert status == EXIT_INTERRUPTED == 130
    assert captured.out == ""
    assert captured.err.strip().splitlines()[-1].startswith("python -m cnnlib train: interrupted (Ctrl-C)")


def test_real_sigint_during_a_run():
    """A real Ctrl-C (SIGINT) during a run: exit 130, one line, no traceback, nothing on stdout."""
    env = dict(os.environ, CNNLIB_DEVICE="cpu", CNNLIB_BUDGET="quick", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "cnnlib", "train", "--model", "mnist_cnn", "--dataset", "mnist",
                             "--epochs", "20", "--batch-size", "32"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            # a shell's background job inherits SIGINT ignored; Ctrl-C is the default
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = b""
    while b"\n" not in first and b"\r" not in first:  # the first note or progress update: under way
        chunk = os.read(proc.stderr.fileno(), 256)  # unbuffered, so communicate() misses nothing
        if not chunk:
            break
        first += chunk
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    err = (first + err).decode()
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert out == b"" and "Traceback" not in err
    assert "python -m cnnlib train: interrupted (Ctrl-C)" in err.strip().splitlines()[-1]


def _registered_models() -> list[str]:
    from cnnlib.models import MODELS

    return sorted(name for name in MODELS if not name.startswith("_"))


@pytest.mark.parametrize("name", _registered_models())
def test_every_registered_model_trains_one_step(name, capsys):
    """One step (10 images, batch 10) of every model from the CLI; small images are resized."""
    status = main(["train", "--model", name, "--dataset", "mnist", "--limit", "10", "--epochs", "1",
                   "--batch-size", "10", "--optimizer", "sgd", "--device", "cpu", "--no-progress"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    record = strict_loads(captured.out.strip().splitlines()[-1])
    assert record["status"] == "ok" and record["train_images"] == 10
    assert record["resized"] == (record["image_size"] != 28)
    assert (record["aux_loss_weight"] == 0.3) == (name == "googlenet")
