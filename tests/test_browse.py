"""Browsing events, stories and entities (filters, sorts, pages) in the store, the CLI and the HTTP API,
on the hand-written fixtures: an Italian earthquake (2022-08-14), a Berlin summit reported in en, fr
and de (2023-03-03), and a phone call of the same two leaders (2023-06-20)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from storyline.browse import Browse, find_entities, find_events, find_stories
from storyline.cli import main
from storyline.errors import StorylineError
from storyline.serve.app import create_app
from storyline.store.sqlite import SQLiteStore


@pytest.fixture(scope="module")
def store(fixture_db: Path) -> SQLiteStore:
    with SQLiteStore(fixture_db) as opened:
        yield opened


def _titles(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["title"] for e in page.items]


def _ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["event_id"] for e in page.items]


def test_every_filter_narrows_the_events(store: SQLiteStore) -> None:
    everything = find_events(store, Browse(sort="oldest"))
    assert everything.total == 3 and len(_ids(everything)) == 3
    summit = [e["event_id"] for e in everything.items if len(e["articles"]) == 3]
    assert _ids(find_events(store, Browse(language="fr"))) == summit
    assert _ids(find_events(store, Browse(min_articles=2))) == summit
    assert _ids(find_events(store, Browse(outlet="example.com"))) == summit
    in_2023 = find_events(store, Browse(since=date(2023, 1, 1), until=date(2023, 12, 31)))
    assert in_2023.total == 2 and all(e["date"].startswith("2023") for e in in_2023.items)
    quake = find_events(store, Browse(entity="Italie"))  # French for Italy: any spelling
    assert quake.total == 1 and "earthquake" in quake.items[0]["title"].lower()
    assert find_events(store, Browse(entity="Atlantis")).total == 0


def test_sorts_and_pages(store: SQLiteStore) -> None:
    latest = find_events(store, Browse(sort="latest"))
    assert [e["date"] for e in latest.items] == sorted((e["date"] for e in latest.items), reverse=True)
    assert len(find_events(store, Browse(sort="largest")).items[0]["articles"]) == 3
    oldest = _ids(find_events(store, Browse(sort="oldest")))
    assert oldest == sorted(oldest)
    first = find_events(store, Browse(sort="oldest", limit=2))
    assert first.total == 3 and len(first.items) == 2 and first.next_offset == 2 and first.previous_offset is None
    rest = find_events(store, Browse(sort="oldest", limit=2, offset=2))
    assert _ids(first) + _ids(rest) == oldest and rest.next_offset is None and rest.previous_offset == 0
    growing = find_events(store, Browse(sort="growing"))  # the data's last week: the June phone call
    assert "phone call" in growing.items[0]["title"]


def test_stories_keep_those_with_a_matching_event(store: SQLiteStore) -> None:
    assert find_stories(store, Browse()).total == 2
    french = find_stories(store, Browse(language="fr"))
    assert french.total == 1 and len(french.items[0]["events"]) == 2  # the whole story, not only its match
    assert find_stories(store, Browse(sort="largest")).items[0]["articles"] == 4


def test_entities_are_counted_once_per_name_whatever_the_language(store: SQLiteStore) -> None:
    total, people = find_entities(store, kind="PER")
    assert total >= 2 and {"Emmanuel Macron", "Olaf Scholz"} <= {e["name"] for e in people}
    macron = next(e for e in people if e["name"] == "Emmanuel Macron")
    assert macron["articles"] == 4 and macron["events"] == 2 and macron["type"] == "PER"
    assert [e["name"] for e in find_entities(store, name="scholz")[1]] == ["Olaf Scholz"]
    assert find_entities(store, limit=1, offset=1)[1] != find_entities(store, limit=1)[1]


def test_bad_filters_say_how_to_fix_them() -> None:
    with pytest.raises(StorylineError, match="since must be a date like"):
        Browse.parse(since="2023-02-30")
    with pytest.raises(StorylineError, match="sort must be one of"):
        Browse.parse(sort="random")
    assert Browse.parse(language=" FR ", outlet="", entity=" ", min_articles=None) == Browse(language="fr")
    assert not Browse.parse(outlet="", entity=" ", sort="largest").filtered
    assert Browse(min_articles=2).filtered and Browse(language="fr").filtered


def test_cli_filters_sorts_and_pages(fixture_db: Path) -> None:
    runner = CliRunner()
    french = runner.invoke(main, ["events", "--db", str(fixture_db), "--language", "fr", "--format", "json"])
    assert french.exit_code == 0, french.output
    assert len(json.loads(french.stdout)) == 1
    paged = runner.invoke(main, ["events", "--db", str(fixture_db), "--sort", "latest", "--limit", "1"])
    assert paged.exit_code == 0 and "phone call" in paged.stdout and "events 1–1 of 3; --offset 1" in paged.stderr
    none = runner.invoke(main, ["stories", "--db", str(fixture_db), "--entity", "Atlantis"])
    assert none.exit_code == 0 and "(no stories match these filters)" in none.stdout
    bad = runner.invoke(main, ["events", "--db", str(fixture_db), "--since", "yesterday"])
    assert bad.exit_code == 1 and "since must be a date like" in bad.output and "Traceback" not in bad.output
    people = runner.invoke(main, ["entities", "--db", str(fixture_db), "--type", "PER", "--format", "json"])
    assert people.exit_code == 0 and all(e["type"] == "PER" for e in json.loads(people.stdout))


def test_api_and_pages_list_the_same_with_a_total(fixture_db: Path) -> None:
    client = TestClient(create_app(str(fixture_db)), base_url="http://127.0.0.1")
    api = client.get("/api/events", params={"sort": "oldest", "limit": 2})
    assert api.status_code == 200 and api.headers["x-total-count"] == "3" and len(api.json()) == 2
    assert client.get("/api/stories", params={"language": "fr"}).headers["x-total-count"] == "1"
    assert client.get("/api/entities", params={"type": "PER"}).json()[0]["type"] == "PER"
    assert client.get("/api/events", params={"sort": "random"}).status_code == 422
    assert client.get("/api/events", params={"since": "2023-02-30"}).status_code == 400
    page = client.get("/events", params={"language": "fr", "min_articles": ""})
    assert page.status_code == 200 and "1–1 of 1" in page.text and 'value="fr"' in page.text
    home = client.get("/", params={"limit": 1})
    assert home.status_code == 200 and "1–1 of 2" in home.text and 'href="/?limit=1&amp;offset=1"' in home.text
    assert "Olaf Scholz" in client.get("/entities", params={"type": "PER"}).text
    assert client.get("/stories", params={"entity": "Atlantis"}).status_code == 200


def test_events_say_how_exact_their_date_is(store: SQLiteStore) -> None:
    for event in store.events():
        assert event["date_precision"] in {"day", "week", "month", "year", "unknown"}
        assert isinstance(event["date_estimated"], bool)
        assert event["date_shown"] == ("undated" if not event["date"] else event["date_shown"])
    summit = next(e for e in store.events() if len(e["articles"]) == 3)
    assert summit["date_precision"] == "day"
    assert summit["date_shown"] == ("≈ 2023-03-03" if summit["date_estimated"] else "2023-03-03")


def test_export_events_and_entities_as_csv(fixture_db: Path) -> None:
    import csv
    import io

    runner = CliRunner()
    events = runner.invoke(main, ["export", "--db", str(fixture_db), "--what", "events", "--format", "csv"])
    assert events.exit_code == 0, events.output
    rows = list(csv.DictReader(io.StringIO(events.stdout)))
    assert len(rows) == 3 and {"date_precision", "languages", "outlets", "article_ids"} <= set(rows[0])
    summit = next(r for r in rows if r["articles"] == "3")
    assert summit["languages"] == "de en fr" and summit["outlets"] == "example.com"
    entities = runner.invoke(main, ["export", "--db", str(fixture_db), "--what", "entities"])
    names = [json.loads(line)["name"] for line in entities.stdout.splitlines()]
    assert "Olaf Scholz" in names and len(names) == len(set(names))
    articles = runner.invoke(main, ["export", "--db", str(fixture_db), "--format", "csv"])
    assert articles.stdout.splitlines()[0].startswith("id,source,url,outlet,title") and \
        len(articles.stdout.splitlines()) == 6


def test_titles_in_the_readers_language(fixture_db: Path, store: SQLiteStore) -> None:
    summit = next(e for e in store.events() if len(e["articles"]) == 3)["event_id"]
    titles = {lang: next(e["title"] for e in find_events(store, Browse(), lang=lang).items if e["event_id"] == summit)
              for lang in ("fr", "de", "en")}
    assert "Berlin" in titles["fr"] and titles["fr"] != titles["de"] != titles["en"]
    runner = CliRunner()
    french = runner.invoke(main, ["events", "--db", str(fixture_db), "--lang", "fr", "--format", "json"])
    assert titles["fr"] in [e["title"] for e in json.loads(french.stdout)]
    client = TestClient(create_app(str(fixture_db)), base_url="http://127.0.0.1")
    assert titles["de"] in client.get("/events", params={"lang": "de"}).text
    assert titles["de"] in [e["title"] for e in client.get("/api/events", params={"lang": "de"}).json()]
