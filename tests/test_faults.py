"""Fault injection: damaged, truncated, interrupted and concurrent data preparation; diverging and
degenerate training; bad settings. Each fault is either repaired or stopped with a message that
names the file or setting and how to fix it.

Everything happens in temporary data roots (CNNLIB_DATA) with a temporary copy of the Debian
Fashion-MNIST files, so the real ./data and /usr/share/datasets are never touched.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from cnnlib import data, integrity, runtime, train
from cnnlib.data import ImageData

ROOT = Path(__file__).resolve().parent.parent
needs_debian = pytest.mark.skipif(not data.DEBIAN_FASHION_MNIST.exists(),
                                  reason="Debian package dataset-fashion-mnist not installed")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def offline(monkeypatch):
    """No download possible, whatever this machine can reach; notes shown afresh."""
    def refuse(key, dest):
        raise OSError("offline (test)")

    monkeypatch.setattr(data, "_download", refuse)
    monkeypatch.setattr(data, "_DOWNLOAD_FAILED", {})
    monkeypatch.setattr(data, "_NOTES_SHOWN", set())


@pytest.fixture(scope="session")
def debian_master(tmp_path_factory) -> Path:
    """One copy of the Debian .gz files for the whole session (tests copy or link it)."""
    if not data.DEBIAN_FASHION_MNIST.exists():
        pytest.skip("Debian package dataset-fashion-mnist not installed")
    folder = tmp_path_factory.mktemp("debian")
    for gz in data.DEBIAN_FASHION_MNIST.glob("*.gz"):
        shutil.copy(gz, folder / gz.name)
    return folder


@pytest.fixture
def debian(debian_master, tmp_path, monkeypatch) -> Path:
    """A private copy of the Debian files that cnnlib uses as the source (tests may damage it)."""
    folder = tmp_path / "debian"
    shutil.copytree(debian_master, folder)
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", folder)
    return folder


@pytest.fixture(scope="session")
def prepared_master(tmp_path_factory, debian_master) -> Path:
    """Verified, decompressed Fashion-MNIST files (made once), to copy into test roots."""
    folder = tmp_path_factory.mktemp("prepared")
    for name in data.IDX_NAMES:
        with gzip.open(debian_master / f"{name}.gz") as src:
            (folder / name).write_bytes(src.read())
        assert sha256(folder / name) == data.FASHION_SHA256[name]
    return folder


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    """An empty data root, the only one cnnlib looks in."""
    path = tmp_path / "data"
    monkeypatch.setenv("CNNLIB_DATA", str(path))
    return path


@pytest.fixture
def fashion(root, prepared_master, debian, offline) -> Path:
    """A root holding prepared Fashion-MNIST; returns its raw folder."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in data.IDX_NAMES:
        shutil.copy(prepared_master / name, raw / name)
    return raw


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNLIB_")}
    return dict(env, OMP_NUM_THREADS="1", **extra)


# --- damaged files ---------------------------------------------------------------------------
def test_truncated_file_is_named_and_repaired_from_the_debian_copy(fashion, capsys):
    target = fashion / "train-images-idx3-ubyte"
    with open(target, "r+b") as f:
        f.truncate(1_000_000)  # what an interrupted copy used to leave behind
    loaded = data.load_images("fashion_mnist", train=True, limit=10)
    out = capsys.readouterr().out
    assert str(target) in out and "truncated: 1,000,000 bytes, expected 47,040,016" in out
    assert "repairing" in out and len(loaded) == 10
    assert sha256(target) == data.FASHION_SHA256[target.name]


