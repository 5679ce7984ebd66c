"""`storyline similar`: two articles, or a file of pairs, on the SemEval-2022 Task 8 dimensions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from storyline.commands.common import (
    cut,
    db_option,
    echo_json,
    echo_table,
    friendly,
    open_db,
)


@click.command()
@click.argument("articles", nargs=-1)
@db_option
@click.option("--pairs", "pairs_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Score a JSONL file of pairs (pair_id, text1, text2, optional title1/2, lang1/2, url1/2, "
                   "published1/2); '-' reads standard input.")
@click.option("--sentences", default=3, show_default=True, help="Most similar sentence pairs to show (A B mode).")
@click.option("--quick", is_flag=True,
              help="Skip the second reader (multilingual-e5 over each opening): about four times faster over "
                   "pairs, a little less close to human judges (SemEval overall 0.66 instead of 0.70 held out).")
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: on a terminal).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl"]), default=None,
              help="A B: table (default) or json. --pairs: jsonl (default), one line per pair in input order.")
@friendly
def similar(articles: tuple[str, ...], db: str, pairs_file: str | None, sentences: int, quick: bool,
            progress: bool | None, fmt: str | None) -> None:
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
        _similar_pairs(pairs_file, progress, fmt or "jsonl", second_reader=not quick)
        return
    if len(articles) != 2:
        raise click.UsageError("Give two articles (ids or files), or --pairs FILE.")
    from storyline.compare import compare_articles

    a, b = (_article_for_comparison(ref, db) for ref in articles)
    result = compare_articles(a, b, sentences=sentences, second_reader=not quick)
    if (fmt or "table") in ("json", "jsonl"):
        echo_json(result)
        return
    click.echo(f"A  {a.id}  [{a.language}]  {a.title}")
    click.echo(f"B  {b.id}  [{b.language}]  {b.title}")
    click.echo(f"same event: {result['same_event']:.2f}")
    echo_table(["dimension", "similarity"], [[k, f"{v:.2f}"] for k, v in result["dimensions"].items()])
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
        click.echo(f"  {pair['similarity']:.2f}  A: {cut(pair['a'], 70)}\n        B: {cut(pair['b'], 70)}")


def _article_for_comparison(ref: str, db: str):  # type: ignore[no-untyped-def]
    """An article by id from the database, or read and enriched from a file."""

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
    with open_db(db) as store:
        try:
            return store.get_article(ref)
        except NotFoundError as exc:
            raise click.ClickException(f"{ref!r} is not a file, and {exc}") from None


def _similar_pairs(pairs_file: str, progress: bool | None, fmt: str, *, second_reader: bool = True) -> None:
    import io

    from tqdm import tqdm

    from storyline.commands.common import run_engine
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
        with tqdm(total=total, unit="pair", desc="similar", disable=not show, file=sys.stderr) as bar, \
                run_engine("processes", None, None) as engine:  # a worker per core; a short file is scored here
            for item, result in score_pairs(read_pairs(handle, pairs_file), Pipeline(), engine=engine,
                                            second_reader=second_reader, on_error=report, on_done=bar.update):
                line = output_line(item, result) if fmt != "json" else {"pair_id": item.pair_id, **result}
                click.echo(json.dumps(line, ensure_ascii=False))
    finally:
        if pairs_file != "-":
            handle.close()
    if errors:
        click.echo(f"{errors} line(s) could not be scored (see above).", err=True)
