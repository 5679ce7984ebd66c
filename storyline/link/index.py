"""Nearest open events to an article: one matrix of unit centroids, one product per query.

The clusterer needs, for each arriving article, the few open events whose centroid is
closest to the article's embedding. Open events stay few (events quiet for the window
are closed and removed from the index), so an exact inner-product search over a
preallocated matrix costs about a millisecond at 10,000 open events and keeps no Python
loop over events: cheaper and simpler than an approximate index at this size, and
exact, so a run does not depend on the index's randomness.

Rows are reused after removal; results are returned in key order so that the same input
gives the same candidates whatever the row layout.
"""

from __future__ import annotations

import numpy as np


class CentroidIndex:
    """Unit vectors under integer keys; top-k by inner product."""

    def __init__(self, capacity: int = 1024) -> None:
        self._matrix: np.ndarray | None = None
        self._capacity = capacity
        self._row_of: dict[int, int] = {}
        self._key_of: dict[int, int] = {}
        self._free: list[int] = []
        self._used = 0

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, key: int) -> bool:
        return key in self._row_of

    def set(self, key: int, vector: np.ndarray) -> None:
        """Add or replace ``key``'s vector. A vector of another dimension than the first one
        stored (an article without an embedding) is kept as zeros: never near anything."""
        vector = np.asarray(vector, dtype=np.float32)
        if self._matrix is None:
            self._matrix = np.zeros((self._capacity, vector.shape[0]), dtype=np.float32)
        row = self._row_of.get(key)
        if row is None:
            row = self._free.pop() if self._free else self._grow_row()
            self._row_of[key] = row
            self._key_of[row] = key
        self._matrix[row] = vector if vector.shape[0] == self._matrix.shape[1] else 0.0

    def remove(self, key: int) -> None:
        row = self._row_of.pop(key, None)
        if row is None:
            return
        del self._key_of[row]
        assert self._matrix is not None
        self._matrix[row] = 0.0
        self._free.append(row)

    def nearest(self, vector: np.ndarray, k: int) -> list[int]:
        """Keys of the ``k`` stored vectors with the highest inner product, in key order."""
        if self._matrix is None or not self._row_of:
            return []
        if len(self._row_of) <= k:
            return sorted(self._row_of)
        vector = np.asarray(vector, dtype=np.float32)
        if vector.shape[0] != self._matrix.shape[1]:
            return sorted(self._row_of)[:k]
        scores = self._matrix[: self._used] @ vector
        free = np.fromiter(self._free, dtype=np.int64, count=len(self._free))
        scores[free] = -np.inf  # reusable rows are not events
        top = np.argpartition(-scores, k - 1)[:k]
        return sorted(self._key_of[int(row)] for row in top)

    def _grow_row(self) -> int:
        assert self._matrix is not None
        if self._used == self._matrix.shape[0]:
            grown = np.zeros((2 * self._matrix.shape[0], self._matrix.shape[1]), dtype=np.float32)
            grown[: self._used] = self._matrix
            self._matrix = grown
        self._used += 1
        return self._used - 1
