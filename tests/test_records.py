"""Recorded runs are complete and current: each matches the configuration the code would run."""

import json

import pytest

from cnnlib.experiments import EXPERIMENTS
from cnnlib.records import RESULTS_DIR, load_record, record_label, record_path, save_record

RECORDS = sorted(RESULTS_DIR.glob("*.json"))
KEYS = {"name", "command", "config", "device", "device_name", "torch", "seconds", "commit", "result"}


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.stem)
def test_record_is_complete_and_current(path):
    record = json.loads(path.read_text())
    assert KEYS <= set(record), f"{path.name} lacks {KEYS - set(record)}"
    assert record["name"] in EXPERIMENTS, f"{path.name}: no experiment {record['name']!r} registered"
    expected = EXPERIMENTS[record["name"]].config("full")
    assert record["config"] == json.loads(json.dumps(expected)), (
        f"{path.name} is stale: the code's full configuration changed; re-record it with "
        f"`python scripts/record.py {record['name']}`")
    assert "epochs" in record["result"] or "rows" in record["result"]


def test_every_experiment_names_a_chapter():
    from pathlib import Path

    chapters = {p.stem for p in (Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb")}
    for exp in EXPERIMENTS.values():
        assert exp.chapter in chapters, f"experiment {exp.name} names a missing chapter {exp.chapter}"


def test_save_and_load_round_trip(tmp_path, monkeypatch):
    import cnnlib.records as records

    monkeypatch.setattr(records, "RESULTS_DIR", tmp_path)
    path = save_record("demo", command="python scripts/record.py demo", config={"epochs": 1},
                       result={"epochs": [{"epoch": 1, "test_acc": 0.5}]}, device="cpu", seconds=12.3)
    assert path == tmp_path / "demo.json" and not list(tmp_path.glob("*.tmp"))
    record = load_record("demo")
    assert record["config"] == {"epochs": 1} and "recorded on" in record_label(record)
    with pytest.raises(FileNotFoundError, match="record.py missing"):
        load_record("missing")
    with pytest.raises(ValueError, match="plain word"):
        record_path("../x")
    with pytest.raises(ValueError):
        save_record("nan", command="x", config={}, result={"epochs": [{"loss": float("nan")}]},
                    device="cpu", seconds=1)
