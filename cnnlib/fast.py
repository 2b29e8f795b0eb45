"""Training fast: the speed-ups of chapter 19 as small, separately switchable pieces.

`cnnlib.train.fit` stays the plain readable loop. `fast_fit` is the same loop with the
switches chapter 19 measures one by one: data kept on the device (no DataLoader), large
batches with OneCycle, channels_last memory layout, bf16 autocast, torch.compile, label
smoothing, no per-step `.item()` synchronisation, and test-time flip augmentation.
`profile_step` splits one training step into data / forward / backward / optimizer time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext

import torch
from torch import nn
from tqdm.auto import tqdm

from cnnlib.data import DATASETS, ImageData, dataset_key, load_dataset
from cnnlib.runtime import budget, pick_device
from cnnlib.train import History

Batch = tuple[torch.Tensor, torch.Tensor]


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so a wall-clock reading means what it says (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def autocast(device: torch.device, bf16: bool):
    """bf16 autocast on `device` when asked (weights stay float32; matmuls/convs run in bf16)."""
    if not bf16:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


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


def tensor_batches(data: ImageData, batch_size: int, generator: torch.Generator | None = None,
                   drop_last: bool = False) -> Iterator[Batch]:
    """Shuffled mini-batches straight from tensors (on the data's device): no Python per image."""
    order = torch.randperm(len(data), generator=generator).to(data.labels.device)
    stop = len(data) - (len(data) % batch_size if drop_last else 0)
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield data.images[idx], data.labels[idx]


def prepare_model(model: nn.Module, device: torch.device, channels_last: bool = False,
                  compile: bool = False) -> tuple[nn.Module, nn.Module]:
    """Move the model to `device` (channels_last if asked); return (model, the module to call).

    With `compile=True` the second is `torch.compile(model)`; it shares the parameters.
    """
    model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    runner = torch.compile(model) if compile else model
    return model, runner


@torch.no_grad()
def evaluate_fast(model: nn.Module, data: ImageData, batch_size: int = 2000, bf16: bool = False,
                  channels_last: bool = False, tta_flip: bool = False) -> tuple[float, float]:
    """Mean loss and accuracy; `tta_flip` averages the logits of each image and its mirror image."""
    device = next(model.parameters()).device
    model.eval()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    for images, labels in data.batches(batch_size):
        images, labels = images.to(device), labels.to(device)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with autocast(device, bf16):
            logits = model(images).float()
            if tta_flip:
                logits = (logits + model(images.flip(3)).float()) / 2
        loss_sum += nn.functional.cross_entropy(logits, labels, reduction="sum")
        correct += (logits.argmax(1) == labels).sum()
    return loss_sum.item() / len(data), correct.item() / len(data)


def fast_fit(model: nn.Module, train: ImageData, test: ImageData, *, epochs: int,
             batch_size: int = 256, lr: float = 3e-3, weight_decay: float = 0.0,
             label_smoothing: float = 0.1, channels_last: bool = False, bf16: bool = False,
             compile: bool = False, augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
             tta_flip: bool = False, device: torch.device | str | None = None, seed: int = 0,
             progress: bool = True, name: str | None = None, verbose: bool = True) -> History:
    """Adam + OneCycle on device-resident tensors with the chosen speed switches (chapter 19).

    The last partial batch is dropped so every step has the same shape (what torch.compile
    wants); the test set is evaluated only after the last epoch, which is where the time
    matters (the History holds one row per epoch, with test metrics on the last).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    if batch_size > len(train):
        raise ValueError(f"batch_size={batch_size} is larger than the training set "
                         f"({len(train)} images); use a smaller batch.")
    device = torch.device(device) if device is not None else pick_device()
    model, runner = prepare_model(model, device, channels_last, compile)
    train, test = train.to(device), test.to(device)
    fused = device.type == "cuda"
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay,
                           **({"fused": True} if fused else {}))
    steps_per_epoch = len(train) // batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                steps_per_epoch=steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    generator = torch.Generator().manual_seed(seed)
    history = History(model=name or type(model).__name__, data=train.name, device=str(device),
                      budget=budget(), standin=train.standin)
    synchronize(device)
    start = time.perf_counter()
    bar = tqdm(total=epochs, desc="epochs", disable=not progress)
    for epoch in range(1, epochs + 1):
        model.train()
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for images, labels in tensor_batches(train, batch_size, generator, drop_last=True):
            if augment is not None:
                images = augment(images)
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            with autocast(device, bf16):
                logits = runner(images)
                loss = loss_fn(logits.float(), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.detach() * len(labels)  # stays on the device: no sync per step
            correct += (logits.detach().argmax(1) == labels).sum()
        seen = steps_per_epoch * batch_size
        row = {"epoch": epoch, "train_loss": loss_sum.item() / seen,
               "train_acc": correct.item() / seen}
        if epoch == epochs:
            row["test_loss"], row["test_acc"] = evaluate_fast(
                model, test, bf16=bf16, channels_last=channels_last, tta_flip=tta_flip)
        else:
            row["test_loss"], row["test_acc"] = float("nan"), float("nan")
        history.epochs.append(row)
        bar.update(1)
    bar.close()
    synchronize(device)
    history.seconds = time.perf_counter() - start
    if verbose:
        print(history.summary())
    return history


def profile_step(model: nn.Module, batches: Iterable[Batch], steps: int = 20,
                 device: torch.device | str | None = None, lr: float = 1e-3) -> dict[str, float]:
    """Seconds per training step spent getting the batch, in forward, backward and the optimizer.

    `batches` is any iterable of (images, labels): a DataLoader or `tensor_batches(...)`.
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


def images_per_second(model: nn.Module, batches: Iterable[Batch], steps: int,
                      device: torch.device | str | None = None, bf16: bool = False,
                      channels_last: bool = False, compile: bool = False,
                      warmup: int = 3) -> float:
    """Training throughput (images per second) of one configuration, after `warmup` steps."""
    device = torch.device(device) if device is not None else pick_device()
    model, runner = prepare_model(model, device, channels_last, compile)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    iterator = iter(batches)
    seen, start = 0, None
    for step in range(warmup + steps):
        if step == warmup:
            synchronize(device)
            start, seen = time.perf_counter(), 0
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
        raise ValueError(f"images_per_second needs more than warmup={warmup} batches.")
    return seen / (time.perf_counter() - start)
