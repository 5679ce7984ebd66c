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


def test_recent_texts_are_embedded_once_and_the_oldest_forgotten() -> None:
    from storyline.stages.embed import RecentTexts

    class Counting:
        name, dim = "counting", 2

        def __init__(self) -> None:
            self.calls: list[list[str]] = []

        def encode(self, texts: list[str]) -> np.ndarray:
            self.calls.append(list(texts))
            return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    model = Counting()
    recent = RecentTexts(model, size=2)
    first = recent.encode(["Putin", "Obama", "Putin"])
    assert model.calls == [["Putin", "Obama"]] and first.tolist() == [[5, 1], [5, 1], [5, 1]]
    assert recent.encode(["Obama"]).tolist() == [[5, 1]] and len(model.calls) == 1  # kept
    recent.encode(["Merkel"])  # the third text: Putin, the least recently asked, is forgotten
    recent.encode(["Putin"])
    assert model.calls[1:] == [["Merkel"], ["Putin"]] and recent.encode([]).shape == (0, 2)
