"""A database of the hand-written fixture articles, ingested once for the web tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.pipeline import Pipeline
from storyline.store.sqlite import SQLiteStore
from tests.conftest import ARTICLES


@pytest.fixture(scope="package")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("serve") / "fixtures.db"
    with SQLiteStore(db) as store:
        Pipeline().ingest([str(ARTICLES)], store, progress=False)
    return db
