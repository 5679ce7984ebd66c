"""What every store does, in SQL both SQLite and PostgreSQL run: articles, entities, dates,
events, stories and the state of the online linkers, so the next ``storyline ingest``
resumes where the last one stopped.

Writes go in one transaction per batch (articles and linker state together), so an
interrupted run leaves the store consistent and re-running the same command stores every
article exactly once (content hash). The two backends differ only in what
:class:`Store`'s hooks say: how to connect, lock, index text for search, and check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from storyline.article import Article
from storyline.errors import StorylineError
from storyline.link.events import Assignment, EventState, Merge, OnlineEventClusterer, Split
from storyline.link.profile import Profile, profile_of
from storyline.link.stories import StoryLink, StoryLinker, StoryState
from storyline.store.memo import Memo
from storyline.store.reading import HAS_EVENTS, Reading, as_date

if TYPE_CHECKING:
    from storyline.search import SearchFilters


#: The tables both backends hold, with each backend's words for a few types (:meth:`Store.schema`).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    seq {seq_key},
    id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, url TEXT, outlet TEXT, title TEXT, language TEXT, language_confidence {real},
    published TEXT, published_json TEXT NOT NULL,
    event_date TEXT, event_date_json TEXT NOT NULL,
    text TEXT NOT NULL, lead TEXT NOT NULL,
    confidence_json TEXT NOT NULL, extras_json TEXT NOT NULL,
    embedding {blob}, title_embedding {blob},
    ingested_at TEXT NOT NULL DEFAULT ({now})
);
CREATE TABLE IF NOT EXISTS entities (
    {row_key}
    article_id TEXT NOT NULL REFERENCES articles(id), text TEXT NOT NULL, canonical TEXT NOT NULL,
    type TEXT NOT NULL, count INTEGER NOT NULL, resolved_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_canonical ON entities(canonical);
CREATE INDEX IF NOT EXISTS entities_article ON entities(article_id);
CREATE TABLE IF NOT EXISTS date_mentions (
    {row_key}
    article_id TEXT NOT NULL REFERENCES articles(id), text TEXT NOT NULL, value TEXT NOT NULL,
    precision TEXT NOT NULL, kind TEXT NOT NULL, "offset" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS date_mentions_article ON date_mentions(article_id);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, title TEXT NOT NULL, date TEXT,
    story_id TEXT, story_reason_json TEXT, closed INTEGER NOT NULL DEFAULT 0, profile_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event_articles (
    {row_order}
    article_id TEXT PRIMARY KEY REFERENCES articles(id), event_id TEXT NOT NULL REFERENCES events(event_id),
    reason_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_articles_event ON event_articles(event_id);
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, label TEXT NOT NULL,
    first_date TEXT, last_date TEXT, profile_json TEXT NOT NULL
);
"""


