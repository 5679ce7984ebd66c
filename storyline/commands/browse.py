"""Reading the database: articles, events, stories, explain, timeline, export and search."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import click

from storyline.commands.common import (
    FORMAT,
    browse_options,
    db_option,
    echo_json,
    echo_table,
    emit,
    friendly,
    open_db,
    why_grouped,
)


@click.command()
@db_option
@click.option("--id", "article_id", help="Show one article.")
@click.option("--no-text", is_flag=True, help="Leave out the cleaned text (JSON).")
@FORMAT
@friendly
def articles(db: str, article_id: str | None, no_text: bool, fmt: str) -> None:
    """List stored articles with language, dates and entities."""
    with open_db(db) as store:
        items = [store.get_article(article_id)] if article_id else list(store.iter_articles())
        emit(fmt, [a.to_json(with_text=not no_text) for a in items],
              ["id", "lang", "published", "event date", "title", "main entities"],
              lambda: [[a.id, a.language or "?", a.published.display(),
                        a.event_date.display(), a.title, ", ".join(e.canonical for e in a.entities[:4])]
                       for a in items])


@click.command()
@db_option
@click.option("--lineage", is_flag=True, help="List merges and splits instead: which events became one or "
              "two, on what evidence. A merged event's ID still answers (its record says where it went).")
@browse_options
@click.option("--sources", is_flag=True, help="Count each event's independent sources: reprints, wire copies and "
              "translations of one report, and reports of one outlet, count once (reads the events' texts).")
@FORMAT
@friendly
def events(db: str, lineage: bool, sources: bool, fmt: str, **filters: Any) -> None:
    """List events: articles that report the same real-world happening.

    IDs are never renumbered. When an article matches two open events strongly (both at
    p >= 0.98), they are one event: the later joins the earlier and the merge is recorded.
    When an event's reports fall into two groups that hardly match each other (each of
    three or more, mean probability across below 0.3), the later group splits off as a new
    event and the split is recorded. --lineage lists both.

    \b
    Filter, sort and page, e.g.
      storyline events --since 2018-01-01 --language fr --sort largest --limit 20
      storyline events --entity Poutine --sort latest
    """
    if lineage:
        with open_db(db) as store:
            changes = store.lineage()
        emit(fmt, changes, ["change", "event", "into / split off", "article", "evidence"],
              lambda: [[c["kind"], c["event_id"], c["into_event_id"], c["article_id"], _lineage_evidence(c)]
                       for c in changes])
        return
    from storyline.browse import find_events

    lang = filters.pop("lang", None)
    with open_db(db) as store:
        found = find_events(store, _browse(filters), lang=lang)
        if sources:
            from storyline.link.copies import event_independence

            for event in found.items:
                event["sources"] = event_independence(store, event["event_id"])
    items = found.items
    extra = ["independent"] if sources else []
    emit(fmt, items, ["event", "date", "story", "articles", *extra, "title", "why grouped"],
          lambda: [[ev["event_id"], ev["date"] or "undated", ev["story_id"] or "",
                    " ".join(a["id"] for a in ev["articles"]),
                    *([f"{ev['sources']['independent_sources']} of {ev['sources']['outlets']}"] if sources else []),
                    ev["title"], why_grouped(ev)] for ev in items],
          empty="(no events match these filters)" if found.browse.filtered else "(nothing yet)")
    _say_page(found, "events")


def _browse(filters: dict[str, Any]) -> Any:
    """The CLI's filters; without --limit, everything (a script may want all)."""
    from dataclasses import replace

    from storyline.browse import Browse

    limit = filters.pop("limit", None)
    return replace(Browse.parse(**filters), limit=limit or 10**9)


def _say_page(found: Any, what: str) -> None:
    """Which part of the whole was shown, on stderr (stdout stays the data)."""
    shown = len(found.items)
    if not shown and found.total:
        click.echo(f"no {what} at --offset {found.browse.offset}: there are {found.total}", err=True)
    elif found.total > shown:
        start = found.browse.offset + 1
        more = f"; --offset {found.next_offset} for more" if found.next_offset is not None else ""
        click.echo(f"{what} {start}–{start + shown - 1} of {found.total}{more}", err=True)


def _lineage_evidence(change: dict) -> str:
    why = change["why"]
    if change["kind"] == "split":
        return (f"groups of {why['sizes'][0]} and {why['sizes'][1]}, mean p across {why['cross_probability']:.2f};"
                f" moved {' '.join(why['moved'])}")
    return (f"p {why['probability']:.2f} and {why['into_probability']:.2f}; shared "
            f"{', '.join(why['shared_entities'][:4])}")


