"""Corrections that stick: a person moves an article, merges two events, keeps two articles apart or
says what a name stands for, and the grouping stays corrected as new articles arrive.

A correction is data (who, when, why, and what the model had decided), applied at once and applied
again after every ingest (:func:`reapply`), so a later merge or split of the clusterer cannot undo
it: an article moved to an event is put back there if it was carried off, and two articles kept
apart are parted again if an event came to hold both. Events a correction changes get their
profile rebuilt from their reports, so the next articles are compared with the corrected events.
:func:`undo` restores what the model had decided. ``storyline explain`` names the corrections that
placed an article.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from storyline.errors import NotFoundError, StorylineError
from storyline.link.events import OnlineEventClusterer, summed_profile
from storyline.link.profile import profile_of

KINDS = ("move", "merge", "cannot-link", "alias")


def move(store: Any, article_id: str, to_event: str | None, *, who: str, why: str = "") -> dict[str, Any]:
    """Put an article in ``to_event`` (None: an event of its own)."""
    before = _event_of(store, article_id)
    target = _live(store, to_event) if to_event else None
    if target == before:
        raise StorylineError("E062", detail=f"{article_id} is already in {before}")
    with store._transaction():
        target = target or _new_event(store, article_id, story_id=_story_of(store, before))
        _place(store, article_id, target, before)
        return _record(store, "move", article_id=article_id, target=target, previous=before, who=who, why=why)


def merge(store: Any, from_event: str, into_event: str, *, who: str, why: str = "") -> dict[str, Any]:
    """Make two events one: ``from_event``'s articles join ``into_event``; its ID points on."""
    source, target = _live(store, from_event), _live(store, into_event)
    if source == target:
        raise StorylineError("E062", detail=f"{from_event} and {into_event} are one event already")
    members = _members(store, source)
    with store._transaction():
        for article_id in members:
            _place(store, article_id, target, source)
        return _record(store, "merge", other=source, target=target, previous=json.dumps(members), who=who, why=why)


def cannot_link(store: Any, article_a: str, article_b: str, *, who: str, why: str = "") -> dict[str, Any]:
    """Keep two articles in different events, now and after later ingests (B leaves when they share one)."""
    if article_a == article_b:
        raise StorylineError("E062", detail="an article cannot be kept apart from itself")
    event_a, event_b = _event_of(store, article_a), _event_of(store, article_b)
    with store._transaction():
        target = None
        if event_a == event_b:
            target = _new_event(store, article_b, story_id=_story_of(store, event_b))
            _place(store, article_b, target, event_b)
        return _record(store, "cannot-link", article_id=article_a, other=article_b, target=target,
                       previous=event_b, who=who, why=why)


def alias(store: Any, surface: str, canonical: str, *, kind: str | None = None, event_id: str | None = None,
          who: str, why: str = "") -> dict[str, Any]:
    """Say what a name written ``surface`` stands for: ``canonical`` (and its type PER, ORG or LOC),
    in one event or everywhere, in the articles stored and in those to come ("Bandar Abbas" is a
    place, not Mahmoud Abbas; "Jobs" is Steve Jobs in this event)."""
    surface, canonical = surface.strip(), canonical.strip()
    if not surface or not canonical:
        raise StorylineError("E062", detail="an alias needs the name as written and what it stands for")
    if kind is not None and kind.upper() not in ("PER", "ORG", "LOC"):
        raise StorylineError("E062", detail=f"the type must be PER, ORG or LOC, not {kind!r}")
    scope = _live(store, event_id) if event_id else None
    mapping = {"as": canonical, "type": kind.upper() if kind else None, "old": []}
    with store._transaction():
        mapping["old"] = _rename(store, surface, mapping, scope)
        return _record(store, "alias", other=surface, target=scope, previous=json.dumps(mapping), who=who, why=why)


def undo(store: Any, seq: int, *, who: str) -> dict[str, Any]:
    """Restore what the model had decided before correction ``seq``."""
    found = [c for c in corrections(store) if c["seq"] == seq]
    if not found:
        raise NotFoundError("E063", seq=seq, db=store.path)
    correction = found[0]
    if correction["undone_at"]:
        raise StorylineError("E062", detail=f"correction {seq} was undone already")
    with store._transaction():
        if correction["kind"] == "move":
            _restore(store, correction["article_id"], correction["previous"])
        elif correction["kind"] == "merge":
            store.conn.execute("UPDATE events SET merged_into=NULL WHERE event_id=?", (correction["other"],))
            for article_id in json.loads(correction["previous"]):
                _restore(store, article_id, correction["other"])
        elif correction["kind"] == "alias":
            mapping = json.loads(correction["previous"])
            for article_id, text, canonical, kind in mapping["old"]:
                store.conn.execute("UPDATE entities SET canonical=?, type=? WHERE article_id=? AND text=?",
                                   (canonical, kind, article_id, text))
            _rebuild_all(store, {row[0] for row in mapping["old"]})
        elif correction["target"]:
            _restore(store, correction["other"], correction["previous"])
        store.conn.execute("UPDATE corrections SET undone_at=?, undone_by=? WHERE seq=?", (_now(), who, seq))
    return correction | {"undone_at": _now(), "undone_by": who}


