"""Candidate search for the clusterer: exact against the inverted file (``link/index.py``).

    .venv/bin/python benchmarks/centroid_index.py [--data ../shared/data] [--sizes 20000 50000 100000]

Two parts:

* **recall on real news embeddings**: every sentence of the ECB+, MEANTIME and timeline
  documents in ``--data`` is embedded with Storyline's embedder; nine in ten go in the
  index, the tenth are the queries. Recall@10 is the share of the exact ten nearest that
  the inverted file also returns, at the shipped ``lists`` and ``probes`` (the index is
  forced into its inverted-file mode whatever its size); ``nearest_among_10`` is the share
  of queries whose single nearest vector is among them.
* **speed as open events accumulate**: milliseconds per query, exact and inverted file, at
  each ``--sizes`` (vectors drawn around the real embeddings with noise, since the data
  holds fewer sentences than the sizes), and the recall there.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyline.link.index import CentroidIndex
from storyline.stages.embed import get_embedder


def sentences(data: Path) -> list[str]:
    out = []
    for path in sorted(data.glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text")
            if isinstance(text, str):
                out.extend(s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 6)
    return out


def measure(vectors: np.ndarray, queries: np.ndarray, index: CentroidIndex, exact: CentroidIndex) -> dict:
    for key, vector in enumerate(vectors):
        index.set(key, vector)
        exact.set(key, vector)
    timings = {}
    found = []
    for name, searched in (("exact", exact), ("inverted_file", index)):
        started = time.perf_counter()
        results = [searched.nearest(q, 10) for q in queries]
        timings[name] = round(1000 * (time.perf_counter() - started) / len(queries), 3)
        found.append(results)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(*found, strict=True)])
    nearest = [int(np.argmax(vectors @ q)) for q in queries]  # the one candidate that matters most
    kept = np.mean([best in approximate for best, approximate in zip(nearest, found[1], strict=True)])
    return {"vectors": len(vectors), "ms_per_query": timings, "recall_at_10": round(float(recall), 3),
            "nearest_among_10": round(float(kept), 3), "approximate": index.approximate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--sizes", type=int, nargs="*", default=[20_000, 50_000, 100_000])
    args = parser.parse_args()
    texts = sentences(args.data)
    if not texts:
        sys.exit(f"no documents under {args.data}")
    embedder = get_embedder()
    real = np.vstack([embedder.encode(texts[i:i + 64]) for i in range(0, len(texts), 64)]).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    is_query = np.arange(len(real)) % 10 == 0
    shipped = CentroidIndex()
    results = {"lists": shipped.lists, "probes": shipped.probes, "approximate_above": shipped.approximate_above}
    results["real_sentences"] = measure(real[~is_query], real[is_query][:500],
                                        CentroidIndex(approximate_above=1000), CentroidIndex(approximate_above=None))
    rng = np.random.default_rng(0)
    results["by_size"] = []
    for size in args.sizes:
        base = real[rng.integers(0, len(real), size)]
        vectors = base + 0.03 * rng.normal(size=base.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        results["by_size"].append(measure(vectors, real[is_query][:200], CentroidIndex(),
                                          CentroidIndex(approximate_above=None)))
        print(json.dumps(results["by_size"][-1]), file=sys.stderr)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