def test_random_bytes_behind_an_intact_header_are_caught_by_the_checksum(fashion, capsys):
    target = fashion / "train-images-idx3-ubyte"
    with open(target, "r+b") as f:  # same size, valid header, garbage pixels
        f.seek(16 + 1000)
        f.write(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    data.load_images("fashion_mnist", train=True, limit=10)
    out = capsys.readouterr().out
    assert str(target) in out and "checksum does not match" in out
    assert sha256(target) == data.FASHION_SHA256[target.name]


def test_corrupt_label_byte_is_repaired_not_trained_on(fashion):
    target = fashion / "t10k-labels-idx1-ubyte"
    raw = bytearray(target.read_bytes())
    raw[100] = 200  # a label far out of range
    target.write_bytes(bytes(raw))
    test = data.load_images("fashion_mnist", train=False)
    assert int(test.labels.max()) == 9
    assert sha256(target) == data.FASHION_SHA256[target.name]


def test_damaged_file_without_a_source_gives_a_clear_error(fashion, monkeypatch, tmp_path):
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian-here")
    target = fashion / "t10k-images-idx3-ubyte"
    with open(target, "r+b") as f:
        f.truncate(123)
    with pytest.raises(data.DatasetDamagedError) as error:
        data.load_images("fashion_mnist", train=False)
    message = str(error.value)
    assert str(target) in message and "truncated" in message and "To fix: delete these files" in message
    assert "dataset-fashion-mnist" in message  # how to get a source back


def test_a_damaged_debian_copy_is_never_used_as_a_source(fashion, debian, capsys):
    with open(debian / "train-labels-idx1-ubyte.gz", "r+b") as f:
        f.seek(100)
        f.write(b"\xff" * 20)
    target = fashion / "train-labels-idx1-ubyte"
    target.write_bytes(b"\0" * target.stat().st_size)
    with pytest.raises(data.DatasetDamagedError, match="train-labels-idx1-ubyte"):
        data.load_images("fashion_mnist", train=True)
    assert "apt-get install --reinstall dataset-fashion-mnist" in capsys.readouterr().out


def _write_idx(path: Path, array: np.ndarray) -> None:
    magic = 0x0803 if array.ndim == 3 else 0x0801
    path.write_bytes(np.array([magic, *array.shape], dtype=">u4").tobytes() + array.astype(np.uint8).tobytes())


@pytest.fixture
def fake_mnist(root, offline) -> Path:
    """Files of the official MNIST sizes (no official copy here), checked by size and label range."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60_000), ("t10k", 10_000)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n))
    return raw


def test_labels_out_of_range_are_refused_on_load(fake_mnist):
    labels = fake_mnist / "t10k-labels-idx1-ubyte"
    _write_idx(labels, np.full(10_000, 12))
    with pytest.raises(data.DatasetDamagedError) as error:
        data.load_images("mnist", train=False)
    message = str(error.value)
    assert "10,000 labels out of range 0..9" in message and "t10k-labels-idx1-ubyte" in message


def test_label_count_and_image_shape_are_validated():
    images, labels = torch.zeros(5, 28, 28), torch.zeros(4, dtype=torch.long)
    with pytest.raises(data.DatasetDamagedError, match="4 labels for 5 images"):
        data._validate(images, labels, "mnist", "somewhere")
    with pytest.raises(data.DatasetDamagedError, match=r"shape \(27, 28\), expected \(28, 28\)"):
        data._validate(torch.zeros(4, 27, 28), labels, "mnist", "somewhere")


def test_a_file_changed_after_verification_is_caught_without_a_published_checksum(fake_mnist):
    data.load_images("mnist", train=False, limit=10)  # first load: verified and stamped
    images = fake_mnist / "t10k-images-idx3-ubyte"
    with open(images, "r+b") as f:
        f.seek(5000)
        f.write(b"\x01\x02\x03")
    with pytest.raises(data.DatasetDamagedError, match="changed since it was verified"):
        data.load_images("mnist", train=False)


def test_idx_reader_refuses_a_short_file():
    raw = np.array([0x0803, 10, 28, 28], dtype=">u4").tobytes() + b"\0" * 100
    with pytest.raises(data.DatasetDamagedError, match="truncated or damaged"):
        data.read_idx(raw, "x")


def test_offline_switch_never_downloads(root, monkeypatch):
    def no_download(key, dest):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(data, "_download", no_download)
    monkeypatch.setenv("CNNLIB_OFFLINE", "1")
    assert data.load_images("mnist", train=False).note == data.SUBSET_NOTE


def test_the_stamp_makes_the_second_load_skip_hashing(fashion, monkeypatch):
    data.load_images("fashion_mnist", train=False, limit=10)

    def no_hashing(*args, **kwargs):
        raise AssertionError("files were hashed again")

    monkeypatch.setattr(integrity, "digests", no_hashing)
    assert len(data.load_images("fashion_mnist", train=False, limit=10)) == 10


def test_damaged_package_subset_says_reinstall(monkeypatch, tmp_path, root, offline):
    copy = tmp_path / "datasets"
    shutil.copytree(data.PACKAGE_DATA, copy)
    gz = copy / "mnist_subset" / "t10k-labels-idx1-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:200])
    monkeypatch.setattr(data, "PACKAGE_DATA", copy)
    monkeypatch.setattr(data, "_SUBSET_CACHE", {})
    with pytest.raises(data.DatasetDamagedError, match="Reinstall cnnlib"):
        data.load_images("mnist", train=False)


def test_mnist_repaired_from_a_verified_gz_beside_it(root, offline, monkeypatch):
    """A damaged decompressed file is re-made from its .gz when the .gz matches its published MD5."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(1)
    md5 = {}
    for prefix, n in (("train", 60_000), ("t10k", 10_000)):
        for name, array in ((f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28))),
                            (f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n))):
            _write_idx(raw / name, array)
            (raw / f"{name}.gz").write_bytes(gzip.compress((raw / name).read_bytes(), mtime=0))
            md5[name] = hashlib.md5((raw / f"{name}.gz").read_bytes()).hexdigest()
    monkeypatch.setattr(data, "_official_gz_md5", lambda key: md5)
    good = sha256(raw / "train-labels-idx1-ubyte")
    (raw / "train-labels-idx1-ubyte").write_bytes(b"\0" * 60_008)  # right size, wrong content
    assert len(data.load_images("mnist", train=True, limit=10)) == 10
    assert sha256(raw / "train-labels-idx1-ubyte") == good