@click.command()
@db_option
@browse_options
@FORMAT
@friendly
def stories(db: str, fmt: str, **filters: Any) -> None:
    """List stories: chains of events about the same ongoing matter.

    The filters keep stories with at least one matching event, e.g.
    storyline stories --entity "Vladimir Putin" --sort latest --limit 10
    """
    from storyline.browse import find_stories

    lang = filters.pop("lang", None)
    with open_db(db) as store:
        found = find_stories(store, _browse(filters), lang=lang)
    items = found.items
    emit(fmt, items, ["story", "label", "dates", "events"],
          lambda: [[s["story_id"], s["label"], f"{s['first_date'] or '?'} … {s['last_date'] or '?'}",
                    " ".join(e["event_id"] for e in s["events"])] for s in items],
          empty="(no stories match these filters)" if found.browse.filtered else "(nothing yet)")
    _say_page(found, "stories")


@click.command()
@db_option
@click.option("--name", metavar="TEXT", help="Only names containing TEXT (as written or canonical).")
@click.option("--type", "kind", type=click.Choice(["PER", "ORG", "LOC"], case_sensitive=False),
              help="Only people (PER), organisations (ORG) or places (LOC).")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True, metavar="N")
@click.option("--offset", type=click.IntRange(0), default=0, metavar="N", help="Skip the first N.")
@FORMAT
@friendly
def entities(db: str, name: str | None, kind: str | None, limit: int, offset: int, fmt: str) -> None:
    """List people, organisations and places by how many articles name them (canonical names, so one
    row per person whatever the language)."""
    from storyline.browse import find_entities

    with open_db(db) as store:
        total, items = find_entities(store, name=name, kind=kind, limit=limit, offset=offset)
    emit(fmt, items, ["name", "type", "articles", "events"],
          lambda: [[e["name"], e["type"], e["articles"], e["events"]] for e in items])
    if total > len(items):
        click.echo(f"entities {offset + 1}–{offset + len(items)} of {total}", err=True)


@click.command()
@click.argument("article_id")
@db_option
@FORMAT
@friendly
def explain(article_id: str, db: str, fmt: str) -> None:
    """Why an article is in its event: the score, shared entities and places, the dates and their gap."""
    with open_db(db) as store:
        result = store.assignment(article_id)
    if fmt == "json":
        echo_json(result)
        return
    article, event, why = result["article"], result["event"], result["joined"]
    click.echo(f"{article['id']}  [{article['language']}]  {article['title']}")
    click.echo(f"event {event['event_id']} ({event.get('date_shown') or event['date'] or 'undated'}): {event['title']}")
    for correction in result.get("corrections", []):
        reason = f": {correction['why']}" if correction["why"] else ""
        click.echo(f"corrected by {correction['who']} on {correction['created_at'][:10]} (correction "
                   f"{correction['seq']}, {correction['kind']}){reason}; the model's own reason follows")
    if why.get("created") and why.get("features"):  # the probability stored is that of being new
        click.echo(f"opened this event: the closest open event scored {1 - why['probability']:.2f}, below the "
                   "threshold (the evidence below is against that event)")
    elif why.get("created"):
        click.echo("opened this event: no event was open")
    else:
        click.echo(f"joined with same-event probability {why['probability']:.2f}")
    if why.get("shared_entities"):
        click.echo(f"shared entities: {', '.join(why['shared_entities'])}")
        click.echo(f"shared places:   {', '.join(why.get('shared_places', [])) or '-'}")
        dates = why.get("dates") or [None, None]
        gap = f"{why['days_apart']} days apart" if why.get("days_apart") is not None else "gap unknown"
        click.echo(f"event dates: {dates[0] or 'unknown'} / {dates[1] or 'unknown'} ({gap})")
    click.echo(f"articles in the event: {' '.join(result['event_articles'])}")
    if event["story_id"]:
        link = result["story_link"] or {}
        people = ", ".join(link.get("shared_people", [])) or "-"
        click.echo(f"story {event['story_id']} (shared people: {people})")


@click.command()
@db_option
@click.option("--entity", help="A person, organisation or place, in any spelling or language.")
@click.option("--story", "story_id", help="A story id (see 'storyline stories').")
@FORMAT
@friendly
def timeline(db: str, entity: str | None, story_id: str | None, fmt: str) -> None:
    """Dated events for an entity or a story, oldest first, with their articles."""
    from storyline.timeline import entity_timeline, story_timeline

    if bool(entity) == bool(story_id):
        raise click.UsageError("Give exactly one of --entity NAME or --story ID.")
    with open_db(db) as store:
        result = entity_timeline(store, entity) if entity else story_timeline(store, story_id or "")
    if fmt == "json":
        echo_json(result)
        return
    who = result.get("entity") or result.get("story_id")
    click.echo(f"Timeline: {who}")
    rows = [[e["date"] or "undated", e["event_id"], e["label"], " ".join(a["id"] for a in e["articles"])]
            for e in result["events"]]
    echo_table(["date", "event", "label", "articles"], rows)


