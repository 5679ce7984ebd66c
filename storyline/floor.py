"""The model floor: what the models alone cost on real articles, beside the whole pipeline.

``storyline bench --floor --data FILE`` ingests a JSONL file of real articles (the shared ECB+ or
MEANTIME files) exactly as ``storyline ingest`` does, then runs each model alone on the same
articles, the way it runs fastest here: lingua on the text the language stage reads, spaCy's NER
through ``nlp.pipe`` 64 at a time per language, the embedder in batches of 16, the date rules.
The ratio floor ÷ pipeline says how close the pipeline comes to what its models allow (1.0: no
overhead at all). Models are loaded before either clock starts.
"""

from __future__ import annotations

import copy
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from storyline.article import Article
from storyline.pipeline import Pipeline
from storyline.stages.bounds import enrichment_text
from storyline.stages.clean import clean
from storyline.stages.dates import find_expressions
from storyline.stages.embed import embedding_text
from storyline.stages.entities import NER_MAX_CHARS, load_ner
from storyline.stages.ingest import read_source
from storyline.stages.language import detect_language, identify_language
from storyline.store.sqlite import SQLiteStore


def measure_floor(path: str | Path, *, limit: int | None = None, use_ner: bool = True) -> dict[str, Any]:
    """Seconds of the whole ingest and of each model alone on the first ``limit`` articles of ``path``."""
    from storyline.bench import peak_rss_mb, warmed_pipeline

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "articles.jsonl"
        lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
        data.write_text("\n".join(lines[:limit] if limit else lines) + "\n", encoding="utf-8")
        articles = [a for a in read_source(data) if isinstance(a, Article)]
        pipeline = warmed_pipeline(articles[0], use_ner=use_ner)  # every model loaded outside the clocks
        started = time.perf_counter()
        with SQLiteStore(Path(folder) / "floor.db") as store:
            report = pipeline.ingest([str(data)], store, progress=False)
        whole = time.perf_counter() - started
        models = _models_alone(articles, pipeline, use_ner=use_ner)
    floor = sum(models.values())
    n = len(articles)
    return {
        "articles": n, "stored": len(report.ingested), "ner": use_ner,
        "pipeline": {"seconds": round(whole, 2), "articles_per_second": round(n / whole, 1)},
        "floor": {"seconds": round(floor, 2), "articles_per_second": round(n / floor, 1) if floor else None,
                  "ms_per_article": {k: round(1000 * v / n, 2) for k, v in models.items()}},
        "ratio": round(floor / whole, 2) if whole else None,
        "peak_rss_mb": round(peak_rss_mb()),
    }


def _models_alone(articles: list[Article], pipeline: Pipeline, *, use_ner: bool) -> dict[str, float]:
    """Seconds each model takes alone on ``articles``, batched as it runs fastest."""
    seconds: dict[str, float] = defaultdict(float)
    cleaned = [identify_language(clean(copy.deepcopy(a))) for a in articles]  # inputs, not timed
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
    model = pipeline.embedder.embedder
    started = time.perf_counter()
    for start in range(0, len(cleaned), 16):
        batch = cleaned[start:start + 16]
        model.encode([embedding_text(a) for a in batch] + [a.title or embedding_text(a) for a in batch])
    seconds["embed"] = time.perf_counter() - started
    return dict(seconds)