# --- interrupted and concurrent preparation -----------------------------------------------------
def test_an_interrupted_copy_leaves_nothing_half_written(root, debian, offline, monkeypatch):
    def half_then_ctrl_c(src, dst):
        dst.write(src.read(1000))
        raise KeyboardInterrupt

    monkeypatch.setattr(integrity, "copy_stream", half_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        data.load_images("fashion_mnist", train=False)
    raw = root / "FashionMNIST" / "raw"
    assert not any(p.name.endswith(integrity.PART) or p.name in data.IDX_NAMES for p in raw.iterdir())
    monkeypatch.undo()  # the next run, not interrupted
    monkeypatch.setenv("CNNLIB_DATA", str(root))
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", debian)
    assert len(data.load_images("fashion_mnist", train=False)) == 10_000


def test_a_killed_preparation_is_cleaned_up_and_redone(root, debian, offline):
    """SIGKILL in the middle of decompressing: no code of ours runs, yet the next run recovers."""
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from cnnlib import data, integrity
        data.DEBIAN_FASHION_MNIST = Path({str(debian)!r})
        def die(src, dst):
            dst.write(src.read(1_000_000))
            dst.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        integrity.copy_stream = die
        data.load_images("fashion_mnist", train=False)
    """)
    done = subprocess.run([sys.executable, "-c", script], env=child_env(CNNLIB_DATA=str(root)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr
    raw = root / "FashionMNIST" / "raw"
    leftovers = [p for p in raw.iterdir() if p.name.endswith(integrity.PART)]
    assert leftovers and not any((raw / n).exists() for n in data.IDX_NAMES)  # only a temporary file
    assert len(data.load_images("fashion_mnist", train=False)) == 10_000
    assert not any(p.name.endswith(integrity.PART) for p in raw.iterdir())


def test_two_first_runs_at_once_are_safe(root, debian):
    script = textwrap.dedent(f"""
        from pathlib import Path
        from cnnlib import data
        data.DEBIAN_FASHION_MNIST = Path({str(debian)!r})
        def refuse(key, dest):
            raise OSError("offline (test)")
        data._download = refuse
        d = data.load_images("fashion_mnist", train=True)
        print(len(d), float(d.images.mean()))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], env=child_env(CNNLIB_DATA=str(root)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
    assert results[0][0] == results[1][0] and results[0][0].startswith("60000 ")
    raw = root / "FashionMNIST" / "raw"
    for name in data.IDX_NAMES:
        assert sha256(raw / name) == data.FASHION_SHA256[name]
    assert not any(p.name.endswith(integrity.PART) for p in raw.iterdir())


# --- data roots --------------------------------------------------------------------------------
def test_a_read_only_first_root_falls_back_to_the_next_writable_one(tmp_path, monkeypatch, debian, offline, capsys):
    locked, spare = tmp_path / "locked", tmp_path / "spare"
    locked.mkdir()
    locked.chmod(0o555)
    if integrity.can_create_in(locked):  # root ignores permission bits: fake a read-only mount
        real = integrity.can_create_in
        monkeypatch.setattr(integrity, "can_create_in", lambda folder: folder != locked and real(folder))
    monkeypatch.setenv("CNNLIB_DATA", f"{locked}{os.pathsep}{spare}")
    try:
        loaded = data.load_images("fashion_mnist", train=False, limit=10)
    finally:
        locked.chmod(0o755)
    assert len(loaded) == 10
    assert (spare / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte").exists()
    assert f"cannot write Fashion-MNIST to {locked} (it is read-only); using {spare} instead" in capsys.readouterr().out


def test_no_writable_root_is_a_clear_error(tmp_path, monkeypatch, offline):
    monkeypatch.setattr(integrity, "can_create_in", lambda folder: False)
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "none")
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path / "a"))
    with pytest.raises(runtime.SettingError, match="No data root can be written"):
        data.load_images("fashion_mnist", train=False)