def corrections(store: Any, *, article_id: str | None = None, active: bool = False) -> list[dict[str, Any]]:
    """Corrections, oldest first (those naming ``article_id``; only those not undone)."""
    sql, params = "SELECT * FROM corrections", []
    where = []
    if article_id:
        where.append("(article_id=? OR other=?)")
        params += [article_id, article_id]
    if active:
        where.append("undone_at IS NULL")
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [dict(row) for row in store.conn.execute(sql + " ORDER BY seq", params).fetchall()]


def placing(store: Any, article_id: str) -> list[dict[str, Any]]:
    """The standing corrections that put an article where it is (for 'explain')."""
    def names(correction: dict[str, Any]) -> bool:
        if correction["kind"] == "move":
            return correction["article_id"] == article_id
        if correction["kind"] == "merge":
            return article_id in json.loads(correction["previous"] or "[]")
        if correction["kind"] == "alias":
            return article_id in {row[0] for row in json.loads(correction["previous"])["old"]}
        return article_id in (correction["article_id"], correction["other"])

    return [c for c in corrections(store, active=True) if names(c)]


def reapply(store: Any) -> list[str]:
    """Apply the standing corrections again (after an ingest): what moved back, as messages."""
    done = []
    standing = corrections(store, active=True)
    if not standing:
        return done
    with store._transaction():
        for correction in standing:
            if correction["kind"] == "move":
                article, target = correction["article_id"], _live(store, correction["target"])
                now = _event_of(store, article)
                if now != target:
                    _place(store, article, target, now)
                    done.append(f"{article} put back in {target} (correction {correction['seq']})")
            elif correction["kind"] == "alias":
                mapping = json.loads(correction["previous"])
                renamed = _rename(store, correction["other"], mapping, correction["target"])
                if renamed:
                    mapping["old"] += renamed
                    store.conn.execute("UPDATE corrections SET previous=? WHERE seq=?",
                                       (json.dumps(mapping), correction["seq"]))
                    done.append(f"“{correction['other']}” read as {mapping['as']} in {len(renamed)} more"
                                f" article{'s' if len(renamed) != 1 else ''} (correction {correction['seq']})")
            elif correction["kind"] == "cannot-link":
                a, b = correction["article_id"], correction["other"]
                shared = _event_of(store, a)
                if shared == _event_of(store, b):
                    target = _new_event(store, b, story_id=_story_of(store, shared))
                    _place(store, b, target, shared)
                    done.append(f"{b} parted from {a} again, into {target} (correction {correction['seq']})")
    return done


# -- the moves themselves ---------------------------------------------------------------------------
def _place(store: Any, article_id: str, target: str, source: str) -> None:
    """Move one article's membership, then rebuild both events (an emptied one points to the target).
    The model's reason stays with the article ('explain' shows it beside the correction)."""
    store.conn.execute("UPDATE event_articles SET event_id=? WHERE article_id=?", (target, article_id))
    store.conn.execute("UPDATE events SET merged_into=NULL WHERE event_id=?", (target,))
    for event_id in (source, target):
        _rebuild(store, event_id, into=target)


def _rename(store: Any, surface: str, mapping: dict[str, Any], scope: str | None) -> list[list[Any]]:
    """Point the entity rows written ``surface`` or resolved to it (in ``scope``'s articles, or all)
    at the alias; each changed row's article, text and old name and type, for undo."""
    sql = "SELECT DISTINCT e.article_id, e.text, e.canonical, e.type FROM entities e"
    params: list[Any] = []
    if scope:
        sql += " JOIN event_articles ea ON ea.article_id = e.article_id AND ea.event_id = ?"
        params.append(scope)
    sql += " WHERE (e.text = ? OR e.canonical = ?)"
    params += [surface, surface]
    rows = [r for r in store.conn.execute(sql, params).fetchall()
            if r["canonical"] != mapping["as"] or (mapping["type"] and r["type"] != mapping["type"])]
    for row in rows:
        store.conn.execute("UPDATE entities SET canonical=?, type=? WHERE article_id=? AND text=?",
                           (mapping["as"], mapping["type"] or row["type"], row["article_id"], row["text"]))
    _rebuild_all(store, {r["article_id"] for r in rows})
    return [[r["article_id"], r["text"], r["canonical"], r["type"]] for r in rows]


