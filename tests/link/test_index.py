import numpy as np

from storyline.link.index import CentroidIndex


def _unit(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_nearest_matches_brute_force_after_removals_and_reuse() -> None:
    rng = np.random.default_rng(0)
    vectors = _unit(rng, 300)
    index = CentroidIndex(capacity=8)  # forces the matrix to grow
    for key, vector in enumerate(vectors):
        index.set(key, vector)
    removed = set(range(0, 300, 3))
    for key in removed:
        index.remove(key)
    for key in range(300, 350):  # new keys reuse the freed rows
        vectors = np.vstack([vectors, _unit(rng, 1)])
        index.set(key, vectors[key])
    alive = [k for k in range(350) if k not in removed]
    assert len(index) == len(alive)
    for query in _unit(rng, 20):
        expected = sorted(alive, key=lambda k: -float(vectors[k] @ query))[:7]
        assert index.nearest(query, 7) == sorted(expected)


def test_replacing_a_vector_moves_its_key() -> None:
    index = CentroidIndex()
    index.set(1, np.array([1.0, 0.0]))
    index.set(2, np.array([0.0, 1.0]))
    index.set(3, np.array([0.6, 0.8]))
    assert index.nearest(np.array([1.0, 0.0]), 1) == [1]
    index.set(1, np.array([0.0, -1.0]))
    assert index.nearest(np.array([1.0, 0.0]), 1) == [3]


def test_small_or_mismatched_queries_return_every_key_in_order() -> None:
    index = CentroidIndex()
    assert index.nearest(np.ones(3), 2) == []
    index.set(5, np.array([1.0, 0.0, 0.0]))
    index.set(4, np.array([0.0, 1.0]))  # another dimension: stored as zeros, never near
    assert index.nearest(np.ones(3), 5) == [4, 5]
    assert 4 in index and 6 not in index
