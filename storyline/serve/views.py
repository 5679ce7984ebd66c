"""Helpers the pages need: the timeline chart's geometry, highlighting, small summaries.

Everything that turns untrusted text into markup lives here and escapes first:
:func:`highlight` splits the raw text, escapes every piece, and only then wraps
the matches in ``<mark>``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from datetime import date
from itertools import pairwise
from typing import Any

from babel import Locale
from markupsafe import Markup, escape

from storyline.article import Article

CHART_WIDTH, CHART_HEIGHT, MARGIN = 760, 150, 40


def highlight(text: str, surfaces: list[str] | set[str]) -> Markup:
    """``text`` escaped, with each occurrence of ``surfaces`` wrapped in ``<mark>``."""
    words = sorted({s for s in surfaces if len(s) >= 2}, key=len, reverse=True)
    if not words or not text:
        return Markup(escape(text or ""))
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)")
    out = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def query_marks(result: dict[str, Any]) -> list[str]:
    """What to highlight in search snippets: the query's words and the names it was understood as."""
    words = [w for w in re.findall(r"\w+", result.get("query", "")) if len(w) >= 3]
    return words + [w.capitalize() for w in words] + list(result.get("entities", []))


def pager(request: Any, *, total: int, offset: int, limit: int, shown: int) -> dict[str, Any]:
    """Where a page sits in the whole, with links to the pages before and after (same query)."""
    def at(position: int) -> str:
        url = request.url.include_query_params(offset=position)
        return f"{url.path}?{url.query}"

    return {"total": total, "first": offset + 1 if shown else 0, "last": offset + shown,
            "previous": at(max(0, offset - limit)) if offset else None,
            "next": at(offset + limit) if offset + limit < total else None}


def shared_surfaces(articles: list[Article]) -> dict[str, Any]:
    """Entities (canonical) that two or more articles of an event name, and how each article wrote them."""
    seen = Counter(name for a in articles for name in {e.canonical for e in a.entities})
    shared = {name for name, n in seen.items() if n >= 2}
    return {
        "names": sorted(shared, key=lambda n: (-seen[n], n)),
        "surfaces": {a.id: sorted({e.text for e in a.entities if e.canonical in shared} | (shared & {
            e.canonical for e in a.entities})) for a in articles},
    }


def language_name(code: str | None) -> str:
    """"fr" → "French" (the code itself when Babel does not know it)."""
    if not code:
        return "unknown"
    try:
        return Locale.parse(code).get_display_name("en") or code
    except (ValueError, TypeError, Exception):  # babel raises its own UnknownLocaleError
        return code


def timeline_chart(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Positions for an SVG chart: dated events on a time axis, undated ones in a lane at the right.

    A dot's area grows with the event's article count; each carries the number of its event in the
    list below the chart, so the chart is read without hovering.
    """
    dated = [e for e in events if e.get("date")]
    undated = [e for e in events if not e.get("date")]
    days = [date.fromisoformat(e["date"]) for e in dated]
    first, last = (min(days), max(days)) if days else (None, None)
    span = max(1, (last - first).days) if first and last else 1
    axis_end = CHART_WIDTH - MARGIN - (120 if undated else 0)
    points = []
    for event, day in zip(dated, days, strict=True):
        x = MARGIN + (axis_end - MARGIN) * ((day - first).days / span if len(days) > 1 else 0.5)
        points.append(_point(event, x))
    for i, event in enumerate(undated):
        points.append(_point(event, axis_end + 50 + 25 * (i % 3), undated=True))
    number = {e["event_id"]: i for i, e in enumerate(events, start=1)}  # as the list under the chart
    for point in points:
        point["number"] = number[point["event_id"]]
    # stagger dots that would overlap
    points.sort(key=lambda p: p["x"])
    for previous, current in pairwise(points):
        if abs(current["x"] - previous["x"]) < 14 and current["y"] == previous["y"]:
            current["y"] = previous["y"] - 26
    ticks = []
    if first and last:
        ticks = [{"x": MARGIN, "label": first.isoformat()}]
        if last != first:
            ticks.append({"x": axis_end, "label": last.isoformat()})
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "axis_y": CHART_HEIGHT - 45, "axis_start": MARGIN,
            "axis_end": axis_end, "points": points, "ticks": ticks, "has_undated": bool(undated),
            "undated_x": axis_end + 75}


def _point(event: dict[str, Any], x: float, undated: bool = False) -> dict[str, Any]:
    count = len(event.get("articles", []))
    return {"x": round(x, 1), "y": CHART_HEIGHT - 70, "r": round(5 + 3 * math.sqrt(max(count, 1)), 1),
            "event_id": event["event_id"], "label": event.get("label") or event.get("title") or "",
            "date": event.get("date") or "undated", "articles": count, "undated": undated}


def breakdown(events: list[dict[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    """Article counts per language and per outlet over a list of timeline events."""
    languages = Counter(a.get("language") or "?" for e in events for a in e["articles"])
    outlets = Counter(a.get("outlet") or source_name(a.get("source", "")) for e in events for a in e["articles"])
    return {"languages": languages.most_common(), "outlets": outlets.most_common(12)}


def source_name(source: str) -> str:
    """A file path or URL shortened to its last part (the page has the full provenance)."""
    return source.rstrip("/").rsplit("/", 1)[-1] or "?"


def body_to_jsonl(body: bytes, content_type: str) -> str:
    """A POST body (one JSON object, a JSON array of them, or JSONL) as JSONL text.

    Raises ValueError with a message for the client when the body is not one of those.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the body is not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise ValueError("the body is empty; send a JSON object with 'text' (or JSONL, one per line)")
    if "json" in content_type and "ndjson" not in content_type and "jsonl" not in content_type:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        except RecursionError:
            raise ValueError("not valid JSON: nested too deeply") from None
        items = data if isinstance(data, list) else [data]
        return "\n".join(json.dumps(item, ensure_ascii=False) for item in items)
    return text
