"""Crash safety: kill -9 an ingest of 2,000 articles at random points, re-run the same command, and
get every article exactly once and the same events as an uninterrupted run.

Slow (about four minutes: five ingest runs of generated articles); ``-m 'not slow'`` leaves it out.
The kill points are random; the second test checks every batch boundary of a shorter run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storyline.article import Article
from storyline.engines import child_pids
from storyline.link.events import OnlineEventClusterer
from storyline.link.stories import StoryLinker
from storyline.pipeline import IngestReport, Pipeline
from storyline.store.sqlite import SQLiteStore
from storyline.synthetic import write_jsonl

pytestmark = pytest.mark.slow
N_ARTICLES = 2000


def _command(data: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "storyline.cli", "ingest", str(data), "--db", str(db), "--no-progress"]


def _run_to_end(data: Path, db: Path) -> None:
    finished = subprocess.run(_command(data, db), capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr


def _die_with_their_ingest(workers: list[int]) -> None:
    """Workers of a killed ingest must not outlive it: they would hold its files and writer lock."""
    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except OSError:
            return False

    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)], "worker processes outlived their killed ingest"


def _assignments(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT article_id, event_id FROM event_articles"))


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        except sqlite3.OperationalError:  # killed before the schema was written
            return 0


def test_kill_9_then_rerun_stores_each_article_once_with_the_same_events(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "news.jsonl", N_ARTICLES)
    reference = tmp_path / "reference.db"
    started = time.monotonic()
    _run_to_end(data, reference)
    duration = time.monotonic() - started

    crashed = tmp_path / "crashed.db"
    rng = random.Random(int(os.environ.get("STORYLINE_CRASH_SEED", "20261122")))
    progress = []
    for _ in range(3):
        process = subprocess.Popen(_command(data, crashed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(3.0, max(4.0, duration * 0.45)))
        workers = child_pids(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
        _die_with_their_ingest(workers)
        progress.append(_stored(crashed))
    assert progress[-1] < N_ARTICLES, f"every run finished before its kill: nothing was tested ({progress})"
    assert progress == sorted(progress)

    _run_to_end(data, crashed)

    with sqlite3.connect(crashed) as conn:
        total, distinct = conn.execute("SELECT count(*), count(DISTINCT content_hash) FROM articles").fetchone()
        assert total == distinct == N_ARTICLES
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    expected, got = _assignments(reference), _assignments(crashed)
    assert len(got) == N_ARTICLES
    differing = {a: (expected[a], got.get(a)) for a in expected if got.get(a) != expected[a]}
    assert not differing, f"{len(differing)} articles in other events after the crashes, e.g. " + json.dumps(
        dict(list(differing.items())[:5]))


def _state(clusterer: OnlineEventClusterer, linker: StoryLinker) -> dict[str, object]:
    """What decides the next assignments: open events with their members in order, and stories."""
    events = {e.event_id: (e.seq, e.article_ids, e.last_date, e.story_id, e.profile.to_json(),
                           [m.to_json() for m in e.members]) for e in clusterer.events.values()}
    stories = {s.story_id: (s.seq, s.label, s.first_date, s.last_date, s.profile.to_json())
               for s in linker.stories.values()}
    return {"events": events, "stories": stories, "next": (clusterer.next_seq, linker.next_seq),
            "clocks": (clusterer.clock, linker.clock, clusterer.closed_at)}


def test_after_every_batch_a_resumed_run_starts_from_the_state_the_running_one_holds(tmp_path: Path) -> None:
    """Deterministic where the kill test is random: a kill lands between two batches, so the
    state restored from the file after any batch must equal the state in memory (merges and
    splits included), or the resumed run decides differently from then on."""
    pipeline = Pipeline()
    store_batch = pipeline._link_and_store
    compared: list[int] = []
    store = SQLiteStore(tmp_path / "resumable.db")

    def store_and_compare(batch: list[Article], store: SQLiteStore, report: IngestReport) -> None:
        store_batch(batch, store, report)
        resumed = (OnlineEventClusterer(), StoryLinker())
        store.load_linkers(*resumed)
        assert _state(*resumed) == _state(pipeline.clusterer, pipeline.linker), f"after batch {len(compared) + 1}"
        compared.append(len(batch))

    close_window = pipeline._close_quiet
    closings: list[bool] = []

    def close_and_compare(store: SQLiteStore) -> None:  # after each window: its closing, stored alone
        close_window(store)
        resumed = (OnlineEventClusterer(), StoryLinker())
        store.load_linkers(*resumed)
        assert _state(*resumed) == _state(pipeline.clusterer, pipeline.linker), f"after window {len(closings) + 1}"
        closings.append(True)

    pipeline._link_and_store = store_and_compare  # type: ignore[method-assign]
    pipeline._close_quiet = close_and_compare  # type: ignore[method-assign]
    pipeline.order_window = 100  # six windows, so events close between them
    with store:
        pipeline.ingest([str(write_jsonl(tmp_path / "news.jsonl", 600))], store, progress=False)
        lineage = store.lineage()
    assert sum(compared) == 600 and len(closings) == 7  # six windows, and the run's last (empty) flush
    assert any(change["kind"] == "merge" for change in lineage), "no merge happened: the test lost its point"
