"""The entity gate: `storyline eval entities` (the stage ingest runs, on the shipped pipelines) must
stay above the pins of tests/entity_pins.json on lines of the shared NER val files that no training
saw. Reads ../shared/data/ner and skips cleanly without it. Slow (about half a minute)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.cli import main
from tests.conftest import SHARED

pytestmark = pytest.mark.slow
PINS = json.loads((Path(__file__).parent / "entity_pins.json").read_text())
#: As many of the odd (never seen) lines as the pins were measured on.
LINES = 1000


@pytest.mark.parametrize("name", [name for name in PINS if not name.startswith("_")])
def test_entity_gate_through_the_shipped_stage(name: str, tmp_path: Path) -> None:
    val = SHARED / "data" / "ner" / name / "val.jsonl"
    if not val.is_file():
        pytest.skip(f"{val} is not here (../shared missing)")
    odd = [line for line in val.read_text(encoding="utf-8").splitlines() if line.strip()][1::2][:LINES]
    data = tmp_path / "odd.jsonl"
    data.write_text("\n".join(odd) + "\n", encoding="utf-8")
    language = name.split("/")[1]
    result = CliRunner().invoke(main, ["eval", "entities", "--data", str(data), "--lang", language,
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    f1 = json.loads(result.stdout)["pipeline"]["micro"]["f1"]
    assert f1 >= PINS[name], f"{name}: micro F1 {f1:.3f} under the pin {PINS[name]}"
