"""Batch similarity speed: pairs of full articles per second (``storyline similar --pairs``).

    .venv/bin/python benchmarks/similarity_speed.py [--pairs 1000] [--quick] [--data ../shared/data]

Pairs are drawn at random from the ECB+ and MEANTIME documents in ``--data`` (real news
articles, 80 to 1,500 words) and scored as ``similar --pairs`` scores them: on one worker process
per core (``--workers``), each distinct article enriched once (cleaning, language, entities,
dates, both embeddings and the second reader), then the comparison. The figure counts start-up
of the workers, not of this process's models.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyline.engines import ProcessEngine, available_cores
from storyline.pairs import read_pairs, score_pairs
from storyline.pipeline import Pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=available_cores(), help="worker processes (1: this one only)")
    parser.add_argument("--quick", action="store_true", help="without the second reader, as `similar --quick`")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    docs = []
    for path in sorted(args.data.glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if isinstance(record.get("text"), str) and ("cluster" in record or "doc_group" in record):
                docs.append(record)
    if not docs:
        sys.exit(f"no documents under {args.data}")
    rng = random.Random(5)
    lines = []
    for n in range(args.pairs):
        a, b = rng.sample(docs, 2)
        lines.append(json.dumps({"pair_id": n, "text1": a["text"], "title1": a.get("title"), "lang1": a.get("lang"),
                                 "text2": b["text"], "title2": b.get("title"), "lang2": b.get("lang")}))
    words = sum(len(json.loads(line)["text1"].split()) + len(json.loads(line)["text2"].split()) for line in lines)
    pipeline = Pipeline()
    pipeline.enrich(next(iter(read_pairs(lines[:1], "warm"))).a)  # load the models before timing
    distinct = len({(json.loads(line)[f"text{side}"]) for line in lines for side in "12"})
    started = time.perf_counter()
    with ProcessEngine(args.workers) as engine:
        done = sum(1 for _ in score_pairs(read_pairs(lines, "bench"), pipeline, second_reader=not args.quick,
                                          engine=engine if args.workers > 1 else None))
    elapsed = time.perf_counter() - started
    print(json.dumps({"pairs": done, "distinct_articles": distinct, "workers": args.workers, "quick": args.quick,
                      "seconds": round(elapsed, 1), "pairs_per_second": round(done / elapsed, 2),
                      "mean_words_per_article": round(words / (2 * len(lines)))}, indent=2))


if __name__ == "__main__":
    main()
