"""How much of an ECB+ "same event" score can come from telling its two subcorpora apart.

Usage: python eval/subcorpus_probe.py [--data ../shared/data] [--format json]

In ECB+, every topic's two gold events are exactly its two subcorpora: the original ECB
documents (about 2008, many cut to a sentence or two, one in ten stating a date) and the ECB+
documents collected later (longer, four in five stating a date). So anything that tells an ECB
document from an ECB+ one predicts "same event" within a topic without reading a word about the
event: how long the texts are, whether they state a date. A pair feature that adds such a signal
raises the ECB+ figures (held-out topics included, which share the artefact) and does nothing
for real news. This script measures the artefact so a feature's gain can be read against it:
it trains the same kind of model as ``train_pair_model.py`` on probe features that carry no
content, cross-validated by topic over ECB+ train + dev, and prints their ROC-AUC beside the
shipped features' (with and without the date features, whose mere presence is such a signal).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from storyline.article import Article
from storyline.link.similarity import FEATURES
from storyline.metrics import roc_auc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_pair_model import ROOT, cross_validated, enriched, pair_indices, pairs

#: Probe features of a pair: nothing about what either text says.
PROBES = ("shorter_length", "longer_length", "dated_sides", "one_side_dated")
#: Shipped pair features that are set only when both sides state a date.
DATE_FEATURES = ("same_day", "days_apart")


def probe_features(a: Article, b: Article) -> list[float]:
    """:data:`PROBES` of a pair: the log length of the shorter and the longer text, how many
    sides state an event date, and whether exactly one does."""
    lengths = sorted((math.log1p(len(a.text)), math.log1p(len(b.text))))
    dated = (a.event_date.value is not None, b.event_date.value is not None)
    return [lengths[0], lengths[1], float(sum(dated)), float(dated[0] != dated[1])]


def probe_rows(articles: list[Article], seed: int = 0) -> np.ndarray:
    """:func:`probe_features` of the pairs the training script builds (``pair_indices``), in its order."""
    rows = [probe_features(articles[i], articles[j]) for i, j, _, _ in pair_indices(articles, seed)]
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(PROBES))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args()
    files = [Path(args.data) / "ecbplus" / f"{split}.jsonl" for split in ("train", "dev")]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        print(f"subcorpus_probe: no ECB+ data at {', '.join(missing)}; pass --data DIR (the folder holding"
              " ecbplus/train.jsonl and ecbplus/dev.jsonl)", file=sys.stderr)
        return 2
    articles = enriched(files[0]) + enriched(files[1])  # dev's topics are not train's
    x, y, groups, kinds, _ = pairs(articles)
    probes = probe_rows(articles)
    assert len(probes) == len(y), "probe pairs must be train_pair_model's pairs"
    within_topic = kinds != "other"
    weights = np.ones(len(y))

    def auc(columns: np.ndarray) -> float:
        scores = cross_validated(columns, y, groups, weights)
        return round(roc_auc(scores[within_topic].tolist(), y[within_topic].tolist()), 4)

    keep = [i for i, name in enumerate(FEATURES) if name not in DATE_FEATURES]
    results = {
        "pairs_same_topic": int(within_topic.sum()),
        "probe_dates_only": auc(probes[:, 2:]),
        "probe_lengths_only": auc(probes[:, :2]),
        "probe_all": auc(probes),
        "shipped_features": auc(x),
        "shipped_features_without_date_features": auc(x[:, keep]),
        "shipped_features_with_probes": auc(np.hstack([x, probes])),
    }
    if args.format == "json":
        print(json.dumps(results, indent=2))
    else:
        print("ROC-AUC of same event vs same topic, other event; cross-validated by topic over ECB+ train + dev")
        print(f"(trees only, before the date veto; {results['pairs_same_topic']} same-topic pairs)")
        for name, value in results.items():
            if name != "pairs_same_topic":
                print(f"  {name:40s} {value:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
