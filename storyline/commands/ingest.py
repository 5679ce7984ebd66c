"""`storyline ingest` and `storyline watch`: read articles from files, folders, stdin and the web."""

from __future__ import annotations

import json

import click

from storyline.commands.common import (
    FORMAT,
    NER_CHARS,
    dask_engine,
    db_option,
    friendly,
    open_db,
)


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
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where the per-article stages (clean, language, NER, dates) run: this process, or Dask "
                   "workers (a backfill). Linking and storing stay here, in input order: same events either way.")
@click.option("--scheduler", metavar="ADDRESS",
              help="With --engine dask: a running scheduler (tcp://HOST:8786). Default: a local cluster.")
@click.option("--workers", type=click.IntRange(1, 256), help="With --engine dask and no --scheduler: "
              "worker processes of the local cluster (default: one per core).")
@FORMAT
@friendly
def ingest(paths: tuple[str, ...], db: str, no_ner: bool, ner_chars: int | None, max_bytes: int, window: int,
           progress: bool | None, engine: str, scheduler: str | None, workers: int | None, fmt: str) -> None:
    """Read articles from PATHS and add them to the database.

    PATHS are files, folders (read recursively) or '-' for standard input.
    Plain text, HTML and JSONL (one article per line: id, title, text or html,
    url, published, lang) are recognised by extension or content. Content
    already stored is skipped; a bad file is reported and the rest goes on.

    \b
    A backfill on Dask (pip install 'storyline[dask]'):
      storyline ingest corpus/ --engine dask                       # local cluster
      storyline ingest corpus/ --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from storyline.pipeline import Pipeline, default_stages

    if engine == "local" and (scheduler or workers):
        raise click.UsageError("--scheduler and --workers go with --engine dask.")
    pipeline = Pipeline(stages=default_stages(use_ner=not no_ner, ner_chars=ner_chars), order_window=window)
    pipeline.on_wait = lambda: click.echo(f"Another ingest is writing to {db}; waiting for it to finish...", err=True)
    with open_db(db, create=True) as store, dask_engine(engine, scheduler, workers) as running:
        report = pipeline.ingest(paths, store, progress=progress, max_bytes=max_bytes, engine=running)
    summary = report.to_json()
    if fmt == "json":
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(f"ingested {summary['ingested']}, skipped as duplicate {summary['duplicates']}, "
                   f"failed {summary['failed']}; new events {summary['events_created']} → {db}")
    for failure in report.failures:
        click.echo(f"  failed: {failure.reason}", err=True)
