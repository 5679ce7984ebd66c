"""Cost of one article against its size, up to ``ingest``'s --max-bytes limit (20 MB).

No single input may hold the writer for more than a few seconds (issue: nothing a source sends
can stop a run). Each row ingests ONE generated article of the given size into a fresh SQLite file
through ``Pipeline.ingest`` (what ``storyline ingest FILE`` runs), with the worst text we know for
the stages: dense with dates, names and numbers (``dates``), or one HTML paragraph carrying a
huge attribute list (``attributes``). Prints seconds and peak RSS per size.

    .venv/bin/python benchmarks/input_size.py                  # 10 kB .. 20 MB
    .venv/bin/python benchmarks/input_size.py --sizes 1e6 2e6  # a few sizes
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from storyline.pipeline import Pipeline
from storyline.store.sqlite import SQLiteStore

SENTENCE = ("On Monday, March 6, 2023, Vladimir Putin met Emmanuel Macron in Paris; on 7 March 2023 and on "
            "2023-03-08 they spoke again, 26 pirates and 1,200 soldiers later, said Angela Merkel in Berlin. ")


def dated_text(size: int) -> str:
    title = "Leaders meet again in Paris\n\n"
    return title + "\n".join(SENTENCE * 4 for _ in range(size // (len(SENTENCE) * 4) + 1))[:size]


def attribute_html(size: int) -> str:
    attributes = " ".join(f'data-a{i}="{i}"' for i in range(size // 16))
    return (f"<html><head><title>Storm in Graz</title></head><body><p {attributes}>A storm hit Graz on "
            "Friday, May 5, 2023, officials said. Trees fell across the city.</p></body></html>")


def run(kind: str, size: int, pipeline: Pipeline) -> tuple[float, int, str]:
    with tempfile.TemporaryDirectory() as folder:
        suffix = ".html" if kind == "attributes" else ".txt"
        path = Path(folder) / f"big{suffix}"
        path.write_text(attribute_html(size) if kind == "attributes" else dated_text(size), encoding="utf-8")
        started = time.perf_counter()
        with SQLiteStore(Path(folder) / "bench.db") as store:
            report = pipeline.ingest([str(path)], store, progress=False, max_bytes=25_000_000)
        elapsed = time.perf_counter() - started
    outcome = "stored" if report.ingested else (report.failures[0].code if report.failures else "?")
    return elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6, 2e6, 1e7, 2e7])
    parser.add_argument("--kinds", nargs="+", default=["dates", "attributes"], choices=["dates", "attributes"])
    args = parser.parse_args()
    pipeline = Pipeline()
    for kind in args.kinds:  # load the models first: rows time the article, not the start-up
        run(kind, 10_000, pipeline)
    print(f"{'input':<11} {'bytes':>12} {'seconds':>8} {'peak RSS MB':>12}  outcome")
    for kind in args.kinds:
        for size in (int(s) for s in args.sizes):
            elapsed, rss, outcome = run(kind, size, pipeline)
            print(f"{kind:<11} {size:>12,} {elapsed:>8.2f} {rss:>12}  {outcome}", flush=True)


if __name__ == "__main__":
    main()
