"""The embedder a web server shares between request threads gives each thread the vectors a
one-at-a-time embedder gives."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from storyline.stages.embed import UniversalSentenceEncoder

pytestmark = pytest.mark.slow

QUERIES = ["earthquake in Indonesia", "Poutine", "élection présidentielle", "Streik der Piloten",
           "Apple unveils a new laptop", "incendio forestal", "Barack Obama", "flood"]


def test_concurrent_calls_without_the_lock_give_the_serial_vectors() -> None:
    serial = UniversalSentenceEncoder(threads=1)
    shared = UniversalSentenceEncoder(threads=1, serialise=False)
    expected = {q: serial.encode([q])[0] for q in QUERIES}
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda q: (q, shared.encode([q])[0]), QUERIES * 6))
    for query, vector in got:
        assert np.allclose(vector, expected[query], atol=1e-5), query
    assert shared.encode([]).shape == (0, 512)
