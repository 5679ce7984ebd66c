"""`storyline correct`: fix the grouping by hand, and have it stay fixed."""

from __future__ import annotations

import getpass
import json

import click

from storyline.commands.common import FORMAT, db_option, echo_json, emit, friendly, open_db

BY = click.option("--by", "who", default=lambda: getpass.getuser(), show_default="your user name",
                  help="Who makes the correction (kept with it).")
WHY = click.option("--why", default="", help="Why (kept with it, shown by 'explain').")


@click.group(name="correct")
def correct_group() -> None:
    """Move an article, merge two events, keep two articles apart, fix a name; undo.

    \b
    Corrections are kept (who, when, why, what the model had decided), applied at once, and
    applied again after every ingest, so new articles never undo them:
      storyline correct move 21_8ecb --to ev-000047 --why "same hit-and-run"
      storyline correct move 12_3ecbplus --new
      storyline correct merge ev-000012 ev-000009
      storyline correct apart 35_5ecb 35_1ecbplus --why "two different DUI arrests"
      storyline correct alias "Bandar Abbas" --as "Bandar Abbas" --type LOC
      storyline correct list
      storyline correct undo 3
    """


@correct_group.command(name="move")
@click.argument("article_id")
@click.option("--to", "to_event", metavar="EVENT", help="The event it belongs in.")
@click.option("--new", "new_event", is_flag=True, help="Give it an event of its own.")
@BY
@WHY
@db_option
@friendly
def move_command(article_id: str, to_event: str | None, new_event: bool, who: str, why: str, db: str) -> None:
    """Put ARTICLE_ID in another event (--to EVENT) or in one of its own (--new)."""
    from storyline.corrections import move

    if bool(to_event) == new_event:
        raise click.UsageError("give exactly one of --to EVENT or --new")
    with open_db(db) as store, store.writer_lock():
        done = move(store, article_id, to_event, who=who, why=why)
    click.echo(f"correction {done['seq']}: {article_id} moved from {done['previous']} to {done['target']}")


@correct_group.command(name="merge")
@click.argument("event_id")
@click.argument("into_event_id")
@BY
@WHY
@db_option
@friendly
def merge_command(event_id: str, into_event_id: str, who: str, why: str, db: str) -> None:
    """Make EVENT_ID part of INTO_EVENT_ID (its ID keeps answering, pointing on)."""
    from storyline.corrections import merge

    with open_db(db) as store, store.writer_lock():
        done = merge(store, event_id, into_event_id, who=who, why=why)
    click.echo(f"correction {done['seq']}: {done['other']} merged into {done['target']}")


@correct_group.command(name="apart")
@click.argument("article_a")
@click.argument("article_b")
@BY
@WHY
@db_option
@friendly
def apart_command(article_a: str, article_b: str, who: str, why: str, db: str) -> None:
    """Keep two articles in different events, now and after every later ingest."""
    from storyline.corrections import cannot_link

    with open_db(db) as store, store.writer_lock():
        done = cannot_link(store, article_a, article_b, who=who, why=why)
    moved = f"; {article_b} moved to {done['target']}" if done["target"] else ""
    click.echo(f"correction {done['seq']}: {article_a} and {article_b} kept apart{moved}")


@correct_group.command(name="alias")
@click.argument("surface")
@click.option("--as", "canonical", required=True, metavar="NAME", help="What the name stands for.")
@click.option("--type", "kind", type=click.Choice(["PER", "ORG", "LOC"], case_sensitive=False),
              help="Its type: person, organisation, place.")
@click.option("--event", "event_id", metavar="EVENT", help="Only in this event (default: everywhere).")
@BY
@WHY
@db_option
@friendly
def alias_command(surface: str, canonical: str, kind: str | None, event_id: str | None, who: str, why: str,
                  db: str) -> None:
    """Say what a name written SURFACE stands for, in the articles stored and those to come:
    'correct alias "Bandar Abbas" --as "Bandar Abbas" --type LOC' (a port, not Mahmoud Abbas);
    'correct alias Jobs --as "Steve Jobs" --event ev-000012'."""
    from storyline.corrections import alias

    with open_db(db) as store, store.writer_lock():
        done = alias(store, surface, canonical, kind=kind, event_id=event_id, who=who, why=why)
    changed = len(json.loads(done["previous"])["old"])
    where = f" in {done['target']}" if done["target"] else ""
    click.echo(f"correction {done['seq']}: “{surface}” now reads as {canonical}{where} ({changed} article"
               f"{'s' if changed != 1 else ''} changed)")


@correct_group.command(name="undo")
@click.argument("seq", type=int)
@BY
@db_option
@friendly
def undo_command(seq: int, who: str, db: str) -> None:
    """Undo correction SEQ: what the model had decided comes back."""
    from storyline.corrections import undo

    with open_db(db) as store, store.writer_lock():
        undo(store, seq, who=who)
    click.echo(f"correction {seq} undone")


@correct_group.command(name="list")
@click.option("--article", "article_id", help="Only corrections naming this article.")
@db_option
@FORMAT
@friendly
def list_command(article_id: str | None, db: str, fmt: str) -> None:
    """Every correction, oldest first, with who, when, why and whether it was undone."""
    from storyline.corrections import corrections

    with open_db(db) as store:
        found = corrections(store, article_id=article_id)
    emit(fmt, found, ["#", "kind", "article / event", "into", "by", "when", "why", "undone"],
         lambda: [[c["seq"], c["kind"], " ".join(x for x in (c["article_id"], c["other"]) if x), c["target"] or "",
                   c["who"], c["created_at"], c["why"], c["undone_at"] or ""] for c in found],
         empty="(no corrections)")


@correct_group.command(name="reapply")
@db_option
@FORMAT
@friendly
def reapply_command(db: str, fmt: str) -> None:
    """Apply the standing corrections again (ingest does it; this is for after a failure)."""
    from storyline.corrections import reapply

    with open_db(db) as store, store.writer_lock():
        done = reapply(store)
    if fmt == "json":
        echo_json(done)
    else:
        click.echo("\n".join(done) or "every correction holds")