@click.command()
@db_option
@click.option("--what", type=click.Choice(["articles", "events", "entities"]), default="articles",
              show_default=True, help="articles: one row per article with its event and story; events: with "
              "their outlets, languages and dated with precision; entities: names with their counts.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="jsonl: one JSON object a line; csv: a header row, lists joined by spaces.")
@friendly
def export(db: str, what: str, fmt: str) -> None:
    """Everything, one row each: articles (default), events or entities, as JSON lines or CSV.

    \b
      storyline export > articles.jsonl
      storyline export --what events --format csv > events.csv
    """
    with open_db(db) as store:
        rows = _export_rows(store, what)
        if fmt == "jsonl":
            for row in rows:
                click.echo(json.dumps(row, ensure_ascii=False))
            return
        _write_csv(rows)


def _export_rows(store: Any, what: str) -> Iterator[dict[str, Any]]:
    if what == "articles":
        yield from store.export_rows()
    elif what == "events":
        for event in store.events():
            yield {"event_id": event["event_id"], "date": event["date"], "date_precision": event["date_precision"],
                   "date_estimated": event["date_estimated"], "title": event["title"], "story_id": event["story_id"],
                   "articles": len(event["articles"]),
                   "languages": sorted({a["language"] for a in event["articles"] if a["language"]}),
                   "outlets": sorted({a["outlet"] for a in event["articles"] if a["outlet"]}),
                   "article_ids": [a["id"] for a in event["articles"]]}
    else:
        from storyline.browse import find_entities

        total, _ = find_entities(store, limit=0)
        yield from find_entities(store, limit=total)[1]


def _write_csv(rows: Iterator[dict[str, Any]]) -> None:
    import csv
    import sys

    writer = None
    for row in rows:
        flat = {k: " ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        if writer is None:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(flat), lineterminator="\n")
            writer.writeheader()
        writer.writerow(flat)


@click.command()
@click.argument("query")
@db_option
@click.option("--language", "-l", help="Only articles in this language (ISO code: en, fr...).")
@click.option("--since", help="Only articles whose event (or publication) date is on or after YYYY-MM-DD.")
@click.option("--until", help="... on or before YYYY-MM-DD.")
@click.option("--entity", help="Only articles naming this entity (any spelling or language).")
@click.option("--source", help="Only articles whose outlet, URL or source file contains this text.")
@click.option("--mode", type=click.Choice(["hybrid", "text", "semantic"]), default="hybrid", show_default=True,
              help="Full text, meaning (embeddings), or both fused.")
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 200))
@click.option("--by", "group", type=click.Choice(["article", "event"]), default="article", show_default=True,
              help="event: one row per event (its matching articles together, with their languages).")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
              help="date: newest first.")
@click.option("--offset", type=click.IntRange(0, 200), default=0, help="Skip the first N rows.")
@FORMAT
@friendly
def search(query: str, db: str, language: str | None, since: str | None, until: str | None, entity: str | None,
           source: str | None, mode: str, limit: int, group: str, sort: str, offset: int, fmt: str) -> None:
    """Find articles by words, names or meaning, across languages.

    \b
    Examples:
      storyline search "Poutine Netanyahou"          # French names find English articles
      storyline search earthquake --since 2023-01-01 --language en
      storyline search "ceasefire talks" --entity Syria --mode semantic
      storyline search iPhone --by event --sort date   # one row per event, newest first
    """
    from storyline.search import Searcher, SearchFilters
    from storyline.search_groups import paged_search

    filters = SearchFilters.parse(language=language, since=since, until=until, entity=entity, source=source)
    with open_db(db) as store:
        result = paged_search(Searcher(store), store, query, filters=filters, mode=mode, group=group, sort=sort,
                              limit=limit, offset=offset)
    if fmt == "json":
        echo_json(result)
        return
    if result["entities"]:
        click.echo("names understood as: " + ", ".join(result["entities"]))
    if group == "event":
        echo_table(["#", "event", "date", "articles", "languages", "title"],
                   [[i, g["event_id"] or g["articles"][0]["id"], g["date"] or "", len(g["articles"]),
                     " ".join(g["languages"]), g["title"]] for i, g in enumerate(result["groups"], start=offset + 1)],
                   empty="(no results)")
        return
    echo_table(["#", "id", "lang", "date", "event", "matched", "title"],
                [[i, r["id"], r["language"] or "?", r["date"] or "", r["event_id"] or "", "+".join(r["matched"]),
                  r["title"]] for i, r in enumerate(result["results"], start=offset + 1)], empty="(no results)")
