"""The model floor: what the models alone cost on real articles, beside the whole pipeline.

``storyline bench --floor FILE`` ingests a JSONL file of real articles (the shared ECB+ or
MEANTIME files) exactly as ``storyline ingest`` does (its default engine: one worker process
per core for the per-article stages), then runs each model alone on the same articles, on as
many processes, the way it runs fastest here: lingua on the text the language stage reads,
spaCy's NER through ``nlp.pipe`` 64 at a time per language, the embedder in batches of 16, the
date rules. The ratio floor ÷ pipeline says how close the pipeline comes to what its models
allow on these cores (1.0: no overhead at all). Models are loaded before either clock starts.
"""

from __future__ import annotations

import copy
import multiprocessing
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from storyline.article import Article
from storyline.engines import ProcessEngine, available_cores, proc_memory_mb
from storyline.errors import Skip
from storyline.pipeline import Pipeline
from storyline.stages.bounds import enrichment_text
from storyline.stages.clean import clean
from storyline.stages.dates import find_expressions
from storyline.stages.embed import embedding_text
from storyline.stages.entities import NER_MAX_CHARS, load_ner
from storyline.stages.ingest import read_source
from storyline.stages.language import detect_language, identify_language
from storyline.store.sqlite import SQLiteStore


def measure_floor(path: str | Path, *, limit: int | None = None, use_ner: bool = True,
                  workers: int | None = None) -> dict[str, Any]:
    """Seconds of the whole ingest and of each model alone on the first ``limit`` articles of
    ``path``, both on ``workers`` processes (default: one per core, as ``storyline ingest``)."""
    from storyline.bench import peak_rss_mb, warmed_pipeline

    workers = workers or available_cores()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "articles.jsonl"
        lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
        data.write_text("\n".join(lines[:limit] if limit else lines) + "\n", encoding="utf-8")
        articles = [a for a in read_source(data) if isinstance(a, Article)]
        pipeline = warmed_pipeline(articles[0], use_ner=use_ner)  # every model loaded outside the clocks:
        cleaned = _cleaned(articles)  # the models' inputs, made once and not timed
        for language in {a.language for a in cleaned} if use_ner else ():
            if language:
                load_ner(language)  # each language's NER too (the forked workers share them)
        with SQLiteStore(Path(folder) / "floor.db") as store, ProcessEngine(workers) as engine:
            started = time.perf_counter()  # the workers fork from this process: its models are theirs
            report = pipeline.ingest([str(data)], store, progress=False, engine=engine if workers > 1 else None)
            whole = time.perf_counter() - started
            worker_peaks = engine.worker_peaks_mb()
            on = workers if engine.used_workers else 1  # a short run stays in one process, as ingest does
            shared = [proc_memory_mb(pid, "smaps_rollup", "Pss:") for pid in ["self", *engine.worker_pids()]]
        floor, models = _models_on(cleaned, pipeline, workers=workers, use_ner=use_ner)
    n = len(articles)
    return {
        "articles": n, "stored": len(report.ingested), "ner": use_ner, "processes": workers,
        "pipeline": {"seconds": round(whole, 2), "articles_per_second": round(n / whole, 1), "processes": on},
        "floor": {"seconds": round(floor, 2), "articles_per_second": round(n / floor, 1) if floor else None,
                  "ms_per_article": {k: round(1000 * v / n, 2) for k, v in models.items()}},
        "ratio": round(floor / whole, 2) if whole else None,
        "peak_rss_mb": round(peak_rss_mb() + sum(worker_peaks)),
        "peak_rss_mb_per_process": [round(peak_rss_mb()), *(round(p) for p in worker_peaks)],
        # at the end, the models the workers share with this process counted once (Linux)
        "pss_mb_at_end": round(sum(shared)) if None not in shared else None,
    }


def _cleaned(articles: list[Article]) -> list[Article]:
    """Copies of ``articles`` cleaned and with their language, as the models read them; one with
    nothing left to read is left out (the pipeline reports it)."""
    out = []
    for article in articles:
        try:
            out.append(identify_language(clean(copy.deepcopy(article))))
        except Skip:
            continue
    return out


def _models_on(cleaned: list[Article], pipeline: Pipeline, *, workers: int, use_ner: bool
               ) -> tuple[float, dict[str, float]]:
    """The floor's wall seconds on ``workers`` cores, and the seconds of each model.

    The per-article models (language, NER, dates) run in ``workers`` processes at once, each on
    every ``workers``-th article, one thread each: their seconds are summed over the processes.
    The embedder runs here with its own BLAS threads on all cores, the fastest way it runs.
    """
    model = pipeline.embedder.embedder
    started = time.perf_counter()
    for start in range(0, len(cleaned), 16):
        batch = cleaned[start:start + 16]
        model.encode([embedding_text(a) for a in batch] + [a.title or embedding_text(a) for a in batch])
    embedding = time.perf_counter() - started
    if workers == 1 or not sys.platform.startswith("linux"):  # the forked processes share the models loaded here
        seconds = _models_alone(cleaned, use_ner=use_ner)
        return sum(seconds.values()) / workers + embedding, {**seconds, "embed": embedding}
    _SHARED[:] = [use_ner]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        timed = list(pool.map(_models_alone_forked, [cleaned[i::workers] for i in range(workers)]))
    totals: dict[str, float] = defaultdict(float)
    for seconds in timed:
        for name, value in seconds.items():
            totals[name] += value
    return max(sum(seconds.values()) for seconds in timed) + embedding, {**totals, "embed": embedding}


_SHARED: list[Any] = []


def _models_alone_forked(articles: list[Article]) -> dict[str, float]:
    from threadpoolctl import threadpool_limits

    (use_ner,) = _SHARED
    with threadpool_limits(1):  # one core each, as the pipeline's workers
        return _models_alone(articles, use_ner=use_ner)


def _models_alone(cleaned: list[Article], *, use_ner: bool) -> dict[str, float]:
    """Seconds each per-article model takes alone on ``cleaned`` articles, batched as it runs fastest."""
    seconds: dict[str, float] = defaultdict(float)
    started = time.perf_counter()
    for article in cleaned:
        detect_language(f"{article.title}\n{article.text}")
    seconds["language"] = time.perf_counter() - started
    if use_ner:
        by_language: dict[str, list[str]] = defaultdict(list)
        for article in cleaned:
            if article.language and load_ner(article.language) is not None:
                by_language[article.language].append(article.full_text[:NER_MAX_CHARS])
        started = time.perf_counter()
        for language, texts in by_language.items():
            for _ in load_ner(language).pipe(texts, batch_size=64):
                pass
        seconds["ner"] = time.perf_counter() - started
    started = time.perf_counter()
    for article in cleaned:
        find_expressions(enrichment_text(article), article.language)
    seconds["dates"] = time.perf_counter() - started
    return dict(seconds)
