"""Acceptance on the five seed articles in ../shared/seeds (skipped when absent)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.cli import main
from tests.conftest import SEEDS

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the project")

BOILERPLATE = ["cookies", "Read more", "read more", "Continue reading", "registering", "Skip to main content",
               "This page is not available", "(courtesy)", "(AP Photo", "Flash90", "Alain Jocard, AFP",
               "https://www.rt.com", "Also read", "Next for you", "Found in:", "Article Summary",
               "award-winning Middle East Lobbying", "writes on the Middle East", "Russia / Mideast"]


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("seeds") / "seeds.db"
    result = CliRunner().invoke(main, ["ingest", str(SEEDS), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def _json(*args: str) -> object:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _event_of(db: Path) -> dict[str, str]:
    rows = _json("articles", "--db", str(db), "--format", "json")
    export = CliRunner().invoke(main, ["export", "--db", str(db)]).stdout.splitlines()
    by_id = {json.loads(line)["id"][:3]: json.loads(line) for line in export}
    assert len(rows) == 5
    return {k: v["event_id"] for k, v in by_id.items()}


def test_seeds_events(seeds_db: Path) -> None:
    event = _event_of(seeds_db)
    assert event["000"] == event["001"]
    assert len({event["000"], event["002"], event["003"], event["004"]}) == 4


def test_seeds_stories(seeds_db: Path) -> None:
    export = [json.loads(x) for x in CliRunner().invoke(main, ["export", "--db", str(seeds_db)]).stdout.splitlines()]
    story = {row["id"][:3]: row["story_id"] for row in export}
    assert story["002"] == story["000"] == story["001"]
    assert story["004"] != story["000"] and story["003"] != story["000"]


def _putin_timeline(db: Path, name: str) -> tuple[list[list[str]], dict[str, str | None]]:
    timeline = _json("timeline", "--entity", name, "--db", str(db), "--format", "json")
    assert timeline["entity"] == "Vladimir Putin"
    order = [sorted(a["id"][:3] for a in e["articles"]) for e in timeline["events"]]
    dates = {a["id"][:3]: e["date"] for e in timeline["events"] for a in e["articles"]}
    return order, dates


@pytest.mark.parametrize("name", ["Vladimir Putin", "Poutine", "Putin"])
def test_seeds_putin_timeline_order_and_dates(seeds_db: Path, name: str) -> None:
    order, dates = _putin_timeline(seeds_db, name)
    without_003 = [[i for i in group if i != "003"] for group in order]
    assert [g for g in without_003 if g] == [["004"], ["000", "001"], ["002"]]
    assert dates["004"] == "2015-10-02"
    assert dates["000"] == dates["001"] == "2018-11-11"
    assert dates["002"] is None  # "vendredi" with no year: no date is better than an invented one


def test_seeds_putin_timeline_places_undated_003_after_its_story_2015_event(seeds_db: Path) -> None:
    order, _ = _putin_timeline(seeds_db, "Poutine")
    assert order == [["004"], ["003"], ["000", "001"], ["002"]]
    timeline = _json("timeline", "--entity", "Poutine", "--db", str(seeds_db), "--format", "json")
    assert "after the dated events of story" in timeline["events"][1]["placed"]


def test_seeds_languages_and_entities(seeds_db: Path) -> None:
    articles = {a["id"][:3]: a for a in _json("articles", "--db", str(seeds_db), "--format", "json")}
    assert articles["002"]["language"] == "fr"
    assert all(articles[k]["language"] == "en" for k in ["000", "001", "003", "004"])
    french = {e["text"]: e["canonical"] for e in articles["002"]["entities"]}
    assert french["Poutine"] == "Vladimir Putin"
    assert {"Syria", "Benjamin Netanyahu"} <= set(french.values())


def test_seeds_no_boilerplate_survives(seeds_db: Path) -> None:
    articles = _json("articles", "--db", str(seeds_db), "--format", "json")
    for article in articles:
        for noise in BOILERPLATE:
            assert noise not in article["text"], (article["id"], noise)
        assert not article["text"].lstrip().startswith(("120", "12\n"))
