"""Training fast: the speed-ups of chapter 20 as small, separately switchable pieces.

There is one training loop, `cnnlib.train.fit`; `fast_fit` is its fast preset: data kept on
the device (no DataLoader), large batches with OneCycle, label smoothing, same-shape steps,
test only at the end, and the switches chapter 20 measures one by one (channels_last, bf16
autocast, torch.compile, test-time flip augmentation).
`profile_step` splits one training step into data / forward / backward / optimizer time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from cnnlib.data import DATASETS, ImageData, dataset_key, load_dataset
from cnnlib.runtime import pick_device
from cnnlib.train import History, autocast, fit, prepare_model, synchronize

Batch = tuple[torch.Tensor, torch.Tensor]


def plain_loader(name: str, train: bool = True, batch_size: int = 64, shuffle: bool = True,
                 num_workers: int = 0, seed: int = 0) -> torch.utils.data.DataLoader:
    """The textbook pipeline: torchvision dataset, PIL -> ToTensor -> Normalize, DataLoader."""
    from torchvision import transforms

    info = DATASETS[dataset_key(name)]
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize(info.mean, info.std)])
    dataset = load_dataset(name, train=train, transform=transform)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                                       num_workers=num_workers,
                                       generator=torch.Generator().manual_seed(seed))


def fast_fit(model: nn.Module, train: ImageData, test: ImageData, *, epochs: int,
             batch_size: int = 256, lr: float = 3e-3, weight_decay: float = 0.0,
             label_smoothing: float = 0.1, channels_last: bool = False, bf16: bool = False,
             compile: bool = False, augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
             tta_flip: bool = False, device: torch.device | str | None = None, seed: int = 0,
             progress: bool = True, name: str | None = None, verbose: bool = True) -> History:
    """`cnnlib.train.fit` preset for speed (chapter 20): Adam + OneCycle, batch 256, label smoothing.

    The last partial batch is dropped so every step has the same shape (what torch.compile
    wants), and the test set is evaluated only after the last epoch.
    """
    return fit(model, train, test, epochs=epochs, lr=lr, batch_size=batch_size, optimizer="adam",
               weight_decay=weight_decay, schedule="onecycle", label_smoothing=label_smoothing,
               augment=augment, device=device, seed=seed, progress=progress, name=name,
               verbose=verbose, channels_last=channels_last, bf16=bf16, compile=compile,
               drop_last=True, eval_every_epoch=False, tta_flip=tta_flip)


def profile_step(model: nn.Module, batches: Iterable[Batch], steps: int = 20,
                 device: torch.device | str | None = None, lr: float = 1e-3) -> dict[str, float]:
    """Seconds per training step spent getting the batch, in forward, backward and the optimizer.

    `batches` is any iterable of (images, labels): a DataLoader or `ImageData.batches(...)`.
    The first two steps are a warm-up and not counted.
    """
    device = torch.device(device) if device is not None else pick_device()
    model = model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    totals = {"data": 0.0, "forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    iterator = iter(batches)
    counted = 0
    for step in range(steps + 2):
        t0 = time.perf_counter()
        try:
            images, labels = next(iterator)
        except StopIteration:
            break
        images, labels = images.to(device), labels.to(device)
        synchronize(device)
        t1 = time.perf_counter()
        loss = loss_fn(model(images), labels)
        synchronize(device)
        t2 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        synchronize(device)
        t3 = time.perf_counter()
        opt.step()
        synchronize(device)
        t4 = time.perf_counter()
        if step >= 2:
            counted += 1
            for key, seconds in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                totals[key] += seconds
    if counted == 0:
        raise ValueError(f"profile_step needs at least 3 batches, got {step}; pass more batches.")
    return {key: seconds / counted for key, seconds in totals.items()}


@dataclass
class Throughput:
    """Training speed of one configuration: steady-state images per second, and warm-up time."""

    images_per_s: float
    warmup_seconds: float  # wall seconds of the untimed first steps (torch.compile compiles here)


def throughput(model: nn.Module, batches: Iterable[Batch], steps: int,
               device: torch.device | str | None = None, bf16: bool = False,
               channels_last: bool = False, compile: bool = False, warmup: int = 3,
               clock: Callable[[], float] = time.perf_counter) -> Throughput:
    """Training throughput of one configuration after `warmup` steps, and the warm-up's wall time.

    `clock=time.process_time` counts CPU seconds instead of wall seconds (fairer on a shared CPU).
    """
    device = torch.device(device) if device is not None else pick_device()
    start_wall = time.perf_counter()
    model, runner = prepare_model(model, device, channels_last, compile)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    iterator = iter(batches)
    seen, start, warmup_seconds = 0, None, 0.0
    for step in range(warmup + steps):
        if step == warmup:
            synchronize(device)
            warmup_seconds = time.perf_counter() - start_wall
            start, seen = clock(), 0
        try:
            images, labels = next(iterator)
        except StopIteration:
            break
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with autocast(device, bf16):
            loss = loss_fn(runner(images).float(), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        seen += len(labels)
    synchronize(device)
    if start is None or seen == 0:
        raise ValueError(f"throughput needs more than warmup={warmup} batches.")
    return Throughput(seen / (clock() - start), warmup_seconds)


def images_per_second(model: nn.Module, batches: Iterable[Batch], steps: int,
                      device: torch.device | str | None = None, bf16: bool = False,
                      channels_last: bool = False, compile: bool = False,
                      warmup: int = 3, clock: Callable[[], float] = time.perf_counter) -> float:
    """Training images per second of one configuration, after `warmup` steps (see `throughput`)."""
    return throughput(model, batches, steps, device, bf16, channels_last, compile, warmup,
                      clock).images_per_s


def timed(fn: Callable[[], object]) -> tuple[object, float, float]:
    """(fn's result, wall seconds, CPU seconds of this process): a busy machine inflates the first only.

    CPU time (`time.process_time`, summed over this process's threads) counts only the time
    the process actually ran, so on a machine shared with other jobs it is the fairer measure;
    with 2 threads on 2 idle cores the wall time is at most about the CPU time.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def d2l_lenet() -> nn.Sequential:
    """d2l's LeNet for 28x28 images (the baseline of chapter 20): sigmoid, average pooling, Xavier init."""
    model = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),  # 28 -> 28 -> 14
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, 2),  # 14 -> 10 -> 5
        nn.Flatten(),  # (N, 16, 5, 5) -> (N, 400)
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(module.weight)
    return model


