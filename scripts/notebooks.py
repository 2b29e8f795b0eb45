"""Maintain the chapter notebooks: write the Colab setup cell, execute them for committing.

    python scripts/notebooks.py sync                 # setup cell of every chapter from _config.yml
    python scripts/notebooks.py run chapters/03_*.ipynb   # execute in a fresh kernel, save outputs
    python scripts/notebooks.py toc                  # write _toc.yml from the chapters present

`run` uses the same settings as CI (quick budget, offline data roots, CIFAR-10 stand-in)
so the committed outputs are what nbval will compare against.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SETUP_TAG = "colab-setup"


def repository_url() -> str:
    """The repository URL from _config.yml (the only place it is written)."""
    text = (ROOT / "_config.yml").read_text()
    match = re.search(r"^repository:\s*\n(?:\s+.*\n)*?\s+url:\s*(\S+)", text, re.MULTILINE)
    if not match:
        raise SystemExit("_config.yml has no repository.url")
    return match.group(1)


def setup_source() -> str:
    """The first code cell of every chapter: install cnnlib where it is missing (Colab), then import."""
    return (
        "# Setup: on Colab (or anywhere cnnlib is missing) install the course library first.\n"
        "# It only adds what is missing: Colab's own torch and ipywidgets are kept.\n"
        "try:\n"
        "    import cnnlib\n"
        "except ModuleNotFoundError:\n"
        f'    %pip install --quiet "cnnlib @ git+{repository_url()}"\n'
        "    import cnnlib"
    )


def sync(paths: list[Path]) -> None:
    """Make the first code cell of each notebook the setup cell (inserting it if needed)."""
    source = setup_source()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        if code and SETUP_TAG in code[0].metadata.get("tags", []):
            if code[0].source == source:
                continue
            code[0].source = source
        else:
            cell = nbformat.v4.new_code_cell(source, metadata={"tags": [SETUP_TAG]})
            first_code = nb.cells.index(code[0]) if code else len(nb.cells)
            nb.cells.insert(first_code, cell)
        nbformat.write(nb, path)
        print(f"synced {path.relative_to(ROOT)}")


def ci_environment() -> None:
    """The environment CI runs notebooks in (only fills what is not already set).

    Nothing beside the checkout: data in ./data (MNIST's offline subset ships with cnnlib).
    """
    os.environ.setdefault("CNNLIB_BUDGET", "quick")
    os.environ.setdefault("CNNLIB_ALLOW_STANDIN", "1")
    os.environ.setdefault("CNNLIB_OFFLINE", "1")  # the same data on every machine, online or not
    os.environ.setdefault("CNNLIB_DATA", str(ROOT / "data"))
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # One torch thread per process: tests run two notebooks at once on two cores, and
    # oversubscribed threads made chapters several times slower.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


PROGRESS_BAR = re.compile(r"^[^|]*\d+%\|")  # tqdm's text form: "training:  40%|####  | ..."


def drop_progress_bars(nb) -> None:
    """Remove stored progress-bar widgets: frozen at 0% they mislead; the summary line stays."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (
                "application/vnd.jupyter.widget-view+json" in o.get("data", {})
                and PROGRESS_BAR.match(o["data"].get("text/plain", "")))]


def run(paths: list[Path], timeout: int) -> None:
    """Execute each notebook top to bottom in a fresh kernel and save it with its outputs."""
    from nbclient import NotebookClient

    ci_environment()
    sync(paths)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        start = time.perf_counter()
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}},
                                store_widget_state=False)
        client.execute()
        nb.metadata.pop("widgets", None)
        drop_progress_bars(nb)
        nbformat.write(nb, path)
        size = path.stat().st_size / 1e6
        print(f"ran {path.relative_to(ROOT)} in {time.perf_counter() - start:.1f} s ({size:.2f} MB)")
        if size > 2:
            print(f"  WARNING: {path.name} is over 2 MB: fewer frames or lower DPI in its animations")


PARTS = [  # (caption, first chapter number, last chapter number)
    ("Part I: Convolution from the ground up", 1, 5),
    ("Part II: Convolution variants", 6, 13),
    ("Part III: Building and training CNNs", 14, 20),
    ("Part IV: Architectures", 21, 31),
    ("Part V: Modern CNNs", 32, 35),
    ("Part VI: Seeing inside, other tasks, deployment and scale", 36, 99),
]


def write_toc() -> None:
    """_toc.yml with every chapter notebook, grouped into the book's parts by number."""
    lines = ["# Written by `python scripts/notebooks.py toc`: one entry per chapters/NN_*.ipynb.",
             "format: jb-book", "root: intro", "parts:"]
    chapters = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    for caption, first, last in PARTS:
        members = [p for p in chapters if first <= int(p.name[:2]) <= last]
        if members:
            lines += [f'  - caption: "{caption}"', "    chapters:"]
            lines += [f"      - file: chapters/{p.stem}" for p in members]
    (ROOT / "_toc.yml").write_text("\n".join(lines) + "\n")
    print(f"wrote _toc.yml with {len(chapters)} chapters")
    write_readme_contents(chapters)


def chapter_title(path: Path) -> str:
    """The notebook's first '# ' heading."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def write_readme_contents(chapters: list[Path]) -> None:
    """The README's table of contents, between its contents markers."""
    lines = []
    for caption, first, last in PARTS:
        members = [p for p in chapters if first <= int(p.name[:2]) <= last]
        if members:
            lines += [f"**{caption}**", ""] + [f"- [{chapter_title(p)}](chapters/{p.name})" for p in members] + [""]
    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- contents")
    start = readme.index("\n", start) + 1
    end = readme.index("<!-- /contents -->")
    (ROOT / "README.md").write_text(readme[:start] + "\n".join(lines) + readme[end:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sync", help="write the setup cell into every chapter")
    sub.add_parser("toc", help="write _toc.yml from the chapters present")
    run_parser = sub.add_parser("run", help="execute notebooks and save their outputs")
    run_parser.add_argument("paths", nargs="+", type=Path)
    run_parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    if args.command == "sync":
        sync(sorted((ROOT / "chapters").glob("*.ipynb")))
    elif args.command == "toc":
        write_toc()
    else:
        run([p.resolve() for p in args.paths], args.timeout)


if __name__ == "__main__":
    sys.exit(main())
