"""The ``storyline`` command line: the main way in.

Every command reads or writes one SQLite file (``--db``, default ``storyline.db``
or ``$STORYLINE_DB``). Domain errors become one clean message and exit code 1;
a user mistake never shows a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import sys
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


def _db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--db", default=lambda: os.environ.get("STORYLINE_DB", "storyline.db"),
                        show_default="storyline.db", help=DB_HELP)(func)


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into a clean message (the only place that does)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except StorylineError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def _open(db: str, *, create: bool = False):  # type: ignore[no-untyped-def]
    from storyline.store import open_store

    return open_store(db, create=create)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="storyline")
def main() -> None:
    """Storyline turns scraped news articles into events, stories and timelines.

    \b
    Typical session:
      storyline ingest ../shared/seeds          # read, clean, enrich, cluster, store
      storyline events                          # what happened, which articles report it
      storyline timeline --entity "Poutine"     # any spelling or language
      storyline articles --format json          # everything extracted, with confidences
    """


@contextmanager
def _engine(name: str, scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """The Dask engine for ``--engine dask`` (closed, with its local cluster, at the end)."""
    if name != "dask":
        yield None
        return
    from storyline.engines import DaskEngine

    with DaskEngine(scheduler, workers=workers) as engine:
        click.echo(f"per-article stages on {engine.description}", err=True)
        yield engine


@main.command()
@click.argument("paths", nargs=-1, required=True)
@_db_option
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
@_friendly
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
    with _open(db, create=True) as store, _engine(engine, scheduler, workers) as running:
        report = pipeline.ingest(paths, store, progress=progress, max_bytes=max_bytes, engine=running)
    summary = report.to_json()
    if fmt == "json":
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(f"ingested {summary['ingested']}, skipped as duplicate {summary['duplicates']}, "
                   f"failed {summary['failed']}; new events {summary['events_created']} → {db}")
    for failure in report.failures:
        click.echo(f"  failed: {failure.reason}", err=True)


@main.command()
@_db_option
@click.option("--id", "article_id", help="Show one article.")
@click.option("--no-text", is_flag=True, help="Leave out the cleaned text (JSON).")
@FORMAT
@_friendly
def articles(db: str, article_id: str | None, no_text: bool, fmt: str) -> None:
    """List stored articles with language, dates and entities."""
    with _open(db) as store:
        items = [store.get_article(article_id)] if article_id else list(store.iter_articles())
        _emit(fmt, [a.to_json(with_text=not no_text) for a in items],
              ["id", "lang", "published", "event date", "title", "main entities"],
              lambda: [[a.id, a.language or "?", a.published.display(),
                        a.event_date.display(), a.title, ", ".join(e.canonical for e in a.entities[:4])]
                       for a in items])


@main.command()
@_db_option
@click.option("--lineage", is_flag=True, help="List merges and splits instead: which events became one or "
              "two, on what evidence. A merged event's ID still answers (its record says where it went).")
@FORMAT
@_friendly
def events(db: str, lineage: bool, fmt: str) -> None:
    """List events: articles that report the same real-world happening.

    IDs are never renumbered. When an article matches two open events strongly (both at
    p >= 0.98), they are one event: the later joins the earlier and the merge is recorded.
    When an event's reports fall into two groups that hardly match each other (each of
    three or more, mean probability across below 0.3), the later group splits off as a new
    event and the split is recorded. --lineage lists both.
    """
    if lineage:
        with _open(db) as store:
            changes = store.lineage()
        _emit(fmt, changes, ["change", "event", "into / split off", "article", "evidence"],
              lambda: [[c["kind"], c["event_id"], c["into_event_id"], c["article_id"], _lineage_evidence(c)]
                       for c in changes])
        return
    with _open(db) as store:
        items = store.events()
    _emit(fmt, items, ["event", "date", "story", "articles", "title", "why grouped"],
          lambda: [[ev["event_id"], ev["date"] or "undated", ev["story_id"] or "",
                    " ".join(a["id"] for a in ev["articles"]), ev["title"], _why_grouped(ev)] for ev in items])


def _lineage_evidence(change: dict) -> str:
    why = change["why"]
    if change["kind"] == "split":
        return (f"groups of {why['sizes'][0]} and {why['sizes'][1]}, mean p across {why['cross_probability']:.2f};"
                f" moved {' '.join(why['moved'])}")
    return (f"p {why['probability']:.2f} and {why['into_probability']:.2f}; shared "
            f"{', '.join(why['shared_entities'][:4])}")


@main.command()
@_db_option
@FORMAT
@_friendly
def stories(db: str, fmt: str) -> None:
    """List stories: chains of events about the same ongoing matter."""
    with _open(db) as store:
        items = store.stories()
    _emit(fmt, items, ["story", "label", "dates", "events"],
          lambda: [[s["story_id"], s["label"], f"{s['first_date'] or '?'} … {s['last_date'] or '?'}",
                    " ".join(e["event_id"] for e in s["events"])] for s in items])


@main.command()
@click.argument("article_id")
@_db_option
@FORMAT
@_friendly
def explain(article_id: str, db: str, fmt: str) -> None:
    """Why an article is in its event: the score, shared entities and places, the dates and their gap."""
    with _open(db) as store:
        result = store.assignment(article_id)
    if fmt == "json":
        _echo_json(result)
        return
    article, event, why = result["article"], result["event"], result["joined"]
    click.echo(f"{article['id']}  [{article['language']}]  {article['title']}")
    click.echo(f"event {event['event_id']} ({event['date'] or 'undated'}): {event['title']}")
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


@main.command()
@_db_option
@click.option("--entity", help="A person, organisation or place, in any spelling or language.")
@click.option("--story", "story_id", help="A story id (see 'storyline stories').")
@FORMAT
@_friendly
def timeline(db: str, entity: str | None, story_id: str | None, fmt: str) -> None:
    """Dated events for an entity or a story, oldest first, with their articles."""
    from storyline.timeline import entity_timeline, story_timeline

    if bool(entity) == bool(story_id):
        raise click.UsageError("Give exactly one of --entity NAME or --story ID.")
    with _open(db) as store:
        result = entity_timeline(store, entity) if entity else story_timeline(store, story_id or "")
    if fmt == "json":
        _echo_json(result)
        return
    who = result.get("entity") or result.get("story_id")
    click.echo(f"Timeline: {who}")
    rows = [[e["date"] or "undated", e["event_id"], e["label"], " ".join(a["id"] for a in e["articles"])]
            for e in result["events"]]
    _echo_table(["date", "event", "label", "articles"], rows)


@main.command()
@_db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@_friendly
def export(db: str, fmt: str) -> None:
    """One JSON line per article with its event and story ids."""
    with _open(db) as store:
        for row in store.export_rows():
            click.echo(json.dumps(row, ensure_ascii=False))


@main.command()
@click.argument("articles", nargs=-1)
@_db_option
@click.option("--pairs", "pairs_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Score a JSONL file of pairs (pair_id, text1, text2, optional title1/2, lang1/2, url1/2, "
                   "published1/2); '-' reads standard input.")
@click.option("--sentences", default=3, show_default=True, help="Most similar sentence pairs to show (A B mode).")
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: on a terminal).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl"]), default=None,
              help="A B: table (default) or json. --pairs: jsonl (default), one line per pair in input order.")
@_friendly
def similar(articles: tuple[str, ...], db: str, pairs_file: str | None, sentences: int, progress: bool | None,
            fmt: str | None) -> None:
    """How similar two articles are, on the SemEval-2022 Task 8 dimensions, and why.

    \b
    A and B are article ids in the database or files (text, HTML, JSONL's first line):
      storyline similar 000_c164a8555b7ca4df 001_bc106fbd08028477
      storyline similar story-en.txt story-fr.html --format json
      storyline similar --pairs pairs.jsonl > scores.jsonl

    Each dimension (geography, entities, time, narrative, overall, style, tone) is a
    similarity in [0, 1], 1 = the same; same_event is the probability that both report
    one real-world event (the score the event clusterer uses).
    """
    if pairs_file:
        if articles:
            raise click.UsageError("Give either two articles or --pairs FILE, not both.")
        _similar_pairs(pairs_file, progress, fmt or "jsonl")
        return
    if len(articles) != 2:
        raise click.UsageError("Give two articles (ids or files), or --pairs FILE.")
    from storyline.compare import compare_articles

    a, b = (_article_for_comparison(ref, db) for ref in articles)
    result = compare_articles(a, b, sentences=sentences)
    if (fmt or "table") in ("json", "jsonl"):
        _echo_json(result)
        return
    click.echo(f"A  {a.id}  [{a.language}]  {a.title}")
    click.echo(f"B  {b.id}  [{b.language}]  {b.title}")
    click.echo(f"same event: {result['same_event']:.2f}")
    _echo_table(["dimension", "similarity"], [[k, f"{v:.2f}"] for k, v in result["dimensions"].items()])
    why = result["explanation"]
    click.echo(f"shared entities: {', '.join(why['shared_entities']) or '-'}")
    click.echo(f"shared places:   {', '.join(why['shared_places']) or '-'}")
    click.echo(f"only in A: {', '.join(why['only_in_a']) or '-'}")
    click.echo(f"only in B: {', '.join(why['only_in_b']) or '-'}")
    gap = f"{why['days_apart']} days apart" if why["days_apart"] is not None else "gap unknown"
    click.echo(f"event dates: {why['dates'][0] or 'unknown'} / {why['dates'][1] or 'unknown'} ({gap})")
    verdict = why["clusterer"]
    click.echo(f"one event for the clusterer: {'yes' if verdict['one_event'] else 'no'} ({verdict['reason']})")
    for pair in why.get("similar_sentences", []):
        click.echo(f"  {pair['similarity']:.2f}  A: {_cut(pair['a'], 70)}\n        B: {_cut(pair['b'], 70)}")


def _article_for_comparison(ref: str, db: str):  # type: ignore[no-untyped-def]
    """An article by id from the database, or read and enriched from a file."""
    from pathlib import Path

    from storyline.errors import NotFoundError

    if Path(ref).is_file():
        from storyline.pipeline import Pipeline
        from storyline.stages.ingest import IngestFailure, read_source

        record = next(iter(read_source(Path(ref))), None)
        if record is None or isinstance(record, IngestFailure):
            raise click.ClickException(record.reason if record else f"{ref}: nothing to read")
        pipeline = Pipeline()
        article = pipeline.enrich(record)
        pipeline.embedder.embed_many([article])
        return article
    if not Path(db).exists():
        raise click.ClickException(f"{ref!r} is not a file, and there is no database {db} to look it up in.")
    with _open(db) as store:
        try:
            return store.get_article(ref)
        except NotFoundError as exc:
            raise click.ClickException(f"{ref!r} is not a file, and {exc}") from None


def _similar_pairs(pairs_file: str, progress: bool | None, fmt: str) -> None:
    import io

    from tqdm import tqdm

    from storyline.pairs import output_line, read_pairs, score_pairs
    from storyline.pipeline import Pipeline

    # Undecodable bytes become U+FFFD: a pairs file with one broken line is still scored.
    handle = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace") if pairs_file == "-" \
        else open(pairs_file, encoding="utf-8", errors="replace")  # noqa: SIM115
    show = progress if progress is not None else sys.stderr.isatty()
    total = None
    if pairs_file != "-" and show:
        with open(pairs_file, encoding="utf-8", errors="replace") as counting:
            total = sum(1 for line in counting if line.strip())
    errors = 0

    def report(message: str) -> None:
        nonlocal errors
        errors += 1
        tqdm.write(f"  skipped: {message}", file=sys.stderr)

    try:
        with tqdm(total=total, unit="pair", desc="similar", disable=not show, file=sys.stderr) as bar:
            for item, result in score_pairs(read_pairs(handle, pairs_file), Pipeline(), on_error=report,
                                            on_done=bar.update):
                line = output_line(item, result) if fmt != "json" else {"pair_id": item.pair_id, **result}
                click.echo(json.dumps(line, ensure_ascii=False))
    finally:
        if pairs_file != "-":
            handle.close()
    if errors:
        click.echo(f"{errors} line(s) could not be scored (see above).", err=True)


@main.command()
@click.argument("query")
@_db_option
@click.option("--language", "-l", help="Only articles in this language (ISO code: en, fr...).")
@click.option("--since", help="Only articles whose event (or publication) date is on or after YYYY-MM-DD.")
@click.option("--until", help="... on or before YYYY-MM-DD.")
@click.option("--entity", help="Only articles naming this entity (any spelling or language).")
@click.option("--source", help="Only articles whose outlet or source contains this text.")
@click.option("--mode", type=click.Choice(["hybrid", "text", "semantic"]), default="hybrid", show_default=True,
              help="Full text, meaning (embeddings), or both fused.")
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 200))
@FORMAT
@_friendly
def search(query: str, db: str, language: str | None, since: str | None, until: str | None, entity: str | None,
           source: str | None, mode: str, limit: int, fmt: str) -> None:
    """Find articles by words, names or meaning, across languages.

    \b
    Examples:
      storyline search "Poutine Netanyahou"          # French names find English articles
      storyline search earthquake --since 2023-01-01 --language en
      storyline search "ceasefire talks" --entity Syria --mode semantic
    """
    from storyline.search import Searcher, SearchFilters

    filters = SearchFilters.parse(language=language, since=since, until=until, entity=entity, source=source)
    with _open(db) as store:
        result = Searcher(store).search(query, filters=filters, limit=limit, mode=mode)
    if fmt == "json":
        _echo_json(result)
        return
    if result["entities"]:
        click.echo("names understood as: " + ", ".join(result["entities"]))
    _echo_table(["#", "id", "lang", "date", "event", "matched", "title"],
                [[i, r["id"], r["language"] or "?", r["date"] or "", r["event_id"] or "", "+".join(r["matched"]),
                  r["title"]] for i, r in enumerate(result["results"], start=1)])


@main.command()
@_db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on. Beyond localhost, ingest needs a token.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="File holding the secret that POST /api/ingest must send as 'Authorization: Bearer TOKEN' "
                   "(default: $STORYLINE_TOKEN). Not an argument: others on the machine can read arguments.")
@click.option("--token-reads", is_flag=True,
              help="Require the token for reads too (API and pages; /api/health and the API docs stay open). "
                   "Browsers cannot send it: for a server used by API clients only.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="A host name or address clients use to reach this server (repeatable). Writes addressed to "
                   "any other name are refused (DNS rebinding); localhost, --host and this machine's name are "
                   "always allowed.")
@click.option("--ingest-queue", default=4, show_default=True, type=click.IntRange(0, 1000),
              help="Ingest requests that may wait while one writes; past that, 503 at once, so reads keep "
                   "answering.")
@click.option("--max-body", default=5_000_000, show_default=True, help="Largest request body accepted, in bytes.")
@_friendly
def serve(db: str, host: str, port: int, token_file: str | None, token_reads: bool, allow_hosts: tuple[str, ...],
          ingest_queue: int, max_body: int) -> None:
    """Run the web UI and the HTTP API (OpenAPI docs at /docs).

    \b
    Pages: / (latest stories), /stories/ID, /events/ID, /entities/NAME, /search
    API:   /api/articles, /api/events, /api/stories, /api/timeline, /api/search,
           /api/similar?a=ID&b=ID, POST /api/ingest (JSON object, array or JSONL)

    \b
    Beyond this machine, with a token:
      head -c 24 /dev/urandom | base64 > token.txt
      storyline serve --host 0.0.0.0 --token-file token.txt --allow-host news.example.org
    """
    import socket

    import uvicorn

    from storyline.serve import create_app, is_loopback
    from storyline.serve.guard import LOOPBACK_NAMES

    token = _read_token(token_file)
    if token_reads and not token:
        raise click.UsageError("--token-reads needs a token: --token-file FILE or $STORYLINE_TOKEN.")
    hosts = [*LOOPBACK_NAMES, host, socket.gethostname(), socket.getfqdn(), *allow_hosts]
    app = create_app(db, token=token, require_token=not is_loopback(host), max_body=max_body,
                     token_reads=token_reads, allowed_hosts=hosts, ingest_queue=ingest_queue)
    if not is_loopback(host) and not token:
        click.echo("Listening beyond localhost without a token: POST /api/ingest is disabled.", err=True)
    click.echo(f"Storyline on http://{host}:{port}/ (API docs at /docs) over {db}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _read_token(token_file: str | None) -> str | None:
    """The server's token, from the file or $STORYLINE_TOKEN (surrounding white space dropped)."""
    if token_file is None:
        return os.environ.get("STORYLINE_TOKEN", "").strip() or None
    with open(token_file, encoding="utf-8") as handle:
        token = handle.read().strip()
    if not token:
        raise click.UsageError(f"{token_file} is empty; put the token in it.")
    return token


@main.command()
@_db_option
@FORMAT
@_friendly
def doctor(db: str, fmt: str) -> None:
    """Check the database: SQLite integrity, orphan rows, search index, events and stories.

    Exits with status 1 when a check fails. Read-only: it changes nothing.
    """
    with _open(db) as store:
        results = store.check()
    _emit(fmt, {"db": db, "ok": all(r["ok"] for r in results), "checks": results}, ["check", "status", "detail"],
          lambda: [[r["check"], "PROBLEM" if not r["ok"] else "note" if r.get("note") else "ok", r["detail"]]
                   for r in results])
    if not all(r["ok"] for r in results):
        raise SystemExit(1)


@main.command()
@click.option("--n", "sizes", multiple=True, type=click.IntRange(1, 10_000_000), default=(1000,), show_default=True,
              help="Articles to run; repeat for a scaling curve (--n 1000 --n 10000).")
@click.option("--words", default=800, show_default=True, help="Words per generated article.")
@click.option("--no-ner", is_flag=True, help="Skip spaCy NER (as `ingest --no-ner`).")
@NER_CHARS
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="As `ingest --engine`: dask runs the per-article stages on a local cluster (overall rate only).")
@click.option("--scheduler", metavar="ADDRESS", help="With --engine dask: a running scheduler.")
@click.option("--workers", type=click.IntRange(1, 256), help="With --engine dask: local worker processes.")
@click.option("--linking", is_flag=True, help="Time only linking and storing (events, stories), on a pool of "
              "1,000 enriched articles replayed 100 weeks later each pass; prints the rate per tenth of the run.")
