"""The PostgreSQL backend gives what the SQLite one gives, on a real server (see conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.cli import main
from storyline.errors import StorylineError
from storyline.link.events import OnlineEventClusterer
from storyline.link.stories import StoryLinker
from storyline.pipeline import Pipeline
from storyline.search import Searcher, SearchFilters
from storyline.store import open_store
from storyline.store.postgres import PostgresStore
from storyline.store.sqlite import SQLiteStore
from storyline.timeline import entity_timeline
from tests.conftest import ARTICLES


def _everything(store) -> dict:
    searcher = Searcher(store)
    return {
        "events": store.events(),
        "stories": store.stories(),
        "export": list(store.export_rows()),
        "counts": store.counts(),
        "articles": [(a.id, a.title, a.language, a.event_date, a.published, a.entities, a.dates, a.extras,
                      a.confidence, a.embedding.tolist()) for a in store.iter_articles()],
        "timeline": entity_timeline(store, "Poutine"),
        "explain": store.assignment("fr_summit"),
        # The same matches; their order may differ (BM25 in SQLite's FTS5, ts_rank in PostgreSQL).
        "search": {query: sorted(r["id"] for r in searcher.search(query, mode=mode, filters=filters)["results"])
                   for query, mode, filters in [
                       ("Macron Scholz", "text", None), ("séisme", "text", None),
                       ("earthquake victims", "hybrid", None), ("Poutine", "text", None),
                       ("Berlin", "text", SearchFilters(language="fr")),
                       ("summit", "hybrid", SearchFilters(entity="Olaf Scholz"))]},
    }


@pytest.fixture(scope="module")
def sqlite_reference(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("ref") / "ref.db"
    with SQLiteStore(db) as store:
        Pipeline().ingest([str(ARTICLES)], store, progress=False)
        return _everything(store)


def test_postgres_holds_and_answers_exactly_what_sqlite_does(postgres_url: str, sqlite_reference: dict) -> None:
    with open_store(postgres_url) as store:
        assert isinstance(store, PostgresStore)
        report = Pipeline().ingest([str(ARTICLES)], store, progress=False)
        assert report.to_json()["ingested"] == 5
        got = _everything(store)
    for key, expected in sqlite_reference.items():
        assert got[key] == expected, key
    assert got["search"]["Macron Scholz"] and got["search"]["earthquake victims"]  # not a comparison of empty lists


def test_postgres_resumes_ids_and_skips_stored_content(postgres_url: str) -> None:
    with open_store(postgres_url) as store:
        Pipeline().ingest([str(ARTICLES / "en_summit.txt")], store, progress=False)
    with open_store(postgres_url, create=False) as store:
        report = Pipeline().ingest([str(ARTICLES / "de_summit.txt"), str(ARTICLES / "en_quake.txt"),
                                    str(ARTICLES / "en_summit.txt")], store, progress=False)
        assert [(e["event_id"], [a["id"] for a in e["articles"]]) for e in store.events()] == [
            ("ev-000001", ["en_summit", "de_summit"]), ("ev-000002", ["en_quake"])]
        clusterer, linker = OnlineEventClusterer(), StoryLinker()
        store.load_linkers(clusterer, linker)
        assert all(check["ok"] for check in store.check())
    assert report.events_created == 1 and len(report.duplicates) == 1
    assert clusterer.next_seq == 3 and set(clusterer.events) == {"ev-000001", "ev-000002"}


def test_postgres_one_writer_at_a_time(postgres_url: str) -> None:
    with (open_store(postgres_url) as first, open_store(postgres_url) as second, first.writer_lock(),
          pytest.raises(StorylineError, match="Another ingest is writing"), second.writer_lock(wait=False)):
        pass
    with open_store(postgres_url) as again, again.writer_lock(wait=False):  # released when the run ends
        pass


def test_postgres_schema_is_versioned(postgres_url: str) -> None:
    with open_store(postgres_url) as store:
        version = store.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        assert version == str(store.schema_version) == "8"
        store.conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(StorylineError, match="schema 99 is newer"):
        open_store(postgres_url)


def test_postgres_errors_are_clear(postgres_server: str, postgres_url: str) -> None:
    with pytest.raises(StorylineError, match="does not exist yet"):
        open_store(postgres_url, create=False)  # an empty database: nothing ingested
    result = CliRunner().invoke(main, ["events", "--db", f"{postgres_server}/no_such_database"])
    assert result.exit_code != 0 and "Cannot connect to PostgreSQL" in result.output
    assert "Traceback" not in result.output
    secret = postgres_server.replace("storyline@", "storyline:hunter2@") + "/no_such_database"
    result = CliRunner().invoke(main, ["events", "--db", secret])
    assert "hunter2" not in result.output and "storyline:***@" in result.output


def test_cli_and_web_api_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["ingest", str(ARTICLES), "--db", postgres_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ingested"] == 5
    events = json.loads(runner.invoke(main, ["events", "--db", postgres_url, "--format", "json"]).output)
    assert len(events) == 3

    from fastapi.testclient import TestClient

    from storyline.serve.app import create_app

    with TestClient(create_app(postgres_url)) as client:
        listed = client.get("/api/events").json()
        assert [e["event_id"] for e in listed] == [e["event_id"] for e in events]
        found = client.get("/api/search", params={"q": "Scholz"}).json()
        assert found["results"] and found["results"][0]["id"].endswith("summit")


def test_postgres_finds_closed_stories_as_sqlite_does(postgres_url: str, tmp_path: Path) -> None:
    """The archive query (dates as text, newest first, a limit) answers alike on both backends."""
    later = tmp_path / "floods.txt"  # moves the clock on: the summit's and the phone call's stories close
    later.write_text("Floods hit Valencia\n\nHeavy rain flooded Valencia on Monday, December 4, 2023, and the "
                     "regional government closed schools along the coast.\n")
    paths = [str(ARTICLES / "en_summit.txt"), str(ARTICLES / "en_phone_call.txt"), str(later)]
    answers = []
    for store in (SQLiteStore(tmp_path / "s.db"), open_store(postgres_url)):
        with store:
            Pipeline(linker=StoryLinker(window_days=30, close_after_days=30)).ingest(paths, store, progress=False)
            every = store.closed_stories({"Olaf Scholz"})
            answers.append(([s.story_id for s in every],
                            [s.story_id for s in store.closed_stories({"Olaf Scholz"}, limit=1)],
                            [s.story_id for s in store.closed_stories({"Olaf Scholz"}, every[0].first_date, 1)]))
    assert answers[0] == answers[1]
    assert len(answers[0][0]) == 2 and answers[0][1] == answers[0][0][1:] and answers[0][2] == answers[0][0][:1]


def test_postgres_stores_what_sqlite_stores_from_text_with_nul_and_surrogates(postgres_url: str,
                                                                              tmp_path: Path) -> None:
    """Regression: PostgreSQL refused text holding NUL, and a whole run stopped."""
    data = tmp_path / "odd.jsonl"
    data.write_text(json.dumps({"id": "nul\u0000id", "title": "Nul\u0000 title", "text": "Flooding closed\u0000 "
                                "roads in Lyon on Monday, officials said \ud800."}) + "\n")
    stored = []
    for db in (str(tmp_path / "s.db"), postgres_url):
        result = CliRunner().invoke(main, ["ingest", str(data), "--db", db, "--format", "json"])
        assert result.exit_code == 0 and json.loads(result.stdout)["ingested"] == 1, result.output
        with open_store(db) as store:
            (article,) = list(store.iter_articles())
            stored.append((article.id, article.title, article.text))
    text = "Flooding closed roads in Lyon on Monday, officials said \ufffd."
    assert stored[0] == stored[1] == ("nulid", "Nul title", text)
