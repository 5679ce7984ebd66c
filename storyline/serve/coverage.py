"""Coverage over time: how many articles were written when, stacked by language or outlet.

A journalist asks "when did this get covered, and by whom?" before reading anything. The chart is
server-rendered SVG (no script, no external asset): one bar per day, week or month (whichever
gives at most :data:`MAX_BARS` bars), stacked by the :data:`MAX_GROUPS` largest languages or
outlets and "other". Every bar has a text title, and the same counts are given as a table, so
the chart is readable by keyboard and screen reader alike. An article is placed by its event
date, else its publication date; undated articles are counted beside the chart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 760, 170, 36, 34, 10
MAX_BARS = 60
MAX_GROUPS = 5
MIN_DAYS = 7
MAX_BAR_WIDTH = 40
COLOURS = ("#0b57d0", "#c9a227", "#1e8e3e", "#a142f4", "#d93025", "#80868b")


def coverage_rows(store: Any, *, article_ids: list[str] | None = None,
                  entities: list[str] | None = None) -> list[tuple[str | None, str | None, str | None]]:
    """``(day, language, outlet)`` of every article, of the given ones, or of those naming ``entities``."""
    sql = "SELECT coalesce(a.event_date, a.published) AS day, a.language, a.outlet FROM articles a"
    params: list[Any] = []
    if article_ids is not None:
        if not article_ids:
            return []
        condition, params = store._in("a.id", list(article_ids))
        sql += f" WHERE {condition}"
    elif entities is not None:
        if not entities:
            return []
        condition, params = store._in("e.canonical", list(entities))
        sql = ("SELECT DISTINCT a.id, coalesce(a.event_date, a.published) AS day, a.language, a.outlet"
               f" FROM articles a JOIN entities e ON e.article_id = a.id WHERE {condition}")
    return [(r["day"], r["language"], r["outlet"]) for r in store.conn.execute(sql, params).fetchall()]


def coverage_chart(rows: list[tuple[str | None, str | None, str | None]], *, by: str = "language") -> dict[str, Any]:
    """Bars, legend and table for :file:`_coverage.html` (``by``: ``language`` or ``outlet``)."""
    dated = [(date.fromisoformat(day[:10]), (lang if by == "language" else outlet) or "unknown")
             for day, lang, outlet in rows if day]
    undated = len(rows) - len(dated)
    if not dated:
        return {"bars": [], "undated": undated, "total": len(rows), "by": by}
    first, last = min(d for d, _ in dated), max(d for d, _ in dated)
    unit = "day" if (last - first).days < MAX_BARS else "week" if (last - first).days < 7 * MAX_BARS else "month"
    biggest = [g for g, _ in Counter(g for _, g in dated).most_common(MAX_GROUPS)]
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    for day, group in dated:
        counts[_bin(day, unit)][group if group in biggest else "other"] += 1
    groups = biggest + (["other"] if any("other" in c for c in counts.values()) else [])
    if unit == "day" and (last - first).days < MIN_DAYS - 1:  # a week at least, so one day is not a wall
        pad = (MIN_DAYS - 1 - (last - first).days) // 2
        first, last = first - timedelta(days=pad), last + timedelta(days=MIN_DAYS - 1 - (last - first).days - pad)
    bins = _bins(_bin(first, unit), _bin(last, unit), unit)
    tallest = max(sum(c.values()) for c in counts.values())
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / len(bins)
    bars = []
    for i, start in enumerate(bins):
        here = counts.get(start, Counter())
        y = TOP + plot_h
        segments = []
        for g, group in enumerate(groups):
            n = here.get(group, 0)
            if n:
                h = plot_h * n / tallest
                y -= h
                segments.append({"y": round(y, 1), "h": round(h, 1), "colour": COLOURS[g % len(COLOURS)],
                                 "group": group, "n": n})
        label = _label(start, unit)
        detail = ", ".join(f"{s['group']} {s['n']}" for s in segments)
        width = min(MAX_BAR_WIDTH, max(1.0, step * 0.8))
        bars.append({"x": round(LEFT + i * step + (step - width) / 2, 1), "w": round(width, 1),
                     "segments": segments, "label": label, "total": sum(here.values()),
                     "title": f"{label}: {sum(here.values())} article{'s' if sum(here.values()) != 1 else ''}"
                              + (f" ({detail})" if detail else "")})
    marks = _ticks(bins, unit)
    ticks = [{"x": round(LEFT + i * step + step / 2, 1), "label": text,
              "anchor": "start" if n == 0 and len(marks) > 1 else "end" if n == len(marks) - 1 and n else "middle"}
             for n, (i, text) in enumerate(marks)]
    return {"bars": bars, "groups": [{"name": g, "colour": COLOURS[i % len(COLOURS)]} for i, g in enumerate(groups)],
            "ticks": ticks, "unit": unit, "tallest": tallest, "undated": undated, "total": len(rows), "by": by,
            "width": WIDTH, "height": HEIGHT, "base_y": TOP + plot_h, "left": LEFT, "top": TOP,
            "rows": [b for b in bars if b["total"]]}


def _bin(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _bins(first: date, last: date, unit: str) -> list[date]:
    out, current = [], first
    while current <= last:
        out.append(current)
        if unit == "day":
            current += timedelta(days=1)
        elif unit == "week":
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def _label(start: date, unit: str) -> str:
    if unit == "month":
        return start.strftime("%b %Y")
    if unit == "week":
        return f"week of {start.isoformat()}"
    return start.isoformat()


def _ticks(bins: list[date], unit: str) -> list[tuple[int, str]]:
    """At most five axis labels, evenly spread, the first and last included."""
    count = len(bins)
    positions = list(range(count)) if count <= 5 else sorted({round(i * (count - 1) / 4) for i in range(5)})
    short = "%b %Y" if unit == "month" else "%d %b %Y"
    return [(i, bins[i].strftime(short)) for i in positions]
