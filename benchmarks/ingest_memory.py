"""Memory of `storyline ingest` as it runs, all its processes together (Linux).

The default ingest runs one worker process per core beside its own; their peaks summed count the
pages they share (the modules imported before the fork) once per process. This samples, every
``--every`` seconds, the proportional set size (PSS: a shared page split among its sharers) of the
ingest and its workers, and the articles stored so far, so the curve says whether memory stays
flat as the database grows.

    .venv/bin/python benchmarks/ingest_memory.py --n 20000            # generated articles
    .venv/bin/python benchmarks/ingest_memory.py --data ../shared/data/ecbplus/train.jsonl
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storyline.engines import child_pids, proc_memory_mb
from storyline.synthetic import write_jsonl


def _tree(pid: int) -> list[int]:
    return [pid] + [grand for child in child_pids(pid) for grand in _tree(child)]


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="Generated articles (without --data).")
    parser.add_argument("--data", type=Path, help="A JSONL file of real articles instead.")
    parser.add_argument("--every", type=float, default=5.0, help="Seconds between samples.")
    parser.add_argument("ingest_args", nargs="*", help="More options for the ingest (after --).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = args.data or write_jsonl(Path(folder) / "news.jsonl", args.n)
        db = Path(folder) / "memory.db"
        command = [sys.executable, "-m", "storyline.cli", "ingest", str(data), "--db", str(db), "--no-progress",
                   *args.ingest_args]
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        curve = []
        while process.poll() is None:
            time.sleep(args.every)
            pids = _tree(process.pid)
            pss = [proc_memory_mb(pid, "smaps_rollup", "Pss:") for pid in pids]
            curve.append({"seconds": round(time.monotonic() - started), "stored": _stored(db),
                          "processes": len(pids), "pss_mb": round(sum(p for p in pss if p)),
                          "pss_mb_each": [round(p) if p else None for p in pss]})  # the ingest first
            print(json.dumps(curve[-1]), file=sys.stderr)
        wall = time.monotonic() - started
        stored = _stored(db)
    print(json.dumps({"command": " ".join(command[3:]), "exit": process.returncode, "stored": stored,
                      "seconds": round(wall, 1), "articles_per_second": round(stored / wall, 1),
                      "peak_pss_mb": max((p["pss_mb"] for p in curve), default=None), "curve": curve,
                      "stderr": (process.stderr.read() if process.stderr else "")[-500:]}, indent=2))


if __name__ == "__main__":
    main()
