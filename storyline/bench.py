"""``storyline bench``: the whole pipeline on generated articles, timed stage by stage.

Why a command and not a test: speed depends on the machine; what matters is that
anyone can measure it the same way and see which stage bounds the rate. Articles
are generated (:mod:`storyline.synthetic`, about ``words`` words each), ingested
through the same stages, linkers and store as ``storyline ingest``, into a
throw-away database. Peak RSS is the process's high-water mark so far.
"""

from __future__ import annotations

import copy
import itertools
import json
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyline.article import Article
from storyline.pipeline import IngestReport, Pipeline, default_stages, split_for_workers
from storyline.stages.ingest import parse_jsonl
from storyline.store.sqlite import SQLiteStore
from storyline.synthetic import generate

if TYPE_CHECKING:
    from storyline.engines import DaskEngine, ProcessEngine


def run(n: int, *, words: int = 800, use_ner: bool = True, ner_chars: int | None = None, batch: int = 1000,
        progress: Callable[[int], None] | None = None, engine: DaskEngine | ProcessEngine | None = None
        ) -> dict[str, Any]:
    """Ingest ``n`` generated articles; seconds and articles/s per stage and overall."""
    if engine is not None:
        return _run_on(engine, n, words=words, use_ner=use_ner, ner_chars=ner_chars, batch=batch, progress=progress)
    lines = [json.dumps(r) for r in generate(n, words=words)]
    warm = next(iter(parse_jsonl(lines[0], "warm-up")))
    pipeline = warmed_pipeline(warm, use_ner=use_ner, ner_chars=ner_chars) if isinstance(warm, Article) \
        else Pipeline(stages=default_stages(use_ner=use_ner, ner_chars=ner_chars))
    seconds: dict[str, float] = defaultdict(float)
    report = IngestReport()
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "bench.db")
        store.load_linkers(pipeline.clusterer, pipeline.linker)
        started = time.perf_counter()
        for first in range(0, n, batch):
            clock = time.perf_counter()
            articles = [a for a in parse_jsonl("\n".join(lines[first:first + batch]), "bench")
                        if isinstance(a, Article)]
            seconds["read"] += time.perf_counter() - clock
            enriched = []
            for article in articles:
                for current in pipeline.stages:
                    clock = time.perf_counter()
                    article = current(article)
                    seconds[_name(current)] += time.perf_counter() - clock
                enriched.append(article)
            clock = time.perf_counter()
            for start in range(0, len(enriched), pipeline.batch_size):
                pipeline.embedder.embed_many(enriched[start:start + pipeline.batch_size])
            seconds["embed"] += time.perf_counter() - clock
            clock = time.perf_counter()
            for start in range(0, len(enriched), pipeline.batch_size):
                pipeline._link_and_store(enriched[start:start + pipeline.batch_size], store, report)
            pipeline._close_quiet(store)  # as ingest does after each window
            seconds["link + store"] += time.perf_counter() - clock
            if progress:
                progress(len(enriched))
        total = time.perf_counter() - started
        store.close()
    peak_mb = peak_rss_mb()
    stages = {name: {"seconds": round(s, 2), "ms_per_article": round(1000 * s / n, 2),
                     "articles_per_second": round(n / s, 1) if s else None}
              for name, s in sorted(seconds.items(), key=lambda kv: -kv[1])}
    return {"articles": n, "words_per_article": words, "ner": use_ner, "ner_chars": ner_chars,
            "seconds": round(total, 1), "articles_per_second": round(n / total, 1), "events": report.events_created,
            "peak_rss_mb": round(peak_mb), "bound_by": next(iter(stages)), "stages": stages}


def _run_on(engine: DaskEngine | ProcessEngine, n: int, *, words: int, use_ner: bool, ner_chars: int | None, batch: int,
            progress: Callable[[int], None] | None) -> dict[str, Any]:
    """The same run through ``ingest --engine processes`` or ``dask``: per-article stages on the
    workers, the rest here. Stage times are not separable across processes, so only the overall
    rate is given."""
    lines = [json.dumps(r) for r in generate(n, words=words)]
    warm = [a for a in parse_jsonl("\n".join(lines[:4]), "warm-up") if isinstance(a, Article)]
    pipeline = warmed_pipeline(warm[0], use_ner=use_ner, ner_chars=ner_chars)  # forked workers share its models
    pipeline.order_window = batch
    copies = [copy.deepcopy(warm[i % len(warm)]) for i in range(100)]
    list(engine.enrich(copies, split_for_workers(pipeline.stages)[0]))  # the workers start, models load

    def records() -> Iterator[Article]:
        for line in lines:
            yield from (a for a in parse_jsonl(line, "bench") if isinstance(a, Article))
            if progress:
                progress(1)

    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "bench.db")
        started = time.perf_counter()
        report = pipeline.ingest_records(records(), store, engine=engine)
        total = time.perf_counter() - started
        store.close()
    workers_mb = engine.worker_peaks_mb()
    return {"articles": n, "words_per_article": words, "ner": use_ner, "ner_chars": ner_chars,
            "engine": engine.description,
            "seconds": round(total, 1), "articles_per_second": round(n / total, 1), "events": report.events_created,
            "peak_rss_mb": round(peak_rss_mb()), "worker_peak_rss_mb": sorted(round(v) for v in workers_mb),
            "bound_by": None, "stages": {}}


