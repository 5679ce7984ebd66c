"""Hybrid search: full text (SQLite FTS5) and meaning (the article embeddings), fused.

Why both: full text finds the exact name or phrase a journalist remembers; the
multilingual embeddings find the same story told in another language. The two
ranked lists are fused with reciprocal rank fusion, which needs no score
calibration between BM25 and cosine.

Full text is language-aware: each article's words are indexed as Snowball stems
of its own language (so "elections" finds "election"), diacritics folded, and its
entities under their canonical names. A query's words are expanded to their stems
in every supported language, and a name in any language ("Poutine") is resolved
to its canonical entity ("Vladimir Putin"), so a French query finds English text.
The query never reaches FTS5 as syntax: only quoted word tokens do.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from storyline.article import Article
from storyline.errors import StorylineError

if TYPE_CHECKING:
    from storyline.stages.embed import Embedder
    from storyline.store.base import Store

#: ISO 639-1 code → Snowball algorithm (the languages whose words are stemmed).
STEMMERS = {"en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian", "nl": "dutch",
            "pt": "portuguese", "ru": "russian", "sv": "swedish", "da": "danish", "no": "norwegian",
            "fi": "finnish", "ro": "romanian", "hu": "hungarian", "tr": "turkish", "ca": "catalan"}
#: Languages a query's words are stemmed in (those Storyline enriches best).
QUERY_LANGUAGES = ("en", "fr", "de", "es", "it", "nl")
RRF_K = 60
#: Matches BM25 ranks at most, roughly, for queries of very common words (see Searcher.text_search).
TEXT_BUDGET = 5_000
#: Best text matches that filters are applied to.
FILTER_POOL = 2_000
MIN_SEMANTIC_SCORE = 0.2
_WORD = re.compile(r"\w+", re.UNICODE)
FTS_SCHEMA = ("CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5("
              "title, body, names, content='', tokenize='unicode61 remove_diacritics 2')")
FTS_VOCAB_SCHEMA = "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts_vocab USING fts5vocab(articles_fts, 'row')"


@lru_cache(maxsize=32)
def _stemmer(language: str | None) -> Any:
    import snowballstemmer

    algorithm = STEMMERS.get(language or "")
    return snowballstemmer.stemmer(algorithm) if algorithm else None


_STEM_LOCK = threading.Lock()
#: Worker threads for the semantic side of hybrid queries.
_SIDE_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="storyline-search")


def stem_words(text: str, language: str | None) -> list[str]:
    """Lower-cased words of ``text``, stemmed when ``language`` has a Snowball stemmer."""
    words = [w.lower() for w in _WORD.findall(text)]
    stemmer = _stemmer(language)
    if stemmer is None:
        return words
    with _STEM_LOCK:  # Snowball stemmers keep state; the web server calls from several threads
        return stemmer.stemWords(words)


def index_fields(article: Article) -> tuple[str, str, str]:
    """The (title, body, names) an article is indexed under."""
    title = " ".join(stem_words(article.title or "", article.language))
    body = " ".join(stem_words(article.text, article.language))
    names = sorted({e.canonical for e in article.entities} | {e.text for e in article.entities})
    return title, body, " ; ".join(names)


@dataclass(slots=True, kw_only=True)
class SearchFilters:
    """Restrictions every result must meet (``None`` means any)."""

    language: str | None = None
    since: date | None = None
    until: date | None = None
    entity: str | None = None
    source: str | None = None

    @classmethod
    def parse(cls, *, language: str | None = None, since: str | None = None, until: str | None = None,
              entity: str | None = None, source: str | None = None) -> SearchFilters:
        """Filters from user strings (CLI options, URL parameters); bad dates raise E016."""

        def day(value: str | None, name: str) -> date | None:
            if not value:
                return None
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise StorylineError("E016", detail=f"{name}={value!r} is not a date like 2018-11-11") from None

        return cls(language=(language or "").strip().lower() or None, since=day(since, "since"),
                   until=day(until, "until"), entity=(entity or "").strip() or None,
                   source=(source or "").strip() or None)

    def to_json(self) -> dict[str, Any]:
        return {"language": self.language, "since": _iso(self.since), "until": _iso(self.until),
                "entity": self.entity, "source": self.source}


@dataclass(slots=True)
class _Vectors:
    """The embedding matrix and the columns filters need."""

    seqs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    languages: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="U8"))
    dates: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="U10"))  # ISO dates sort as text
    sources: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="U1"))
    last_seq: int = 0


class VectorIndex:
    """Article embeddings held in memory between queries; each refresh reads only the
    articles stored since the last one. Exact (brute-force) cosine: one matrix-vector
    product, about 10 ms per 100,000 articles on 2 cores. Safe to share between threads."""

    def __init__(self) -> None:
        self._vectors = _Vectors()
        self._lock = threading.Lock()

    def refresh(self, store: Store) -> _Vectors:
        with self._lock:
            current = self._vectors
            rows = store.conn.execute(
                "SELECT seq, embedding, language, coalesce(event_date, published) AS day, coalesce(outlet, '') || ' '"
                " || coalesce(url, '') || ' ' || source AS src"
                " FROM articles WHERE seq > ? AND embedding IS NOT NULL ORDER BY seq",
                (current.last_seq,)).fetchall()
            if not rows:
                return current
            new = np.vstack([np.frombuffer(r["embedding"], dtype=np.float32) for r in rows])
            matrix = new if not len(current.seqs) else np.vstack([current.matrix, new])
            self._vectors = _Vectors(
                seqs=np.concatenate([current.seqs, np.array([r["seq"] for r in rows], dtype=np.int64)]),
                matrix=np.ascontiguousarray(matrix, dtype=np.float32),
                languages=np.concatenate([current.languages,
                                          np.array([r["language"] or "" for r in rows], dtype="U8")]),
                dates=np.concatenate([current.dates, np.array([r["day"] or "" for r in rows], dtype="U10")]),
                sources=np.concatenate([current.sources, np.array([r["src"] for r in rows], dtype=str)]),
                last_seq=int(rows[-1]["seq"]),
            )
            return self._vectors


class Searcher:
    """Search one store. A web server keeps one :class:`VectorIndex` and embedder for the
    process and makes a Searcher per thread (an SQLite connection stays in its thread)."""

    def __init__(self, store: Store, embedder: Embedder | None = None, index: VectorIndex | None = None) -> None:
        self.store = store
        self._embedder = embedder
        self.index = index or VectorIndex()
        self.min_semantic_score = MIN_SEMANTIC_SCORE

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from storyline.stages.embed import get_embedder

            self._embedder = get_embedder()
        return self._embedder

    def search(self, query: str, *, filters: SearchFilters | None = None, limit: int = 20,
               mode: str = "hybrid") -> dict[str, Any]:
        """Ranked articles for ``query``; ``mode`` is hybrid, text or semantic."""
        filters = filters or SearchFilters()
        limit = max(1, min(int(limit), 200))
        allowed = self._allowed_seqs(filters)
        depth = max(50, limit * 3)
        names = self.query_entities(query)
        semantic = None
        if mode in ("hybrid", "semantic"):  # the cosine pass runs beside BM25 (both release the GIL)
            vectors, query_vector = self.index.refresh(self.store), self.embedder.encode([query])[0]
            semantic = _SIDE_POOL.submit(_semantic_hits, vectors, query_vector, filters, allowed, depth,
                                         self.min_semantic_score)
        text_hits = self.text_search(query, names, filters, allowed, depth) if mode in ("hybrid", "text") else []
        semantic_hits = semantic.result() if semantic is not None else []
        fused: dict[int, dict[str, Any]] = {}
        for kind, hits in (("text", text_hits), ("semantic", semantic_hits)):
            for rank, (seq, score) in enumerate(hits, start=1):
                entry = fused.setdefault(seq, {"score": 0.0, "matched": {}})
                entry["score"] += 1.0 / (RRF_K + rank)
                entry["matched"][kind] = {"rank": rank, "score": round(score, 4)}
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1]["score"], kv[0]))[:limit]
        rows = self.store.search_rows([seq for seq, _ in ranked])
        words = {w.lower() for w in _WORD.findall(query)} | {w.lower() for n in names for w in _WORD.findall(n)}
        results = []
        for seq, entry in ranked:
            row = rows[seq]
            row.update(score=round(entry["score"], 5), matched=entry["matched"],
                       snippet=snippet(row.pop("text"), words))
            results.append(row)
        return {"query": query, "mode": mode, "entities": names, "filters": filters.to_json(),
                "results": results}

    # -- the two retrievers ------------------------------------------------------------------
    def query_entities(self, query: str) -> list[str]:
        """Canonical names of the entities a query names, in any language ("Poutine" → "Vladimir Putin")."""
        from storyline.stages.entities import AliasTable

        aliases = AliasTable.default()
        words = _WORD.findall(query)
        found: list[str] = []
        for size in (3, 2, 1):
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start:start + size])
                known = aliases.lookup(phrase)
                names = ([known[0]] if known else []) + self.store.canonical_names(phrase)
                for name in names:
                    if name not in found:
                        found.append(name)
        return found

    def text_search(self, query: str, names: list[str], filters: SearchFilters, allowed: set[int] | None,
                    depth: int) -> list[tuple[int, float]]:
        """BM25 over stemmed title and body plus canonical names.

        BM25 scores every article that matches, so a query of very common words would
        cost time in proportion to the archive. When the words' document counts add up
        to more than ``TEXT_BUDGET``, only the newest articles (about ``TEXT_BUDGET``
        matches' worth) are ranked. Filters apply to the best ``FILTER_POOL`` matches
        (FTS5 cannot use them while ranking). The semantic side always covers the
        whole archive with exact filters, so hybrid results still reach older or
        filtered articles.
        """
        floor = self._newest_window(query, names)
        return self.store.text_hits(query, names, filters, allowed, depth, floor)

    def _newest_window(self, query: str, names: list[str]) -> int | None:
        """The lowest ``seq`` to rank when the query's words are too common to rank everywhere."""
        expected = 0
        for forms in query_forms(query):
            counts = [self.store.term_documents(_fold(form)) for form in forms]
            expected += max(counts, default=0)
        if expected <= TEXT_BUDGET:
            return None
        newest = self.store.max_seq()
        return max(1, int(newest - newest * TEXT_BUDGET / expected))

    def semantic_search(self, query: str, filters: SearchFilters, allowed: set[int] | None,
                        depth: int) -> list[tuple[int, float]]:
        """Cosine between the query's embedding and each article's (title + lead) embedding."""
        if not query.strip():
            return []
        return _semantic_hits(self.index.refresh(self.store), self.embedder.encode([query])[0], filters, allowed,
                              depth, self.min_semantic_score)

    def _allowed_seqs(self, filters: SearchFilters) -> set[int] | None:
        if not filters.entity:
            return None
        from storyline.errors import NotFoundError
        from storyline.timeline import resolve_entity

        try:
            return self.store.seqs_with_entities(resolve_entity(self.store, filters.entity))
        except NotFoundError:  # no article names it: nothing can match
            return set()


def _semantic_hits(vectors: _Vectors, query_vector: np.ndarray, filters: SearchFilters, allowed: set[int] | None,
                   depth: int, min_score: float) -> list[tuple[int, float]]:
    """Exact cosine against every stored embedding, with the filters applied exactly."""
    if not len(vectors.seqs):
        return []
    scores = vectors.matrix @ query_vector
    mask = scores >= min_score
    if filters.language:
        mask &= vectors.languages == filters.language
    if filters.source:
        mask &= np.char.find(vectors.sources, filters.source) >= 0
    if filters.since:
        mask &= (vectors.dates != "") & (vectors.dates >= filters.since.isoformat())
    if filters.until:
        mask &= (vectors.dates != "") & (vectors.dates <= filters.until.isoformat())
    if allowed is not None:
        mask &= np.isin(vectors.seqs, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
    candidates = np.flatnonzero(mask)
    if not len(candidates):
        return []
    if len(candidates) > depth:  # partial selection first: a full sort of 100,000 scores costs more
        candidates = candidates[np.argpartition(-scores[candidates], depth)[:depth]]
    top = candidates[np.argsort(-scores[candidates], kind="stable")]
    return [(int(vectors.seqs[i]), float(scores[i])) for i in top]


def query_forms(query: str) -> list[list[str]]:
    """Each query word with its stems in the supported languages (at most 32 words)."""
    out = []
    for word in _WORD.findall(query)[:32]:
        forms = {word.lower()} | {stem for lang in QUERY_LANGUAGES for stem in stem_words(word, lang)[:1]}
        out.append(sorted(forms))
    return out


def query_clauses(query: str, names: list[str]) -> list[str]:
    """FTS5 clauses built only from quoted word tokens (no user syntax gets through)."""
    clauses = ["(" + " OR ".join(f'"{f}"' for f in forms) + ")" for forms in query_forms(query)]
    for name in names:
        tokens = [t.lower() for t in _WORD.findall(name)]
        if tokens:
            clauses.append('names : "' + " ".join(tokens) + '"')
    return clauses


def fts_query(query: str, names: list[str]) -> str:
    """The FTS5 MATCH expression for a query: any of its words or named entities."""
    return " OR ".join(query_clauses(query, names))


def snippet(text: str, words: set[str], width: int = 240) -> str:
    """The first sentence that holds a query word, else the opening of the text."""
    folded = {_fold(w) for w in words if len(w) > 2}
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        tokens = {_fold(t) for t in _WORD.findall(sentence)}
        if folded & tokens or any(t.startswith(w[:5]) for w in folded for t in tokens if len(w) >= 5):
            return sentence[:width]
    return text[:width]


@lru_cache(maxsize=65_536)
def _fold(word: str) -> str:
    """Lower-cased, accents stripped: a word as FTS5's unicode61 tokenizer indexes it (unlike
    :func:`storyline.stages.entities.fold`, no casefolding, so "ß" stays "ß" as in the index).
    Cached: snippets fold every word of each result, and most words recur (half a search's time)."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def filter_sql(filters: SearchFilters) -> tuple[str, list[Any]]:
    sql, params = "", []
    if filters.language:
        sql += " AND a.language = ?"
        params.append(filters.language)
    if filters.source:
        sql += (" AND (strpos(coalesce(a.outlet, ''), ?) > 0 OR strpos(coalesce(a.url, ''), ?) > 0"
                " OR strpos(a.source, ?) > 0)")
        params += [filters.source] * 3
    if filters.since:
        sql += " AND coalesce(a.event_date, a.published) >= ?"
        params.append(filters.since.isoformat())
    if filters.until:
        sql += " AND coalesce(a.event_date, a.published) <= ?"
        params.append(filters.until.isoformat())
    return sql, params


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
