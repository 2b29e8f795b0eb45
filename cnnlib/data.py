"""Datasets for the course: Fashion-MNIST, MNIST and CIFAR-10, found offline where possible.

Where data lives: env `CNNLIB_DATA` (absolute directories separated like PATH, searched in
order; downloads and prepared copies go to the first), else the repository's `data/`
(or `./data` when cnnlib was pip-installed, as on Colab). Fashion-MNIST is also taken from
the Debian package `dataset-fashion-mnist`. Offline and missing, you get an error that says
where we looked and how to provide the files. Introduced in chapter 1.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
STANDIN_ENV = "CNNLIB_ALLOW_STANDIN"


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is neither on disk nor downloadable (e.g. offline); the message says how to fix it."""


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
        "copy the four idx files (train-images-idx3-ubyte, ...) into <root>/MNIST/raw/"
        " (the course's CI uses ../shared/data)",
    ),
    "cifar10": DatasetInfo(
        "CIFAR-10", "CIFAR10", (3, 32, 32),
        ("airplane", "automobile", "bird", "cat", "deer",
         "dog", "frog", "horse", "ship", "truck"),
        (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616),
        "run once with internet access (it downloads 170 MB), or extract"
        " cifar-10-python.tar.gz into <root>/ so that <root>/cifar-10-batches-py/ exists;"
        f" for tests only, set {STANDIN_ENV}=1 to use a Fashion-MNIST stand-in",
    ),
}


def dataset_key(name: str) -> str:
    """Normalise a dataset name: 'Fashion-MNIST', 'fashion_mnist', 'FashionMNIST' all work."""
    squashed = "".join(ch for ch in name.lower() if ch.isalnum())
    for key in DATASETS:
        if squashed == key.replace("_", ""):
            return key
    raise ValueError(f"Unknown dataset {name!r}; choose one of {sorted(DATASETS)}.")


def data_roots() -> list[Path]:
    """Directories searched for datasets, in order; the first receives downloads."""
    value = os.environ.get("CNNLIB_DATA", "").strip()
    if value:
        roots = [Path(p) for p in value.split(os.pathsep) if p]
        relative = [str(p) for p in roots if not p.is_absolute()]
        if relative:
            raise ValueError(
                f"CNNLIB_DATA must hold absolute directories; these are relative: {relative}. "
                f"Write them as absolute paths separated by {os.pathsep!r}."
            )
        return roots
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "_config.yml").exists():
        return [checkout / "data"]
    return [Path.cwd() / "data"]


def _torchvision_class(key: str) -> type:
    import torchvision.datasets as tvd

    return getattr(tvd, DATASETS[key].torchvision_class)


def _find_on_disk(key: str, train: bool, transform) -> Dataset | None:
    cls = _torchvision_class(key)
    for root in data_roots():
        try:
            return cls(str(root), train=train, download=False, transform=transform)
        except RuntimeError:  # torchvision: "Dataset not found or corrupted"
            continue
    return None


def _prepare_fashion_mnist_from_debian(root: Path) -> bool:
    """Decompress the Debian package's files into torchvision's layout under `root`."""
    files = sorted(DEBIAN_FASHION_MNIST.glob("*-ubyte.gz"))
    if len(files) < 4:
        return False
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for gz in files:
        target = raw / gz.name[: -len(".gz")]
        if not target.exists():
            with gzip.open(gz, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return True


def _try_download(key: str, train: bool, transform) -> tuple[Dataset | None, str]:
    """Let torchvision download into the first root; returns (dataset or None, why it failed)."""
    cls = _torchvision_class(key)
    root = data_roots()[0]
    chatter = io.StringIO()  # torchvision prints each failed mirror; keep notebooks clean
    try:
        root.mkdir(parents=True, exist_ok=True)
        with contextlib.redirect_stdout(chatter):
            return cls(str(root), train=train, download=True, transform=transform), ""
    except Exception as error:  # offline: URLError, OSError, RuntimeError from torchvision
        return None, f"{type(error).__name__}: {error}"


def load_dataset(name: str, train: bool = True, transform=None) -> Dataset:
    """A torchvision dataset, from disk, the Debian package, a download, or (CIFAR-10 in CI) a stand-in."""
    key = dataset_key(name)
    info = DATASETS[key]
    found = _find_on_disk(key, train, transform)
    if found is not None:
        return found
    if key == "fashion_mnist" and _prepare_fashion_mnist_from_debian(data_roots()[0]):
        found = _find_on_disk(key, train, transform)
        if found is not None:
            return found
    found, why = _try_download(key, train, transform)
    if found is not None:
        return found
    if key == "cifar10" and os.environ.get(STANDIN_ENV) == "1":
        return CIFAR10StandIn(train=train, transform=transform)
    places = "\n".join(f"  - {root}" for root in data_roots())
    debian = f"\n  - {DEBIAN_FASHION_MNIST}" if key == "fashion_mnist" else ""
    raise DatasetNotFoundError(
        f"{info.title} ({'train' if train else 'test'} split) is not available: it is not on "
        f"disk and the download failed ({why or 'no reason given'}).\n"
        f"Looked in:\n{places}{debian}\n"
        f"To fix: {info.offline_hint}. Set CNNLIB_DATA to choose other directories."
    )


class CIFAR10StandIn(Dataset):
    """Real Fashion-MNIST images dressed as CIFAR-10 (3×32×32), for offline tests only.

    The labels are Fashion-MNIST's classes, not CIFAR-10's; every result from it says so.
    """

    title = "CIFAR-10 STAND-IN (Fashion-MNIST images as 3x32x32, not CIFAR-10)"

    def __init__(self, train: bool = True, transform=None) -> None:
        fashion = load_dataset("fashion_mnist", train=train)
        gray = torch.nn.functional.pad(fashion.data, (2, 2, 2, 2))  # (N, 32, 32)
        self.data = gray.unsqueeze(-1).expand(-1, -1, -1, 3).numpy().copy()  # (N, 32, 32, 3) like CIFAR10
        self.targets = fashion.targets.tolist()
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
    key = dataset_key(name)
    info = DATASETS[key]
    dataset = load_dataset(key, train=train)
    standin = isinstance(dataset, CIFAR10StandIn)
    pixels = _as_uint8_nchw(dataset.data)
    labels = torch.as_tensor(np.asarray(dataset.targets), dtype=torch.int64)
    mean, std = info.mean, info.std
    title = CIFAR10StandIn.title if standin else info.title
    if standin:  # statistics of the images actually used
        mean, std = DATASETS["fashion_mnist"].mean * 3, DATASETS["fashion_mnist"].std * 3
    data = ImageData(
        images=pixels, labels=labels, classes=list(dataset.classes),
        name=f"{title} {'train' if train else 'test'}", mean=mean, std=std, standin=standin,
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
