"""Alerts: watches on an entity (any spelling, any language) or on words, checked after every ingest.

A newsroom wants to be told, not to look: "tell me when a new event names Putin", "when the
port strike is reported by three independent sources". A :class:`Watch` names an entity
(resolved like ``timeline --entity``: "Poutine" is Vladimir Putin), words (found as ``storyline
search --mode text`` finds them: stems in six languages, names across languages), or both, and
how many independent sources an event needs. After each ingest the events it touched are
checked; an event that matches a watch for the first time is an alert, stored once (``storyline
alerts list``, the Atom feed at ``/feeds/NAME.atom``) and, when the watch has a webhook, POSTed
to it as JSON.

Sources are counted as :mod:`storyline.link.copies` counts them: a reprint, a wire copy or a
translation of another report is not a source of its own, nor is a second report from one outlet.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from storyline.errors import NotFoundError, StorylineError
from storyline.link.copies import event_independence
from storyline.timeline import resolve_entity

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: Matches read per query watch.
QUERY_DEPTH = 200
WEBHOOK_TIMEOUT = 10.0


@dataclass(slots=True)
class Watch:
    """What to be told about."""

    name: str
    entity: str | None = None
    query: str | None = None
    min_sources: int = 1
    webhook: str | None = None
    created_at: str = ""

    def describe(self) -> str:
        parts = [f"names {self.entity}"] if self.entity else []
        parts += [f"matches “{self.query}”"] if self.query else []
        parts += [f"reported by {self.min_sources}+ independent sources"] if self.min_sources > 1 else []
        return " and ".join(parts)


def add_watch(store: Any, watch: Watch) -> Watch:
    """Store a watch (a name already used is replaced: edit by adding again)."""
    if not _NAME.match(watch.name):
        raise StorylineError("E060", detail=f"the name {watch.name!r} must be 1-64 lower-case letters, digits,"
                                            " '-' or '_' (it is part of the feed's URL)")
    if not (watch.entity or watch.query):
        raise StorylineError("E060", detail="give --entity NAME, --query WORDS, or both")
    if watch.webhook and not watch.webhook.startswith(("http://", "https://")):
        raise StorylineError("E060", detail=f"the webhook {watch.webhook!r} must be an http(s) URL")
    watch.created_at = watch.created_at or _now()
    with store._transaction():
        store.conn.execute("DELETE FROM watches WHERE name=?", (watch.name,))
        store.conn.execute("INSERT INTO watches (name, entity, query, min_sources, webhook, created_at)"
                           " VALUES (?, ?, ?, ?, ?, ?)", (watch.name, watch.entity, watch.query, watch.min_sources,
                                                          watch.webhook, watch.created_at))
    return watch


def remove_watch(store: Any, name: str) -> None:
    """Forget a watch and its alerts."""
    get_watch(store, name)
    with store._transaction():
        store.conn.execute("DELETE FROM alerts WHERE watch=?", (name,))
        store.conn.execute("DELETE FROM watches WHERE name=?", (name,))


def watches(store: Any) -> list[Watch]:
    rows = store.conn.execute("SELECT name, entity, query, min_sources, webhook, created_at FROM watches"
                              " ORDER BY name").fetchall()
    return [Watch(**dict(row)) for row in rows]


def get_watch(store: Any, name: str) -> Watch:
    for watch in watches(store):
        if watch.name == name:
            return watch
    raise NotFoundError("E061", name=name, db=store.path)


def check(store: Any, *, event_ids: set[str] | None = None, notify: bool = True) -> list[dict[str, Any]]:
    """New alerts: events (those given, or all) that match a watch and have not alerted it yet.
    Stored; POSTed to each watch's webhook when ``notify`` (a webhook that fails is reported in
    the alert's ``webhook`` field, never raised)."""
    found: list[dict[str, Any]] = []
    for watch in watches(store):
        matched = _matching(store, watch, event_ids)
        if not matched:
            continue
        known = {r["event_id"] for r in store.conn.execute("SELECT event_id FROM alerts WHERE watch=?",
                                                             (watch.name,)).fetchall()}
        fresh = []
        for event in store.events(sorted(set(matched) - known)):
            if event.get("merged_into"):
                continue
            sources = event_independence(store, event["event_id"])
            independent = sources["independent_sources"]
            if independent < watch.min_sources:
                continue
            fresh.append({"watch": watch.name, "event_id": event["event_id"], "title": event["title"],
                          "date": event["date"], "outlets": sources["outlets"], "independent_sources": independent,
                          "articles": len(event["articles"]),
                          "reason": f"{matched[event['event_id']]}; {independent} independent source"
                                    f"{'s' if independent != 1 else ''}", "created_at": _now()})
        if not fresh:
            continue
        with store._transaction():
            for alert in fresh:
                store.conn.execute("INSERT INTO alerts (watch, event_id, title, reason, created_at) VALUES"
                                   " (?, ?, ?, ?, ?) ON CONFLICT (watch, event_id) DO NOTHING",
                                   (alert["watch"], alert["event_id"], alert["title"], alert["reason"],
                                    alert["created_at"]))
        if notify and watch.webhook:
            error = post_webhook(watch, fresh)
            for alert in fresh:
                alert["webhook"] = error or "sent"
        found += fresh
    return found