def train_d2l_baseline(epochs: int = 10, batch_size: int = 256, lr: float = 0.9, seed: int = 0,
                       limit: int | None = None, progress: bool = False) -> dict[str, float]:
    """d2l's LeNet recipe on Fashion-MNIST: plain SGD lr 0.9, batch 256, a DataLoader over PIL images.

    Only the training loop is timed (wall and CPU seconds); the test set is scored once at the end.
    `limit` trains on the first `limit` images only (quick runs in chapter 20).
    """
    from tqdm.auto import tqdm

    from cnnlib.data import load_images
    from cnnlib.runtime import seed_everything
    from cnnlib.train import evaluate

    seed_everything(seed)
    loader = plain_loader("fashion_mnist", batch_size=batch_size, seed=seed)
    if limit is not None:
        subset = torch.utils.data.Subset(loader.dataset, range(min(limit, len(loader.dataset))))
        loader = torch.utils.data.DataLoader(subset, batch_size=batch_size, shuffle=True,
                                             generator=torch.Generator().manual_seed(seed))
    model = d2l_lenet()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()

    def train() -> None:
        model.train()
        for _ in tqdm(range(epochs), desc="d2l LeNet", disable=not progress):
            for images, labels in loader:
                loss = loss_fn(model(images), labels)
                opt.zero_grad()
                loss.backward()
                opt.step()

    _, wall, cpu = timed(train)
    _, acc = evaluate(model, load_images("fashion_mnist", train=False), device=torch.device("cpu"))
    return {"test_acc": round(acc, 4), "train_seconds": round(wall, 1), "train_cpu_seconds": round(cpu, 1),
            "epochs": epochs, "batch_size": batch_size, "lr": lr}
