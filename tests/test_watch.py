"""`storyline watch`'s loop without the models: durations, which inputs each round reads,
stopping between rounds. (The real loop, with signals and a server: tests/test_web_ingest.py.)"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from storyline.pipeline import IngestReport
from storyline.watch import Watcher, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("30s", 30), ("10m", 600), ("1h30m", 5400),
                                               ("0.5s", 0.5), ("2H", 7200)])
def test_watch_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "10x", "m"])
def test_watch_parse_duration_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


class _RecordingPipeline:
    """Stands in for the pipeline: records what each round was asked to read."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.rounds: list[list[str]] = []
        self.stop_after = stop_after

    def ingest(self, inputs: list[str], store: Any, **options: Any) -> IngestReport:
        self.rounds.append(list(inputs))
        report = IngestReport(ingested=list(inputs))
        report.stopped = self.stop_after is not None and len(self.rounds) >= self.stop_after
        return report


def test_watch_reads_new_and_changed_files_only_and_urls_every_round(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one")
    pipeline = _RecordingPipeline()
    watcher = Watcher(pipeline, store=None, sources=[str(tmp_path), "https://example.org/rss"])  # type: ignore[arg-type]
    watcher.round()
    watcher.round()  # nothing new in the folder
    (tmp_path / "b.txt").write_text("two")
    (tmp_path / "a.txt").write_text("one, edited")
    os.utime(tmp_path / "a.txt", ns=(1, 1))  # a changed file: another mtime
    watcher.round()
    assert pipeline.rounds == [[str(tmp_path / "a.txt"), "https://example.org/rss"], ["https://example.org/rss"],
                               [str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "https://example.org/rss"]]


def test_watch_a_stopped_round_reads_its_files_again(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one")
    pipeline = _RecordingPipeline(stop_after=1)
    watcher = Watcher(pipeline, store=None, sources=[str(tmp_path)])  # type: ignore[arg-type]
    assert watcher.run(every=0, rounds=5) == 1  # the stop ends the loop
    watcher.round()
    assert pipeline.rounds == [[str(tmp_path / "a.txt")], [str(tmp_path / "a.txt")]]


def test_watch_runs_its_rounds_and_stops_when_asked(tmp_path: Path) -> None:
    pipeline = _RecordingPipeline()
    watcher = Watcher(pipeline, store=None, sources=["https://example.org/rss"])  # type: ignore[arg-type]
    seen: list[int] = []
    assert watcher.run(every=0, rounds=3, on_round=lambda n, report: seen.append(n)) == 3
    assert seen == [1, 2, 3]
    stop = threading.Event()
    stop.set()
    assert watcher.run(every=0, stop=stop) == 0
