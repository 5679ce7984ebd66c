"""`storyline alerts`: watches (what to be told about) and the alerts they raised."""

from __future__ import annotations

import click

from storyline.commands.common import FORMAT, db_option, echo_json, echo_table, emit, friendly, open_db


@click.group(name="alerts")
def alerts_group() -> None:
    """Be told when an event names someone or something, in any language.

    \b
    A watch is checked after every ingest (and by 'alerts check'); each event it
    matches raises one alert, listed here, served as an Atom feed at
    /feeds/NAME.atom by 'storyline serve', and POSTed to the watch's webhook:
      storyline alerts add putin --entity Poutine
      storyline alerts add port-strike --query "port strike" --min-sources 3 --webhook https://hooks.example/x
      storyline ingest today/
      storyline alerts list
    """


@alerts_group.command(name="add")
@click.argument("name")
@db_option
@click.option("--entity", metavar="NAME", help="Events naming this entity (any spelling or language).")
@click.option("--query", metavar="WORDS", help="Events whose articles match these words (as 'storyline search').")
@click.option("--min-sources", type=click.IntRange(1), default=1, show_default=True,
              help="Only events reported by at least this many independent sources (reprints, wire copies "
                   "and translations of one report count once).")
@click.option("--webhook", metavar="URL", help="POST each new alert here as JSON.")
@friendly
def add(name: str, db: str, entity: str | None, query: str | None, min_sources: int, webhook: str | None) -> None:
    """Add (or replace) the watch NAME. Every ingest from now on checks it; 'alerts check' raises its
    alerts for what is already stored."""
    from storyline.alerts import Watch, add_watch

    with open_db(db, create=True) as store:
        watch = add_watch(store, Watch(name=name, entity=entity, query=query, min_sources=min_sources,
                                       webhook=webhook))
    click.echo(f"watch {watch.name}: {watch.describe()}")


@alerts_group.command(name="remove")
@click.argument("name")
@db_option
@friendly
def remove(name: str, db: str) -> None:
    """Remove the watch NAME and its alerts."""
    from storyline.alerts import remove_watch

    with open_db(db) as store:
        remove_watch(store, name)
    click.echo(f"removed watch {name}")


@alerts_group.command(name="watches")
@db_option
@FORMAT
@friendly
def list_watches(db: str, fmt: str) -> None:
    """The watches, with what each looks for."""
    from storyline.alerts import to_json, watches

    with open_db(db) as store:
        found = watches(store)
    emit(fmt, [to_json(w) for w in found], ["watch", "looks for", "webhook"],
         lambda: [[w.name, w.describe(), w.webhook or ""] for w in found], empty="(no watches: 'alerts add')")


@alerts_group.command(name="list")
@db_option
@click.option("--watch", "watch_name", metavar="NAME", help="Only this watch's alerts.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@FORMAT
@friendly
def list_alerts(db: str, watch_name: str | None, limit: int, fmt: str) -> None:
    """Alerts raised, newest first."""
    from storyline.alerts import alerts

    with open_db(db) as store:
        found = alerts(store, watch=watch_name, limit=limit)
    emit(fmt, found, ["when", "watch", "event", "title", "why"],
         lambda: [[a["created_at"], a["watch"], a["event_id"], a["title"], a["reason"]] for a in found],
         empty="(no alerts yet)")


@alerts_group.command(name="check")
@db_option
@click.option("--no-webhooks", is_flag=True, help="Store the alerts without POSTing them.")
@FORMAT
@friendly
def check_now(db: str, no_webhooks: bool, fmt: str) -> None:
    """Check every stored event against the watches now (after adding a watch to a database that
    already holds articles); each event alerts a watch once."""
    from storyline.alerts import check

    with open_db(db) as store, store.writer_lock():
        found = check(store, notify=not no_webhooks)
    if fmt == "json":
        echo_json(found)
        return
    echo_table(["watch", "event", "title", "why", "webhook"],
               [[a["watch"], a["event_id"], a["title"], a["reason"], a.get("webhook", "")] for a in found],
               empty="(no new alerts)")
