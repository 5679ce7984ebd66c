"""Hybrid search on the hand-written fixtures: stems, cross-lingual names and meaning, filters, hostile queries."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from storyline.errors import StorylineError
from storyline.pipeline import Pipeline
from storyline.search import Searcher, SearchFilters, fts_query, snippet, stem_words
from storyline.store.sqlite import SQLiteStore
from tests.conftest import ARTICLES


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SQLiteStore:
    db = tmp_path_factory.mktemp("search") / "search.db"
    store = SQLiteStore(db)
    Pipeline().ingest([str(ARTICLES)], store, progress=False)
    yield store
    store.close()


@pytest.fixture(scope="module")
def searcher(store: SQLiteStore) -> Searcher:
    return Searcher(store)


def _ids(result: dict) -> list[str]:
    return [r["id"] for r in result["results"]]


def test_stemming_follows_the_language() -> None:
    assert stem_words("Earthquakes struck", "en") == ["earthquak", "struck"]
    assert stem_words("Élections présidentielles", "fr") == ["élect", "présidentiel"]
    assert stem_words("Ukraine-Hilfe", None) == ["ukraine", "hilfe"]  # unknown language: words as written


def test_text_search_matches_other_word_forms(searcher: Searcher) -> None:
    result = searcher.search("earthquakes killed", mode="text")
    assert _ids(result)[0] == "en_quake"
    assert result["results"][0]["matched"]["text"]["rank"] == 1


def test_a_french_name_finds_english_and_german_articles(searcher: Searcher) -> None:
    result = searcher.search("Allemagne", mode="text")  # French for Germany
    assert "Germany" in result["entities"]
    assert {"en_summit", "de_summit", "en_phone_call"} <= set(_ids(result))


def test_semantic_search_crosses_languages(searcher: Searcher) -> None:
    result = searcher.search("tremblement de terre en Italie", mode="semantic")
    assert _ids(result)[0] == "en_quake"


def test_hybrid_fuses_both_lists_and_explains_the_match(searcher: Searcher) -> None:
    result = searcher.search("Macron Scholz Berlin")
    top3 = _ids(result)[:3]
    assert set(top3) == {"en_summit", "fr_summit", "de_summit"}
    first = result["results"][0]
    assert set(first["matched"]) == {"text", "semantic"}
    assert first["event_id"] and first["story_id"]
    assert "Berlin" in first["snippet"] or "Scholz" in first["snippet"]


def test_filters_restrict_every_result(searcher: Searcher) -> None:
    only_de = searcher.search("Macron Scholz", filters=SearchFilters(language="de"))
    assert _ids(only_de) == ["de_summit"]
    summer = searcher.search("Macron Scholz", filters=SearchFilters(since=date(2023, 6, 1), until=date(2023, 6, 30)))
    assert _ids(summer) == ["en_phone_call"]
    quake = searcher.search("earthquake Berlin", filters=SearchFilters(entity="Italie"))  # French for Italy
    assert _ids(quake) == ["en_quake"]
    assert searcher.search("Berlin", filters=SearchFilters(entity="Atlantis"))["results"] == []
    sourced = searcher.search("Scholz", filters=SearchFilters(source="news.example.com"))
    assert _ids(sourced) == ["en_summit"]


def test_filters_parse_user_strings_and_refuse_bad_dates() -> None:
    parsed = SearchFilters.parse(language=" FR ", since="2023-01-01", until="", entity=" ", source=None)
    assert parsed == SearchFilters(language="fr", since=date(2023, 1, 1))
    with pytest.raises(StorylineError, match="E016"):
        SearchFilters.parse(since="last week")


@pytest.mark.parametrize("query", [
    '"unbalanced', "NEAR(a b", "* OR AND NOT", "title:secret", "'; DROP TABLE articles; --", "^start", "a -b +c",
    "(((", "\x00", "🙂", "x" * 499,
])
def test_query_syntax_never_reaches_fts5(searcher: Searcher, store: SQLiteStore, query: str) -> None:
    result = searcher.search(query)
    assert isinstance(result["results"], list)
    assert store.count_articles() == 5  # nothing dropped


def test_fts_query_is_only_quoted_words() -> None:
    expression = fts_query('Scholz" OR x:y NEAR(', ["Olaf Scholz"])
    assert expression.count('"') % 2 == 0
    assert 'names : "olaf scholz"' in expression
    assert ":y" not in expression and "NEAR(" not in expression
    assert fts_query("!!! ???", []) == ""


def test_snippet_prefers_a_sentence_with_the_query_words() -> None:
    text = "First sentence about weather. Then the earthquake struck Norcia. Last one."
    assert snippet(text, {"norcia"}) == "Then the earthquake struck Norcia."
    assert snippet(text, {"absent"}).startswith("First sentence")


def test_a_schema_1_file_gets_its_search_index_on_open(tmp_path: Path, store: SQLiteStore) -> None:
    old = tmp_path / "old.db"
    store.conn.execute("VACUUM INTO ?", (str(old),))
    raw = sqlite3.connect(old)
    raw.execute("DROP TABLE articles_fts")
    raw.execute("ALTER TABLE stories DROP COLUMN closed")  # schema 3's
    raw.execute("ALTER TABLE events DROP COLUMN merged_into")  # schema 4's
    raw.execute("DROP TABLE event_lineage")
    raw.execute("DROP TABLE story_people")  # schema 5's
    raw.execute("DROP INDEX events_story")
    raw.execute("DROP TABLE web_pages")  # schema 6's
    raw.execute("DROP TABLE web_listings")
    raw.execute("DROP TABLE watches")  # schema 7's
    raw.execute("DROP TABLE alerts")
    raw.execute("DROP TABLE corrections")  # schema 8's
    raw.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    raw.commit()
    raw.close()
    with SQLiteStore(old) as migrated:
        version = migrated.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        assert version == "8"
        assert migrated.conn.execute("SELECT count(*) FROM watches").fetchone()[0] == 0
        assert all(check["ok"] for check in migrated.check())
        people = "SELECT name, story_id FROM story_people ORDER BY name, story_id"
        assert migrated.conn.execute(people).fetchall() == store.conn.execute(people).fetchall() != []
        result = Searcher(migrated).search("earthquake", mode="text")
        assert _ids(result)[0] == "en_quake"
