"""BERTopic beside Storyline on the shared sets, given the same embeddings (issue 17's second baseline).

BERTopic is what many users would pick to group news. Here it gets the vectors Storyline's own
ingest computes (USE-multilingual v3 of title + lead, from the same cleaned text), so the comparison
is of the grouping, not of the embedder, and no model is downloaded. It runs with BERTopic's
defaults (UMAP to 5 dimensions, HDBSCAN with ``min_topic_size=10``) and a fixed UMAP seed; its
outliers (topic -1) are scored as one article each, as a user would see them: in no topic.

BERTopic's PyPI package requires sentence-transformers and so torch (several GB), which it does
not use when given embeddings. Install it beside Storyline without them:

    python3 -m venv .cache/bertopic
    .cache/bertopic/bin/pip install --no-deps bertopic==0.17.4
    .cache/bertopic/bin/pip install hdbscan umap-learn pandas plotly pyyaml tqdm scikit-learn
    .venv/bin/python benchmarks/bertopic_baseline.py --bertopic-python .cache/bertopic/bin/python

Storyline's row comes from ``storyline eval clustering`` on the same file (the ingest path), the
TF-IDF row from the baseline that command runs beside it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def fit_bertopic(texts: list[str], embeddings: np.ndarray, seed: int = 0) -> list[int]:
    """Topic ids, -1 for outliers (runs where BERTopic is installed)."""
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    topics, _ = BERTopic(umap_model=umap_model, embedding_model=None).fit_transform(texts, embeddings)
    return [int(t) for t in topics]


def _inner(job: Path) -> int:
    """The BERTopic side, in the interpreter that has it: job.npz in, topics as JSON out."""
    data = np.load(job, allow_pickle=False)
    print(json.dumps(fit_bertopic([str(t) for t in data["texts"]], data["embeddings"])))
    return 0


def score_set(path: Path, label: str, bertopic_python: str) -> dict:
    from storyline.evaluate import enrich_all, load_gold
    from storyline.metrics import bcubed
    from storyline.pipeline import Pipeline

    articles = [a for a in enrich_all(load_gold(path, label), Pipeline()) if a.embedding is not None]
    texts = [f"{a.title or ''}\n{a.text}" for a in articles]
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp) / "job.npz"
        np.savez(job, texts=np.array(texts), embeddings=np.stack([a.embedding for a in articles]))
        done = subprocess.run([bertopic_python, __file__, "--inner", str(job)], capture_output=True, text=True,
                              check=False)
    if done.returncode:
        raise SystemExit(f"BERTopic failed on {path}:\n{done.stderr[-2000:]}")
    topics = json.loads(done.stdout.strip().splitlines()[-1])
    gold = {a.id: a.extras["gold"] for a in articles}
    predicted = {a.id: f"t{t}" if t >= 0 else f"outlier-{a.id}" for a, t in zip(articles, topics, strict=True)}
    ours = subprocess.run([sys.executable, "-m", "storyline.cli", "eval", "clustering", "--data", str(path), "--label",
                           label, "--format", "json", "--no-progress"], capture_output=True, text=True, check=True)
    report = json.loads(ours.stdout)
    score = bcubed(gold, predicted)
    return {"set": str(path), "articles": len(articles), "storyline_f1": round(report["total"]["bcubed"]["f1"], 3),
            "tfidf_f1": round(report["baseline"]["total"]["bcubed"]["f1"], 3), "bertopic_f1": round(score["f1"], 3),
            "bertopic_precision": round(score["precision"], 3), "bertopic_recall": round(score["recall"], 3),
            "bertopic_topics": len({t for t in topics if t >= 0}),
            "bertopic_outliers": sum(1 for t in topics if t < 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--bertopic-python", default=sys.executable,
                        help="an interpreter with bertopic installed (default: this one)")
    parser.add_argument("--inner", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        return _inner(args.inner)
    from storyline.evaluate import split_by_label

    _, holdout = split_by_label(args.data / "googlenews" / "dev.jsonl", ROOT / ".cache")
    sets = [(args.data / "ecbplus" / "dev.jsonl", "cluster"), (args.data / "ecbplus" / "train.jsonl", "cluster"),
            (args.data / "meantime" / "apple.jsonl", "doc_group"), (holdout, "cluster")]
    for path, label in sets:
        print(json.dumps(score_set(path, label, args.bertopic_python)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
