"""Search results one row per event: the same event in four languages takes one slot, not four.

:func:`grouped` turns a :meth:`storyline.search.Searcher.search` answer into groups: an event's
matching articles together, headed by its best-ranked one, with the languages and outlets that
report it. Articles not (yet) in an event stand alone. Groups are ranked by their best article
(relevance) or by date, newest first, and paged.
"""

from __future__ import annotations

from typing import Any

#: How many articles a grouped search reads before grouping (the most the searcher returns).
GROUP_DEPTH = 200
SORTS = ("relevance", "date")


def grouped(result: dict[str, Any], *, sort: str = "relevance", limit: int = 20, offset: int = 0) -> dict[str, Any]:
    """``result`` with ``groups`` (one per event, paged) and ``total_groups``."""
    groups: dict[str, dict[str, Any]] = {}
    for rank, row in enumerate(result["results"], start=1):
        key = row.get("event_id") or f"article:{row['id']}"
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"event_id": row.get("event_id"), "title": row.get("title") or row["id"],
                                   "date": row.get("date"), "rank": rank, "score": row.get("score", 0.0),
                                   "languages": [], "outlets": [], "articles": []}
        group["articles"].append(row)
        for field, value in (("languages", row.get("language")), ("outlets", row.get("outlet"))):
            if value and value not in group[field]:
                group[field].append(value)
        if row.get("date") and (not group["date"] or row["date"] > group["date"]):
            group["date"] = row["date"]
    ordered = list(groups.values())
    if sort == "date":
        ordered.sort(key=lambda g: (g["date"] is not None, g["date"] or "", -g["rank"]), reverse=True)
    return result | {"groups": ordered[offset:offset + limit], "total_groups": len(ordered), "sort": sort,
                     "offset": offset, "limit": limit}


def paged_search(searcher: Any, store: Any, query: str, *, filters: Any, mode: str = "hybrid",
                group: str = "article", sort: str = "relevance", limit: int = 20, offset: int = 0,
                count_all: bool = False) -> dict[str, Any]:
    """One page of a search, as the CLI, the API and the search page show it: articles, or groups
    (``group="event"``), by relevance or by date; ``total`` says how many there are to page through.
    Grouping, sorting by date and ``count_all`` read the searcher's whole depth first."""
    whole = group == "event" or sort == "date" or count_all
    result = searcher.search(query, filters=filters, limit=GROUP_DEPTH if whole else min(GROUP_DEPTH, limit + offset),
                             mode=mode)
    if group == "event":
        found = titled(grouped(result, sort=sort, limit=limit, offset=offset), store)
        return found | {"total": found["total_groups"]}
    result = sorted_by_date(result) if sort == "date" else result
    return result | {"results": result["results"][offset:offset + limit], "offset": offset,
                     "total": len(result["results"])}


def titled(result: dict[str, Any], store: Any) -> dict[str, Any]:
    """Each event group headed by its event's title (the headline its reports agree on) rather than
    by whichever of its articles ranked first."""
    ids = [g["event_id"] for g in result.get("groups", []) if g["event_id"]]
    titles = {e["event_id"]: e["title"] for e in store.events(ids)} if ids else {}
    for group in result.get("groups", []):
        group["title"] = titles.get(group["event_id"], group["title"])
    return result


def sorted_by_date(result: dict[str, Any]) -> dict[str, Any]:
    """The articles of ``result`` newest first (undated last), relevance breaking ties."""
    rows = sorted(enumerate(result["results"]), key=lambda r: (r[1].get("date") is not None, r[1].get("date") or "",
                                                               -r[0]), reverse=True)
    return result | {"results": [row for _, row in rows]}
