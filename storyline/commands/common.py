"""What every command shares: the --db and --format options, clean errors, tables and JSON."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from storyline.errors import StorylineError

DB_HELP = "SQLite file to use (default: storyline.db here, or $STORYLINE_DB)."
FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
                      help="Output as a readable table or as JSON.")
NER_CHARS = click.option("--ner-chars", type=click.IntRange(200), metavar="N",
                         help="Let the NER model read only the first N characters of each article (default: all). "
                              "Past them, names it found there or learnt from earlier articles are still found. "
                              "2500 halves NER time on 800-word articles; entities first named late are missed.")


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--db", default=lambda: os.environ.get("STORYLINE_DB", "storyline.db"),
                        show_default="storyline.db", help=DB_HELP)(func)


def browse_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Filters, sort and page for listings of events and stories (see :class:`storyline.browse.Browse`)."""
    options = [
        click.option("--since", metavar="DATE", help="Only events dated on or after DATE (YYYY-MM-DD)."),
        click.option("--until", metavar="DATE", help="Only events dated on or before DATE."),
        click.option("--language", metavar="CODE", help="Only those with an article in this language (fr, de, ...)."),
        click.option("--outlet", metavar="TEXT", help="Only those with an article from an outlet containing TEXT."),
        click.option("--entity", metavar="NAME", help="Only those naming this person, organisation or place "
                     "(any spelling or language: Poutine = Putin)."),
        click.option("--min-articles", type=int, metavar="N", help="Only those with at least N articles."),
        click.option("--sort", type=click.Choice(["oldest", "latest", "largest", "growing"]), default="oldest",
                     show_default=True, help="oldest: the order IDs were given; latest: by date, newest first; "
                     "largest: most articles; growing: most articles dated in the data's last 7 days."),
        click.option("--limit", type=click.IntRange(1, 500), metavar="N", help="Show at most N (default: all)."),
        click.option("--offset", type=click.IntRange(0), default=0, metavar="N", help="Skip the first N."),
        click.option("--lang", metavar="CODE", help="Title events in this language where one of their reports "
                     "is in it (the reader's language)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into a clean message (the only place that does)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except StorylineError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def open_db(db: str, *, create: bool = False):  # type: ignore[no-untyped-def]
    from storyline.store import open_store

    return open_store(db, create=create)



# -- output helpers ----------------------------------------------------------------------------
def emit(fmt: str, data: Any, headers: list[str], rows: Callable[[], list[list[Any]]],
         empty: str = "(nothing yet)") -> None:
    """JSON as is, or a table built from ``rows`` (``empty`` when there are none)."""
    if fmt == "json":
        echo_json(data)
    else:
        echo_table(headers, rows(), empty=empty)


def why_grouped(event: dict[str, Any]) -> str:
    """The last joining article's reason, in one line."""
    why = event["articles"][-1]["why"] if len(event["articles"]) > 1 else {}
    if not why or why.get("created"):
        return ""
    return f"p={why['probability']:.2f}; shared: " + ", ".join(why.get("shared_entities", [])[:4])


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def echo_table(headers: list[str], rows: Iterable[list[Any]], max_width: int = 66,
               empty: str = "(nothing yet)") -> None:
    rows = [[cut(str(c), max_width) for c in row] for row in rows]
    if not rows:
        click.echo(empty)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@contextmanager
def run_engine(name: str, scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """Where ``--engine`` runs the per-article stages (closed, with its workers, at the end):
    None for this process; worker processes of this machine by default, where it has more than
    one core or ``--workers`` asks; Dask."""
    if name == "dask":
        from storyline.engines import DaskEngine

        with DaskEngine(scheduler, workers=workers) as engine:
            click.echo(f"per-article stages on {engine.description}", err=True)
            yield engine
        return
    from storyline.engines import ProcessEngine, available_cores

    if name == "local" or (workers is None and available_cores() < 2):
        yield None
        return
    with ProcessEngine(workers) as engine:
        yield engine
