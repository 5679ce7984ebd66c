"""`storyline ingest` and `storyline watch`: read articles from files, folders, stdin and the web."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from storyline.commands.common import (
    FORMAT,
    NER_CHARS,
    db_option,
    friendly,
    open_db,
    run_engine,
)
from storyline.stages.web import is_web_address


class Duration(click.ParamType):
    """A time span on the command line: 90, 30s, 10m, 1h30m."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        from storyline.watch import parse_duration

        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def web_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """How politely to fetch pages, feeds and sitemaps (ingest and watch alike)."""
    for option in reversed([
        click.option("--rate", default=1.0, show_default=True, type=click.FloatRange(0, 100), metavar="N",
                     help="Requests a second to one host (robots.txt's Crawl-delay may ask for fewer). "
                          "0: no pause (your own server)."),
        click.option("--timeout", default=20.0, show_default=True, type=click.FloatRange(0.1, 600),
                     metavar="SECONDS", help="Give up on a page that has not answered in this time (retried twice)."),
        click.option("--max-per-feed", default=500, show_default=True, type=click.IntRange(1, 1_000_000),
                     help="New entries taken from one feed or sitemap in a run; the rest wait for the next."),
    ]):
        func = option(func)
    return func


def _web_settings(rate: float, timeout: float, max_bytes: int, max_per_feed: int) -> Any:
    from storyline.stages.web import WebSettings

    return WebSettings(rate=rate, timeout=timeout, max_bytes=max_bytes, max_per_listing=max_per_feed)


def _pipeline(db: str, no_ner: bool, ner_chars: int | None, window: int) -> Any:
    from storyline.pipeline import Pipeline, default_stages

    pipeline = Pipeline(stages=default_stages(use_ner=not no_ner, ner_chars=ner_chars), order_window=window)
    pipeline.on_wait = lambda: click.echo(f"Another ingest is writing to {db}; waiting for it to finish...", err=True)
    return pipeline


def _summary_line(summary: dict[str, Any], db: str) -> str:
    line = (f"ingested {summary['ingested']}, skipped as duplicate {summary['duplicates']}, "
            f"failed {summary['failed']}; new events {summary['events_created']} → {db}")
    web = summary.get("web")
    if web:
        line += "\n  web: " + ", ".join(f"{name} {count}" for name, count in web.items())
    for alert in summary.get("alerts", []):
        line += f"\n  alert [{alert['watch']}] {alert['event_id']}: {alert['title']} ({alert['reason']})"
    if summary.get("alert_error"):
        line += f"\n  {summary['alert_error']}"
    return line


@click.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--no-ner", is_flag=True, help="Skip spaCy NER (gazetteer only): faster, fewer entities.")
@NER_CHARS
@click.option("--max-bytes", default=20_000_000, show_default=True, help="Refuse input files larger than this.")
@click.option("--window", default=1000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Articles read before a window is linked in event-date order and stored; no event closes "
                   "inside a window. Smaller: stored sooner (a live feed); larger: better for a disordered "
                   "backfill. 1: each article linked as it arrives, events closing as the clock moves.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal, >3 files).")
@click.option("--engine", type=click.Choice(["auto", "processes", "local", "dask"]), default="auto",
              show_default=True,
              help="Where the per-article stages (clean, language, NER, dates) run. 'processes': worker "
                   "processes, one per core (a run of under 96 records stays in this process); 'local': this "
                   "process; 'auto': processes for files and folders on a machine with several cores, local for "
                   "stdin and the web, which arrive as they come (each window stored as it fills); 'dask': Dask "
                   "workers (a backfill on many machines). Linking and storing stay here, in input order: the "
                   "same events whichever engine.")
@click.option("--scheduler", metavar="ADDRESS",
              help="With --engine dask: a running scheduler (tcp://HOST:8786). Default: a local cluster.")
@click.option("--workers", type=click.IntRange(1, 256), help="Worker processes for --engine processes, or of "
              "the local cluster for --engine dask without --scheduler (default: one per core).")
