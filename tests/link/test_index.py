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


def test_the_inverted_file_probing_every_list_is_exact() -> None:
    rng = np.random.default_rng(1)
    vectors = _unit(rng, 600)
    index = CentroidIndex(capacity=8, approximate_above=200, lists=8, probes=10_000)  # every list
    for key, vector in enumerate(vectors):
        index.set(key, vector)
    assert index.approximate
    for key in range(0, 600, 4):  # removals and moves keep the lists right
        index.remove(key)
    for key in range(1, 600, 4):
        vectors[key] = _unit(rng, 1)[0]
        index.set(key, vectors[key])
    alive = [k for k in range(600) if k % 4]
    for query in _unit(rng, 20):
        expected = sorted(alive, key=lambda k: -float(vectors[k] @ query))[:10]
        assert index.nearest(query, 10) == sorted(expected)


def test_the_inverted_file_finds_nearly_all_neighbours_probing_a_few_lists() -> None:
    rng = np.random.default_rng(2)
    centres = _unit(rng, 40, dim=32)  # events cluster by topic, as news embeddings do
    vectors = centres[rng.integers(0, 40, 4000)] + 0.15 * rng.normal(size=(4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact, approximate = CentroidIndex(approximate_above=None), CentroidIndex(approximate_above=1000, lists=64,
                                                                             probes=8)
    for key, vector in enumerate(vectors):
        exact.set(key, vector)
        approximate.set(key, vector)
    assert approximate.approximate and not exact.approximate
    queries = centres[rng.integers(0, 40, 50)] + 0.15 * rng.normal(size=(50, 32)).astype(np.float32)
    found = [len(set(exact.nearest(q, 10)) & set(approximate.nearest(q, 10))) for q in queries]
    assert sum(found) / (10 * len(queries)) >= 0.9


def test_the_index_is_exact_again_when_few_vectors_remain() -> None:
    rng = np.random.default_rng(3)
    index = CentroidIndex(approximate_above=100, lists=4, probes=1)
    for key, vector in enumerate(_unit(rng, 150)):
        index.set(key, vector)
    assert index.approximate
    for key in range(110):
        index.remove(key)
    assert not index.approximate and len(index) == 40
