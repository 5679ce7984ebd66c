"""Nearest open events to an article: exact while they are few, approximate when many.

The clusterer needs, for each arriving article, the few open events whose centroid is
closest to the article's embedding. Events quiet for the window close and leave the
index, so open events stay few for most streams: up to ``approximate_above`` (20,000 by
default) the search is exact, one inner product with a preallocated matrix (about 2 ms
at 20,000 in 512 dimensions) and no randomness.

A firehose keeps more events open (300,000 articles a day and a 30-day window can hold
hundreds of thousands). Above the bound the index becomes an inverted file: the vectors
are grouped around coarse centroids (``lists``, or 4 sqrt(n) when more; spherical k-means
seeded from the rows themselves, so the same input gives the same lists), and a query
scans only the rows of its ``probes`` nearest lists, whose size grows as sqrt(n), not n.
Moving a vector (an event absorbing an article) moves its row to its new nearest list;
the lists are learnt again when the index has doubled since.
``benchmarks/centroid_index.py`` measures speed and recall against the exact search.

Rows are reused after removal; results are returned in key order so that the same input
gives the same candidates whatever the row layout.
"""

from __future__ import annotations

import numpy as np


class CentroidIndex:
    """Unit vectors under integer keys; top-k by inner product.

    Args:
        capacity: rows allocated at first (the matrix doubles as needed).
        approximate_above: search exactly up to this many vectors, through an inverted file
            above it (None: always exact).
        lists: coarse centroids of the inverted file, at least (4 sqrt(n) when more).
        probes: lists scanned per query.
    """

    def __init__(self, capacity: int = 1024, approximate_above: int | None = 20_000, lists: int = 256,
                 probes: int = 48) -> None:
        self._matrix: np.ndarray | None = None
        self._capacity = capacity
        self._row_of: dict[int, int] = {}
        self._key_of: dict[int, int] = {}
        self._free: list[int] = []
        self._used = 0
        self.approximate_above = approximate_above
        self.lists = lists
        self.probes = probes
        #: The inverted file, once trained: coarse centroids, and per list its vectors stored
        #: contiguously (a query multiplies whole blocks, no gathering) with their rows.
        self._coarse: np.ndarray | None = None
        self._lists: list[_List] = []
        self._list_of_row: dict[int, int] = {}
        self._trained_at = 0

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, key: int) -> bool:
        return key in self._row_of

    @property
    def approximate(self) -> bool:
        """Whether searches go through the inverted file now."""
        return self._coarse is not None

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
        if self._coarse is not None:
            self._file(row)
        self._train_if_due()

    def remove(self, key: int) -> None:
        row = self._row_of.pop(key, None)
        if row is None:
            return
        del self._key_of[row]
        assert self._matrix is not None
        self._matrix[row] = 0.0
        self._free.append(row)
        if self._coarse is not None:
            self._lists[self._list_of_row.pop(row)].discard(row)
            if self.approximate_above is None or len(self) < self.approximate_above // 2:
                self._coarse = None  # few again: exact is cheap
                self._list_of_row, self._lists = {}, []

    def nearest(self, vector: np.ndarray, k: int) -> list[int]:
        """Keys of the ``k`` stored vectors with the highest inner product, in key order
        (approximate above ``approximate_above`` vectors)."""
        if self._matrix is None or not self._row_of:
            return []
        if len(self._row_of) <= k:
            return sorted(self._row_of)
        vector = np.asarray(vector, dtype=np.float32)
        if vector.shape[0] != self._matrix.shape[1]:
            return sorted(self._row_of)[:k]
        if self._coarse is not None:
            probes = min(self.probes, len(self._lists))
            probed = sorted(np.argpartition(-(self._coarse @ vector), probes - 1)[:probes].tolist())
            rows = np.concatenate([self._lists[c].rows[: self._lists[c].size] for c in probed])
            if len(rows) >= k:
                scores = np.concatenate([self._lists[c].vectors[: self._lists[c].size] @ vector for c in probed])
                top = rows[np.argpartition(-scores, k - 1)[:k]]
                return sorted(self._key_of[int(row)] for row in top)
        scores = self._matrix[: self._used] @ vector
        free = np.fromiter(self._free, dtype=np.int64, count=len(self._free))
        scores[free] = -np.inf  # reusable rows are not events
        top = np.argpartition(-scores, k - 1)[:k]
        return sorted(self._key_of[int(row)] for row in top)

    # -- the inverted file ---------------------------------------------------------------
    def _train_if_due(self) -> None:
        size = len(self)
        if self.approximate_above is None or size <= self.approximate_above:
            return
        if self._coarse is None or size >= 2 * self._trained_at:
            self._train()

    def _train(self) -> None:
        """Spherical k-means over the live rows, seeded with evenly spaced rows in key order."""
        assert self._matrix is not None
        rows = np.array([self._row_of[key] for key in sorted(self._row_of)], dtype=np.int64)
        data = self._matrix[rows]
        count = min(max(self.lists, int(4 * np.sqrt(len(rows)))), len(rows))  # lists grow as sqrt(n)
        centroids = data[np.linspace(0, len(rows) - 1, count).astype(np.int64)].copy()
        for _ in range(8):
            assigned = np.argmax(data @ centroids.T, axis=1)
            sums = np.zeros_like(centroids)
            np.add.at(sums, assigned, data)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            centroids = np.where(norms > 0, sums / np.maximum(norms, 1e-12), centroids)
        self._coarse = centroids.astype(np.float32)
        self._lists = [_List(data.shape[1]) for _ in range(count)]
        self._list_of_row = {}
        for row, nearest in zip(rows.tolist(), np.argmax(data @ self._coarse.T, axis=1).tolist(), strict=True):
            self._list_of_row[row] = nearest
            self._lists[nearest].add(row, self._matrix[row])
        self._trained_at = len(rows)

    def _file(self, row: int) -> None:
        """Put a row's vector in the list of its nearest coarse centroid."""
        assert self._coarse is not None and self._matrix is not None
        nearest = int(np.argmax(self._coarse @ self._matrix[row]))
        old = self._list_of_row.get(row)
        if old is not None:
            self._lists[old].discard(row)
        self._lists[nearest].add(row, self._matrix[row])
        self._list_of_row[row] = nearest

    def _grow_row(self) -> int:
        assert self._matrix is not None
        if self._used == self._matrix.shape[0]:
            grown = np.zeros((2 * self._matrix.shape[0], self._matrix.shape[1]), dtype=np.float32)
            grown[: self._used] = self._matrix
            self._matrix = grown
        self._used += 1
        return self._used - 1


class _List:
    """One list of the inverted file: its vectors in one block, with the row each came from.
    Removing swaps the last entry into the hole, so the block stays contiguous."""

    def __init__(self, dimension: int) -> None:
        self.vectors = np.zeros((8, dimension), dtype=np.float32)
        self.rows = np.zeros(8, dtype=np.int64)
        self.size = 0
        self._slot_of: dict[int, int] = {}

    def add(self, row: int, vector: np.ndarray) -> None:
        if self.size == len(self.rows):
            self.vectors = np.concatenate([self.vectors, np.zeros_like(self.vectors)])
            self.rows = np.concatenate([self.rows, np.zeros_like(self.rows)])
        self.vectors[self.size], self.rows[self.size] = vector, row
        self._slot_of[row] = self.size
        self.size += 1

    def discard(self, row: int) -> None:
        slot = self._slot_of.pop(row, None)
        if slot is None:
            return
        last = self.size - 1
        if slot != last:
            moved = int(self.rows[last])
            self.vectors[slot], self.rows[slot] = self.vectors[last], moved
            self._slot_of[moved] = slot
        self.size = last
