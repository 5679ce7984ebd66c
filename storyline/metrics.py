"""Clustering and ranking metrics used by ``storyline eval`` and the training scripts.

BCubed (Bagga & Baldwin 1998) over items, each item counting itself, and
pairwise ("standard") precision/recall/F1 over all unordered item pairs, as in
the Miranda et al. 2018 news-stream benchmark.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence


def bcubed(gold: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> dict[str, float]:
    """BCubed precision, recall and F1 of a predicted clustering against gold."""
    items = list(gold)
    gold_members: dict[Hashable, set[str]] = {}
    pred_members: dict[Hashable, set[str]] = {}
    for item in items:
        gold_members.setdefault(gold[item], set()).add(item)
        pred_members.setdefault(predicted[item], set()).add(item)
    precision = recall = 0.0
    for item in items:
        same_pred = pred_members[predicted[item]]
        same_gold = gold_members[gold[item]]
        both = len(same_pred & same_gold)
        precision += both / len(same_pred)
        recall += both / len(same_gold)
    n = len(items) or 1
    return _prf(precision / n, recall / n)


def pairwise(gold: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> dict[str, float]:
    """Precision, recall and F1 over item pairs placed in one cluster."""
    true_pairs = _pair_count(Counter(gold[i] for i in gold))
    pred_pairs = _pair_count(Counter(predicted[i] for i in gold))
    joint = _pair_count(Counter((gold[i], predicted[i]) for i in gold))
    precision = joint / pred_pairs if pred_pairs else 1.0
    recall = joint / true_pairs if true_pairs else 1.0
    return _prf(precision, recall)


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve (probability a positive outranks a negative; ties count half)."""
    ranked = sorted(zip(scores, labels, strict=True), key=lambda x: x[0])
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return float("nan")
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        average_rank = (i + j) / 2 + 1
        rank_sum += average_rank * sum(1 for k in range(i, j + 1) if ranked[k][1])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson correlation; NaN when either side is constant or there are fewer than two points."""
    if len(x) < 2:
        return float("nan")
    mx, my = sum(x) / len(x), sum(y) / len(y)
    cov = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    vx = sum((a - mx) ** 2 for a in x)
    vy = sum((b - my) ** 2 for b in y)
    return cov / (vx * vy) ** 0.5 if vx and vy else float("nan")


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation (Pearson of the ranks; tied values share their average rank)."""
    return pearson(ranks(x), ranks(y))


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties averaged."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def _pair_count(sizes: Counter[Hashable]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes.values())


def _prf(precision: float, recall: float) -> dict[str, float]:
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def sparse_cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two sparse vectors given as ``{key: weight}`` (0 when either is empty)."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(value * large.get(key, 0.0) for key, value in small.items())
    norms = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norms if norms else 0.0
