"""The chapters as files: setup cell from the one repository URL, template parts, size, widgets."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import notebooks  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_chapters():
    assert CHAPTERS


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_code_cell_is_the_setup_cell(path):
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    assert "".join(code[0]["source"]) == notebooks.setup_source(), (
        f"{path.name}: run `python scripts/notebooks.py sync` to rewrite its setup cell")


def test_repository_url_is_written_once():
    url = notebooks.repository_url()
    tracked = [p for p in ROOT.rglob("*") if p.is_file() and p.suffix in {".py", ".md", ".yml", ".sh", ".toml"}
               and not any(part.startswith(".") or part in {"_build", "data"} for part in p.relative_to(ROOT).parts)]
    holders = [p.relative_to(ROOT).as_posix() for p in tracked if url in p.read_text(errors="ignore")]
    assert holders == ["_config.yml"], holders


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_follows_the_template(path):
    nb = load(path)
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert re.search(r"^# \d+\. ", text, re.MULTILINE), "title like '# 3. Pooling'"
    for heading in ("In this chapter you will", "Key terms", "Summary", "Exercises"):
        assert heading in text, f"{path.name} lacks '{heading}'"
    assert ":class: dropdown" in text, "exercise solutions hidden behind a toggle"
    assert path.stat().st_size < 2_000_000, f"{path.name} is over 2 MB"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_was_run_top_to_bottom(path):
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert None not in counts and counts == sorted(counts), "run it with scripts/notebooks.py run"
    unexpected = [c["source"][:1] for c in code
                  if any(o["output_type"] == "error" for o in c["outputs"])
                  and "raises-exception" not in c.get("metadata", {}).get("tags", [])]
    assert not unexpected, "a stored error in a cell not tagged raises-exception"


def test_toc_lists_every_chapter():
    toc = (ROOT / "_toc.yml").read_text()
    listed = set(re.findall(r"file:\s*(chapters/\S+)", toc))
    assert listed == {f"chapters/{p.stem}" for p in CHAPTERS}


CHAPTER_LINK = re.compile(
    r"\[([Cc]hapters?|[Pp]art|[Ss]ection)?\s*(\d+)[^\]]*\]\((\d\d_[\w-]+)\.(?:ipynb|md)(?:#[\w-]+)?\)")
BARE_REFERENCE = re.compile(r"(?<![\[\w])[Cc]hapters?\s+\d+")


def _chapter_numbers() -> dict[str, int]:
    return {p.stem: int(re.search(r"^# (\d+)\. ", "\n".join(
        "".join(c["source"]) for c in load(p)["cells"] if c["cell_type"] == "markdown"), re.M).group(1))
        for p in CHAPTERS}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_references_are_links_to_the_right_chapter(path):
    """'chapter N' in prose is a link the build resolves, and N is the linked chapter's number."""
    numbers = _chapter_numbers()
    for cell in load(path)["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        for match in CHAPTER_LINK.finditer(text):
            target = match.group(3)
            assert target in numbers, f"{path.name}: link to a missing chapter {target}"
            if match.group(1) and match.group(1).lower().startswith("chapter"):
                assert int(match.group(2)) == numbers[target], (
                    f"{path.name}: '{match.group(0)}' says chapter {match.group(2)} but "
                    f"{target} is chapter {numbers[target]}")
        unlinked = BARE_REFERENCE.findall(CHAPTER_LINK.sub("", text))
        assert not unlinked, (f"{path.name}: write chapter references as links, e.g. "
                              f"[chapter 25](25_resnet.ipynb): {unlinked}")
