"""What a user would pick instead of Storyline, run beside it on the same documents.

``tfidf_clusters``: TF-IDF vectors (sublinear term frequency, smoothed idf, L2-normalised) of
title and text, grouped by average-linkage agglomerative clustering cut at a cosine distance
(the batch reference of ``../shared/data/README.md``). It sees every document at once, which an
online system does not, and it is told nothing else: no dates, no entities, no number of events.
The cut, :data:`TFIDF_DISTANCE`, was chosen once on ECB+ dev and is not tuned per set.

``tfidf_pair_cosines``: the same weights, one cosine per pair of texts (``eval similarity``'s
baseline row).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from storyline.metrics import sparse_cosine

#: The cosine distance at which the average-linkage tree is cut: the best BCubed F1 on ECB+ dev
#: (197 documents): 0.880 at 0.80, 0.902 at 0.78, 0.870 at 0.79 (docs/evaluation.md gives the sweep).
TFIDF_DISTANCE = 0.78
_WORD = re.compile(r"[^\W_]{2,}")


def tfidf_matrix(texts: Sequence[str]) -> np.ndarray:
    """Rows of L2-normalised TF-IDF weights (dense: the sets here have at most a few thousand texts)."""
    counts = [Counter(_WORD.findall(text.lower())) for text in texts]
    frequency = Counter(word for count in counts for word in count)
    vocabulary = {word: i for i, word in enumerate(sorted(frequency))}
    idf = np.array([_idf(frequency[w], len(texts)) for w in sorted(frequency)], dtype=np.float32)
    matrix = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
    for row, count in enumerate(counts):
        for word, n in count.items():
            matrix[row, vocabulary[word]] = 1 + math.log(n)
    matrix *= idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def tfidf_pair_cosines(pairs: Sequence[tuple[str, str]]) -> list[float]:
    """The TF-IDF cosine of each pair of texts, the weights of :func:`tfidf_matrix` fitted on all the
    texts given (what a user would compute on the file at hand), kept sparse for long files."""
    counts = [(Counter(_WORD.findall(a.lower())), Counter(_WORD.findall(b.lower()))) for a, b in pairs]
    frequency = Counter(word for pair in counts for count in pair for word in count)
    idf = {word: _idf(n, 2 * len(pairs)) for word, n in frequency.items()}

    def weights(count: Counter[str]) -> dict[str, float]:
        return {word: (1 + math.log(n)) * idf[word] for word, n in count.items()}

    return [sparse_cosine(weights(left), weights(right)) for left, right in counts]


def _idf(documents_with: int, documents: int) -> float:
    """Smoothed inverse document frequency (scikit-learn's ``smooth_idf``)."""
    return math.log((1 + documents) / (1 + documents_with)) + 1


def average_linkage(distance: np.ndarray, cut: float) -> list[int]:
    """Flat clusters (a label per item) of average-linkage agglomeration cut at ``cut``, by the
    nearest-neighbour chain: O(n²) time, one n×n matrix of memory."""
    n = len(distance)
    d = distance.astype(np.float64).copy()
    np.fill_diagonal(d, np.inf)
    size = np.ones(n)
    active = np.ones(n, dtype=bool)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    chain: list[int] = []
    for _ in range(n - 1):
        if not chain:
            chain.append(int(np.flatnonzero(active)[0]))
        while True:
            a = chain[-1]
            row = np.where(active, d[a], np.inf)
            b = int(np.argmin(row))
            if len(chain) > 1 and row[chain[-2]] <= row[b]:
                b = chain[-2]  # reciprocal nearest neighbours: merge them
            if len(chain) > 1 and b == chain[-2]:
                break
            chain.append(b)
        chain.pop()
        chain.pop()
        height = d[a, b]
        if height <= cut:
            parent[root(b)] = root(a)
        merged = (size[a] * d[a] + size[b] * d[b]) / (size[a] + size[b])
        d[a], d[:, a] = merged, merged
        d[a, a] = np.inf
        size[a] += size[b]
        active[b] = False
        d[b], d[:, b] = np.inf, np.inf
    return [root(i) for i in range(n)]


def tfidf_clusters(texts: Sequence[str], cut: float = TFIDF_DISTANCE) -> list[int]:
    """The TF-IDF + average-linkage baseline's cluster label for each text."""
    if not texts:
        return []
    vectors = tfidf_matrix(texts)
    return average_linkage(1.0 - vectors @ vectors.T, cut)
