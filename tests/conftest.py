"""Shared fixtures: small hand-written articles and a pipeline built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.article import Article
from storyline.pipeline import Pipeline

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLES = FIXTURES / "articles"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    """The default pipeline (real NER and embedding models: they ship in the installed wheels)."""
    return Pipeline()


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of the hand-written fixture articles, ingested once (copy it before writing)."""
    from storyline.store.sqlite import SQLiteStore

    db = tmp_path_factory.mktemp("fixtures") / "fixtures.db"
    with SQLiteStore(db) as store:
        Pipeline().ingest([str(ARTICLES)], store, progress=False)
    return db


@pytest.fixture
def fresh_pipeline() -> Pipeline:
    """A pipeline with empty linkers, for tests that cluster."""
    return Pipeline()


@pytest.fixture(scope="session")
def fixture_articles(pipeline: Pipeline) -> dict[str, Article]:
    """The hand-written fixture articles, enriched and embedded, by file stem."""
    from storyline.stages.ingest import read_source

    articles = {}
    for path in sorted(ARTICLES.glob("*.txt")):
        (article,) = list(read_source(path))
        articles[path.stem] = pipeline.enrich(article)
    pipeline.embedder.embed_many(list(articles.values()))
    return articles


def make_article(text: str, *, id: str = "t1", language: str | None = None, **fields: object) -> Article:
    """A raw article as ingest would build it."""
    article = Article(id=id, source=f"test:{id}", raw_text=text, **fields)  # type: ignore[arg-type]
    if language:
        article.extras["given_language"] = language
    return article
