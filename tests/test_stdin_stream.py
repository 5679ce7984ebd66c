"""`cat big.jsonl | storyline ingest - --window N` stores each window as it fills, before the input
ends (it used to read standard input to its end first). Slow: a real process loads the models."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile import good

pytestmark = pytest.mark.slow


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_stdin_jsonl_is_stored_window_by_window_while_it_flows(tmp_path: Path) -> None:
    db = tmp_path / "stream.db"
    process = subprocess.Popen([sys.executable, "-m", "storyline.cli", "ingest", "-", "--db", str(db), "--window", "5",
                                "--no-ner", "--no-progress"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdin is not None
    try:
        for n in range(5):
            line = {"id": f"s{n}", "text": good(f"Town {n}", f"{n + 2} bridges closed")}
            process.stdin.write((json.dumps(line) + "\n").encode())
        process.stdin.flush()
        deadline = time.monotonic() + 120
        while _stored(db) < 5 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
        assert _stored(db) == 5, "the first window was not stored while the input was still open"
        process.stdin.write((json.dumps({"id": "late", "text": good("Lyon", "A late report")}) + "\n").encode())
        process.stdin.close()
        process.wait(timeout=120)
        out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert process.returncode == 0, err.decode()
    assert b"ingested 6" in out and _stored(db) == 6
