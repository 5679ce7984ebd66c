"""The compare page and the article page's related reports, on the fixture database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from storyline.compare import DIMENSIONS
from storyline.serve.app import create_app


@pytest.fixture(scope="module")
def client(fixture_db: Path) -> TestClient:
    return TestClient(create_app(str(fixture_db)), base_url="http://127.0.0.1")


def test_compare_shows_the_seven_dimensions_the_verdict_and_what_is_shared(client: TestClient) -> None:
    page = client.get("/compare", params={"a": "en_summit", "b": "fr_summit"})
    assert page.status_code == 200
    assert len(re.findall(r"<meter ", page.text)) == len(DIMENSIONS)
    for name in DIMENSIONS:
        assert f'<th scope="row">{name}</th>' in page.text
    assert "one event" in page.text and "reaches the threshold" in page.text
    assert "Olaf Scholz" in page.text and "The most similar sentences" in page.text
    apart = client.get("/compare", params={"a": "en_summit", "b": "en_quake"})
    assert apart.status_code == 200 and "apart" in apart.text


def test_compare_asks_for_two_articles_and_names_a_missing_one(client: TestClient) -> None:
    empty = client.get("/compare")
    assert empty.status_code == 200 and 'name="a"' in empty.text and "<meter" not in empty.text
    missing = client.get("/compare", params={"a": "en_summit", "b": "nope"})
    assert missing.status_code == 404 and "nope" in missing.text


def test_an_article_page_lists_its_event_and_story_neighbours(client: TestClient) -> None:
    page = client.get("/articles/en_summit")
    assert page.status_code == 200
    assert "Other reports of this event" in page.text
    assert 'href="/compare?a=en_summit&amp;b=fr_summit"' in page.text
    assert "Related events in the same story" in page.text and "phone call" in page.text
    alone = client.get("/articles/en_quake")
    assert alone.status_code == 200 and "Other reports of this event" not in alone.text


def test_an_event_says_how_many_independent_sources_report_it(client: TestClient) -> None:
    event = client.get("/api/articles/en_summit").json()
    event_id = next(e["event_id"] for e in client.get("/api/events").json()
                    if "en_summit" in [a["id"] for a in e["articles"]])
    sources = client.get(f"/api/events/{event_id}").json()["sources"]
    assert sources["reports"] == 3 and 1 <= sources["independent_sources"] <= 3 and sources["earliest"]
    page = client.get(f"/events/{event_id}")
    assert f"<strong>{sources['independent_sources']} independent</strong>" in page.text
    assert event["id"] == "en_summit"
