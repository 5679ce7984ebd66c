"""The copy detector's gate on real text: light-edited reprints of ECB+ dev reports planted under other
outlets are found (eval/planted_reprints.py, the figure docs/usage.md gives). Slow; skips without
../shared."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED

pytestmark = pytest.mark.slow
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))


def test_planted_reprints_are_found(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = SHARED / "data" / "ecbplus" / "dev.jsonl"
    if not data.is_file():
        pytest.skip("../shared/data/ecbplus is not here")
    import planted_reprints

    monkeypatch.setattr(sys, "argv", ["planted_reprints.py", "--data", str(data), "--plants", "30"])
    assert planted_reprints.main() == 0
    found = re.search(r"in its event: (\d+)/(\d+)", capsys.readouterr().out)
    assert found and int(found.group(1)) >= 0.95 * int(found.group(2))