def test_a_root_that_is_a_file(tmp_path, monkeypatch, fashion, capsys):
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    monkeypatch.setenv("CNNLIB_DATA", str(a_file))
    with pytest.raises(runtime.SettingError, match="CNNLIB_DATA names no directory, only files"):
        data.load_images("fashion_mnist", train=False)
    monkeypatch.setenv("CNNLIB_DATA", f"{a_file}{os.pathsep}{fashion.parent.parent}")
    assert len(data.load_images("fashion_mnist", train=False, limit=10)) == 10
    assert f"{a_file} (from CNNLIB_DATA) is a file, not a directory" in capsys.readouterr().out


# --- CIFAR-10: a fake archive with its own published checksums ----------------------------------
@pytest.fixture
def fake_cifar(root, offline, monkeypatch) -> Path:
    """A tiny cifar-10-python.tar.gz (10 images per batch) whose MD5s stand in for the published ones."""
    import torchvision.datasets as tvd

    rng = np.random.default_rng(0)
    members = {}
    for name in [n for n, _ in tvd.CIFAR10.train_list + tvd.CIFAR10.test_list]:
        batch = {"data": rng.integers(0, 256, (10, 3072), dtype=np.uint8), "labels": rng.integers(0, 10, 10).tolist()}
        members[name] = pickle.dumps(batch)
    members["batches.meta"] = pickle.dumps({"label_names": list(data.DATASETS["cifar10"].classes)})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, blob in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    root.mkdir(parents=True)
    archive = root / "cifar-10-python.tar.gz"
    archive.write_bytes(buffer.getvalue())
    md5 = {name: hashlib.md5(blob).hexdigest() for name, blob in members.items()}
    monkeypatch.setattr(tvd.CIFAR10, "train_list", [[n, md5[n]] for n, _ in tvd.CIFAR10.train_list])
    monkeypatch.setattr(tvd.CIFAR10, "test_list", [[n, md5[n]] for n, _ in tvd.CIFAR10.test_list])
    monkeypatch.setattr(tvd.CIFAR10, "meta", dict(tvd.CIFAR10.meta, md5=md5["batches.meta"]))
    monkeypatch.setattr(tvd.CIFAR10, "tgz_md5", hashlib.md5(archive.read_bytes()).hexdigest())
    return archive


def test_cifar_archive_is_checked_extracted_and_repaired(fake_cifar, capsys):
    train_set = data.load_images("cifar10", train=True)
    assert len(train_set) == 50 and train_set.images.shape[1:] == (3, 32, 32) and not train_set.standin
    batch = fake_cifar.parent / "cifar-10-batches-py" / "data_batch_3"
    good = sha256(batch)
    batch.write_bytes(batch.read_bytes()[:-7])
    assert len(data.load_images("cifar10", train=True)) == 50
    assert sha256(batch) == good and "repairing" in capsys.readouterr().out


def test_cifar_damaged_archive_and_batch_without_download_is_an_error(fake_cifar, monkeypatch):
    monkeypatch.delenv("CNNLIB_ALLOW_STANDIN", raising=False)
    data.load_images("cifar10", train=False)
    with open(fake_cifar, "r+b") as f:
        f.seek(50)
        f.write(b"\0" * 30)
    batch = fake_cifar.parent / "cifar-10-batches-py" / "test_batch"
    batch.write_bytes(b"junk")
    with pytest.raises(data.DatasetDamagedError) as error:
        data.load_images("cifar10", train=False)
    assert "test_batch" in str(error.value) and "To fix" in str(error.value)


# --- training that fails loudly ---------------------------------------------------------------
def toy(n: int, seed: int = 0) -> ImageData:
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    images = torch.randn(n, 1, 8, 8, generator=g)
    images[labels == 1] += 1
    return ImageData(images, labels, ["a", "b"], f"toy-{seed}", (0.0,), (1.0,))


def bn_net() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))


def test_a_diverging_learning_rate_stops_fit_at_once():
    torch.manual_seed(0)
    with pytest.raises(train.TrainingDiverged) as error:
        train.fit(bn_net(), toy(512), toy(64, 1), epochs=3, lr=1e12, optimizer="sgd", schedule="constant",
                  device="cpu", progress=False)
    assert isinstance(error.value, ValueError)
    message = str(error.value)
    assert "epoch 1, step" in message and "lower learning rate" in message
    assert error.value.epoch == 1 and error.value.step <= 8 and not error.value.history.epochs


