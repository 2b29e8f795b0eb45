"""How fast can a small CNN learn full Fashion-MNIST? The switch table, the fast run, d2l's recipe.

    python benchmarks/fashion_speed.py --device cpu            # goal: >= 92% within 60 s on 2 cores
    python benchmarks/fashion_speed.py --device cpu --compile yes --record
                                          # ... with torch.compile in the table; writes the record
    python benchmarks/fashion_speed.py --device cuda --record  # goals: >= 94% in 3 s, >= 95% in 15 s

CPU (cnnlib.experiments.speed, experiment `fashion_speed_cpu`): part 1 measures training
throughput with one switch changed at a time, each row against the row it changes, so a
switch that slows this CPU down shows a ratio below 1 (nothing is stacked by default);
part 2 trains the fast recipe (`fast_cnn`, chosen on a validation split by
benchmarks/fashion_recipe_search.py) on all 60,000 training images, with channels_last and
bf16 autocast on only if part 1 measured them faster, and scores the 10,000 test images
once; part 3 trains d2l's LeNet recipe (sigmoid, average pooling, SGD lr 0.9, batch 256,
10 epochs, a DataLoader over torchvision's dataset) in the same invocation and prints the
time ratio and both accuracies.
Times are of training alone, in wall seconds (the goal; meaningful on an otherwise idle
machine, so the load average is printed) and CPU seconds of this process
(`time.process_time`, summed over its threads: about twice the wall time with 2 busy threads).

GPU (cnnlib.experiments.speed_gpu): the same table with torch.compile (its compile time
printed apart), a sweep over epochs on a validation split, and for each goal (>= 94% within
3 s, >= 95% within 15 s of training) one compiled run of `fast_resnet` (bf16, channels_last,
flips and crops, flip TTA) scored on the test set. `--record` writes
results/fashion_speed_gpu.json. This path has run only on the CPU (its quick configuration,
in the tests); `bash scripts/gpu_session.sh` is the one command for a GPU session.
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

from cnnlib.experiments import speed, speed_gpu  # noqa: E402
from cnnlib.records import device_name, save_record  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if present)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--steps", type=int, default=None,
                        help="timed training steps per table row (default 60 CPU, 200 GPU)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of the CPU fast run (default: the recipe's)")
    parser.add_argument("--compile", choices=("auto", "yes", "no"), default="auto",
                        help="measure torch.compile (auto: on the GPU only; CPU: compiles for ~20 s)")
    parser.add_argument("--record", action="store_true",
                        help="CPU: write results/fashion_speed_cpu.json (only with the default settings)")
    return parser.parse_args()


def print_table(rows: list[dict], device: torch.device, unit: str) -> None:
    """The switch table: images per second, ratio to the plain loop and to the row it changes."""
    print(f"Training throughput on {device} ({device_name(str(device))}), {unit}:")
    for row in rows:
        against = f"x{row['vs_against']:.2f} vs '{row['against']}'" if row["against"] else ""
        slower = "   <- SLOWER on this device" if row["against"] and row["vs_against"] < 1 else ""
        print(f"  {row['config']:<30} {row['images_per_s']:>9,.0f}   x{row['vs_plain']:5.2f} vs plain   "
              f"{against}{slower}")


def cpu_main(args: argparse.Namespace) -> None:
    config = speed.FULL | {"threads": args.threads, "compile": args.compile == "yes"}
    if args.steps:
        config["table_steps"] = args.steps
    if args.epochs:
        config["recipe"] = config["recipe"] | {"epochs": args.epochs}
    start = time.perf_counter()
    result = speed.run(config)
    seconds = time.perf_counter() - start
    print_table(result["rows"], torch.device("cpu"), "images per CPU-second (process time)")
    for row in result["rows"]:
        if "compile" in row["config"]:
            print(f"  torch.compile: first {row['warmup_s']:.1f} s (wall) compiling, not in the rate")
    final, base, goal = result["final"], result["baseline"], result["goal"]
    print(f"load average (1 min) before / after: {result['load_average']}")
    print(f"fast recipe {json.dumps(config['recipe'])}")
    print(f"  switches measured to help here, and used: {result['switches_used']}")
    print(f"  test accuracy {final['test_acc']:.2%} after {final['train_seconds']:.1f} s of training "
          f"({final['train_cpu_seconds']:.1f} CPU s; scoring the test set: {final['test_seconds']} s)")
    print(f"  goal >= {goal['test_acc']:.0%} within {goal['train_seconds']:.0f} s (wall, "
          f"{args.threads} threads): {'MET' if result['goal_met'] else 'NOT MET'}")
    print(f"d2l LeNet recipe: test accuracy {base['test_acc']:.2%} after {base['train_seconds']:.1f} s "
          f"({base['train_cpu_seconds']:.1f} CPU s)")
    print(f"time ratio d2l / fast: x{result['ratio_wall']:.2f} in wall time, "
          f"x{result['ratio_cpu']:.2f} in CPU time")
    if args.record:
        if config != speed.FULL:
            sys.exit("--record stores only the default configuration (drop --threads/--steps/--epochs, "
                     "keep --compile yes).")
        path = save_record("fashion_speed_cpu", command="python benchmarks/fashion_speed.py --device cpu "
                           "--compile yes --record", config=config, result=result, device="cpu",
                           seconds=seconds)
        print(f"wrote {path}")


def gpu_main(args: argparse.Namespace, device: torch.device) -> None:
    """The GPU path (cnnlib.experiments.speed_gpu): table, validation sweep, one run per goal."""
    config = speed_gpu.FULL | {"device": str(device)}
    if args.steps:
        config["table_steps"] = args.steps
    start = time.perf_counter()
    result = speed_gpu.run(config)
    seconds = time.perf_counter() - start
    print_table(result["rows"], device, "images per second (wall)")
    for row in result["rows"]:
        if "compile" in row["config"]:
            print(f"  torch.compile: first {row['warmup_s']:.1f} s compiling, not in the rate")
    print(f"validation sweep ({config['val_images']:,} held-out training images, eager mode):")
    for row in result["sweep"]:
        print(f"  {row['epochs']:>3} epochs: {row['val_acc']:.2%} in {row['train_seconds']:.2f} s")
    for final in result["finals"]:
        goal = final["goal"]
        print(f"goal >= {goal['test_acc']:.0%} within {goal['train_seconds']:g} s: {final['epochs']} "
              f"epochs, test accuracy {final['test_acc']:.2%} after {final['train_seconds']:.2f} s "
              f"of training (compiled beforehand in {final['compile_seconds']} s): "
              f"{'MET' if final['met'] else 'NOT MET'}")
    if args.record:
        if config != speed_gpu.FULL:
            sys.exit("--record stores only the default configuration (drop --steps, use cuda).")
        path = save_record("fashion_speed_gpu", command="python benchmarks/fashion_speed.py "
                           "--device cuda --record", config=config, result=result,
                           device=str(device), seconds=seconds)
        print(f"wrote {path}")


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    print(f"device {device} ({device_name(str(device))}), {torch.get_num_threads()} CPU threads, "
          f"CNNLIB_BUDGET={os.environ.get('CNNLIB_BUDGET', '(unset)')}", flush=True)
    if device.type == "cuda":
        gpu_main(args, device)
    else:
        cpu_main(args)


if __name__ == "__main__":
    main()
