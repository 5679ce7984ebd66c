"""SQLite store: one file holds articles, entities, dates, events, stories and the
state of the online linkers, so the next ``storyline ingest`` resumes where the
last one stopped.

Writes go in one transaction per batch (articles and linker state together), in
WAL mode, so an interrupted run leaves the file consistent and re-running the
same command stores every article exactly once (content hash).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; run one ingest at a time
    fcntl = None  # type: ignore[assignment]

from storyline.article import Article, DatedValue, DateMention, Entity
from storyline.errors import NotFoundError, StorylineError
from storyline.link.events import Assignment, EventState, OnlineEventClusterer
from storyline.link.profile import Profile, profile_of
from storyline.link.stories import StoryLink, StoryLinker, StoryState
from storyline.search import FTS_SCHEMA, FTS_VOCAB_SCHEMA, index_fields

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, url TEXT, outlet TEXT, title TEXT, language TEXT, language_confidence REAL,
    published TEXT, published_json TEXT NOT NULL,
    event_date TEXT, event_date_json TEXT NOT NULL,
    text TEXT NOT NULL, lead TEXT NOT NULL,
    confidence_json TEXT NOT NULL, extras_json TEXT NOT NULL,
    embedding BLOB, title_embedding BLOB,
    ingested_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS entities (
    article_id TEXT NOT NULL REFERENCES articles(id), text TEXT NOT NULL, canonical TEXT NOT NULL,
    type TEXT NOT NULL, count INTEGER NOT NULL, resolved_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_canonical ON entities(canonical);
CREATE INDEX IF NOT EXISTS entities_article ON entities(article_id);
CREATE TABLE IF NOT EXISTS date_mentions (
    article_id TEXT NOT NULL REFERENCES articles(id), text TEXT NOT NULL, value TEXT NOT NULL,
    precision TEXT NOT NULL, kind TEXT NOT NULL, offset INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS date_mentions_article ON date_mentions(article_id);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, title TEXT NOT NULL, date TEXT,
    story_id TEXT, story_reason_json TEXT, closed INTEGER NOT NULL DEFAULT 0, profile_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event_articles (
    article_id TEXT PRIMARY KEY REFERENCES articles(id), event_id TEXT NOT NULL REFERENCES events(event_id),
    reason_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_articles_event ON event_articles(event_id);
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, label TEXT NOT NULL,
    first_date TEXT, last_date TEXT, profile_json TEXT NOT NULL
);
"""


