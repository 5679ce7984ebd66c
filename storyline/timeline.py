"""Timelines: the dated events an entity (or a story) takes part in, oldest first.

An event without a date of its own is not dropped: it is placed right after the
dated events of its story (news about an ongoing matter that does not say when
is most often a follow-up), and says so in ``placed``.
"""

from __future__ import annotations

from typing import Any

from storyline.errors import NotFoundError
from storyline.stages.entities import AliasTable
from storyline.store.base import Store


def resolve_entity(store: Store, name: str) -> list[str]:
    """Canonical names for a name in any spelling or language."""
    known = AliasTable.default().lookup(name)
    names = set(store.canonical_names(name))
    if known:
        names.add(known[0])
    if not names:
        raise NotFoundError("E011", name=name, db=store.path)
    return sorted(names)


def entity_timeline(store: Store, name: str) -> dict[str, Any]:
    canonical = resolve_entity(store, name)
    event_ids: set[str] = set()
    for each in canonical:
        event_ids |= store.event_ids_with_entity(each)
    events = store.events(sorted(event_ids))
    return {"entity": canonical[0] if len(canonical) == 1 else canonical, "query": name,
            "events": order_events(events, store.story_last_dates())}


def story_timeline(store: Store, story_id: str) -> dict[str, Any]:
    events = store.events(story_id=story_id)
    if not events:
        raise NotFoundError("E015", kind="story", command="stories", id=story_id, db=store.path)
    return {"story_id": story_id, "events": order_events(events, store.story_last_dates())}


def order_events(events: list[dict[str, Any]], story_last: dict[str, str]) -> list[dict[str, Any]]:
    """Sort by date; undated events go after the last dated event of their story (``story_last``)."""
    rows = []
    for event in events:
        seq = int(event["event_id"].split("-")[-1])
        if event["date"]:
            key = (event["date"], 0, seq)
            placed = "dated"
        elif event["story_id"] in story_last:
            key = (story_last[event["story_id"]], 1, seq)
            placed = f"undated; after the dated events of story {event['story_id']}"
        else:
            key = ("9999-12-31", 2, seq)
            placed = "undated"
        rows.append((key, {
            "event_id": event["event_id"],
            "date": event["date"],
            "date_shown": event.get("date_shown") or event["date"] or "undated",
            "date_precision": event.get("date_precision", "unknown"),
            "placed": placed,
            "label": event["title"],
            "story_id": event["story_id"],
            "articles": [{"id": a["id"], "source": a["source"], "title": a["title"], "language": a["language"],
                          "outlet": a["outlet"]} for a in event["articles"]],
        }))
    rows.sort(key=lambda r: r[0])
    return [row for _, row in rows]