@web_options
@FORMAT
@friendly
def ingest(paths: tuple[str, ...], db: str, no_ner: bool, ner_chars: int | None, max_bytes: int, window: int,
           progress: bool | None, engine: str, scheduler: str | None, workers: int | None, rate: float,
           timeout: float, max_per_feed: int, fmt: str) -> None:
    """Read articles from PATHS and add them to the database.

    PATHS are files, folders (read recursively), '-' for standard input, or
    http(s) URLs of article pages, RSS/Atom/JSON feeds and sitemaps. Plain
    text, HTML and JSONL (one article per line: id, title, text or html, url,
    outlet, published, lang) are recognised by extension or content; a saved
    feed, an OPML file or a text file of URLs is read for what it lists.
    Content already stored is skipped, and so is a page already fetched; a bad
    file or page is reported and the rest goes on. Ctrl-C stores what was read.

    \b
      storyline ingest ../shared/seeds
      storyline ingest https://example.org/rss.xml feeds.opml     # every new entry
      storyline ingest https://example.org/news-sitemap.xml --rate 0.5
      cat big.jsonl | storyline ingest - --window 50              # stored as it flows

    \b
    A backfill on Dask (pip install 'storyline[dask]'):
      storyline ingest corpus/ --engine dask                       # local cluster
      storyline ingest corpus/ --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from storyline.watch import stop_on_signals

    if engine == "local" and workers:
        raise click.UsageError("--workers goes with --engine auto, processes or dask.")
    if engine != "dask" and scheduler:
        raise click.UsageError("--scheduler goes with --engine dask.")
    if engine == "auto":  # --workers says "use them", whatever the input
        live = any(p == "-" or is_web_address(p) for p in paths)
        engine = "local" if live and not workers else "processes"
    pipeline = _pipeline(db, no_ner, ner_chars, window)
    with (open_db(db, create=True) as store, run_engine(engine, scheduler, workers) as running,
          stop_on_signals() as stop):
        report = pipeline.ingest(paths, store, progress=progress, max_bytes=max_bytes, engine=running,
                                 web=_web_settings(rate, timeout, max_bytes, max_per_feed), stop=stop)
    summary = report.to_json()
    if fmt == "json":
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(_summary_line(summary, db))
    sys.stdout.flush()  # the summary before the failures, when both go to one terminal
    for failure in report.failures:
        click.echo(f"  failed: {failure.reason}", err=True)
    if report.stopped:
        click.echo("Stopped: what was read is stored. Run the same command again to read the rest.", err=True)
        sys.exit(1)


@click.command()
@click.argument("sources", nargs=-1, required=True)
@db_option
@click.option("--every", default="10m", show_default=True, type=Duration(),
              help="Time between rounds: 90, 30s, 10m, 1h30m.")
@click.option("--rounds", type=click.IntRange(1), help="Stop after this many rounds (default: run until stopped).")
@click.option("--no-ner", is_flag=True, help="Skip spaCy NER (gazetteer only): faster, fewer entities.")
@NER_CHARS
@click.option("--max-bytes", default=20_000_000, show_default=True, help="Refuse files and pages larger than this.")
@click.option("--window", default=100, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Articles linked and stored together within a round (see 'ingest --help').")
@web_options
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True,
              help="Each round as a line of text, or as one JSON line.")
@friendly
def watch(sources: tuple[str, ...], db: str, every: float, rounds: int | None, no_ner: bool, ner_chars: int | None,
          max_bytes: int, window: int, rate: float, timeout: float, max_per_feed: int, fmt: str) -> None:
    """Ingest SOURCES again and again, taking only what is new, until stopped.

    SOURCES are feeds, sitemaps, pages (http(s) URLs), feed lists (OPML, a
    text file of URLs) and folders. Each round asks feeds and sitemaps whether
    they changed (an unchanged one costs a 304), fetches only pages not yet
    stored, and reads only files new or changed since the last round. A source
    that is down is reported and tried again next round. Ctrl-C or SIGTERM
    stores what was read and stops; the next run takes up the rest.

    \b
      storyline watch https://example.org/rss.xml inbox/ --every 10m
      storyline watch feeds.opml --every 30m --format jsonl >> rounds.jsonl
    """
    from datetime import datetime

    from storyline.watch import Watcher, stop_on_signals

    if "-" in sources:
        raise click.UsageError("watch reads feeds, URLs, files and folders; pipe standard input to 'ingest -'.")
    pipeline = _pipeline(db, no_ner, ner_chars, window)

    def show(number: int, report: Any) -> None:
        summary = report.to_json()
        if fmt == "jsonl":
            click.echo(json.dumps({"round": number, "at": datetime.now().isoformat(timespec="seconds"), **summary},
                                  ensure_ascii=False))
        else:
            click.echo(f"{datetime.now():%H:%M:%S} round {number}: " + _summary_line(summary, db))
            for failure in report.failures:
                click.echo(f"  failed: {failure.reason}", err=True)

    with open_db(db, create=True) as store, stop_on_signals() as stop:
        watcher = Watcher(pipeline, store, list(sources), web=_web_settings(rate, timeout, max_bytes, max_per_feed))
        done = watcher.run(every, rounds=rounds, stop=stop, on_round=show)
    if stop.is_set():
        click.echo(f"Stopped after {done} round(s); what was read is stored.", err=True)