def _rebuild_all(store: Any, article_ids: set[str]) -> None:
    """Rebuild the events holding these articles (their entities changed)."""
    for event_id in {e for e in (store.event_of(a) for a in article_ids) if e}:
        _rebuild(store, event_id, into=event_id)


def _restore(store: Any, article_id: str, event_id: str) -> None:
    now = _event_of(store, article_id)
    if now != event_id:
        store.conn.execute("UPDATE events SET merged_into=NULL WHERE event_id=?", (event_id,))
        _place(store, article_id, event_id, now)


def _rebuild(store: Any, event_id: str, *, into: str) -> None:
    members = _members(store, event_id)
    if not members:
        store.conn.execute("UPDATE events SET merged_into=?, closed=1, profile_json='{}' WHERE event_id=?",
                           (into, event_id))
        return
    row = store.conn.execute("SELECT closed FROM events WHERE event_id=?", (event_id,)).fetchone()
    if row is not None and not row["closed"]:  # the clusterer compares new articles with open events
        profile = summed_profile([profile_of(store.get_article(a)) for a in members])
        store.conn.execute("UPDATE events SET profile_json=? WHERE event_id=?",
                           (json.dumps(profile.to_json()), event_id))


def _new_event(store: Any, article_id: str, *, story_id: str | None) -> str:
    """A new event for one article, numbered after the clusterer's last (its counter moves on)."""
    row = store.conn.execute("SELECT value FROM meta WHERE key='linker_state'").fetchone()
    state = json.loads(row["value"]) if row else {"event_seq": 1, "story_seq": 1}
    seq = int(state["event_seq"])
    state["event_seq"] = seq + 1
    store.conn.execute("INSERT INTO meta VALUES ('linker_state', ?) ON CONFLICT (key) DO UPDATE SET value ="
                       " excluded.value", (json.dumps(state),))
    article = store.get_article(article_id)
    event_id = OnlineEventClusterer.format_id(seq)
    store.conn.execute("INSERT INTO events (event_id, seq, title, date, story_id, closed, profile_json)"
                       " VALUES (?, ?, ?, ?, ?, 0, ?)",
                       (event_id, seq, article.title or article.id,
                        article.event_date.value.isoformat() if article.event_date.value else None, story_id,
                        json.dumps(profile_of(article).to_json())))
    return event_id


def _record(store: Any, kind: str, *, who: str, why: str, article_id: str | None = None, other: str | None = None,
            target: str | None = None, previous: str | None = None) -> dict[str, Any]:
    if not who.strip():
        raise StorylineError("E062", detail="say who corrects (--by NAME)")
    store.conn.execute("INSERT INTO corrections (kind, article_id, other, target, previous, who, why, created_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (kind, article_id, other, target, previous, who.strip(), why.strip(), _now()))
    return dict(store.conn.execute("SELECT * FROM corrections ORDER BY seq DESC LIMIT 1").fetchone())


def _event_of(store: Any, article_id: str) -> str:
    store.get_article(article_id)  # E010 when there is no such article
    event = store.event_of(article_id)
    if event is None:
        raise StorylineError("E062", detail=f"{article_id} is in no event")
    return event


def _live(store: Any, event_id: str) -> str:
    """The event an ID stands for now (a merged event's ID points on)."""
    seen = set()
    while True:
        row = store.conn.execute("SELECT merged_into FROM events WHERE event_id=?", (event_id,)).fetchone()
        if row is None:
            raise NotFoundError("E015", kind="event", command="events", id=event_id, db=store.path)
        if not row["merged_into"] or event_id in seen:
            return event_id
        seen.add(event_id)
        event_id = row["merged_into"]


def _members(store: Any, event_id: str) -> list[str]:
    return [r["article_id"] for r in store.conn.execute(
        f"SELECT article_id FROM event_articles WHERE event_id=? ORDER BY {store.ROW_ORDER}", (event_id,)).fetchall()]


def _story_of(store: Any, event_id: str) -> str | None:
    row = store.conn.execute("SELECT story_id FROM events WHERE event_id=?", (event_id,)).fetchone()
    return row["story_id"] if row else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
