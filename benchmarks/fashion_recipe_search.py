"""The CPU recipe search of chapter 20, on a validation split: the test set takes no part.

    python benchmarks/fashion_recipe_search.py               # every trial, printed as it ends
    python benchmarks/fashion_recipe_search.py --only 3 7    # some of them (nothing recorded)
    python benchmarks/fashion_recipe_search.py --record      # all, into results/ (~15 min, 2 cores)

The trials, the split (50,000 train / 10,000 validation images of the training set) and the
rule that picks the recipe live in `cnnlib.experiments.recipe_search`; `--record` writes
results/fashion_recipe_search_cpu.json, which chapter 20 plots. Run it on an otherwise idle
machine: the wall times are what the rule compares.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnlib.experiments import recipe_search  # noqa: E402
from cnnlib.records import save_record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", type=int, nargs="*", help="trial numbers to run (1-based)")
    parser.add_argument("--record", action="store_true", help="write the record (all trials)")
    args = parser.parse_args()
    if args.record and args.only:
        sys.exit("--record stores every trial; drop --only.")
    start = time.perf_counter()
    result = recipe_search.run(recipe_search.FULL, only=args.only,
                               on_row=lambda row: print(json.dumps(row), flush=True))
    if result["picked"] is not None:
        best = next(r for r in result["rows"] if r["trial"] == result["picked"])
        print(f"picked: trial {best['trial']}, validation accuracy {best['val_acc']:.2%} in "
              f"{best['train_seconds']} s on {result['train_images']:,} images: "
              f"{json.dumps(best['recipe'])}")
    if args.record:
        path = save_record("fashion_recipe_search_cpu", config=recipe_search.FULL, result=result,
                           command="python benchmarks/fashion_recipe_search.py --record",
                           device="cpu", seconds=time.perf_counter() - start)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
