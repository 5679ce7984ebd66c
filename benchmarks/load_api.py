"""Load: 200 concurrent clients on the HTTP API for 60 s while an ingest writes to the same database.

    .venv/bin/python benchmarks/load_api.py [--clients 200] [--seconds 60] [--workdir DIR]
    .venv/bin/python benchmarks/load_api.py --clients 20 \
        --data ../shared/data/ecbplus/train.jsonl --more ../shared/data/ecbplus/dev.jsonl

Builds a database (of generated articles, or of the real articles in ``--data``), starts
``storyline serve`` on 127.0.0.1, starts a ``storyline ingest`` of more articles into the same
file (generated, or ``--more`` replayed with a copy number in each text so that every copy is
new content and the ingest writes for the whole run), and runs the clients (asyncio + httpx2),
each looping over searches, lists, one event, a story page and an entity timeline. On real
data the searches and timelines ask for the database's most reported names. Prints requests,
errors (any non-2xx answer or failed connection), throughput, and latency percentiles per kind
of request. Bounded: it stops after ``--seconds`` whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from storyline.serve.process import running_server
from storyline.synthetic import CITIES, PEOPLE, write_jsonl

QUERIES = ["fire", "flood Lyon", "strike", "summit leaders", "storm power lines", "protest rents", "incendie",
           "inondation", "Streik", "tormenta", "Anna Keller", "rescue teams"]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "storyline.cli", *args]


def _count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


async def _client(http, base: str, deadline: float, ids: dict[str, list[str]], samples, errors,  # type: ignore[no-untyped-def]
                  rng: random.Random) -> None:
    while time.monotonic() < deadline:
        kind = rng.choice(["search", "search", "articles", "events", "event", "story page", "timeline"])
        if kind == "search":
            url = f"{base}/api/search?q={rng.choice(ids['queries'])}"
        elif kind == "articles":
            url = f"{base}/api/articles?limit=20&offset={rng.randrange(200)}"
        elif kind == "events":
            url = f"{base}/api/events?limit=20&offset={rng.randrange(50)}"
        elif kind == "event":
            url = f"{base}/api/events/{rng.choice(ids['events'])}"
        elif kind == "story page":
            url = f"{base}/stories/{rng.choice(ids['stories'])}"
        else:
            url = f"{base}/api/timeline?entity={rng.choice(ids['names'])}"
        started = time.monotonic()
        try:
            response = await http.get(url)
            status = response.status_code
        except Exception as exc:  # a refused or dropped connection counts as an error
            status = type(exc).__name__
        elapsed = (time.monotonic() - started) * 1000
        samples[kind].append(elapsed)
        if not (isinstance(status, int) and (200 <= status < 300 or (kind == "timeline" and status == 404))):
            errors.append(f"{kind} {url} -> {status}")


async def _load(base: str, clients: int, seconds: float, ids: dict[str, list[str]]) -> tuple[dict, list]:
    import httpx2

    samples: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx2.AsyncClient(limits=limits, timeout=60.0, follow_redirects=True) as http:  # a merged story moves
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_client(http, base, deadline, ids, samples, errors, random.Random(i))
                               for i in range(clients)))
    return samples, errors


def _replayed(source: Path, target: Path, stamp: int, copies: int = 20) -> Path:
    """``source``'s articles ``copies`` times, each copy new content (its number in the text and id)."""
    records = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    with target.open("w", encoding="utf-8") as out:
        for copy in range(copies):
            for record in records:
                again = {**record, "id": f"{record.get('id', 'a')}-r{stamp}-{copy}",
                         "text": f"{record.get('text', '')}\n(copy {stamp}-{copy})"}
                out.write(json.dumps(again, ensure_ascii=False) + "\n")
    return target


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)  # noqa: E731
    return {"requests": len(ordered), "p50_ms": round(statistics.median(ordered), 1), "p95_ms": pick(0.95),
            "p99_ms": pick(0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "storyline-load")
    parser.add_argument("--data", type=Path, help="Real articles (JSONL) for the database, instead of generated ones.")
    parser.add_argument("--more", type=Path, help="With --data: the articles the concurrent ingest adds (replayed).")
    parser.add_argument("--ingest-args", default="--window 50", help="Options of the concurrent ingest.")
    args = parser.parse_args()
    if bool(args.data) != bool(args.more):
        parser.error("--data and --more go together")
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = args.workdir / ("load.db" if args.data is None else f"load-{args.data.stem}.db")
    if not db.exists():
        base = args.data or write_jsonl(args.workdir / "base.jsonl", 600, seed=1)
        print(f"building the database ({base})...", file=sys.stderr)
        subprocess.run(_cli("ingest", str(base), "--db", str(db)), check=True, capture_output=True)
    stamp = int(time.time())
    more = write_jsonl(args.workdir / f"more-{stamp}.jsonl", 3000, seed=stamp) if args.more is None \
        else _replayed(args.more, args.workdir / f"more-{stamp}.jsonl", stamp)
    with sqlite3.connect(db) as conn:
        ids = {"events": [r[0] for r in conn.execute("SELECT event_id FROM events LIMIT 300")],
               "stories": [r[0] for r in conn.execute("SELECT story_id FROM stories LIMIT 100")],
               "queries": QUERIES, "names": PEOPLE + CITIES}
        if args.data is not None:  # the names this corpus reports most, as a reader would look for them
            names = [r[0] for r in conn.execute("SELECT canonical FROM entities GROUP BY canonical "
                                                "ORDER BY count(DISTINCT article_id) DESC LIMIT 30")]
            ids["queries"] = ids["names"] = names
    ingest = None
    with running_server(db, ready_path="/api/search?q=warm") as base:
        try:
            before = _count(db)
            ingest = subprocess.Popen(_cli("ingest", str(more), "--db", str(db), "--no-progress",
                                           *args.ingest_args.split()),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started = time.monotonic()
            samples, errors = asyncio.run(_load(base, args.clients, args.seconds, ids))
            wall = time.monotonic() - started
            ingest_running = ingest.poll() is None
            added = _count(db) - before
        finally:
            if ingest is not None and ingest.poll() is None:
                ingest.terminate()
                ingest.wait(timeout=20)
    everything = [v for values in samples.values() for v in values]
    report = {"clients": args.clients, "data": str(args.data or "generated"), "ingest_args": args.ingest_args,
              "seconds": round(wall, 1), "requests": len(everything),
              "requests_per_s": round(len(everything) / wall, 1), "errors": len(errors),
              "error_examples": errors[:5], "all": _percentiles(everything),
              "by_kind": {kind: _percentiles(values) for kind, values in sorted(samples.items())},
              "ingest": {"articles_added_during_load": added, "still_running_at_end": ingest_running}}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
