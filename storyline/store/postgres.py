"""PostgreSQL store, for deployments where several people and processes share one database:
``--db postgresql://USER:PASSWORD@HOST:5432/DBNAME``.

The tables and every query are the shared ones of :class:`~storyline.store.base.Store`;
this module adds what differs: the connection (``?`` placeholders and rows by name or
position, as the base's SQL expects), an advisory lock for the one writer, full-text
search in a ``tsvector`` table with GIN indexes, and the checks ``doctor`` runs.
Embeddings are stored as bytes and searched in process (exact cosine, as with SQLite);
pgvector is not needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from storyline.article import Article
from storyline.errors import StorylineError
from storyline.search import _fold, filter_sql, index_fields, query_forms
from storyline.store.base import Store

if TYPE_CHECKING:
    from storyline.search import SearchFilters


#: Advisory lock keys (any two fixed 64-bit numbers): the one writer, and schema changes.
WRITER_LOCK = 0x5354_4F52_594C_494E
SCHEMA_LOCK = 0x5354_4F52_5343_484D


class PostgresStore(Store):
    """A Storyline database on a PostgreSQL server (any version with ``tsvector``, 12+)."""

    ROW_ORDER: ClassVar[str] = "pos"
    NO_LIMIT: ClassVar[Any] = None  # LIMIT NULL: no limit
    TYPES: ClassVar[dict[str, str]] = {"seq_key": "BIGSERIAL PRIMARY KEY", "real": "DOUBLE PRECISION",
                                       "blob": "BYTEA", "now": "now()::text", "row_key": "pos BIGSERIAL PRIMARY KEY,",
                                       "row_order": "pos BIGSERIAL UNIQUE,"}

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.path = _without_password(url)
        try:
            import psycopg
        except ImportError:
            raise StorylineError("E019", db=self.path) from None
        try:
            raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory, connect_timeout=10)
        except psycopg.Error as error:
            raise StorylineError("E018", db=self.path, detail=_first_line(error)) from None
        self.conn = _Connection(raw)
        try:
            self._prepare(create)
        except BaseException:
            self.conn.close()
            raise

    def _prepare(self, create: bool) -> None:
        """Create or migrate the schema (or refuse, when ``create`` is off and there is none)."""
        if not self.conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0] and not create:
            raise StorylineError("E012", db=self.path)
        self.conn.execute("SELECT pg_advisory_lock(?)", (SCHEMA_LOCK,))  # two first runs: one creates
        try:
            for statement in self.schema():
                self.conn.execute(statement)
            self._migrate()
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(?)", (SCHEMA_LOCK,))

    def __enter__(self) -> PostgresStore:
        return self

    def _add_search_index(self) -> None:
        """Schema 2: the full-text table (title weighted above body; names apart, for phrases)."""
        self.conn.execute("CREATE TABLE IF NOT EXISTS articles_fts (seq BIGINT PRIMARY KEY REFERENCES articles(seq),"
                          " doc TSVECTOR NOT NULL, names TSVECTOR NOT NULL)")
        self.conn.execute("CREATE INDEX IF NOT EXISTS articles_fts_doc ON articles_fts USING GIN (doc)")
        self.conn.execute("CREATE INDEX IF NOT EXISTS articles_fts_names ON articles_fts USING GIN (names)")
        self.conn.execute("CREATE INDEX IF NOT EXISTS entities_canonical_folded ON entities(lower(canonical))")
        self.conn.execute("CREATE INDEX IF NOT EXISTS entities_text_folded ON entities(lower(text))")

    MIGRATIONS: ClassVar[dict[int, Callable[[Any], None]]] = {2: _add_search_index, 3: Store._close_stories,
                                                                4: Store._add_lineage, 5: Store._index_story_people,
                                                                6: Store._add_web_tables, 7: Store._add_alert_tables,
                                                                8: Store._add_corrections}

    @contextmanager
    def writer_lock(self, *, wait: bool = True, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Be the only process adding articles to this database, for the whole run: a
        session-level advisory lock, released by the server if this process dies."""
        taken = self.conn.execute("SELECT pg_try_advisory_lock(?)", (WRITER_LOCK,)).fetchone()[0]
        if not taken:
            if not wait:
                raise StorylineError("E017", db=self.path)
            if on_wait is not None:
                on_wait()
            self.conn.execute("SELECT pg_advisory_lock(?)", (WRITER_LOCK,))
        try:
            yield
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(?)", (WRITER_LOCK,))

    def _in(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(?)", [list(values)]

    def _index_text(self, seq: int, article: Article) -> None:
        title, body, names = (_fold(field) for field in index_fields(article))
        self.conn.execute("INSERT INTO articles_fts (seq, doc, names) VALUES (?, setweight(to_tsvector('simple', ?),"
                          " 'A') || setweight(to_tsvector('simple', ?), 'D'), to_tsvector('simple', ?))",
                          (seq, title, body, names))

    def text_hits(self, query: str, names: list[str], filters: SearchFilters, allowed: set[int] | None,
                  depth: int, floor: int | None) -> list[tuple[int, float]]:
        """``ts_rank`` over the words (title weighted above body) plus twice the rank of the
        named entities as phrases. Each word goes in as a separate ``plainto_tsquery``
        parameter: no user text is parsed as query syntax."""
        words = [_fold(form) for forms in query_forms(query) for form in forms]
        phrases = [" ".join(_fold(t) for t in re.findall(r"\w+", name)) for name in names]
        phrases = [p for p in phrases if p]
        if not words and not phrases:
            return []
        word_query = " || ".join(["plainto_tsquery('simple', ?)"] * len(words)) or "NULL::tsquery"
        name_query = " || ".join(["phraseto_tsquery('simple', ?)"] * len(phrases)) or "NULL::tsquery"
        sql, params = filter_sql(filters)
        params = [*words, *phrases, *params]
        if floor:
            sql += " AND f.seq >= ?"
            params.append(floor)
        if allowed is not None:
            condition, extra = self._in("a.seq", sorted(allowed))
            sql += f" AND {condition}"
            params += extra
        rows = self.conn.execute(
            f"WITH q AS (SELECT {word_query} AS words, {name_query} AS names)"
            " SELECT f.seq, coalesce(ts_rank(f.doc, q.words), 0) + 2 * coalesce(ts_rank(f.names, q.names), 0) AS score"
            " FROM articles_fts f JOIN articles a ON a.seq = f.seq CROSS JOIN q"
            f" WHERE (f.doc @@ q.words OR f.names @@ q.names) {sql} ORDER BY score DESC, f.seq LIMIT ?",
            [*params, depth]).fetchall()
        return [(int(r["seq"]), float(r["score"])) for r in rows]

    def term_documents(self, term: str) -> int:
        row = self.conn.execute("SELECT count(*) FROM (SELECT 1 FROM articles_fts"
                                " WHERE doc @@ plainto_tsquery('simple', ?) LIMIT 1000000) t", (term,)).fetchone()
        return int(row[0])

    def _backend_checks(self) -> list[tuple[str, int | str, str]]:
        version = self.conn.execute("SHOW server_version").fetchone()[0]
        indexed = self.conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
        stored = self.count_articles()
        return [("postgresql server", 0, f"PostgreSQL {version}; foreign keys enforced by the server"),
                ("search index", 0 if indexed == stored else 1, f"{indexed} of {stored} articles indexed")]


class _Row(dict):  # type: ignore[type-arg]
    """A row readable by column name (``row["seq"]``) or position (``row[0]``), as sqlite3.Row."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int):
            return list(self.values())[key]
        return super().__getitem__(key)


def _row_factory(cursor: Any) -> Callable[[Iterable[Any]], _Row]:
    names = [column.name for column in cursor.description or ()]
    return lambda values: _Row(zip(names, values, strict=True))


class _Connection:
    """A psycopg connection that takes the base store's SQL: ``?`` placeholders."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return self.raw.execute(_placeholders(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            with self.raw.cursor() as cursor:
                cursor.executemany(_placeholders(sql), rows)

    def close(self) -> None:
        self.raw.close()


def _placeholders(sql: str) -> str:
    """``?`` → ``%s`` (the base's SQL holds no other ``?`` and no ``%``)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _without_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
