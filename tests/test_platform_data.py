"""cnnlib.data: where datasets are looked for, offline errors, the CIFAR-10 stand-in."""

import os
from pathlib import Path

import pytest
import torch

from cnnlib import data


def test_roots_from_env_in_order(monkeypatch, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv("CNNLIB_DATA", f"{first}{os.pathsep}{second}")
    assert data.data_roots() == [first, second]


def test_relative_roots_are_rejected(monkeypatch):
    monkeypatch.setenv("CNNLIB_DATA", "relative/dir")
    with pytest.raises(ValueError, match="CNNLIB_DATA must hold absolute"):
        data.data_roots()


def offline(monkeypatch) -> None:
    """No download possible (as on the course's CI machines), whatever this machine can reach."""
    def refuse(key, dest):
        raise OSError("offline (test)")

    monkeypatch.setattr(data, "_download", refuse)
    monkeypatch.setattr(data, "_DOWNLOAD_FAILED", {})
    monkeypatch.setattr(data, "_NOTES_SHOWN", set())


def test_default_root_is_the_repository_data_folder(monkeypatch):
    monkeypatch.delenv("CNNLIB_DATA", raising=False)
    assert data.data_roots() == [Path(data.__file__).resolve().parent.parent / "data"]


def test_dataset_names_are_forgiving():
    assert data.dataset_key("Fashion-MNIST") == "fashion_mnist"
    assert data.dataset_key("CIFAR10") == "cifar10"
    with pytest.raises(ValueError, match="Unknown dataset 'imagenet'"):
        data.dataset_key("imagenet")


def test_missing_dataset_offline_says_where_and_how(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path))
    monkeypatch.delenv("CNNLIB_ALLOW_STANDIN", raising=False)
    offline(monkeypatch)
    with pytest.raises(data.DatasetNotFoundError) as error:
        data.load_dataset("cifar10")
    message = str(error.value)
    assert "CIFAR-10" in message and str(tmp_path) in message and "To fix" in message


needs_fashion = pytest.mark.skipif(not data.DEBIAN_FASHION_MNIST.exists(),
                                   reason="Debian package dataset-fashion-mnist not installed")


@needs_fashion
def test_fashion_mnist_is_prepared_from_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path))
    test = data.load_images("fashion_mnist", train=False, limit=100)
    assert (tmp_path / "FashionMNIST" / "raw").is_dir()
    assert test.images.shape == (100, 1, 28, 28) and test.labels.max() < 10
    assert abs(data.load_images("fashion_mnist", train=False).images.mean().item()) < 0.1


@needs_fashion
def test_cifar10_standin_is_announced(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path))
    monkeypatch.setenv("CNNLIB_ALLOW_STANDIN", "1")
    offline(monkeypatch)
    standin = data.load_images("cifar10", train=False, limit=50)
    assert standin.standin and "STAND-IN" in standin.name
    assert standin.images.shape == (50, 3, 32, 32)
    assert "STAND-IN" in capsys.readouterr().out
    assert standin.note == data.STANDIN_NOTE


def test_mnist_offline_subset_is_shipped_balanced_and_announced(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path))
    offline(monkeypatch)
    train = data.load_images("mnist", train=True)
    test = data.load_images("mnist", train=False)
    assert (len(train), len(test)) == (8_000, 2_000)
    assert torch.bincount(test.labels, minlength=10).tolist() == [200] * 10  # balanced by class
    for split in (train, test):
        assert split.name.startswith("MNIST offline subset (10,000 digits, not the official split)")
        assert split.note == data.SUBSET_NOTE and not split.standin
    assert "offline subset" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())  # nothing written: the subset is read from the package
    assert abs(train.images.mean().item()) < 0.1  # normalised with MNIST's statistics
    assert data.load_dataset("mnist", train=False)[0][0].size == (28, 28)  # PIL images, like torchvision


def test_subset_package_data_matches_its_readme():
    readme = (data.PACKAGE_DATA / "mnist_subset" / "README.md").read_text()
    for name, digest in data.SUBSET_SHA256.items():
        assert f"{name} {digest}" in readme
    assert "MIT" in readme and "Juan Cazala" in readme
    size = sum(f.stat().st_size for f in (data.PACKAGE_DATA / "mnist_subset").glob("*.gz"))
    assert size < 1_700_000

def test_limit_is_checked():
    for bad in (-5, 0, 2.5, True):
        with pytest.raises(ValueError, match="limit must be a positive whole number"):
            data.load_images("mnist", limit=bad)


def test_image_data_batches_cover_everything_once():
    images = torch.arange(10.0).view(10, 1, 1, 1)
    d = data.ImageData(images, torch.arange(10), ["c"] * 10, "toy", (0.0,), (1.0,))
    seen = torch.cat([y for _, y in d.batches(3, shuffle=True, generator=torch.Generator().manual_seed(0))])
    assert sorted(seen.tolist()) == list(range(10))
    assert len(d.subset(4)) == 4


def test_sample_photo_is_rgb_in_unit_range():
    photo = data.sample_photo("logo", size=32)  # a PNG with an alpha channel
    assert photo.shape[0] == 3 and min(photo.shape[1:]) == 32
    assert 0 <= photo.min() and photo.max() <= 1
