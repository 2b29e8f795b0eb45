"""How far is the from-scratch im2col conv2d from PyTorch's? One configuration, one thread.

    python benchmarks/conv_speed.py            # 64 -> 64 channels, 3x3, 56x56, batch 8
    python benchmarks/conv_speed.py --record   # ... and write results/conv_speed_cpu.json
    python benchmarks/conv_speed.py --rounds 3 --batch 4 --size 28 --channels 32

What is measured, and why the matmul alone sets a floor: `cnnlib.experiments.conv_speed`.
The goal (issue 14) is a median ratio <= 2; the numbers depend on the CPU (which vector
instructions oneDNN and MKL each use on it) and on whatever else runs on the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnlib.experiments import conv_speed  # noqa: E402
from cnnlib.records import save_record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sizes = {key: value for key, value in conv_speed.FULL.items() if key != "device"}
    for key, value in sizes.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--record", action="store_true", help="write the record (defaults only)")
    args = parser.parse_args()
    config = {key: getattr(args, key) for key in sizes} | {"device": "cpu"}
    start = time.perf_counter()
    result = conv_speed.run(config)
    print(f"conv2d speed, {config['channels']}->{config['channels']} channels, "
          f"{config['kernel']}x{config['kernel']}, {config['size']}x{config['size']}, "
          f"batch {config['batch']}, {config['threads']} thread(s), on {result['device_name']}")
    for i, r in enumerate(result["rows"], start=1):
        print(f"  round {i}: F.conv2d {r['torch'] * 1e3:7.2f} ms | im2col conv2d "
              f"{r['im2col'] * 1e3:7.2f} ms | ratio {r['ratio']:.2f}x | its matmuls alone "
              f"{r['floor']:.2f}x")
    ratio = result["median_ratio"]
    verdict = "meets" if ratio <= result["goal_ratio"] else "misses"
    print(f"median ratio im2col / F.conv2d: {ratio:.2f}x ({verdict} the goal of <= 2x); "
          f"the matmuls alone: {result['median_floor']:.2f}x (no unfolding can beat that)")
    speeds = result["gflops"]
    print(f"GFLOP/s: F.conv2d (oneDNN) {speeds['torch']}, the matmuls (BLAS sgemm) "
          f"{speeds['matmul']}, im2col conv2d {speeds['im2col']}; torch's own kernels use "
          f"{result['cpu_capability']}")
    if args.record:
        if config != conv_speed.FULL:
            sys.exit("--record stores only the default configuration.")
        path = save_record("conv_speed_cpu", command="python benchmarks/conv_speed.py --record",
                           config=config, result=result, device="cpu",
                           seconds=time.perf_counter() - start)
        print(f"wrote {path}")
    print(json.dumps({"benchmark": "conv_speed", "median_ratio": ratio,
                      "median_matmul_floor": result["median_floor"]}))


if __name__ == "__main__":
    main()
