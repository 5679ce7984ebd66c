"""Browsing events, stories and entities: one set of filters, sorts and pages for CLI, API and UI.

A newsroom database holds thousands of events; listing them all, oldest first, helps nobody.
:class:`Browse` says which part to show (a date range, a language, an outlet, an entity in
any spelling, a minimum size), in which order (latest, largest, fastest-growing, or oldest:
the order IDs were given) and which page.
:func:`find_events` and :func:`find_stories` read one light row per event-article link, filter
and sort in Python (the same on SQLite and PostgreSQL), and fetch full records only for the page.

"Fastest-growing" counts the reports dated in the last :data:`GROWTH_DAYS` days of the data
(by event date, else publication date): what is being written about now, not what is biggest.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from storyline.errors import NotFoundError, StorylineError
from storyline.timeline import resolve_entity

SORTS = ("latest", "largest", "growing", "oldest")
GROWTH_DAYS = 7
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Browse:
    """Which events or stories to show, in what order, which page."""

    since: date | None = None
    until: date | None = None
    language: str | None = None
    outlet: str | None = None
    entity: str | None = None
    min_articles: int = 1
    sort: str = "latest"
    limit: int = 50
    offset: int = 0

    @classmethod
    def parse(cls, *, since: str | None = None, until: str | None = None, language: str | None = None,
              outlet: str | None = None, entity: str | None = None, min_articles: int | None = None,
              sort: str | None = None, limit: int | None = None, offset: int | None = None) -> Browse:
        """From user input (CLI options, query strings): blanks mean "any"; a bad value says how to fix it."""
        sort = (sort or "latest").strip().lower()
        if sort not in SORTS:
            raise StorylineError("E016", detail=f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        if limit is not None and not 1 <= limit <= MAX_LIMIT:
            raise StorylineError("E016", detail=f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        if offset is not None and offset < 0:
            raise StorylineError("E016", detail=f"offset must be 0 or more, not {offset}")
        return cls(since=_day(since, "since"), until=_day(until, "until"),
                   language=(language or "").strip().lower() or None, outlet=(outlet or "").strip() or None,
                   entity=(entity or "").strip() or None, min_articles=max(1, min_articles or 1), sort=sort,
                   limit=limit or 50, offset=offset or 0)

    @property
    def filtered(self) -> bool:
        """Does it leave anything out (other than by paging)?"""
        return bool(self.since or self.until or self.language or self.outlet or self.entity
                    or self.min_articles > 1)

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}


@dataclass(slots=True)
class Page:
    """One page of results and how many there are in all."""

    total: int
    items: list[dict[str, Any]]
    browse: Browse

    @property
    def next_offset(self) -> int | None:
        following = self.browse.offset + self.browse.limit
        return following if following < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.browse.offset - self.browse.limit) if self.browse.offset else None

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "offset": self.browse.offset, "limit": self.browse.limit,
                "filters": self.browse.to_json(), "items": self.items}


@dataclass(slots=True)
class _Summary:
    """What filtering and sorting need of an event (or a story): no texts, no explanations."""

    key: str
    seq: int
    date: str | None = None
    story_id: str | None = None
    dates: list[str] = field(default_factory=list)
    languages: set[str] = field(default_factory=set)
    outlets: set[str] = field(default_factory=set)
    size: int = 0
    recent: int = 0
    last: str = ""


def find_events(store: Any, browse: Browse, *, lang: str | None = None) -> Page:
    """Events matching ``browse``, sorted and paged, as :meth:`Store.events` gives them (titled in
    ``lang`` where one of their reports is in it)."""
    summaries = _event_summaries(store)
    chosen = _filtered(store, list(summaries.values()), browse)
    ordered = _sorted(chosen, browse.sort)
    window = ordered[browse.offset:browse.offset + browse.limit]
    records = {e["event_id"]: e for e in store.events([s.key for s in window], language=lang)} if window else {}
    return Page(total=len(ordered), items=[records[s.key] for s in window if s.key in records], browse=browse)


def find_stories(store: Any, browse: Browse, *, lang: str | None = None) -> Page:
    """Stories with at least one event matching ``browse`` (the story's size is all its articles)."""
    summaries = _event_summaries(store)
    matching = {s.key for s in _filtered(store, list(summaries.values()), browse, sized=False)}
    stories: dict[str, _Summary] = {}
    for event in summaries.values():
        if not event.story_id:
            continue
        story = stories.setdefault(event.story_id, _Summary(key=event.story_id, seq=event.seq))
        story.seq = min(story.seq, event.seq)
        story.size += event.size
        story.recent += event.recent
        story.languages |= event.languages
        story.outlets |= event.outlets
        story.last = max(story.last, event.date or "", event.last)
        story.dates += [event.date] if event.date else []
    with_match = {summaries[key].story_id for key in matching}
    chosen = [s for key, s in stories.items() if s.size >= browse.min_articles and key in with_match]
    for story in chosen:
        story.date = max(story.dates) if story.dates else None
    ordered = _sorted(chosen, browse.sort)
    window = ordered[browse.offset:browse.offset + browse.limit]
    records = ({s["story_id"]: s for s in store.stories(story_ids=[s.key for s in window], language=lang)}
               if window else {})
    return Page(total=len(ordered), items=[records[s.key] for s in window if s.key in records], browse=browse)


def find_entities(store: Any, *, name: str | None = None, kind: str | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """Entities (canonical names) by how many articles name them, with their type and events."""
    where, params = [], []
    if name:
        where.append("(lower(e.canonical) LIKE ? OR lower(e.text) LIKE ?)")
        params += [f"%{name.lower()}%"] * 2
    if kind:
        where.append("e.type = ?")
        params.append(kind.upper())
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = store.conn.execute(
        "SELECT e.canonical, e.type, COUNT(DISTINCT e.article_id) AS articles, COUNT(DISTINCT ea.event_id) AS events"
        f" FROM entities e LEFT JOIN event_articles ea ON ea.article_id = e.article_id {clause}"
        " GROUP BY e.canonical, e.type", params).fetchall()
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:  # one name typed two ways in different articles: listed once, under its usual type
        entry = merged.setdefault(row["canonical"], {"name": row["canonical"], "type": row["type"], "articles": 0,
                                                     "events": 0, "_best": -1})
        entry["articles"] += row["articles"]
        entry["events"] = max(entry["events"], row["events"])
        if row["articles"] > entry["_best"]:
            entry["type"], entry["_best"] = row["type"], row["articles"]
    ordered = sorted(merged.values(), key=lambda e: (-e["articles"], e["name"]))
    return len(ordered), [{k: v for k, v in e.items() if k != "_best"} for e in ordered[offset:offset + limit]]


def _event_summaries(store: Any) -> dict[str, _Summary]:
    """Every unmerged event's summary, read again only after the database changed."""
    return store.memo("browse.event_summaries", lambda: _read_event_summaries(store))


def _read_event_summaries(store: Any) -> dict[str, _Summary]:
    rows = store.conn.execute(
        "SELECT ea.event_id, e.seq, e.date, e.story_id, a.language, a.outlet, a.event_date, a.published"
        " FROM event_articles ea JOIN events e ON e.event_id = ea.event_id JOIN articles a ON a.id = ea.article_id"
        " WHERE e.merged_into IS NULL").fetchall()
    summaries: dict[str, _Summary] = {}
    member_days: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        event = summaries.setdefault(row["event_id"], _Summary(key=row["event_id"], seq=row["seq"], date=row["date"],
                                                               story_id=row["story_id"]))
        event.size += 1
        if row["language"]:
            event.languages.add(row["language"])
        if row["outlet"]:
            event.outlets.add(row["outlet"])
        if row["event_date"]:
            event.dates.append(row["event_date"])
        day = row["event_date"] or row["published"]
        if day:
            member_days[row["event_id"]].append(day[:10])
    all_days = [d for days in member_days.values() for d in days]
    newest = max(all_days) if all_days else None
    cutoff = (date.fromisoformat(newest) - timedelta(days=GROWTH_DAYS)).isoformat() if newest else None
    for key, event in summaries.items():
        if not event.date and event.dates:  # as Store.events dates it: the members' median
            event.date = sorted(event.dates)[len(event.dates) // 2]
        days = member_days.get(key, [])
        event.last = max(days) if days else ""
        event.recent = sum(1 for d in days if cutoff and d > cutoff)
    return summaries


def _filtered(store: Any, events: list[_Summary], browse: Browse, *, sized: bool = True) -> list[_Summary]:
    """The events meeting ``browse``'s filters (its size too, unless ``sized`` is off: a story's size
    is all its articles)."""
    allowed: set[str] | None = None
    if browse.entity:
        allowed = set()
        try:
            names = resolve_entity(store, browse.entity)  # any spelling or language: "Italie" = Italy
        except NotFoundError:
            names = []
        for canonical in names:
            allowed |= store.event_ids_with_entity(canonical)
    since, until = (d.isoformat() if d else None for d in (browse.since, browse.until))
    out = []
    for event in events:
        if allowed is not None and event.key not in allowed:
            continue
        if (since or until) and not event.date:
            continue  # a date range asks for dated events
        if (since and event.date < since) or (until and event.date > until):
            continue
        if browse.language and browse.language not in event.languages:
            continue
        if browse.outlet and not any(browse.outlet.lower() in o.lower() for o in event.outlets):
            continue
        if sized and event.size < browse.min_articles:
            continue
        out.append(event)
    return out


def _sorted(items: list[_Summary], sort: str) -> list[_Summary]:
    if sort == "largest":
        return sorted(items, key=lambda s: (-s.size, -s.seq))
    if sort == "growing":
        return sorted(items, key=lambda s: (-s.recent, -s.size, -s.seq))
    if sort == "oldest":  # the order IDs were given in
        return sorted(items, key=lambda s: s.seq)
    return sorted(items, key=lambda s: (s.date or "", s.seq), reverse=True)


def _day(value: str | None, name: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise StorylineError("E016", detail=f"{name} must be a date like 2024-03-01, not {text!r}") from None


def story_now(store: Any, story_id: str) -> str | None:
    """The story that holds what ``story_id`` held, once every event of it merged into events of
    other stories (an ingest or a correction merged them): a bookmarked story page follows its
    events there instead of answering 404. None when the story never existed or still lists."""
    row = store.conn.execute("SELECT merged_into FROM events WHERE story_id = ? AND merged_into IS NOT NULL"
                             " ORDER BY seq LIMIT 1", (story_id,)).fetchone()
    event, seen = (row["merged_into"] if row else None), set()
    while event and event not in seen:  # an event merged into one that merged on
        seen.add(event)
        found = store.conn.execute("SELECT story_id, merged_into FROM events WHERE event_id = ?", (event,)).fetchone()
        if found is None:
            return None
        if found["merged_into"] is None:
            return found["story_id"] if found["story_id"] not in (None, story_id) else None
        event = found["merged_into"]
    return None
