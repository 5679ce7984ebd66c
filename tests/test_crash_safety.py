"""Crash safety: kill -9 an ingest of 2,000 articles at random points, re-run the same command, and
get every article exactly once and the same events as an uninterrupted run.

Slow (about four minutes: five ingest runs of generated articles); ``-m 'not slow'`` leaves it out.
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

from storyline.synthetic import write_jsonl

pytestmark = pytest.mark.slow
N_ARTICLES = 2000


def _command(data: Path, db: Path) -> list[str]:
    return [sys.executable, "-m", "storyline.cli", "ingest", str(data), "--db", str(db), "--no-progress"]


def _run_to_end(data: Path, db: Path) -> None:
    finished = subprocess.run(_command(data, db), capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr


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
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
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
