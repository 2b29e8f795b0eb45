"""How fast can a small CNN learn full Fashion-MNIST? Speed-ups over the plain loop, then a run.

    python benchmarks/fashion_speed.py                 # CPU: LeNet+BN, goal >= 90% within 60 s
    python benchmarks/fashion_speed.py --device cuda   # GPU: small ResNet, goal >= 94% in < 5 s

Part 1 measures training throughput (images per second) of one configuration after another,
each adding one change, and prints every ratio against the plain loop (DataLoader over PIL
images, batch 64, float32). Part 2 trains the fast recipe to the end and prints its test
accuracy and training time against the goal. The numbers depend on the machine and on
whatever else runs on it; chapter 20 explains each step.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from cnnlib import augment, seed_everything  # noqa: E402
from cnnlib.data import load_images  # noqa: E402
from cnnlib.fast import fast_fit, images_per_second, plain_loader  # noqa: E402
from cnnlib.models import build_model  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if present)")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps timed per configuration (default 60 CPU, 200 GPU)")
    parser.add_argument("--compile", choices=("auto", "yes", "no"), default="auto",
                        help="measure torch.compile (auto: on the GPU only; it takes a while "
                             "to compile on the CPU)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of the final run (default 5 CPU, 12 GPU)")
    parser.add_argument("--skip-throughput", action="store_true", help="only the final run")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    return parser.parse_args()


def throughput_table(device: torch.device, steps: int, use_compile: bool, model_name: str) -> list:
    """Images per second of each configuration; every one adds one change to the previous."""
    train = load_images("fashion_mnist", train=True)
    on_device = train.to(device)
    rows = []

    def measure(label: str, batches, **switches) -> None:
        seed_everything(0)
        model = build_model(model_name)
        speed = images_per_second(model, batches, steps, device=device, **switches)
        rows.append((label, speed))
        base = rows[0][1]
        print(f"  {label:<44} {speed:>9,.0f} img/s   x{speed / base:5.2f}", flush=True)

    gen = torch.Generator().manual_seed(0)
    print(f"Throughput of {model_name} on {device} ({steps} timed steps each):")
    measure("plain: DataLoader + PIL transforms, batch 64", iter(plain_loader("fashion_mnist")))
    measure("tensors on the device, batch 64", on_device.batches(64, shuffle=True, generator=gen))
    measure("+ batch 256", on_device.batches(256, shuffle=True, generator=gen))
    measure("+ channels_last", on_device.batches(256, shuffle=True, generator=gen), channels_last=True)
    measure("+ bf16 autocast", on_device.batches(256, shuffle=True, generator=gen), channels_last=True, bf16=True)
    if use_compile:
        start = time.perf_counter()
        measure("+ torch.compile (after warm-up)", on_device.batches(256, shuffle=True, generator=gen),
                channels_last=True, bf16=True, compile=True)
        print(f"    (compiling + measuring took {time.perf_counter() - start:.1f} s)")
    else:
        print("  + torch.compile                              skipped (see --compile)")
    return rows


def final_run(device: torch.device, epochs: int, use_compile: bool) -> dict:
    """Train the fast recipe on full Fashion-MNIST; returns its result."""
    train = load_images("fashion_mnist", train=True, device=device)
    test = load_images("fashion_mnist", train=False, device=device)
    gpu = device.type == "cuda"
    if gpu:  # a wider net, augmentation, and every switch: the GPU has arithmetic to spare
        settings = dict(batch_size=512, lr=4e-3, label_smoothing=0.1, channels_last=True,
                        bf16=True, compile=use_compile, tta_flip=True,
                        augment=augment.flip_and_crop(padding=2, seed=0))
        name, goal_acc, goal_s = "fast_resnet", 0.94, 5.0
        if use_compile:  # compile once on a small subset so the timed run measures training
            seed_everything(0)
            fast_fit(build_model(name), train.subset(4096), test.subset(512), epochs=1,
                     device=device, progress=False, verbose=False, name=name, **settings)
    else:
        settings = dict(batch_size=256, lr=3e-3, label_smoothing=0.1)  # no flips: shoes point left
        name, goal_acc, goal_s = "fast_lenet", 0.90, 60.0
    seed_everything(0)
    history = fast_fit(build_model(name), train, test, epochs=epochs, device=device,
                       progress=False, name=name, **settings)
    result = {"model": name, "device": str(device), "epochs": epochs,
              "train_seconds": round(history.seconds, 2), "test_acc": round(history.test_acc, 4),
              "goal": f">= {goal_acc:.0%} in < {goal_s:.0f} s",
              "goal_met": history.test_acc >= goal_acc and history.seconds < goal_s,
              "threads": torch.get_num_threads()}
    return result


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    gpu = device.type == "cuda"
    if gpu:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    use_compile = args.compile == "yes" or (args.compile == "auto" and gpu)
    steps = args.steps or (200 if gpu else 60)
    epochs = args.epochs or (12 if gpu else 5)
    print(f"torch {torch.__version__}, device {device}, {torch.get_num_threads()} CPU threads, "
          f"CNNLIB_BUDGET={os.environ.get('CNNLIB_BUDGET', '(unset)')}", flush=True)
    if not args.skip_throughput:
        throughput_table(device, steps, use_compile, "fast_resnet" if gpu else "fast_lenet")
    result = final_run(device, epochs, use_compile)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