class Store(Reading):
    """A Storyline database. Subclasses: :class:`~storyline.store.sqlite.SQLiteStore` (one file,
    the default) and :class:`~storyline.store.postgres.PostgresStore` (a shared server)."""

    #: The column that keeps insertion order in tables without a key of their own.
    ROW_ORDER: ClassVar[str] = "rowid"
    #: How a write transaction starts.
    BEGIN: ClassVar[str] = "BEGIN"
    #: The backend's words in :data:`SCHEMA`: the articles' key, a float, bytes, the time now, and
    #: the key giving entities and dates (``row_key``) and assignments (``row_order``) an order.
    TYPES: ClassVar[dict[str, str]] = {"seq_key": "INTEGER PRIMARY KEY AUTOINCREMENT", "real": "REAL",
                                       "blob": "BLOB", "now": "datetime('now')", "row_key": "", "row_order": ""}
    #: What ``LIMIT ?`` takes for "no limit".
    NO_LIMIT: ClassVar[Any] = -1
    #: Steps from one schema version to the next, by the version they produce.
    MIGRATIONS: ClassVar[dict[int, Callable[[Any], None]]] = {}
    #: Where the store is, for messages (a file, or a URL without its password).
    path: str
    conn: Any

    def change_stamp(self) -> Any:
        """A value that differs after any change to the database, by any connection; None where the
        backend cannot say cheaply (then :meth:`memo` computes every time)."""
        return None

    def shared_stamp(self) -> Callable[[], Any] | None:
        """A change stamp any thread may read and compare (a server's threads share one
        :class:`~storyline.store.memo.Memo`); None where the backend has none."""
        return None

    @property
    def memos(self) -> Memo:
        """The values kept for this store until the database changes (its own, or a server's)."""
        memo = self.__dict__.get("_memo")
        if memo is None:
            memo = self.__dict__["_memo"] = Memo(self.change_stamp)
        return memo

    def share_memo(self, memo: Memo) -> None:
        """Keep values in ``memo`` (shared by a server's request threads) instead of this store's own."""
        self.__dict__["_memo"] = memo

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, kept until the database changes: a listing that reads every event's members
        (``storyline.browse``) costs a search's time on every page otherwise. The caller must not
        change what it gets."""
        return self.memos.get(key, compute)

    @classmethod
    def schema(cls) -> list[str]:
        """The statements creating :data:`SCHEMA` in this backend's words."""
        return [statement for statement in SCHEMA.format(**cls.TYPES).split(";") if statement.strip()]

    @property
    def schema_version(self) -> int:
        return max(self.MIGRATIONS, default=1)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what a backend provides -----------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute(self.BEGIN)
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def writer_lock(self, *, wait: bool = True, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Be the only process adding articles to this store, for the whole run."""
        raise NotImplementedError

    def _in(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        """``column IN values`` as SQL and parameters (one parameter, however many values)."""
        raise NotImplementedError

    def _index_text(self, seq: int, article: Article) -> None:
        """Add an article to the full-text index."""
        raise NotImplementedError

    def text_hits(self, query: str, names: list[str], filters: SearchFilters, allowed: set[int] | None,
                  depth: int, floor: int | None) -> list[tuple[int, float]]:
        """Best full-text matches (``seq``, score; higher is better) of a query's words and
        named entities; only ``seq >= floor`` when given (see ``Searcher.text_search``)."""
        raise NotImplementedError

    def term_documents(self, term: str) -> int:
        """How many articles hold an indexed word."""
        raise NotImplementedError

    def _backend_checks(self) -> list[tuple[str, int | str, str]]:
        """The backend's own checks for ``doctor``: (name, problems, detail)."""
        raise NotImplementedError

    def _migrate(self) -> None:
        """Bring an older store up to this version's schema, one numbered step at a time."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row["value"]) if row else 1
        if version > self.schema_version:
            raise StorylineError("E013", db=self.path,
                                 detail=f"schema {version} is newer than this Storyline ({self.schema_version})")
        for step in range(version + 1, self.schema_version + 1):
            with self._transaction():
                # Read again under the write lock: two first runs on one new file both got here, and
                # the second must not apply a step the first already applied (ALTER TABLE would fail).
                done = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if done is not None and int(done["value"]) >= step:
                    continue
                self.MIGRATIONS[step](self)
                self._set_meta("schema_version", str(step))
        if row is None:
            self.conn.execute("INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING",
                              (str(self.schema_version),))

    def _record_merge(self, merge: Merge) -> None:
        """Move the merged event's articles to the event it joined; keep its row (its ID still
        answers, pointing on) and a lineage record of why."""
        # Re-inserted, not updated: the clusterer lists the merged event's reports after those of
        # the event it joined (the merging article included), and a later run restores members in
        # row order, so the rows must end in the same order for a resumed run to decide alike.
        moved = self.conn.execute(f"SELECT article_id, reason_json FROM event_articles WHERE event_id=?"
                                  f" ORDER BY {self.ROW_ORDER}", (merge.event_id,)).fetchall()
        self.conn.execute("DELETE FROM event_articles WHERE event_id=?", (merge.event_id,))
        self.conn.executemany("INSERT INTO event_articles (article_id, event_id, reason_json) VALUES (?,?,?)",
                              [(r["article_id"], merge.into_event_id, r["reason_json"]) for r in moved])
        self.conn.execute("UPDATE events SET merged_into=?, closed=1, profile_json='{}' WHERE event_id=?",
                          (merge.into_event_id, merge.event_id))
        self.conn.execute("INSERT INTO event_lineage (kind, event_id, into_event_id, article_id, reason_json)"
                          " VALUES ('merge', ?, ?, ?, ?)", (merge.event_id, merge.into_event_id, merge.article_id,
                                                         json.dumps(merge.reason())))

    def _record_split(self, split: Split, *, open_: bool) -> None:
        """Give the reports that split off a new event (a new ID; the old one keeps its other
        reports) and keep a lineage record of why."""
        title = self.conn.execute("SELECT title FROM articles WHERE id=?", (split.moved[0],)).fetchone()["title"]
        split.event.title = title or ""
        self.conn.execute("INSERT INTO events (event_id, seq, title, date, story_id, story_reason_json, closed,"
                          " profile_json) VALUES (?,?,?,?,?,?,?,?)",
                          (split.new_event_id, split.event.seq, split.event.title, _iso(split.event.profile.date),
                           split.event.story_id, json.dumps({"split_from": split.event_id}), 0 if open_ else 1, "{}"))
        condition, params = self._in("article_id", list(split.moved))
        self.conn.execute(f"UPDATE event_articles SET event_id=? WHERE {condition}", [split.new_event_id, *params])
        self.conn.execute("INSERT INTO event_lineage (kind, event_id, into_event_id, article_id, reason_json)"
                          " VALUES ('split', ?, ?, ?, ?)", (split.event_id, split.new_event_id, split.article_id,
                                                         json.dumps(split.reason())))

    def lineage(self) -> list[dict[str, Any]]:
        """Every merge and split, oldest first: which events became one or two, on what evidence."""
        rows = self.conn.execute("SELECT kind, event_id, into_event_id, article_id, reason_json FROM event_lineage"
                                 f" ORDER BY {self.ROW_ORDER}").fetchall()
        return [{"kind": r["kind"], "event_id": r["event_id"], "into_event_id": r["into_event_id"],
                 "article_id": r["article_id"], "why": json.loads(r["reason_json"])} for r in rows]

    def _add_lineage(self) -> None:
        """Schema 4: events found to be one are merged and the merge recorded."""
        self.conn.execute("ALTER TABLE events ADD COLUMN merged_into TEXT")
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS event_lineage ({self.TYPES['row_key']} kind TEXT NOT NULL,"
                          " event_id TEXT NOT NULL, into_event_id TEXT NOT NULL, article_id TEXT NOT NULL,"
                          " reason_json TEXT NOT NULL)")

    def _index_story_people(self) -> None:
        """Schema 5: closed stories are found by their principal people (an undated report can
        still join one), and events by story."""
        self.conn.execute("CREATE TABLE IF NOT EXISTS story_people (name TEXT NOT NULL, story_id TEXT NOT NULL,"
                          " PRIMARY KEY (name, story_id))")
        self.conn.execute("CREATE INDEX IF NOT EXISTS events_story ON events(story_id)")
        for row in self.conn.execute("SELECT story_id, profile_json FROM stories").fetchall():
            self._set_story_people(row["story_id"], Profile.from_json(json.loads(row["profile_json"])))

    def _add_web_tables(self) -> None:
        """Schema 6: pages fetched from the web (by normalised URL, so one is not fetched twice) and
        the validators of the feeds and sitemaps last read (a re-check costs a 304)."""
        self.conn.execute("CREATE TABLE IF NOT EXISTS web_pages (url TEXT PRIMARY KEY, article_id TEXT NOT NULL)")
        self.conn.execute("CREATE TABLE IF NOT EXISTS web_listings (url TEXT PRIMARY KEY, etag TEXT,"
                          " last_modified TEXT, checked_at TEXT NOT NULL)")

    def _add_alert_tables(self) -> None:
        """Schema 7: watches (what to be told about) and the alerts they raised, one per event."""
        self.conn.execute("CREATE TABLE IF NOT EXISTS watches (name TEXT PRIMARY KEY, entity TEXT, query TEXT,"
                          " min_sources INTEGER NOT NULL DEFAULT 1, webhook TEXT, created_at TEXT NOT NULL)")
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS alerts (seq {self.TYPES['seq_key']}, watch TEXT NOT NULL,"
                          " event_id TEXT NOT NULL, title TEXT, reason TEXT NOT NULL, created_at TEXT NOT NULL,"
                          " UNIQUE (watch, event_id))")

    def _add_corrections(self) -> None:
        """Schema 8: corrections people made to the grouping (storyline correct), kept and re-applied."""
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS corrections (seq {self.TYPES['seq_key']}, kind TEXT NOT NULL,"
                          " article_id TEXT, other TEXT, target TEXT, previous TEXT, who TEXT NOT NULL,"
                          " why TEXT NOT NULL, created_at TEXT NOT NULL, undone_at TEXT, undone_by TEXT)")

    # -- the web: what was fetched, what a listing said last time ----------------------------
    def knows_url(self, url: str) -> bool:
        """Whether a page with this normalised URL is stored (as itself or as a duplicate)."""
        return self.conn.execute("SELECT 1 FROM web_pages WHERE url=?", (url,)).fetchone() is not None

    def listing_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """The ETag and Last-Modified a feed or sitemap was last read with, if it was."""
        row = self.conn.execute("SELECT etag, last_modified FROM web_listings WHERE url=?", (url,)).fetchone()
        return (row["etag"], row["last_modified"]) if row else None

    def remember_listings(self, listings: list[tuple[str, str | None, str | None]]) -> None:
        """Listings read to their end (every entry stored): next time, ask whether they changed."""
        if not listings:
            return
        with self._transaction():
            self.conn.executemany(
                "INSERT INTO web_listings (url, etag, last_modified, checked_at) VALUES (?, ?, ?, ?) ON CONFLICT (url)"
                " DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,"
                " checked_at = excluded.checked_at",
                [(url, etag, modified, _now()) for url, etag, modified in listings])

    def remember_duplicate_urls(self, urls: list[str], article_id: str) -> None:
        """A fetched page whose text is already stored: its URL leads to that article from now on."""
        if urls:
            with self._transaction():
                self._remember_urls(urls, article_id)

    def _remember_urls(self, urls: list[str], article_id: str) -> None:
        self.conn.executemany("INSERT INTO web_pages (url, article_id) VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
                              [(url, article_id) for url in urls])

    def _set_story_people(self, story_id: str, profile: Profile) -> None:
        self.conn.execute("DELETE FROM story_people WHERE story_id=?", (story_id,))
        self.conn.executemany("INSERT INTO story_people (name, story_id) VALUES (?, ?)",
                              [(name, story_id) for name in sorted(profile.salient("PER"))])

    def closed_stories(self, people: set[str], near: date | None = None, window_days: int = 0,
                       limit: int = 50) -> list[StoryState]:
        """Closed stories whose principal people include one of ``people`` (the story linker's
        archive: an undated report can belong to a story closed long ago), oldest first.

        Dated (``near``): only stories within ``window_days`` of it, the ones the linker could
        join. Undated: the ``limit`` most recently active, so a name in thousands of old stories
        ("Putin") costs the same as a rare one.
        """
        if not people:
            return []
        condition, params = self._in("name", sorted(people))
        sql = (f"SELECT * FROM stories WHERE closed=1 AND story_id IN (SELECT story_id FROM story_people"
               f" WHERE {condition})")
        if near is not None:
            sql += " AND (first_date IS NULL OR (first_date <= ? AND last_date >= ?))"
            params = [*params, _iso(near + timedelta(days=window_days)), _iso(near - timedelta(days=window_days))]
        rows = self.conn.execute(f"{sql} ORDER BY coalesce(last_date, '') DESC, seq DESC LIMIT ?",
                                 [*params, limit]).fetchall()
        return [self._story_state(row, touched=as_date(row["last_date"]))
                for row in sorted(rows, key=lambda r: r["seq"])]

    def _story_state(self, row: Any, touched: date | None) -> StoryState:
        events = [r["event_id"] for r in self.conn.execute(
            "SELECT event_id FROM events WHERE story_id=? AND merged_into IS NULL ORDER BY seq", (row["story_id"],))]
        return StoryState(story_id=row["story_id"], seq=row["seq"],
                          profile=Profile.from_json(json.loads(row["profile_json"])), event_ids=events,
                          first_date=as_date(row["first_date"]), last_date=as_date(row["last_date"]), touched=touched)

    def _close_stories(self) -> None:
        """Schema 3: stories close, as events do (quiet ones leave the linker's memory)."""
        self.conn.execute("ALTER TABLE stories ADD COLUMN closed INTEGER NOT NULL DEFAULT 0")

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          (key, value))

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
                self.conn.execute("INSERT INTO event_articles (article_id, event_id, reason_json) VALUES (?,?,?)",
                                  (article.id, assignment.event_id, json.dumps(assignment.reason())))
                for merge in assignment.merges:
                    self._record_merge(merge)
                for split in assignment.splits:
                    self._record_split(split, open_=split.new_event_id in clusterer.events)
            self._save_touched([part for _, assignment, event, _ in items for part in
                                (event, *(e for split in assignment.splits for e in (split.kept, split.event)))],
                               clusterer, linker)

    def save_closing(self, splits: list[Split], clusterer: OnlineEventClusterer, linker: StoryLinker) -> None:
        """Store the events the clusterer closed after a window, and the splits that closing made."""
        with self._transaction():
            for split in splits:
                self._record_split(split, open_=split.new_event_id in clusterer.events)
            self._save_touched([part for split in splits for part in (split.kept, split.event)], clusterer, linker)

    def _save_touched(self, events: list[EventState], clusterer: OnlineEventClusterer, linker: StoryLinker) -> None:
        """The date and story of each event a write touched (each once), then the linkers' state."""
        touched = list({id(event): event for event in events}.values())
        for event in touched:
            self.conn.execute("UPDATE events SET date=?, story_id=? WHERE event_id=?",
                              (_iso(event.profile.date), event.story_id, event.event_id))
        self._save_linker_state(clusterer, linker, touched)

    def _insert_article(self, article: Article) -> None:
        embedding, title_embedding = (_blob(article.embedding), _blob(article.title_embedding))
        extras = {k: v for k, v in article.extras.items() if _jsonable(v)}
        seq = self.conn.execute(
            "INSERT INTO articles (id, content_hash, source, url, outlet, title, language, language_confidence,"
            " published, published_json, event_date, event_date_json, text, lead, confidence_json, extras_json,"
            " embedding, title_embedding) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING seq",
            (article.id, article.content_hash, article.source, article.url, article.outlet, article.title,
             article.language, article.language_confidence, _iso(article.published.value),
             json.dumps(article.published.to_json()), _iso(article.event_date.value),
             json.dumps(article.event_date.to_json()), article.text, article.lead,
             json.dumps(article.confidence), json.dumps(extras, default=str), embedding, title_embedding),
        ).fetchone()[0]
        self._index_text(seq, article)
        self._remember_urls(article.extras.get("fetched_urls") or [], article.id)
        self.conn.executemany(
            "INSERT INTO entities (article_id, text, canonical, type, count, resolved_by) VALUES (?,?,?,?,?,?)",
            [(article.id, e.text, e.canonical, e.type, e.count, e.resolved_by) for e in article.entities],
        )
        self.conn.executemany(
            'INSERT INTO date_mentions (article_id, text, value, precision, kind, "offset") VALUES (?,?,?,?,?,?)',
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
        closed = linker.drain_closed()  # saved once more: one may have opened and closed in this batch
        for story in [*(linker.stories[i] for i in sorted(story_ids) if i in linker.stories), *closed]:
            self.conn.execute(  # closed=0: an archived story an event reopened is open again
                "INSERT INTO stories (story_id, seq, label, first_date, last_date, profile_json) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT(story_id) DO UPDATE SET label=excluded.label, first_date=excluded.first_date,"
                " last_date=excluded.last_date, profile_json=excluded.profile_json, closed=0",
                (story.story_id, story.seq, story.label, _iso(story.first_date), _iso(story.last_date),
                 json.dumps(story.profile.to_json())),
            )
            self._set_story_people(story.story_id, story.profile)
        self.conn.executemany("UPDATE stories SET closed=1 WHERE story_id=?", [(s.story_id,) for s in closed])
        state = {"event_seq": clusterer.next_seq, "story_seq": linker.next_seq,
                 "clock": _iso(clusterer.clock), "story_clock": _iso(linker.clock),
                 "closed_at": _iso(clusterer.closed_at)}
        self.conn.execute("INSERT INTO meta VALUES ('linker_state', ?)"
                          " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (json.dumps(state),))

    # -- linker state ----------------------------------------------------------------------
    def load_linkers(self, clusterer: OnlineEventClusterer, linker: StoryLinker) -> None:
        """Restore open events and stories, so IDs continue and late articles still join."""
        linker.archive = self.closed_stories
        row = self.conn.execute("SELECT value FROM meta WHERE key='linker_state'").fetchone()
        state = json.loads(row["value"]) if row is not None else {"event_seq": 1, "story_seq": 1}
        clusterer.reset()  # what this file holds now, not what an earlier run remembered
        linker.reset()
        clusterer.next_seq = state["event_seq"]
        linker.next_seq = state["story_seq"]
        clusterer.clock = as_date(state.get("clock"))
        # Earlier versions closed events whenever the clock moved: their clock is where they closed.
        clusterer.closed_at = as_date(state.get("closed_at", state.get("clock")))
        linker.clock = as_date(state.get("story_clock"))
        if row is None:
            return
        for ev in self.conn.execute("SELECT * FROM events WHERE closed=0 ORDER BY seq"):
            ids = [r["article_id"] for r in self.conn.execute(
                f"SELECT article_id FROM event_articles WHERE event_id=? ORDER BY {self.ROW_ORDER}", (ev["event_id"],))]
            profile = Profile.from_json(json.loads(ev["profile_json"]))
            members = [profile_of(self.get_article(i)) for i in ids[-clusterer.max_members:]]
            clusterer.restore(EventState(
                event_id=ev["event_id"], seq=ev["seq"], profile=profile, title=ev["title"], article_ids=ids,
                members=members, last_date=max(profile.dates) if profile.dates else None, story_id=ev["story_id"]))
        for st in self.conn.execute("SELECT * FROM stories WHERE closed=0 ORDER BY seq").fetchall():
            linker.restore(self._story_state(st, touched=linker.clock))

    # -- checking --------------------------------------------------------------------------
    def check(self) -> list[dict[str, Any]]:
        """Consistency checks (``storyline doctor``): each with ``check``, ``ok`` and ``detail``."""
        results = []

        def report(name: str, problems: int | str, detail: str) -> None:
            results.append({"check": name, "ok": problems in (0, "ok"), "detail": detail})

        for name, problems, detail in self._backend_checks():
            report(name, problems, detail)
        unassigned = self.conn.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS"
                                       " (SELECT 1 FROM event_articles ea WHERE ea.article_id = a.id)").fetchone()[0]
        report("every article in an event", unassigned, f"{unassigned} articles without an event")
        empty = self.conn.execute("SELECT count(*) FROM events e WHERE merged_into IS NULL AND NOT EXISTS"
                                  " (SELECT 1 FROM event_articles ea WHERE ea.event_id = e.event_id)").fetchone()[0]
        report("every event has articles", empty, f"{empty} empty events (merged ones aside)")
        lost = self.conn.execute("SELECT count(*) FROM events WHERE story_id IS NOT NULL AND story_id NOT IN"
                                 " (SELECT story_id FROM stories)").fetchone()[0]
        report("every event's story exists", lost, f"{lost} events point at a missing story")
        ghosts = self.conn.execute(f"SELECT count(*) FROM stories WHERE NOT {HAS_EVENTS}").fetchone()[0]
        results.append({"check": "stories left empty by merges", "ok": True, "note": bool(ghosts),
                        "detail": f"{ghosts} stories whose events all joined other stories' events (not listed)"
                        if ghosts else "none"})
        row = self.conn.execute("SELECT value FROM meta WHERE key='linker_state'").fetchone()
        top = self.conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        next_seq = json.loads(row["value"])["event_seq"] if row else 1
        report("event numbering continues after the last event", 0 if next_seq > top else 1,
               f"next event number {next_seq}, highest stored {top}")
        version = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        report("schema version", 0 if version and int(version[0]) == self.schema_version else 1,
               f"schema {version[0] if version else '?'} (this Storyline: {self.schema_version})")
        return results


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def _blob(vector: Any) -> bytes | None:
    return np.asarray(vector, dtype=np.float32).tobytes() if vector is not None else None

def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None

def _jsonable(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
