"""Record the full configuration of course experiments into results/NAME.json.

    python scripts/record.py degradation            # one experiment
    python scripts/record.py --all                  # every registered experiment
    python scripts/record.py --list                 # what can be recorded
    python scripts/record.py degradation --device cuda

Each record stores the command, configuration, device and its name, torch version, wall
seconds, the per-epoch metrics or table rows, and the git commit. Re-record after changing an
experiment's full configuration: the tests fail on a stale record.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="experiments to record")
    parser.add_argument("--all", action="store_true", help="record every registered experiment")
    parser.add_argument("--list", action="store_true", help="list the experiments and exit")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    args = parser.parse_args(argv)
    if args.device:
        os.environ["CNNLIB_DEVICE"] = args.device
    os.environ["CNNLIB_BUDGET"] = "full"
    from cnnlib.experiments import EXPERIMENTS
    from cnnlib.records import save_record
    from cnnlib.runtime import pick_device, seed_everything

    if args.list:
        for name, exp in sorted(EXPERIMENTS.items()):
            print(f"{name:<24} chapter {exp.chapter}: {exp.about}")
        return 0
    names = sorted(EXPERIMENTS) if args.all else args.names
    unknown = [n for n in names if n not in EXPERIMENTS]
    if not names or unknown:
        parser.error(f"name experiments to record (unknown: {unknown}); see --list.")
    device = str(pick_device())
    for name in names:
        exp = EXPERIMENTS[name]
        config = exp.config("full")
        needs = config.get("device")  # an experiment made for one device names it
        if needs and needs != "cpu" and not needs.startswith(device.split(":")[0]):
            message = f"{name} runs on {needs} (its configuration says so); this machine has {device}"
            if not args.all:
                parser.error(message + ": run it on such a machine.")
            print(f"== skipping {message}", flush=True)
            continue
        command = "python scripts/record.py " + name + (f" --device {args.device}" if args.device else "")
        print(f"== recording {name} on {device} with {config}", flush=True)
        seed_everything(0)
        start = time.perf_counter()
        result = exp.run(config)
        seconds = time.perf_counter() - start
        path = save_record(name, command=command, config=config, result=result,
                           device=needs or device, seconds=seconds)
        print(f"== wrote {path} ({seconds:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