@click.option("--floor", "floor_data", type=click.Path(exists=True, dir_okay=False), metavar="FILE.jsonl",
              help="Real articles (e.g. ../shared/data/ecbplus/train.jsonl): ingest them as 'storyline ingest' does, "
                   "then time each model alone on them (the floor), and print floor / pipeline. The first --n "
                   "articles (1,000 by default).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@FORMAT
@_friendly
def bench(sizes: tuple[int, ...], words: int, no_ner: bool, ner_chars: int | None, engine: str, scheduler: str | None,
          workers: int | None, linking: bool, floor_data: str | None, progress: bool | None, fmt: str) -> None:
    """Time the whole pipeline (clean, enrich, embed, cluster, store) on generated articles.

    Prints articles/s per stage and overall, peak memory, and which stage bounds the
    rate, for each --n. Uses a temporary database; nothing of yours is touched.
    With --linking, the clusterer and store alone, with the curve of their rate.
    With --floor FILE, real articles: the whole ingest beside its models alone.

    \b
      storyline bench --floor ../shared/data/ecbplus/train.jsonl
    """
    from tqdm import tqdm

    from storyline.bench import run, run_linking

    show = progress if progress is not None else sys.stderr.isatty()
    if floor_data:
        from storyline.floor import measure_floor

        result = measure_floor(floor_data, limit=sizes[0], use_ner=not no_ner)
        if fmt == "json":
            _echo_json(result)
            return
        pipe, floor = result["pipeline"], result["floor"]
        click.echo(f"{result['articles']} articles: the pipeline {pipe['articles_per_second']} articles/s "
                   f"({pipe['seconds']} s), its models alone {floor['articles_per_second']} articles/s "
                   f"({floor['seconds']} s); floor / pipeline {result['ratio']}; peak RSS {result['peak_rss_mb']} MB")
        _echo_table(["model alone", "ms/article"], [[k, f"{v:.2f}"] for k, v in floor["ms_per_article"].items()])
        return
    results = []
    if linking:
        for n in sizes:
            with tqdm(total=n, unit="article", desc=f"linking {n}", disable=not show, file=sys.stderr) as bar:
                results.append(run_linking(n, words=words, use_ner=not no_ner, progress=bar.update))
        if fmt == "json":
            _echo_json(results)
            return
        for result in results:
            ms = result["ms_per_article"]
            click.echo(f"{result['articles']} articles linked and stored: {result['articles_per_second']} "
                       f"articles/s ({result['linking_articles_per_second']}/s linking alone; ms per article: "
                       f"linking {ms['linking']}, storing {ms['storing']}), {result['events']} events, "
                       f"peak RSS {result['peak_rss_mb']} MB")
            _echo_table(["up to", "articles/s", "open events", "open stories", "peak RSS MB"],
                        [[p["up_to"], p["articles_per_second"], p["open_events"], p["open_stories"],
                          p["peak_rss_mb"]] for p in result["curve"]])
        return
    with _engine(engine, scheduler, workers) as running:
        for n in sizes:
            with tqdm(total=n, unit="article", desc=f"bench {n}", disable=not show, file=sys.stderr) as bar:
                results.append(run(n, words=words, use_ner=not no_ner, ner_chars=ner_chars, progress=bar.update,
                                   engine=running))
    if fmt == "json":
        _echo_json(results)
        return
    for result in results:
        where = f" on {result['engine']} (worker peak RSS {result['worker_peak_rss_mb']} MB)" \
            if "engine" in result else f", bound by {result['bound_by']}"
        click.echo(f"{result['articles']} articles of ~{result['words_per_article']} words: "
                   f"{result['articles_per_second']} articles/s overall, peak RSS {result['peak_rss_mb']} MB{where}")
        if not result["stages"]:
            continue
        _echo_table(["stage", "ms/article", "articles/s"],
                    [[name, f"{s['ms_per_article']:.2f}", s["articles_per_second"]] for name, s in
                     result["stages"].items()])


@main.group(name="eval")
def eval_group() -> None:
    """Measure quality on gold data (see ../shared/data/README.md)."""


@eval_group.command(name="clustering")
@click.option("--data", "data_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Gold JSONL: id, lang, date (may be null), title, text, and a gold label.")
@click.option("--label", default="cluster", show_default=True, help="Field holding the gold event.")
@click.option("--db", "db", help="Keep the database the evaluation ingests into (default: a temporary one). "
              "Inspect it afterwards with 'storyline events --db FILE'.")
@click.option("--no-ner", is_flag=True, help="As 'ingest --no-ner'.")
@NER_CHARS
@click.option("--window", default=1000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="As 'ingest --window'.")
@click.option("--baseline", type=click.Choice(["tfidf", "none"]), default="tfidf", show_default=True,
              help="Score TF-IDF + average-linkage clustering of the same documents beside Storyline.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@FORMAT
@_friendly
def eval_clustering(data_path: str, label: str, db: str | None, no_ner: bool, ner_chars: int | None, window: int,
                    baseline: str, progress: bool | None, fmt: str) -> None:
    """BCubed and pairwise P/R/F1 of the events `storyline ingest` makes, per language and in total.

    Runs exactly what `storyline ingest FILE` runs (same pipeline, defaults and window
    ordering) into a fresh database, then scores the stored events against the gold
    labels, with a TF-IDF + average-linkage baseline on the same documents beside them.

    \b
      storyline eval clustering --data ../shared/data/ecbplus/dev.jsonl
      storyline eval clustering --data ../shared/data/meantime/apple.jsonl --label doc_group
    """
    import tempfile

    from storyline.evaluate import evaluate_ingest
    from storyline.pipeline import Pipeline, default_stages
    from storyline.store import open_store

    pipeline = Pipeline(stages=default_stages(use_ner=not no_ner, ner_chars=ner_chars), order_window=window)
    show = progress if progress is not None else sys.stderr.isatty()
    with tempfile.TemporaryDirectory() as folder:
        target = db or os.path.join(folder, "eval.db")
        if db and os.path.exists(db):
            raise click.UsageError(f"{db} exists; give a new file to --db (the evaluation starts from empty).")
        try:
            with open_store(target) as store:
                report = evaluate_ingest(data_path, label, pipeline, store, progress=show,
                                         baseline=None if baseline == "none" else baseline)
        except ValueError as exc:
            raise click.ClickException(f"{data_path} is not gold JSONL ({exc}); name the gold field with "
                                       "--label FIELD, or see 'storyline eval clustering -h'.") from None
    if fmt == "json":
        _echo_json(report)
        return
    ingest = report["ingest"]
    click.echo(f"{report['articles']} articles scored ({report['not_scored']} not: {ingest['failed']} failed, "
               f"{ingest['duplicates']} duplicates), {report['gold_events']} gold events, "
               f"{report['predicted_events']} predicted; ingest {report['articles_per_second']} articles/s")
    click.echo(f"gold events kept whole (of those with 2+ articles): {report['gold_events_kept_whole']}; "
               f"language identified as the file says: {report['language_id_accuracy']}")
    rows = [["Storyline", "total", report["articles"], *_scores(report["total"])]]
    rows += [["", lang, r["articles"], *_scores(r)] for lang, r in report["by_language"].items()]
    if "baseline" in report:
        rows.append(["TF-IDF baseline", "total", report["articles"], *_scores(report["baseline"]["total"])])
    _echo_table(["system", "language", "articles", "BCubed P", "BCubed R", "BCubed F1", "pairwise P",
                 "pairwise R", "pairwise F1"], rows)


@eval_group.command(name="entities")
@click.option("--data", "data_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help='Gold sentences, one JSON line each: {"tokens": [...], "tags": [...]} with IOB2 tags '
                   "(B-PER, I-ORG, O, ...), e.g. ../shared/data/ner/conll/de/val.jsonl.")
@click.option("--lang", help="Language of every sentence (default: a line's 'lang' field, else identified "
                             "from the text as ingest does).")
@click.option("--limit", type=int, help="Score at most this many sentences (a quick look).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@FORMAT
@_friendly
def eval_entities(data_path: str, lang: str | None, limit: int | None, progress: bool | None, fmt: str) -> None:
    """Exact-span precision, recall and F1 of people (PER), organisations (ORG) and places (LOC)
    against gold sentences, through the entity stage ingest runs.

    \b
    Three rows: the stage as ingest runs it (NER, alias table and country names,
    resolution), the NER model's spans alone, and the stage without NER (what a
    language with no model gets). MISC is not scored. E.g.
      storyline eval entities --data ../shared/data/ner/conll/de/val.jsonl --lang de
    """
    from tqdm import tqdm

    from storyline.evaluate_entities import TYPES, evaluate_entities

    show = progress if progress is not None else sys.stderr.isatty()
    with tqdm(unit="sentence", desc="entities", disable=not show, file=sys.stderr) as bar:
        report = evaluate_entities(data_path, lang, limit=limit, progress=bar.update)
    if fmt == "json":
        _echo_json(report)
        return
    click.echo(f"{report['sentences']} sentences, {report['gold_spans']} gold spans; languages: "
               + ", ".join(f"{k} {v}" for k, v in sorted(report["languages"].items())))
    rows = []
    for name, title in (("pipeline", "as ingest runs it"), ("ner_model_alone", "NER model alone"),
                        ("without_ner", "without NER")):
        scores = report[name]
        rows.append([title, *(f"{scores[k]['f1']:.3f}" for k in TYPES),
                     *(f"{scores['micro'][k]:.3f}" for k in ("precision", "recall", "f1"))])
    _echo_table(["reading", *(f"{k} F1" for k in TYPES), "micro P", "micro R", "micro F1"], rows)


@eval_group.command(name="similarity")
@click.option("--data", "data_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Pairs JSONL with a gold grade (text1, text2, ..., grade), or gold documents (id, lang, title, "
                   "text, topic and an event label) from which graded pairs are built.")
@click.option("--label", default="cluster", show_default=True,
              help="Documents: the field holding the gold event.")
@click.option("--gold", "gold_field",
              help="Pairs: the gold field (default: the first of grade, gold, label, score, overall).")
@click.option("--gold-similar-low", is_flag=True,
              help="Pairs: lower gold means more similar (SemEval-2022's 1-4 scale, 1 = very similar).")
@click.option("--limit", type=int, help="Score at most this many pairs (a quick look).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@FORMAT
@_friendly
def eval_similarity(data_path: str, label: str, gold_field: str | None, gold_similar_low: bool, limit: int | None,
                    progress: bool | None, fmt: str) -> None:
    """Pearson and Spearman of `overall` against graded gold, and ROC-AUC of `same_event`
    (same event vs same topic, other event), per language pair and in total.

    \b
    From documents, pairs are graded: same event 3, same topic other event 2,
    other topic 1 (sampled, as many as grade 2), e.g.
      storyline eval similarity --data ../shared/data/ecbplus/dev.jsonl
      storyline eval similarity --data ../shared/data/meantime/apple.jsonl --label doc_group
    """
    from itertools import islice
    from pathlib import Path

    from tqdm import tqdm

    from storyline.pairs import evaluate, graded_pairs_from_documents, is_document_file, read_pairs, score_pairs
    from storyline.pipeline import Pipeline

    path = Path(data_path)
    try:
        if is_document_file(path):
            records = list(graded_pairs_from_documents(path, label))
            lines: Iterable[str] = (json.dumps(r) for r in records)
            total: int | None = len(records)
        else:
            lines, total = path.open(encoding="utf-8"), None
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{data_path} is neither pairs nor gold documents ({exc}).") from None
    show = progress if progress is not None else sys.stderr.isatty()
    with tqdm(total=min(total or 0, limit or total or 0) or None, unit="pair", desc="score", disable=not show,
              file=sys.stderr) as bar:
        pair_lines = islice(read_pairs(lines, data_path), limit) if limit else read_pairs(lines, data_path)
        report = evaluate(score_pairs(pair_lines, Pipeline(), on_done=bar.update), gold_field=gold_field,
                          similar_high=not gold_similar_low)
    if fmt == "json":
        _echo_json(report)
        return
    click.echo(f"{report['pairs']} graded pairs")
    rows = [["total", *_similarity_cells(report["total"])]]
    rows += [[pair, *_similarity_cells(r)] for pair, r in report["by_language_pair"].items()]
    _echo_table(["languages", "pairs", "Pearson overall", "Spearman overall", "ROC-AUC same_event"], rows)


def _similarity_cells(result: dict[str, Any]) -> list[str]:
    def cell(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    return [str(result["pairs"]), cell(result["pearson_overall"]), cell(result["spearman_overall"]),
            cell(result.get("roc_auc_same_event"))]


def _scores(result: dict[str, Any]) -> list[str]:
    return [f"{result[kind][m]:.3f}" for kind in ("bcubed", "pairwise") for m in ("precision", "recall", "f1")]


# -- output helpers ----------------------------------------------------------------------------
def _emit(fmt: str, data: Any, headers: list[str], rows: Callable[[], list[list[Any]]]) -> None:
    """JSON as is, or a table built from ``rows``."""
    if fmt == "json":
        _echo_json(data)
    else:
        _echo_table(headers, rows())


def _why_grouped(event: dict[str, Any]) -> str:
    """The last joining article's reason, in one line."""
    why = event["articles"][-1]["why"] if len(event["articles"]) > 1 else {}
    if not why or why.get("created"):
        return ""
    return f"p={why['probability']:.2f}; shared: " + ", ".join(why.get("shared_entities", [])[:4])


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _echo_table(headers: list[str], rows: Iterable[list[Any]], max_width: int = 66) -> None:
    rows = [[_cut(str(c), max_width) for c in row] for row in rows]
    if not rows:
        click.echo("(nothing yet)")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