@pytest.mark.parametrize("lr", [float("inf"), float("nan"), 0.0, -1e-3, "fast"])
def test_fit_refuses_a_meaningless_learning_rate(lr):
    with pytest.raises(ValueError, match="lr must be a finite positive number"):
        train.fit(bn_net(), toy(16), toy(16, 1), epochs=1, lr=lr, device="cpu", progress=False)


def test_a_last_batch_of_one_image_is_merged():
    """2,001 images in batches of 50: 40 steps, the last of 51 images (BatchNorm needs two)."""
    torch.manual_seed(0)
    history = train.fit(bn_net(), toy(2001), toy(64, 1), epochs=1, batch_size=50, device="cpu",
                        progress=False, verbose=False)
    assert len(history.epochs) == 1 and history.test_acc > 0.5
    seen = [len(y) for _, y in train._train_batches(toy(2001), 50, torch.Generator().manual_seed(0), False, True)]
    assert len(seen) == 40 and seen[-1] == 51 and sum(seen) == 2001


def test_batches_of_one_with_batchnorm_are_refused():
    with pytest.raises(ValueError, match="batches of one image"):
        train.fit(bn_net(), toy(16), toy(16, 1), epochs=1, batch_size=1, device="cpu", progress=False)


# --- bad settings -------------------------------------------------------------------------------
@pytest.mark.parametrize("variable, value, call, fragment", [
    ("CNNLIB_DEVICE", "foo", runtime.pick_device, "CNNLIB_DEVICE='foo' is not a device; use cpu, cuda"),
    ("CNNLIB_DEVICE", "cuda:99", runtime.pick_device, "CNNLIB_DEVICE='cuda:99'"),
    ("CNNLIB_BUDGET", "foo", runtime.budget, "CNNLIB_BUDGET='foo' is not a budget; use one of ('quick', 'full')"),
    ("CNNLIB_DATA", ":", data.data_roots, "CNNLIB_DATA=':' names no directory"),
    ("CNNLIB_DATA", "rel/dir", data.data_roots, "CNNLIB_DATA must hold absolute directories"),
    ("CNNLIB_ALLOW_STANDIN", "yes", data.standin_allowed, "CNNLIB_ALLOW_STANDIN='yes' is not allowed; use 1"),
    ("CNNLIB_OFFLINE", "true", data.downloads_allowed, "CNNLIB_OFFLINE='true' is not allowed; use 1"),
])
def test_a_bad_environment_variable_is_named_with_its_allowed_values(monkeypatch, variable, value, call, fragment):
    monkeypatch.setenv(variable, value)
    with pytest.raises(runtime.SettingError) as error:
        call()
    assert fragment in str(error.value) and isinstance(error.value, ValueError)


@pytest.mark.parametrize("variable, value", [("CNNLIB_DEVICE", "foo"), ("CNNLIB_BUDGET", "huge"),
                                             ("CNNLIB_DATA", ":"), ("CNNLIB_ALLOW_STANDIN", "maybe"),
                                             ("CNNLIB_OFFLINE", "yes")])
def test_the_cli_reports_a_bad_environment_variable(variable, value):
    done = subprocess.run([sys.executable, "-m", "cnnlib", "train", "--model", "fast_lenet", "--dataset", "mnist",
                           "--limit", "20", "--epochs", "1", "--batch-size", "10", "--no-progress"],
                          env=child_env(**{variable: value}), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stdout == ""
    assert f"{variable}=" in done.stderr and "Traceback" not in done.stderr


LEGACY = ROOT.parent / "shared" / "data" / "MNIST" / "raw"


@pytest.mark.skipif(not LEGACY.is_dir(), reason="the course's former subset folder is not beside the checkout")
def test_the_former_subset_folder_is_recognised_and_announced(root, offline):
    shutil.copytree(LEGACY, root / "MNIST" / "raw")
    test = data.load_images("mnist", train=False)
    assert test.name.startswith(data.SUBSET_TITLE) and test.note == data.SUBSET_NOTE and len(test) == 2_000


def test_on_a_gpu_the_first_bad_step_is_found_without_a_sync_per_step(monkeypatch):
    """The accelerator path (checked every 10 steps, first bad step recorded on the device), run on the CPU."""
    monkeypatch.setattr(train, "CHECK_EVERY_STEP", ())
    torch.manual_seed(0)
    with pytest.raises(train.TrainingDiverged) as error:
        train.fit(bn_net(), toy(2048), toy(64, 1), epochs=1, lr=1e12, optimizer="sgd", schedule="constant",
                  batch_size=64, device="cpu", progress=False)
    assert error.value.epoch == 1 and 1 <= error.value.step <= 11 and "epoch 1, step" in str(error.value)