class SQLiteStore:
    """The default store: a single SQLite file, no server."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = str(path)
        if not create and self.path != ":memory:" and not Path(self.path).exists():
            raise StorylineError("E012", db=self.path)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.executescript(SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StorylineError("E013", db=self.path, detail=str(exc)) from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        """Bring an older file up to this version's schema, one numbered step at a time."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row["value"]) if row else 1
        if version > SCHEMA_VERSION:
            raise StorylineError("E013", db=self.path,
                                 detail=f"schema {version} is newer than this Storyline ({SCHEMA_VERSION})")
        for step in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction():
                MIGRATIONS[step](self)
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(step),))
        if row is None:
            self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _add_search_index(self) -> None:
        """Schema 2: full-text index (FTS5) and case-folded name indexes for search."""
        self.conn.execute(FTS_SCHEMA)
        self.conn.execute(FTS_VOCAB_SCHEMA)
        self.conn.execute("CREATE INDEX IF NOT EXISTS entities_canonical_folded ON entities(lower(canonical))")
        self.conn.execute("CREATE INDEX IF NOT EXISTS entities_text_folded ON entities(lower(text))")
        for seq, in self.conn.execute("SELECT seq FROM articles ORDER BY seq").fetchall():
            article = self._article(self.conn.execute("SELECT * FROM articles WHERE seq=?", (seq,)).fetchone())
            self.conn.execute("INSERT INTO articles_fts (rowid, title, body, names) VALUES (?,?,?,?)",
                              (seq, *index_fields(article)))

    # -- writing ---------------------------------------------------------------------------
    def has_content(self, content_hash: str) -> bool:
        return self.conn.execute("SELECT 1 FROM articles WHERE content_hash=?", (content_hash,)).fetchone() is not None

    def free_id(self, article_id: str, content_hash: str) -> str:
        """The article's id, suffixed when another article already has it."""
        if self.conn.execute("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone() is None:
            return article_id
        return f"{article_id}-{content_hash[:8]}"

    def save_batch(self, items: list[tuple[Article, Assignment, EventState, StoryLink | None]],
                   clusterer: OnlineEventClusterer, linker: StoryLinker) -> None:
        """Store articles, their assignments and the linkers' state in one transaction.

        Each item carries its event object, which may already be closed (and gone from
        the clusterer) when a later article in the same batch moved the clock on.
        """
        if not items:
            return
        with self._transaction():
            for article, assignment, event, story_link in items:
                self._insert_article(article)
                if assignment.created:
                    self.conn.execute(
                        "INSERT INTO events (event_id, seq, title, date, story_id, story_reason_json, profile_json)"
                        " VALUES (?,?,?,?,?,?,?)",
                        (event.event_id, event.seq, event.title, None, event.story_id,
                         json.dumps(story_link.reason() if story_link else None), "{}"),
                    )
                self.conn.execute("INSERT INTO event_articles VALUES (?,?,?)",
                                  (article.id, assignment.event_id, json.dumps(assignment.reason())))
            touched = list({id(e): e for _, _, e, _ in items}.values())
            for event in touched:
                self.conn.execute("UPDATE events SET date=?, story_id=? WHERE event_id=?",
                                  (_iso(event.profile.date), event.story_id, event.event_id))
            self._save_linker_state(clusterer, linker, touched)

    def _insert_article(self, article: Article) -> None:
        embedding, title_embedding = (_blob(article.embedding), _blob(article.title_embedding))
        extras = {k: v for k, v in article.extras.items() if _jsonable(v)}
        cursor = self.conn.execute(
            "INSERT INTO articles (id, content_hash, source, url, outlet, title, language, language_confidence,"
            " published, published_json, event_date, event_date_json, text, lead, confidence_json, extras_json,"
            " embedding, title_embedding) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (article.id, article.content_hash, article.source, article.url, article.outlet, article.title,
             article.language, article.language_confidence, _iso(article.published.value),
             json.dumps(article.published.to_json()), _iso(article.event_date.value),
             json.dumps(article.event_date.to_json()), article.text, article.lead,
             json.dumps(article.confidence), json.dumps(extras, default=str), embedding, title_embedding),
        )
        self.conn.execute("INSERT INTO articles_fts (rowid, title, body, names) VALUES (?,?,?,?)",
                          (cursor.lastrowid, *index_fields(article)))
        self.conn.executemany(
            "INSERT INTO entities VALUES (?,?,?,?,?,?)",
            [(article.id, e.text, e.canonical, e.type, e.count, e.resolved_by) for e in article.entities],
        )
        self.conn.executemany(
            "INSERT INTO date_mentions VALUES (?,?,?,?,?,?)",
            [(article.id, d.text, d.value.isoformat(), d.precision, d.kind, d.offset) for d in article.dates],
        )

    def _save_linker_state(self, clusterer: OnlineEventClusterer, linker: StoryLinker,
                           touched: list[EventState]) -> None:
        """Save what this batch changed: the profiles of the events and stories it touched, and
        the events it closed. Saving every open event each batch made a batch's cost grow with
        the number of open events."""
        self.conn.executemany("UPDATE events SET closed=1, profile_json='{}' WHERE event_id=?",
                              [(event_id,) for event_id in clusterer.drain_closed()])
        for event in touched:
            if event.event_id in clusterer.events:
                self.conn.execute("UPDATE events SET profile_json=? WHERE event_id=?",
                                  (json.dumps(event.profile.to_json()), event.event_id))
        story_ids = {event.story_id for event in touched if event.story_id}
        for story in (linker.stories[i] for i in sorted(story_ids) if i in linker.stories):
            self.conn.execute(
                "INSERT INTO stories VALUES (?,?,?,?,?,?) ON CONFLICT(story_id) DO UPDATE SET label=excluded.label,"
                " first_date=excluded.first_date, last_date=excluded.last_date, profile_json=excluded.profile_json",
                (story.story_id, story.seq, story.label, _iso(story.first_date), _iso(story.last_date),
                 json.dumps(story.profile.to_json())),
            )
        state = {"event_seq": clusterer.next_seq, "story_seq": linker.next_seq,
                 "clock": _iso(clusterer.clock)}
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('linker_state', ?)", (json.dumps(state),))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

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
        with open(f"{self.path}.lock", "a+") as handle:
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

    # -- linker state ----------------------------------------------------------------------
    def load_linkers(self, clusterer: OnlineEventClusterer, linker: StoryLinker) -> None:
        """Restore open events and stories, so IDs continue and late articles still join."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='linker_state'").fetchone()
        if row is None:
            return
        state = json.loads(row["value"])
        clusterer.reset()  # what this file holds now, not what an earlier run remembered
        linker.stories.clear()
        clusterer.next_seq = state["event_seq"]
        linker.next_seq = state["story_seq"]
        clusterer.clock = date.fromisoformat(state["clock"]) if state["clock"] else None
        for ev in self.conn.execute("SELECT * FROM events WHERE closed=0 ORDER BY seq"):
            ids = [r["article_id"] for r in self.conn.execute(
                "SELECT article_id FROM event_articles WHERE event_id=? ORDER BY rowid", (ev["event_id"],))]
            profile = Profile.from_json(json.loads(ev["profile_json"]))
            members = [profile_of(self.get_article(i)) for i in ids[-clusterer.max_members:]]
            clusterer.restore(EventState(
                event_id=ev["event_id"], seq=ev["seq"], profile=profile, title=ev["title"], article_ids=ids,
                members=members, last_date=max(profile.dates) if profile.dates else None, story_id=ev["story_id"]))
        for st in self.conn.execute("SELECT * FROM stories ORDER BY seq"):
            events = [r["event_id"] for r in self.conn.execute(
                "SELECT event_id FROM events WHERE story_id=? ORDER BY seq", (st["story_id"],))]
            linker.stories[st["story_id"]] = StoryState(
                story_id=st["story_id"], seq=st["seq"], profile=Profile.from_json(json.loads(st["profile_json"])),
                event_ids=events, first_date=_date(st["first_date"]), last_date=_date(st["last_date"]))

    # -- checking --------------------------------------------------------------------------
    def check(self) -> list[dict[str, Any]]:
        """Consistency checks (``storyline doctor``): each with ``check``, ``ok`` and ``detail``."""
        results = []

        def report(name: str, problems: int | str, detail: str) -> None:
            results.append({"check": name, "ok": problems in (0, "ok"), "detail": detail})

        integrity = [r[0] for r in self.conn.execute("PRAGMA integrity_check").fetchall()]
        report("sqlite integrity", integrity[0] if integrity == ["ok"] else len(integrity),
               "ok" if integrity == ["ok"] else "; ".join(integrity[:5]))
        orphans = self.conn.execute("PRAGMA foreign_key_check").fetchall()
        tables = sorted({r[0] for r in orphans})
        report("rows pointing at missing articles or events", len(orphans),
               f"{len(orphans)} rows in {', '.join(tables)}" if orphans else "none")
        try:
            self.conn.execute("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")
            fts_problem = ""
        except sqlite3.DatabaseError as exc:
            fts_problem = str(exc)
        indexed = self.conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
        stored = self.count_articles()
        report("search index", 1 if fts_problem or indexed != stored else 0,
               fts_problem or f"{indexed} of {stored} articles indexed")
        unassigned = self.conn.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS"
                                       " (SELECT 1 FROM event_articles ea WHERE ea.article_id = a.id)").fetchone()[0]
        report("every article in an event", unassigned, f"{unassigned} articles without an event")
        empty = self.conn.execute("SELECT count(*) FROM events e WHERE NOT EXISTS"
                                  " (SELECT 1 FROM event_articles ea WHERE ea.event_id = e.event_id)").fetchone()[0]
        report("every event has articles", empty, f"{empty} empty events")
        lost = self.conn.execute("SELECT count(*) FROM events WHERE story_id IS NOT NULL AND story_id NOT IN"
                                 " (SELECT story_id FROM stories)").fetchone()[0]
        report("every event's story exists", lost, f"{lost} events point at a missing story")
        row = self.conn.execute("SELECT value FROM meta WHERE key='linker_state'").fetchone()
        top = self.conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        next_seq = json.loads(row["value"])["event_seq"] if row else 1
        report("event numbering continues after the last event", 0 if next_seq > top else 1,
               f"next event number {next_seq}, highest stored {top}")
        version = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        report("schema version", 0 if version and int(version[0]) == SCHEMA_VERSION else 1,
               f"schema {version[0] if version else '?'} (this Storyline: {SCHEMA_VERSION})")
        return results

    # -- reading ---------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """How many articles, events and stories the file holds."""
        row = self.conn.execute("SELECT (SELECT count(*) FROM articles) AS articles,"
                                " (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM stories) AS stories"
                                ).fetchone()
        return dict(row)

    def assignment(self, article_id: str) -> dict[str, Any]:
        """Why an article is in its event: the stored reason, the event and its story."""
        article = self.get_article(article_id)
        row = self.conn.execute("SELECT event_id, reason_json FROM event_articles WHERE article_id=?",
                                (article_id,)).fetchone()
        if row is None:
            raise NotFoundError("E015", kind="event", id=f"for article {article_id}", db=self.path)
        event = self.event(row["event_id"])
        return {"article": {"id": article.id, "title": article.title, "language": article.language,
                            "event_date": article.event_date.to_json()},
                "event": {k: event[k] for k in ("event_id", "date", "title", "story_id")},
                "joined": json.loads(row["reason_json"]),
                "event_articles": [a["id"] for a in event["articles"]],
                "story_link": event["story_link"]}

    def event_of(self, article_id: str) -> str | None:
        row = self.conn.execute("SELECT event_id FROM event_articles WHERE article_id=?", (article_id,)).fetchone()
        return row["event_id"] if row else None

    def count_articles(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def iter_articles(self) -> Iterator[Article]:
        for row in self.conn.execute("SELECT * FROM articles ORDER BY seq"):
            yield self._article(row)

    def article_by_hash(self, content_hash: str) -> Article:
        row = self.conn.execute("SELECT * FROM articles WHERE content_hash=?", (content_hash,)).fetchone()
        if row is None:
            raise NotFoundError("E010", id=content_hash, db=self.path)
        return self._article(row)

    def get_article(self, article_id: str) -> Article:
        row = self.conn.execute("SELECT * FROM articles WHERE id=?", (article_id,)).fetchone()
        if row is None:
            raise NotFoundError("E010", id=article_id, db=self.path)
        return self._article(row)

    def _article(self, row: sqlite3.Row) -> Article:
        article = Article(id=row["id"], source=row["source"], raw_text="", url=row["url"], outlet=row["outlet"],
                          title=row["title"] or "", text=row["text"], lead=row["lead"], language=row["language"],
                          language_confidence=row["language_confidence"] or 0.0,
                          published=_dated(json.loads(row["published_json"])),
                          event_date=_dated(json.loads(row["event_date_json"])),
                          confidence=json.loads(row["confidence_json"]), extras=json.loads(row["extras_json"]))
        article.entities = [Entity(text=e["text"], canonical=e["canonical"], type=e["type"], count=e["count"],
                                   resolved_by=e["resolved_by"])
                            for e in self.conn.execute("SELECT * FROM entities WHERE article_id=? ORDER BY rowid",
                                                       (row["id"],))]
        article.dates = [DateMention(text=d["text"], value=date.fromisoformat(d["value"]), precision=d["precision"],
                                     kind=d["kind"], offset=d["offset"])
                         for d in self.conn.execute("SELECT * FROM date_mentions WHERE article_id=? ORDER BY rowid",
                                                    (row["id"],))]
        if row["embedding"] is not None:
            article.embedding = np.frombuffer(row["embedding"], dtype=np.float32)
        if row["title_embedding"] is not None:
            article.title_embedding = np.frombuffer(row["title_embedding"], dtype=np.float32)
        return article

    def events(self, event_ids: list[str] | None = None, *, story_id: str | None = None, limit: int | None = None,
               offset: int = 0) -> list[dict[str, Any]]:
        """Events (all, the given ids, or one story's) with their member articles, oldest id first."""
        where, params = "", []
        if event_ids is not None:
            where, params = "WHERE event_id IN (SELECT value FROM json_each(?))", [json.dumps(list(event_ids))]
        elif story_id is not None:
            where, params = "WHERE story_id = ?", [story_id]
        rows = self.conn.execute(f"SELECT * FROM events {where} ORDER BY seq LIMIT ? OFFSET ?",
                                 [*params, -1 if limit is None else limit, offset]).fetchall()
        members: dict[str, list[sqlite3.Row]] = {r["event_id"]: [] for r in rows}
        member_rows = self.conn.execute(
            "SELECT ea.event_id, a.id, a.source, a.url, a.outlet, a.title, a.language, a.event_date, ea.reason_json"
            " FROM event_articles ea JOIN articles a ON a.id = ea.article_id"
            " WHERE ea.event_id IN (SELECT value FROM json_each(?)) ORDER BY a.seq", (json.dumps(list(members)),)
        ).fetchall()
        for m in member_rows:
            members[m["event_id"]].append(m)
        out = []
        for ev in rows:
            dates = sorted(m["event_date"] for m in members[ev["event_id"]] if m["event_date"])
            out.append({
                "event_id": ev["event_id"],
                "date": ev["date"] or (dates[len(dates) // 2] if dates else None),
                "title": ev["title"],
                "story_id": ev["story_id"],
                "closed": bool(ev["closed"]),
                "articles": [{"id": m["id"], "source": m["source"], "url": m["url"], "outlet": m["outlet"],
                              "title": m["title"], "language": m["language"], "event_date": m["event_date"],
                              "why": json.loads(m["reason_json"])} for m in members[ev["event_id"]]],
                "story_link": json.loads(ev["story_reason_json"]) if ev["story_reason_json"] else None,
            })
        return out

    def event(self, event_id: str) -> dict[str, Any]:
        found = self.events([event_id])
        if not found:
            raise NotFoundError("E015", kind="event", id=event_id, db=self.path)
        return found[0]

    def stories(self, *, limit: int | None = None, offset: int = 0, latest_first: bool = False,
                story_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Stories with a summary of their events; ``latest_first`` orders by last date, then newest."""
        order = "coalesce(last_date, '') DESC, seq DESC" if latest_first else "seq"
        where, params = "", []
        if story_ids is not None:
            where, params = "WHERE story_id IN (SELECT value FROM json_each(?))", [json.dumps(story_ids)]
        rows = self.conn.execute(f"SELECT * FROM stories {where} ORDER BY {order} LIMIT ? OFFSET ?",
                                 [*params, -1 if limit is None else limit, offset]).fetchall()
        out = []
        for st in rows:
            members = self.events(story_id=st["story_id"])
            out.append({
                "story_id": st["story_id"],
                "label": st["label"],
                "first_date": st["first_date"],
                "last_date": st["last_date"],
                "articles": sum(len(e["articles"]) for e in members),
                "languages": sorted({a["language"] or "?" for e in members for a in e["articles"]}),
                "events": [{"event_id": e["event_id"], "date": e["date"], "title": e["title"],
                            "articles": len(e["articles"])} for e in members],
            })
        return out

    def story(self, story_id: str) -> dict[str, Any]:
        found = self.stories(story_ids=[story_id])
        if not found:
            raise NotFoundError("E015", kind="story", id=story_id, db=self.path)
        return found[0]

    def term_documents(self, term: str) -> int:
        """How many articles hold an indexed word (from the FTS5 vocabulary)."""
        row = self.conn.execute("SELECT doc FROM articles_fts_vocab WHERE term = ?", (term,)).fetchone()
        return int(row["doc"]) if row else 0

    def max_seq(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0])

    def story_last_dates(self) -> dict[str, str]:
        """The date of each story's latest dated event."""
        rows = self.conn.execute("SELECT story_id, max(date) AS last FROM events WHERE date IS NOT NULL"
                                 " AND story_id IS NOT NULL GROUP BY story_id").fetchall()
        return {r["story_id"]: r["last"] for r in rows}

    def search_rows(self, seqs: list[int]) -> dict[int, dict[str, Any]]:
        """What a search result shows of each article, by ``seq``."""
        rows = self.conn.execute(
            "SELECT a.seq, a.id, a.title, a.source, a.url, a.outlet, a.language,"
            " coalesce(a.event_date, a.published) AS date, a.text, ea.event_id, ev.story_id FROM articles a"
            " LEFT JOIN event_articles ea ON ea.article_id = a.id LEFT JOIN events ev ON ev.event_id = ea.event_id"
            " WHERE a.seq IN (SELECT value FROM json_each(?))", (json.dumps(seqs),)).fetchall()
        found = {}
        for row in rows:
            found[row["seq"]] = fields = dict(row)
            del fields["seq"]
        return found

    def seqs_with_entities(self, canonical: list[str]) -> set[int]:
        rows = self.conn.execute(
            "SELECT DISTINCT a.seq FROM entities e JOIN articles a ON a.id = e.article_id"
            " WHERE e.canonical IN (SELECT value FROM json_each(?))", (json.dumps(canonical),)).fetchall()
        return {r["seq"] for r in rows}

    def article_summaries(self, *, limit: int = 50, offset: int = 0,
                          language: str | None = None) -> list[dict[str, Any]]:
        """Newest articles first, without their text."""
        where, params = ("WHERE a.language = ?", [language]) if language else ("", [])
        rows = self.conn.execute(
            "SELECT a.id, a.title, a.source, a.url, a.outlet, a.language, a.published, a.event_date, ea.event_id"
            f" FROM articles a LEFT JOIN event_articles ea ON ea.article_id = a.id {where}"
            " ORDER BY a.seq DESC LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
        return [dict(r) for r in rows]

    def canonical_names(self, query: str) -> list[str]:
        """Canonical entity names matching a name as written ("Poutine" finds "Vladimir Putin")."""
        rows = self.conn.execute(
            "SELECT DISTINCT canonical FROM entities WHERE lower(canonical)=lower(?) OR lower(text)=lower(?) LIMIT 20",
            (query, query)).fetchall()
        return sorted(r["canonical"] for r in rows)

    def event_ids_with_entity(self, canonical: str) -> set[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT ea.event_id FROM entities e JOIN event_articles ea ON ea.article_id = e.article_id"
            " WHERE e.canonical=?", (canonical,)).fetchall()
        return {r["event_id"] for r in rows}

    def export_rows(self) -> Iterator[dict[str, Any]]:
        for row in self.conn.execute(
            "SELECT a.id, a.source, a.url, a.title, a.language, a.published, a.event_date, ea.event_id, ev.story_id"
            " FROM articles a LEFT JOIN event_articles ea ON ea.article_id=a.id"
            " LEFT JOIN events ev ON ev.event_id=ea.event_id ORDER BY a.seq"
        ):
            yield dict(row)


MIGRATIONS = {2: SQLiteStore._add_search_index}


def _blob(vector: Any) -> bytes | None:
    return np.asarray(vector, dtype=np.float32).tobytes() if vector is not None else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _dated(data: dict[str, Any]) -> DatedValue:
    return DatedValue(value=_date(data.get("date")), precision=data.get("precision", "unknown"),
                      confidence=float(data.get("confidence", 0.0)), basis=data.get("basis", ""))


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
