"""Search latency over a large synthetic database: p50/p95 of hybrid search, in process and over HTTP.

    .venv/bin/python benchmarks/search_latency.py --n 100000 [--db FILE] [--queries 300]

The articles are generated (no NLP runs): Zipf-distributed words in three languages
with stems indexed exactly as ingest indexes them, a few named people and places
each, dates over ten years, 50 outlets, and random unit 512-d embeddings grouped
around 500 topics. What is timed is what a user waits for: building the FTS5
query (with entity resolution), BM25, the embedding of the query (the real
multilingual model), the cosine against every article, rank fusion and reading
the result rows. The semantic side is timed with no score floor, so every
article is a candidate: the worst case.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from storyline.article import Article, DatedValue, Entity
from storyline.search import Searcher, SearchFilters
from storyline.serve.process import running_server
from storyline.store.sqlite import SQLiteStore

LANGUAGES = ("en", "fr", "de")
SYLLABLES = ["ka", "lo", "mi", "ne", "ra", "su", "ti", "vo", "ber", "dan", "gor", "lin", "mar", "pol", "ster", "tun"]


def _words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(n)]


def build(db: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    vocabulary = {lang: _words(rng, 30_000) for lang in LANGUAGES}
    weights = 1.0 / np.arange(1, 30_001) ** 1.05
    weights /= weights.sum()
    people = [f"{first.title()} {last.title()}" for first, last in zip(_words(rng, 3000), _words(rng, 3000),
                                                                          strict=True)]
    places = [w.title() for w in _words(rng, 800)]
    outlets = [f"{w}.example.com" for w in _words(rng, 50)]
    topics = np_rng.normal(size=(500, 512)).astype(np.float32)
    start = date(2015, 1, 1)
    with SQLiteStore(db) as store:
        done = store.count_articles()
        for first in range(done, n, 1000):
            with store._transaction():
                for i in range(first, min(n, first + 1000)):
                    lang = LANGUAGES[i % 3]
                    words = np_rng.choice(30_000, size=150, p=weights)
                    text = " ".join(vocabulary[lang][w] for w in words)
                    who = rng.sample(people, 2)
                    where = rng.choice(places)
                    text = f"{who[0]} met {who[1]} in {where}. {text}"
                    vector = topics[i % 500] + np_rng.normal(size=512).astype(np.float32) * 0.8
                    vector /= np.linalg.norm(vector)
                    day = start + timedelta(days=rng.randrange(3650))
                    outlet = rng.choice(outlets)
                    article = Article(
                        id=f"a{i:07d}", source=f"https://{outlet}/{i}", raw_text=text, outlet=outlet,
                        url=f"https://{outlet}/{i}", title=" ".join(text.split()[:8]), text=text, lead=text[:200],
                        language=lang, language_confidence=0.99,
                        published=DatedValue(value=day, precision="day", confidence=1.0, basis="generated"),
                        event_date=DatedValue(value=day, precision="day", confidence=0.9, basis="generated"),
                        entities=[Entity(text=who[0], canonical=who[0], type="PER", count=1, resolved_by="gen"),
                                  Entity(text=who[1], canonical=who[1], type="PER", count=1, resolved_by="gen"),
                                  Entity(text=where, canonical=where, type="LOC", count=1, resolved_by="gen")],
                        embedding=vector, title_embedding=vector)
                    store._insert_article(article)
            print(f"\rbuilt {min(n, first + 1000):,}/{n:,}", end="", file=sys.stderr)
        print(file=sys.stderr)
        meta = {"people": people[:200], "places": places[:100], "vocabulary": {k: v[:3000] for k, v in
                                                                               vocabulary.items()}}
        store.conn.execute("INSERT OR REPLACE INTO meta VALUES ('bench', ?)", (json.dumps(meta),))


def queries(store: SQLiteStore, count: int, seed: int = 11) -> list[tuple[str, SearchFilters]]:
    """A mix: 1-3 words (common to rare), a person, words with a language, date or entity filter."""
    rng = random.Random(seed)
    meta = json.loads(store.conn.execute("SELECT value FROM meta WHERE key='bench'").fetchone()[0])
    out = []
    for i in range(count):
        lang = rng.choice(LANGUAGES)
        words = " ".join(rng.choice(meta["vocabulary"][lang][int(rng.paretovariate(0.7)) % 3000:][:50])
                         for _ in range(rng.randint(1, 3)))
        kind = i % 5
        if kind == 0:
            out.append((words, SearchFilters()))
        elif kind == 1:
            out.append((rng.choice(meta["people"]), SearchFilters()))
        elif kind == 2:
            out.append((words, SearchFilters(language=lang)))
        elif kind == 3:
            since = date(2015, 1, 1) + timedelta(days=rng.randrange(3000))
            out.append((words, SearchFilters(since=since, until=since + timedelta(days=180))))
        else:
            out.append((words, SearchFilters(entity=rng.choice(meta["places"]))))
    return out


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(ordered[int(0.95 * len(ordered)) - 1], 1),
            "max_ms": round(ordered[-1], 1), "queries": len(ordered)}


def in_process(db: Path, count: int) -> dict[str, object]:
    with SQLiteStore(db, create=False) as store:
        searcher = Searcher(store)
        searcher.min_semantic_score = -1.0  # worst case: every article is a semantic candidate
        started = time.perf_counter()
        searcher.search("warm up")
        cold = (time.perf_counter() - started) * 1000
        samples = []
        for query, filters in queries(store, count):
            started = time.perf_counter()
            searcher.search(query, filters=filters, limit=20)
            samples.append((time.perf_counter() - started) * 1000)
    return {"first_query_ms (loads the model and the vectors)": round(cold), **_percentiles(samples)}


def over_http(db: Path, count: int) -> dict[str, object]:
    with running_server(db, ready_path="/api/search?q=warm") as base:
        with SQLiteStore(db, create=False) as store:
            plan = queries(store, count, seed=12)
        samples = []
        for query, filters in plan:
            params = {"q": query} | {k: v for k, v in filters.to_json().items() if v}
            started = time.perf_counter()
            with urllib.request.urlopen(f"{base}/api/search?{urllib.parse.urlencode(params)}", timeout=30) as answer:
                answer.read()
            samples.append((time.perf_counter() - started) * 1000)
    return _percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles in the database")
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "storyline-bench-search.db")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    started = time.perf_counter()
    build(args.db, args.n)
    built = time.perf_counter() - started
    report = {"articles": args.n, "build_s": round(built, 1), "db_mb": round(args.db.stat().st_size / 1e6),
              "in_process": in_process(args.db, args.queries), "http": over_http(args.db, args.queries)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
