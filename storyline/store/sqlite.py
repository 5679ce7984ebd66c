"""SQLite store, the default: one file, no server. WAL mode, so readers (the web UI, search)
never wait for the one writer; full-text search in FTS5."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; run one ingest at a time
    fcntl = None  # type: ignore[assignment]

from storyline.article import Article
from storyline.errors import StorylineError
from storyline.search import FILTER_POOL, FTS_SCHEMA, FTS_VOCAB_SCHEMA, filter_sql, fts_query, index_fields
from storyline.store.base import Store

if TYPE_CHECKING:
    from storyline.search import SearchFilters



class SQLiteStore(Store):
    """The default store: a single SQLite file, no server."""

    BEGIN: ClassVar[str] = "BEGIN IMMEDIATE"  # take the write lock now, not at the first write

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        """Open (``create``: or make) a Storyline file. Without ``create`` (the read commands) a
        file that is not a Storyline database is refused before anything is written to it, and a
        file this process may not write is opened read-only."""
        self.path = str(path)
        self.read_only = False
        memory = self.path == ":memory:"
        exists = memory or Path(self.path).exists()
        if not create and not exists:
            raise StorylineError("E012", db=self.path)
        try:
            if exists and not memory:
                self._refuse_foreign(empty_ok=create)
            if not memory and not _writable(self.path):
                self._read_instead(create)
                return
            try:
                self._open_for_writing()
            except sqlite3.OperationalError as exc:  # the OS said no where access() said yes (root, a
                if memory or not exists or not _refused_writing(exc):  # read-only mount, chattr +i)
                    raise
                if getattr(self, "conn", None) is not None:
                    self.conn.close()
                self._read_instead(create)
        except sqlite3.DatabaseError as exc:
            raise StorylineError("E013", db=self.path, detail=str(exc)) from exc

    def change_stamp(self) -> Any:
        """Another connection's commit moves ``data_version``; this connection's own writes move
        ``total_changes``."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0], self.conn.total_changes

    def shared_stamp(self) -> Callable[[], Any] | None:
        return None if self.path == ":memory:" else DataVersion(self.path)

    def _open_for_writing(self) -> None:
        self.conn = self._connect(self.path)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        # One transaction: another process opening the file meanwhile sees no tables or all of them,
        # never some (it would call a half-made file "not a Storyline database").
        self.conn.executescript("BEGIN IMMEDIATE;\n" + ";\n".join(self.schema()) + ";\nCOMMIT;")
        self._migrate()

    def _read_instead(self, create: bool) -> None:
        """A writer is told it cannot write (E022); a reader reads."""
        if create:
            raise StorylineError("E022", db=self.path)
        self._open_read_only()

    @staticmethod
    def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(target, isolation_level=None, uri=uri)
        conn.row_factory = sqlite3.Row
        # PostgreSQL's name for instr(), so search filters are one SQL for both backends.
        conn.create_function("strpos", 2, _strpos, deterministic=True)
        return conn

    def _refuse_foreign(self, *, empty_ok: bool) -> None:
        """E013 for a file that is another program's (or no) SQLite database, read without writing:
        ``doctor --db other.db`` used to add Storyline's tables to it and switch it to WAL."""
        probe = self._reader()
        try:
            names = {r[0] for r in probe.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            probe.close()
        if not names and empty_ok:
            return  # an empty file (touch storyline.db): ingest may make it a Storyline database
        missing = sorted({"meta", "articles", "events"} - names)
        if missing:
            raise StorylineError("E013", db=self.path, detail=f"it has no {', '.join(missing)} table"
                                 + ("s" if len(missing) > 1 else "") if names else "it holds no tables")

    def _reader(self) -> sqlite3.Connection:
        """A connection that only reads. A WAL file needs its ``-shm`` beside it even to be read; where
        that cannot be created (a folder this process may not write) the file is read as immutable,
        which needs none: a read-only archive is not being written meanwhile."""
        conn = self._connect(_read_only_uri(self.path), uri=True)
        try:
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            return conn
        except sqlite3.OperationalError:
            conn.close()
            return self._connect(_read_only_uri(self.path) + "&immutable=1", uri=True)

    def _open_read_only(self) -> None:
        """Read a file this process may not write (a shared archive, a read-only mount)."""
        self.conn = self._reader()
        self.read_only = True
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None or int(row["value"]) != self.schema_version:
            raise StorylineError("E013", db=self.path, detail=f"it is read-only and its schema "
                                 f"({row['value'] if row else 1}) needs upgrading to {self.schema_version}")

    def __enter__(self) -> SQLiteStore:
        return self

    def _add_search_index(self) -> None:
        """Schema 2: full-text index (FTS5) and case-folded name indexes for search."""
        self.conn.execute(FTS_SCHEMA)
        self.conn.execute(FTS_VOCAB_SCHEMA)
        self.conn.execute("CREATE INDEX IF NOT EXISTS entities_canonical_folded ON entities(lower(canonical))")
        self.conn.execute("CREATE INDEX IF NOT EXISTS entities_text_folded ON entities(lower(text))")
        for seq, in self.conn.execute("SELECT seq FROM articles ORDER BY seq").fetchall():
            self._index_text(seq, self._article(self.conn.execute("SELECT * FROM articles WHERE seq=?",
                                                                  (seq,)).fetchone()))

    MIGRATIONS: ClassVar[dict[int, Callable[[Any], None]]] = {2: _add_search_index, 3: Store._close_stories,
                                                                4: Store._add_lineage, 5: Store._index_story_people,
                                                                6: Store._add_web_tables, 7: Store._add_alert_tables,
                                                                8: Store._add_corrections}

    @contextmanager
    def writer_lock(self, *, wait: bool = True, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Be the only process adding articles to this file, for the whole run.

        Two writers would each continue event numbering from the state they loaded. The
        lock is an advisory ``flock`` on ``FILE.lock`` (released by the OS if the process
        dies, so a kill -9 never leaves it stuck). Readers are never blocked (WAL).
        """
        if self.path == ":memory:" or fcntl is None:
            yield
            return
        # The real path: two writers reaching one file through a symlink must take one lock.
        with open(f"{os.path.realpath(self.path)}.lock", "a+") as handle, _not_in_forks(handle):
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    raise StorylineError("E017", db=self.path) from None
                if on_wait is not None:
                    on_wait()
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _in(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        import json

        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(values))]

    def _index_text(self, seq: int, article: Article) -> None:
        self.conn.execute("INSERT INTO articles_fts (rowid, title, body, names) VALUES (?,?,?,?)",
                          (seq, *index_fields(article)))

    def text_hits(self, query: str, names: list[str], filters: SearchFilters, allowed: set[int] | None,
                  depth: int, floor: int | None) -> list[tuple[int, float]]:
        """BM25 (title 3, body 1, names 2) in FTS5; filters apply to the best ``FILTER_POOL``
        matches (FTS5 cannot use them while ranking)."""
        match = fts_query(query, names)
        if not match:
            return []
        where, params = ["articles_fts MATCH ?"], [match]
        if floor:
            where.append("rowid >= ?")
            params.append(floor)
        sql, filter_params = filter_sql(filters)
        if allowed is not None:
            condition, extra = self._in("a.seq", sorted(allowed))
            sql += f" AND {condition}"
            filter_params += extra
        ranked = f"SELECT rowid AS seq, bm25(articles_fts, 3.0, 1.0, 2.0) AS rank FROM articles_fts" \
                 f" WHERE {' AND '.join(where)} ORDER BY rank LIMIT ?"
        try:
            if sql:
                rows = self.conn.execute(
                    f"SELECT f.seq, f.rank FROM ({ranked}) f JOIN articles a ON a.seq = f.seq WHERE TRUE {sql}"
                    " ORDER BY f.rank LIMIT ?", [*params, FILTER_POOL, *filter_params, depth]).fetchall()
            else:
                rows = self.conn.execute(ranked, [*params, depth]).fetchall()
        except sqlite3.OperationalError:  # FTS5 refused the expression: cannot happen with quoted words only
            return []
        return [(int(r["seq"]), -float(r["rank"])) for r in rows]

    def term_documents(self, term: str) -> int:
        """From the FTS5 vocabulary."""
        row = self.conn.execute("SELECT doc FROM articles_fts_vocab WHERE term = ?", (term,)).fetchone()
        return int(row["doc"]) if row else 0

    def _backend_checks(self) -> list[tuple[str, int | str, str]]:
        out: list[tuple[str, int | str, str]] = []
        integrity = [r[0] for r in self.conn.execute("PRAGMA integrity_check").fetchall()]
        out.append(("sqlite integrity", integrity[0] if integrity == ["ok"] else len(integrity),
                    "ok" if integrity == ["ok"] else "; ".join(integrity[:5])))
        orphans = self.conn.execute("PRAGMA foreign_key_check").fetchall()
        tables = sorted({r[0] for r in orphans})
        out.append(("rows pointing at missing articles or events", len(orphans),
                    f"{len(orphans)} rows in {', '.join(tables)}" if orphans else "none"))
        fts_problem = ""
        if not self.read_only:  # FTS5's integrity check is a write command: read-only, the counts alone
            try:
                self.conn.execute("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")
            except sqlite3.DatabaseError as exc:
                fts_problem = str(exc)
        indexed = self.conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
        stored = self.count_articles()
        out.append(("search index", 1 if fts_problem or indexed != stored else 0,
                    fts_problem or f"{indexed} of {stored} articles indexed"))
        return out


def _read_only_uri(path: str) -> str:
    return f"file:{quote(os.path.abspath(path))}?mode=ro"


def _refused_writing(exc: sqlite3.OperationalError) -> bool:
    """SQLite's words for a file, or its -wal/-shm beside it, that may not be written or created."""
    return any(words in str(exc) for words in ("readonly", "read-only", "unable to open"))


def _writable(path: str) -> bool:
    """Whether this process may write the file (or create it, in its folder)."""
    target = Path(path)
    return os.access(target, os.W_OK) if target.exists() else os.access(target.parent.resolve(), os.W_OK)


def _strpos(text: str | None, part: str | None) -> int | None:
    return None if text is None or part is None else text.find(part) + 1


#: Writer-lock files this process holds: a process forked from it (an ingest's workers) closes its
#: copies at once, so the lock is the holder's alone and goes when the holder dies, forks or not.
_HELD_LOCKS: set[Any] = set()


def _close_held_locks() -> None:
    """In a forked child: point its copies of the lock files at /dev/null (the descriptor numbers
    stay valid for the file objects that own them, the lock is no longer shared)."""
    if not _HELD_LOCKS:
        return
    null = os.open(os.devnull, os.O_RDWR)
    for handle in list(_HELD_LOCKS):
        with suppress(OSError):
            os.dup2(null, handle.fileno())
    os.close(null)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks)


@contextmanager
def _not_in_forks(handle: Any) -> Iterator[None]:
    _HELD_LOCKS.add(handle)
    try:
        yield
    finally:
        _HELD_LOCKS.discard(handle)


class DataVersion:
    """A change stamp for many threads: a connection of its own that never writes, so its
    ``data_version`` moves on every commit by anyone, read under a lock (opened again after
    :meth:`close`, as a server's stores are)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            if self._conn is None:
                self._conn = sqlite3.connect(_read_only_uri(self._path), uri=True, check_same_thread=False)
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
