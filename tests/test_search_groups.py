"""Search grouped by event (the same event in three languages takes one row), sorted by date, paged,
highlighted, in the CLI, the API and the page."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from storyline.cli import main
from storyline.search_groups import grouped, sorted_by_date
from storyline.serve.app import create_app


def _row(id_: str, event: str | None, date: str | None, language: str) -> dict:
    return {"id": id_, "event_id": event, "date": date, "language": language, "outlet": None, "title": id_,
            "score": 1.0}


RESULT = {"query": "q", "entities": [], "results": [
    _row("a1", "ev-1", "2023-03-03", "en"), _row("b1", "ev-2", "2023-06-20", "en"),
    _row("a2", "ev-1", "2023-03-03", "fr"), _row("c1", None, None, "de"), _row("a3", "ev-1", "2023-03-04", "de")]}


def test_one_group_per_event_ranked_by_its_best_article() -> None:
    found = grouped(RESULT)
    assert found["total_groups"] == 3
    first = found["groups"][0]
    assert first["event_id"] == "ev-1" and [a["id"] for a in first["articles"]] == ["a1", "a2", "a3"]
    assert first["languages"] == ["en", "fr", "de"] and first["date"] == "2023-03-04"
    assert found["groups"][2]["event_id"] is None  # an article in no event stands alone
    assert [g["event_id"] for g in grouped(RESULT, sort="date")["groups"]] == ["ev-2", "ev-1", None]
    paged = grouped(RESULT, limit=1, offset=1)
    assert [g["event_id"] for g in paged["groups"]] == ["ev-2"] and paged["total_groups"] == 3
    assert [r["id"] for r in sorted_by_date(RESULT)["results"]] == ["b1", "a3", "a1", "a2", "c1"]


def test_cli_api_and_page_group_by_event(fixture_db: Path) -> None:
    runner = CliRunner()
    cli = runner.invoke(main, ["search", "Macron Scholz", "--db", str(fixture_db), "--by", "event", "--format",
                               "json"])
    assert cli.exit_code == 0, cli.output
    groups = json.loads(cli.stdout)["groups"]
    summit = next(g for g in groups if len(g["articles"]) == 3)
    assert sorted(summit["languages"]) == ["de", "en", "fr"]
    ids = [g["event_id"] for g in groups]
    assert len(ids) == len(set(ids))  # one row per event
    table = runner.invoke(main, ["search", "Macron Scholz", "--db", str(fixture_db), "--by", "event", "--sort", "date"])
    assert table.exit_code == 0 and "languages" in table.stdout
    client = TestClient(create_app(str(fixture_db)), base_url="http://127.0.0.1")
    api = client.get("/api/search", params={"q": "Macron Scholz", "group": "event", "limit": 1}).json()
    assert len(api["groups"]) == 1 and api["total_groups"] >= 2
    by_date = client.get("/api/search", params={"q": "Macron Scholz", "sort": "date"}).json()["results"]
    dates = [r["date"] for r in by_date if r["date"]]
    assert dates == sorted(dates, reverse=True)
    page = client.get("/search", params={"q": "Scholz"})
    assert page.status_code == 200 and "grouped by event" in page.text and "3 matching articles" in page.text
    assert "Scholz</mark>" in page.text  # highlighted ("Olaf Scholz", the name the query was understood as)
    flat = client.get("/search", params={"q": "Scholz", "group": "article"})
    assert flat.status_code == 200 and "grouped by event" not in flat.text
