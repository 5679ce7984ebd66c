"""Measuring: `storyline bench` (speed) and `storyline eval` (quality on gold data)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from storyline.commands.common import (
    FORMAT,
    NER_CHARS,
    echo_json,
    echo_table,
    friendly,
    run_engine,
)


@click.command()
@click.option("--n", "sizes", multiple=True, type=click.IntRange(1, 10_000_000), default=(1000,), show_default=True,
              help="Articles to run; repeat for a scaling curve (--n 1000 --n 10000).")
@click.option("--words", default=800, show_default=True, help="Words per generated article.")
@click.option("--no-ner", is_flag=True, help="Skip spaCy NER (as `ingest --no-ner`).")
@NER_CHARS
@click.option("--engine", type=click.Choice(["local", "processes", "dask"]), default="local", show_default=True,
              help="As `ingest --engine`; 'local' (one process) times each stage, the others give the overall "
                   "rate only. --floor always runs ingest's default, worker processes.")
@click.option("--scheduler", metavar="ADDRESS", help="With --engine dask: a running scheduler.")
@click.option("--workers", type=click.IntRange(1, 256), help="With --engine processes or dask: worker processes; "
              "with --floor: processes for the pipeline and the floor alike (default: one per core).")
@click.option("--linking", is_flag=True, help="Time only linking and storing (events, stories), on a pool of "
              "1,000 enriched articles replayed later each pass; prints the rate per tenth of the run.")
@click.option("--linking-data", metavar="FILE.jsonl", type=click.Path(exists=True, dir_okay=False),
              help="Implies --linking: the pool is these real articles (the first 1,000), e.g. "
                   "../shared/data/ecbplus/train.jsonl, instead of generated ones.")
@click.option("--floor", "floor_data", type=click.Path(exists=True, dir_okay=False), metavar="FILE.jsonl",
              help="Real articles (e.g. ../shared/data/ecbplus/train.jsonl): ingest them as 'storyline ingest' does, "
                   "then time each model alone on them (the floor), and print floor / pipeline. The first --n "
                   "articles (1,000 by default).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@FORMAT
@friendly
def bench(sizes: tuple[int, ...], words: int, no_ner: bool, ner_chars: int | None, engine: str, scheduler: str | None,
          workers: int | None, linking: bool, linking_data: str | None, floor_data: str | None, progress: bool | None,
          fmt: str) -> None:
    """Time the whole pipeline (clean, enrich, embed, cluster, store) on generated articles.

    Prints articles/s per stage and overall, peak memory, and which stage bounds the
    rate, for each --n. Uses a temporary database; nothing of yours is touched.
    With --linking, the clusterer and store alone, with the curve of their rate.
    With --floor FILE, real articles: the whole ingest beside its models alone.

    \b
      storyline bench --floor ../shared/data/ecbplus/train.jsonl
      storyline bench --linking --n 100000 --linking-data ../shared/data/ecbplus/train.jsonl
    """
    from tqdm import tqdm

    from storyline.bench import run, run_linking

    show = progress if progress is not None else sys.stderr.isatty()
    if floor_data:
        from storyline.floor import measure_floor

        result = measure_floor(floor_data, limit=sizes[0], use_ner=not no_ner, workers=workers)
        if fmt == "json":
            echo_json(result)
            return
        pipe, floor = result["pipeline"], result["floor"]
        click.echo(f"{result['articles']} articles: the pipeline {pipe['articles_per_second']} articles/s "
                   f"({pipe['seconds']} s, {pipe['processes']} processes), its models alone "
                   f"{floor['articles_per_second']} articles/s ({floor['seconds']} s, {result['processes']}); "
                   "floor / pipeline "
                   f"{result['ratio']}; peak RSS {result['peak_rss_mb']} MB (the processes' peaks summed)")
        echo_table(["model alone", "ms/article"], [[k, f"{v:.2f}"] for k, v in floor["ms_per_article"].items()])
        return
    results = []
    if linking or linking_data:
        for n in sizes:
            with tqdm(total=n, unit="article", desc=f"linking {n}", disable=not show, file=sys.stderr) as bar:
                results.append(run_linking(n, words=words, use_ner=not no_ner, progress=bar.update,
                                           data=linking_data))
        if fmt == "json":
            echo_json(results)
            return
        for result in results:
            ms = result["ms_per_article"]
            click.echo(f"{result['articles']} articles linked and stored: {result['articles_per_second']} "
                       f"articles/s ({result['linking_articles_per_second']}/s linking alone; ms per article: "
                       f"linking {ms['linking']}, storing {ms['storing']}), {result['events']} events, "
                       f"peak RSS {result['peak_rss_mb']} MB")
            echo_table(["up to", "articles/s", "open events", "open stories", "peak RSS MB"],
                        [[p["up_to"], p["articles_per_second"], p["open_events"], p["open_stories"],
                          p["peak_rss_mb"]] for p in result["curve"]])
        return
    with run_engine(engine, scheduler, workers) as running:
        for n in sizes:
            with tqdm(total=n, unit="article", desc=f"bench {n}", disable=not show, file=sys.stderr) as bar:
                results.append(run(n, words=words, use_ner=not no_ner, ner_chars=ner_chars, progress=bar.update,
                                   engine=running))
    if fmt == "json":
        echo_json(results)
        return
    for result in results:
        where = f" on {result['engine']} (worker peak RSS {result['worker_peak_rss_mb']} MB)" \
            if "engine" in result else f", bound by {result['bound_by']}"
        click.echo(f"{result['articles']} articles of ~{result['words_per_article']} words: "
                   f"{result['articles_per_second']} articles/s overall, peak RSS {result['peak_rss_mb']} MB{where}")
        if not result["stages"]:
            continue
        echo_table(["stage", "ms/article", "articles/s"],
                    [[name, f"{s['ms_per_article']:.2f}", s["articles_per_second"]] for name, s in
                     result["stages"].items()])


@click.group(name="eval")
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
@friendly
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
        echo_json(report)
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
    echo_table(["system", "language", "articles", "BCubed P", "BCubed R", "BCubed F1", "pairwise P",
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
@friendly
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
        echo_json(report)
        return
    click.echo(f"{report['sentences']} sentences, {report['gold_spans']} gold spans; languages: "
               + ", ".join(f"{k} {v}" for k, v in sorted(report["languages"].items())))
    rows = []
    for name, title in (("pipeline", "as ingest runs it"), ("ner_model_alone", "NER model alone"),
                        ("without_ner", "without NER")):
        scores = report[name]
        rows.append([title, *(f"{scores[k]['f1']:.3f}" for k in TYPES),
                     *(f"{scores['micro'][k]:.3f}" for k in ("precision", "recall", "f1"))])
    echo_table(["reading", *(f"{k} F1" for k in TYPES), "micro P", "micro R", "micro F1"], rows)


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
@click.option("--quick", is_flag=True, help="Score as `similar --quick` does (without the second reader).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@FORMAT
@friendly
def eval_similarity(data_path: str, label: str, gold_field: str | None, gold_similar_low: bool, limit: int | None,
                    quick: bool, progress: bool | None, fmt: str) -> None:
    """Pearson and Spearman of `overall` against graded gold, and ROC-AUC of `same_event`
    (same event vs same topic, other event), per language pair and in total, each beside the
    TF-IDF cosine's. Pairs with gold for the seven SemEval-2022 Task 8 dimensions get each
    dimension's Pearson too.

    \b
    From documents, pairs are graded: same event 3, same topic other event 2,
    other topic 1 (sampled, as many as grade 2), e.g.
      storyline eval similarity --data ../shared/data/ecbplus/dev.jsonl
      storyline eval similarity --data ../shared/data/meantime/apple.jsonl --label doc_group
      storyline eval similarity --data ../shared/data/semeval8/train.jsonl --gold-similar-low
    """
    from itertools import islice

    from tqdm import tqdm

    from storyline.pairs import evaluate, graded_pairs_from_documents, is_document_file, read_pairs, score_pairs
    from storyline.pipeline import Pipeline

    path = Path(data_path)
    opened = contextlib.ExitStack()
    try:
        if is_document_file(path):
            records = list(graded_pairs_from_documents(path, label))
            lines: Iterable[str] = (json.dumps(r) for r in records)
            total: int | None = len(records)
        else:
            lines, total = opened.enter_context(path.open(encoding="utf-8")), None
    except (ValueError, KeyError) as exc:
        raise click.ClickException(f"{data_path} is neither pairs nor gold documents ({exc}).") from None
    show = progress if progress is not None else sys.stderr.isatty()
    failures: list[str] = []
    with opened, tqdm(total=min(total or 0, limit or total or 0) or None, unit="pair", desc="score", disable=not show,
              file=sys.stderr) as bar, run_engine("processes", None, None) as engine:  # as `similar --pairs`
        pair_lines = islice(read_pairs(lines, data_path), limit) if limit else read_pairs(lines, data_path)
        scored = score_pairs(pair_lines, Pipeline(), engine=engine, second_reader=not quick, on_done=bar.update,
                             on_error=failures.append)
        report = evaluate(scored, gold_field=gold_field, similar_high=not gold_similar_low)
    report["failed"] = len(failures)
    if fmt == "json":
        echo_json(report | {"failures": failures[:50]})
        return
    click.echo(f"{report['pairs']} graded pairs" + (f", {len(failures)} could not be scored:" if failures else ""))
    for failure in failures[:10]:
        click.echo(f"  {failure}")
    graded = list(report["total"].get("pearson_by_dimension", {}))
    extra = [name for name in graded if name != "overall"]
    rows = []
    for pair, result in [("total", report["total"]), *report["by_language_pair"].items()]:
        rows.append([pair, "storyline", *_similarity_cells(result, extra)])
        rows.append(["", "tf-idf", *_similarity_cells(result, extra, prefix="tfidf_")])
    echo_table(["languages", "scorer", "pairs", "Pearson overall", "Spearman overall", "ROC-AUC same_event",
                *(f"Pearson {name}" for name in extra)], rows)


def _similarity_cells(result: dict[str, Any], dimensions: list[str], prefix: str = "") -> list[str]:
    """A scorer's cells: Storyline's figures, or with ``prefix="tfidf_"`` the TF-IDF baseline's."""
    def cell(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    by_dimension = result.get(f"{prefix}pearson_by_dimension", {})
    return [str(result["pairs"]), cell(result[f"{prefix}pearson_overall"]), cell(result[f"{prefix}spearman_overall"]),
            "" if prefix else cell(result.get("roc_auc_same_event")), *(cell(by_dimension.get(n)) for n in dimensions)]


def _scores(result: dict[str, Any]) -> list[str]:
    return [f"{result[kind][m]:.3f}" for kind in ("bcubed", "pairwise") for m in ("precision", "recall", "f1")]
