"""Reading a store: articles, events with their members and headlines, stories, and what search
and timelines ask of them, in SQL both backends run. Events are read through the store's memo, so
listings, story pages and timelines read each event once per change to the database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from storyline.article import Article, DatedValue, DateMention, Entity
from storyline.corrections import placing
from storyline.errors import NotFoundError
from storyline.titles import event_title, is_dateline, lead_phrase, story_label

if TYPE_CHECKING:
    from storyline.store.memo import Memo

#: A story with at least one event that has not merged into another.
HAS_EVENTS = ("EXISTS (SELECT 1 FROM events e WHERE e.story_id = stories.story_id AND e.merged_into IS NULL)")


class Reading:
    """What :class:`~storyline.store.base.Store` reads; it provides the connection and ``_in``."""

    conn: Any
    path: str
    ROW_ORDER: ClassVar[str]
    NO_LIMIT: ClassVar[Any]
    memos: Memo
    _in: Callable[[str, list[Any]], tuple[str, list[Any]]]  # a backend's ``column IN values``

    def counts(self) -> dict[str, int]:
        """How many articles, events and stories the file holds."""
        row = self.conn.execute("SELECT (SELECT count(*) FROM articles) AS articles, (SELECT count(*) FROM events"
                                f" WHERE merged_into IS NULL) AS events, (SELECT count(*) FROM stories WHERE"
                                f" {HAS_EVENTS}) AS stories").fetchone()
        return dict(row)

    def assignment(self, article_id: str) -> dict[str, Any]:
        """Why an article is in its event: the stored reason, the event and its story."""
        article = self.get_article(article_id)
        row = self.conn.execute("SELECT event_id, reason_json FROM event_articles WHERE article_id=?",
                                (article_id,)).fetchone()
        if row is None:
            raise NotFoundError("E015", kind="event", command="events", id=f"for article {article_id}", db=self.path)
        event = self.event(row["event_id"])
        return {"article": {"id": article.id, "title": article.title, "language": article.language,
                            "event_date": article.event_date.to_json()},
                "event": {k: event[k] for k in ("event_id", "date", "title", "story_id")},
                "joined": json.loads(row["reason_json"]),
                "event_articles": [a["id"] for a in event["articles"]],
                "story_link": event["story_link"],
                "corrections": placing(self, article_id)}

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

    def _article(self, row: Any) -> Article:
        article = Article(id=row["id"], source=row["source"], raw_text="", url=row["url"], outlet=row["outlet"],
                          title=row["title"] or "", text=row["text"], lead=row["lead"], language=row["language"],
                          language_confidence=row["language_confidence"] or 0.0,
                          published=_dated(json.loads(row["published_json"])),
                          event_date=_dated(json.loads(row["event_date_json"])),
                          confidence=json.loads(row["confidence_json"]), extras=json.loads(row["extras_json"]))
        order = f"WHERE article_id=? ORDER BY {self.ROW_ORDER}"
        article.entities = [Entity(text=e["text"], canonical=e["canonical"], type=e["type"], count=e["count"],
                                   resolved_by=e["resolved_by"])
                            for e in self.conn.execute(f"SELECT * FROM entities {order}", (row["id"],))]
        article.dates = [DateMention(text=d["text"], value=date.fromisoformat(d["value"]), precision=d["precision"],
                                     kind=d["kind"], offset=d["offset"])
                         for d in self.conn.execute(f"SELECT * FROM date_mentions {order}", (row["id"],))]
        if row["embedding"] is not None:
            article.embedding = np.frombuffer(row["embedding"], dtype=np.float32)
        if row["title_embedding"] is not None:
            article.title_embedding = np.frombuffer(row["title_embedding"], dtype=np.float32)
        return article

    def events(self, event_ids: list[str] | None = None, *, story_id: str | None = None, limit: int | None = None,
               offset: int = 0, language: str | None = None) -> list[dict[str, Any]]:
        """Events (all, the given ids, or one story's) with their member articles, oldest id first.

        Each is titled by :func:`storyline.titles.event_title`: its most representative headline
        (in ``language`` when one of its reports is), never a dateline."""
        where, params = "WHERE merged_into IS NULL", []  # a merged event lives on in the one it joined
        if event_ids is not None:  # asked for by ID: merged ones too, saying where they went
            condition, params = self._in("event_id", list(event_ids))
            where = f"WHERE {condition}"
        elif story_id is not None:
            where, params = "WHERE merged_into IS NULL AND story_id = ?", [story_id]
        ids = [r["event_id"] for r in self.conn.execute(
            f"SELECT event_id FROM events {where} ORDER BY seq LIMIT ? OFFSET ?",
            [*params, self.NO_LIMIT if limit is None else limit, offset])]
        # Kept until the database changes: listings, story pages and timelines read the same events.
        records = self.memos.get_many([("event", i, language) for i in ids], lambda keys: {
            ("event", e["event_id"], language): e for e in self._read_events([k[1] for k in keys], language)})
        return [dict(records[key]) for i in ids if (key := ("event", i, language)) in records]

    def _read_events(self, event_ids: list[str], language: str | None) -> list[dict[str, Any]]:
        condition, params = self._in("event_id", event_ids)
        rows = self.conn.execute(f"SELECT * FROM events WHERE {condition}", params).fetchall()
        members: dict[str, list[Any]] = {r["event_id"]: [] for r in rows}
        condition, params = self._in("ea.event_id", list(members))
        member_rows = self.conn.execute(
            "SELECT ea.event_id, a.id, a.source, a.url, a.outlet, a.title, a.language, a.event_date,"
            " a.event_date_json, ea.reason_json"
            f" FROM event_articles ea JOIN articles a ON a.id = ea.article_id WHERE {condition} ORDER BY a.seq",
            params).fetchall()
        for m in member_rows:
            members[m["event_id"]].append(m)
        out = []
        for ev in rows:
            dates = sorted(m["event_date"] for m in members[ev["event_id"]] if m["event_date"])
            day = ev["date"] or (dates[len(dates) // 2] if dates else None)
            dated = _event_dated(day, members[ev["event_id"]])
            out.append({
                "event_id": ev["event_id"],
                "date": day,
                "date_precision": dated.precision,
                "date_estimated": dated.estimated,
                "date_shown": dated.display() if day else "undated",
                "title": self._event_title(ev["title"], members[ev["event_id"]], language),
                "story_id": ev["story_id"],
                "closed": bool(ev["closed"]),
                "merged_into": ev["merged_into"],
                "articles": [{"id": m["id"], "source": m["source"], "url": m["url"], "outlet": m["outlet"],
                              "title": m["title"], "language": m["language"], "event_date": m["event_date"],
                              "why": json.loads(m["reason_json"])} for m in members[ev["event_id"]]],
                "story_link": json.loads(ev["story_reason_json"]) if ev["story_reason_json"] else None,
            })
        return out

    def _event_title(self, stored: str, members: list[Any], language: str | None) -> str:
        """An event's headline from its members' titles; when every title is a dateline, the stored
        title, or the first report's opening sentence (its lead read only then)."""
        title = event_title([(m["title"], m["language"]) for m in members], language=language)
        if title:
            return title
        if (stored and not is_dateline(stored)) or not members:
            return stored
        row = self.conn.execute("SELECT lead FROM articles WHERE id=?", (members[0]["id"],)).fetchone()
        return lead_phrase(row["lead"] if row else "") or stored

    def event(self, event_id: str) -> dict[str, Any]:
        found = self.events([event_id])
        if not found:
            raise NotFoundError("E015", kind="event", command="events", id=event_id, db=self.path)
        return found[0]

    def stories(self, *, limit: int | None = None, offset: int = 0, latest_first: bool = False,
                story_ids: list[str] | None = None, language: str | None = None) -> list[dict[str, Any]]:
        """Stories with a summary of their events; ``latest_first`` orders by last date, then newest."""
        order = "coalesce(last_date, '') DESC, seq DESC" if latest_first else "seq"
        # A story all of whose events merged into other stories' events is empty: not listed, and
        # not found by id (``doctor`` counts them).
        where, params = f"WHERE {HAS_EVENTS}", []
        if story_ids is not None:
            condition, params = self._in("story_id", list(story_ids))
            where += f" AND {condition}"
        rows = self.conn.execute(f"SELECT * FROM stories {where} ORDER BY {order} LIMIT ? OFFSET ?",
                                 [*params, self.NO_LIMIT if limit is None else limit, offset]).fetchall()
        out = []
        for st in rows:
            members = self.events(story_id=st["story_id"], language=language)
            out.append({
                "story_id": st["story_id"],
                "label": story_label(members, st["label"]),  # a headline; the names stay as facets
                "names": st["label"],
                "first_date": st["first_date"],
                "last_date": st["last_date"],
                "articles": sum(len(e["articles"]) for e in members),
                "languages": sorted({a["language"] or "?" for e in members for a in e["articles"]}),
                "events": [{"event_id": e["event_id"], "date": e["date"], "date_shown": e["date_shown"],
                            "title": e["title"],
                            "articles": len(e["articles"])} for e in members],
            })
        return out

    def story(self, story_id: str) -> dict[str, Any]:
        found = self.stories(story_ids=[story_id])
        if not found:
            raise NotFoundError("E015", kind="story", command="stories", id=story_id, db=self.path)
        return found[0]

    def newest_article_id(self) -> str | None:
        row = self.conn.execute("SELECT id FROM articles ORDER BY seq DESC LIMIT 1").fetchone()
        return row["id"] if row else None

    def max_seq(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0])

    def story_last_dates(self) -> dict[str, str]:
        """The date of each story's latest dated event (every timeline reads them)."""
        def read() -> dict[str, str]:
            rows = self.conn.execute("SELECT story_id, max(date) AS last FROM events WHERE date IS NOT NULL"
                                     " AND story_id IS NOT NULL GROUP BY story_id").fetchall()
            return {r["story_id"]: r["last"] for r in rows}
        return self.memo("story_last_dates", read)

    def search_rows(self, seqs: list[int]) -> dict[int, dict[str, Any]]:
        """What a search result shows of each article, by ``seq``."""
        condition, params = self._in("a.seq", seqs)
        rows = self.conn.execute(
            "SELECT a.seq, a.id, a.title, a.source, a.url, a.outlet, a.language,"
            " coalesce(a.event_date, a.published) AS date, a.text, ea.event_id, ev.story_id FROM articles a"
            " LEFT JOIN event_articles ea ON ea.article_id = a.id LEFT JOIN events ev ON ev.event_id = ea.event_id"
            f" WHERE {condition}", params).fetchall()
        found = {}
        for row in rows:
            found[row["seq"]] = fields = dict(row)
            del fields["seq"]
        return found

    def seqs_with_entities(self, canonical: list[str]) -> set[int]:
        condition, params = self._in("e.canonical", canonical)
        rows = self.conn.execute(
            f"SELECT DISTINCT a.seq FROM entities e JOIN articles a ON a.id = e.article_id WHERE {condition}",
            params).fetchall()
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
            "SELECT a.id, a.source, a.url, a.outlet, a.title, a.language, a.published, a.event_date, ea.event_id,"
            " ev.story_id, a.published_json, a.event_date_json, a.extras_json"
            " FROM articles a LEFT JOIN event_articles ea ON ea.article_id=a.id"
            " LEFT JOIN events ev ON ev.event_id=ea.event_id ORDER BY a.seq"
        ):
            out = dict(row)
            for field in ("published", "event_date"):  # how exact each date is, beside it
                dated = _dated(json.loads(out.pop(f"{field}_json")))
                out[f"{field}_precision"], out[f"{field}_estimated"] = dated.precision, dated.estimated
            extras = json.loads(out.pop("extras_json"))
            out["author"] = extras.get("author")  # from the feed or the page's metadata
            yield out


def _event_dated(day: str | None, members: list[Any]) -> DatedValue:
    """How exact an event's date is: that of the surest report giving that date (a year read off one
    report is shown as "2008", not as "2008-01-01")."""
    if not day:
        return DatedValue()
    same = [_dated(json.loads(m["event_date_json"])) for m in members if m["event_date"] == day]
    if not same:
        return DatedValue(value=as_date(day), precision="day", confidence=1.0, basis="event")
    return max(same, key=lambda d: d.confidence)


def as_date(value: str | None) -> date | None:
    """A stored ISO date, or None."""
    return date.fromisoformat(value) if value else None


def _dated(data: dict[str, Any]) -> DatedValue:
    return DatedValue(value=as_date(data.get("date")), precision=data.get("precision", "unknown"),
                      confidence=float(data.get("confidence", 0.0)), basis=data.get("basis", ""))