def run_linking(n: int, *, pool: int = 1000, words: int = 800, use_ner: bool = True, batch: int = 1000,
                progress: Callable[[int], None] | None = None, data: str | Path | None = None) -> dict[str, Any]:
    """Link and store ``n`` articles once they are enriched and embedded: the clusterer's and
    store's rate, and how it holds as events accumulate (issue: flat up to 100,000 articles).

    A pool of ``pool`` articles (generated, or the first of the JSONL file ``data``: real articles,
    whose many concurrent events generated ones do not give) is enriched once; the stream replays
    it in date order, each pass later than the one before by the pool's span and a year (at least
    100 weeks; weekdays stay right), so every pass opens new events while the earlier ones have
    closed: what a long stream does to the linker. The curve gives the rate of each tenth of the run.
    """
    if data is not None:
        with open(data, encoding="utf-8") as handle:
            lines = list(itertools.islice((line for line in handle if line.strip()), pool))
    else:
        lines = [json.dumps(r) for r in generate(min(n, pool), words=words)]
    pipeline = Pipeline(stages=default_stages(use_ner=use_ner))
    enriched = [pipeline.enrich(a) for a in parse_jsonl(lines, "bench") if isinstance(a, Article)]
    for start in range(0, len(enriched), pipeline.batch_size):
        pipeline.embedder.embed_many(enriched[start:start + pipeline.batch_size])
    enriched.sort(key=lambda a: (a.event_date.value or a.published.value or date.min, a.id))
    span = replay_shift(enriched)

    def replayed(i: int) -> Article:
        article = copy.copy(enriched[i % len(enriched)])
        shift = span * (i // len(enriched))
        article.id = f"{article.id}-p{i // len(enriched)}"
        article.event_date = copy.copy(article.event_date)
        article.published = copy.copy(article.published)
        if article.event_date.value:
            article.event_date.value += shift
        if article.published.value:
            article.published.value += shift
        article.raw_text = f"{article.raw_text}\n[replay {i}]"  # its own content hash
        return article

    report = IngestReport()
    curve = []
    tenth = max(1, n // 10)
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "bench.db")
        store.load_linkers(pipeline.clusterer, pipeline.linker)
        storing = 0.0  # seconds in the store, to tell linking from storing
        save_batch = store.save_batch

        def timed_save(*args: Any) -> None:
            nonlocal storing
            begun = time.perf_counter()
            save_batch(*args)
            storing += time.perf_counter() - begun

        store.save_batch = timed_save  # type: ignore[method-assign]
        started = mark = time.perf_counter()
        done = 0
        for first in range(0, n, pipeline.batch_size):
            chunk = [replayed(i) for i in range(first, min(n, first + pipeline.batch_size))]
            pipeline._link_and_store(chunk, store, report)
            if (first + len(chunk)) // batch > first // batch or first + len(chunk) == n:
                pipeline._close_quiet(store)  # after each window of ``batch``, as ingest does
            done += len(chunk)
            if progress:
                progress(len(chunk))
            if done // tenth > len(curve) or done == n:
                now = time.perf_counter()
                seen = done - sum(point["articles"] for point in curve)
                curve.append({"articles": seen, "up_to": done, "articles_per_second": round(seen / (now - mark), 1),
                              "open_events": len(pipeline.clusterer.events),
                              "open_stories": len(pipeline.linker.stories), "peak_rss_mb": round(peak_rss_mb())})
                mark = now
        total = time.perf_counter() - started
        store.close()
    return {"articles": n, "pool": len(enriched), "words_per_article": words if data is None else None, "ner": use_ner,
            "seconds": round(total, 1), "articles_per_second": round(n / total, 1),
            "linking_articles_per_second": round(n / (total - storing), 1),
            "ms_per_article": {"linking": round(1000 * (total - storing) / n, 2),
                               "storing": round(1000 * storing / n, 2)},
            "events": report.events_created, "peak_rss_mb": round(peak_rss_mb()), "curve": curve}


def replay_shift(articles: list[Article]) -> timedelta:
    """How much later each replay of a pool is dated: past the pool's own span by a year (its
    events closed before the next pass opens), at least 100 weeks, whole weeks (weekdays stay right)."""
    dates = [d for a in articles for d in (a.event_date.value, a.published.value) if d is not None]
    span_days = (max(dates) - min(dates)).days if dates else 0
    return timedelta(weeks=max(100, (span_days + 365) // 7 + 1))


def warmed_pipeline(sample: Article, *, use_ner: bool = True, ner_chars: int | None = None) -> Pipeline:
    """A fresh pipeline whose models are already loaded (a throw-away one enriched and embedded a copy
    of ``sample``), so a timed run measures the work, not the start-up."""
    warm = Pipeline(stages=default_stages(use_ner=use_ner, ner_chars=ner_chars))
    warm.embedder.embed_many([warm.enrich(copy.deepcopy(sample))])
    return Pipeline(stages=default_stages(use_ner=use_ner, ner_chars=ner_chars), embedder=warm.embedder)


def peak_rss_mb() -> float:
    """This process's high-water mark of resident memory."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    return peak / 1024 if sys.platform == "darwin" else peak  # bytes there


def _name(stage: object) -> str:
    return getattr(stage, "__name__", type(stage).__name__)