def alerts(store: Any, *, watch: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Stored alerts, newest first."""
    if watch is not None:
        get_watch(store, watch)
    where, params = ("WHERE watch=?", [watch]) if watch else ("", [])
    rows = store.conn.execute(f"SELECT seq, watch, event_id, title, reason, created_at FROM alerts {where}"
                              " ORDER BY seq DESC LIMIT ?", [*params, limit]).fetchall()
    return [dict(row) for row in rows]


def post_webhook(watch: Watch, fresh: list[dict[str, Any]]) -> str | None:
    """POST the new alerts as JSON; None when the receiver took them, else why not."""
    import httpx

    body = {"watch": watch.name, "description": watch.describe(), "alerts": fresh}
    try:
        response = httpx.post(watch.webhook or "", json=body, timeout=WEBHOOK_TIMEOUT,
                              headers={"User-Agent": "Storyline alerts"})
    except httpx.HTTPError as exc:
        return f"webhook failed: {type(exc).__name__}: {exc}"
    return None if response.is_success else f"webhook answered {response.status_code}"


def atom_feed(store: Any, name: str, base_url: str) -> str:
    """The watch's alerts as an Atom 1.0 feed (RFC 4287), newest first, each linking to its event."""
    watch = get_watch(store, name)
    items = alerts(store, watch=name, limit=100)
    base = base_url.rstrip("/")
    updated = items[0]["created_at"] if items else watch.created_at
    entries = "".join(
        f"<entry><title>{escape(a['title'] or a['event_id'])}</title>"
        f"<id>{escape(base)}/events/{escape(a['event_id'])}#alert-{a['seq']}</id>"
        f'<link rel="alternate" href="{escape(base)}/events/{escape(a["event_id"])}"/>'
        f"<updated>{escape(a['created_at'])}</updated><summary>{escape(a['reason'])}</summary></entry>"
        for a in items)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Storyline: {escape(watch.name)}</title><subtitle>{escape(watch.describe())}</subtitle>"
            f"<id>{escape(base)}/feeds/{escape(watch.name)}.atom</id>"
            f'<link rel="self" href="{escape(base)}/feeds/{escape(watch.name)}.atom"/>'
            f'<link rel="alternate" href="{escape(base)}/"/>'
            f"<updated>{escape(updated)}</updated><author><name>Storyline</name></author>{entries}</feed>\n")


def _matching(store: Any, watch: Watch, event_ids: set[str] | None) -> dict[str, str]:
    """The events (among ``event_ids`` when given) a watch matches, with why."""
    matched: dict[str, str] | None = None
    if watch.entity:
        try:
            names = resolve_entity(store, watch.entity)
        except NotFoundError:
            return {}
        by_entity: dict[str, str] = {}
        for canonical in names:
            for event_id in store.event_ids_with_entity(canonical):
                by_entity.setdefault(event_id, f"names {canonical}")
        matched = by_entity
    if watch.query:
        from storyline.search import Searcher

        # The full-text side only: stems in six languages and names across languages, and no need to
        # load every stored embedding after each ingest.
        result = Searcher(store).search(watch.query, limit=QUERY_DEPTH, mode="text")
        by_words: dict[str, str] = {}
        for row in result["results"]:
            if row.get("event_id"):
                by_words.setdefault(row["event_id"], f"matches “{watch.query}”")
        matched = by_words if matched is None else {k: f"{v}, {by_words[k]}" for k, v in matched.items()
                                                    if k in by_words}
    matched = matched or {}
    return {k: v for k, v in matched.items() if event_ids is None or k in event_ids}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def to_json(watch: Watch) -> dict[str, Any]:
    return asdict(watch) | {"description": watch.describe()}

