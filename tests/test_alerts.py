"""Watches and alerts: raised by ingest on the seeds ("Poutine" finds Vladimir Putin's events), stored
once, read as an Atom feed a feed reader accepts, POSTed to a webhook on a real local server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from storyline.alerts import Watch, add_watch, alerts, atom_feed, check
from storyline.cli import main
from storyline.errors import StorylineError
from storyline.pipeline import Pipeline
from storyline.serve.app import create_app
from storyline.store.sqlite import SQLiteStore
from tests.conftest import ARTICLES, SEEDS
from tests.local_web import LocalWeb, Route


def _cli(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SEEDS.exists():
        pytest.skip("../shared/seeds is not here")
    db = tmp_path_factory.mktemp("alerts") / "seeds.db"
    assert _cli("alerts", "add", "putin", "--entity", "Poutine", "--db", str(db)).exit_code == 0
    assert _cli("alerts", "add", "paris-talks", "--query", "Paris talks", "--min-sources", "2",
                "--db", str(db)).exit_code == 0
    result = _cli("ingest", str(SEEDS), "--db", str(db), "--no-progress", "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {a["watch"] for a in summary["alerts"]} == {"putin", "paris-talks"}
    return db


def test_a_watch_on_poutine_fires_on_every_putin_event(seeds_db: Path) -> None:
    with SQLiteStore(seeds_db) as store:
        raised = alerts(store, watch="putin")
        putin_events = {e["event_id"] for e in store.events()
                        if any((a["title"] and "Putin" in a["title"]) or "Poutine" in (a["title"] or "")
                               for a in e["articles"])}
    assert {a["event_id"] for a in raised} >= putin_events and len(raised) == 4
    assert all("names Vladimir Putin" in a["reason"] for a in raised)


def test_min_sources_holds_back_events_with_fewer_sources(seeds_db: Path) -> None:
    with SQLiteStore(seeds_db) as store:
        talks = alerts(store, watch="paris-talks")
        outlets = {e["event_id"]: len(e["articles"]) for e in store.events()}
    assert talks and all(outlets[a["event_id"]] >= 2 for a in talks)  # the 2018 Paris meeting, two reports


def test_alerts_are_raised_once(seeds_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "again.db"
    shutil.copy(seeds_db, db)
    again = _cli("ingest", str(SEEDS), "--db", str(db), "--no-progress", "--format", "json")
    assert "alerts" not in json.loads(again.stdout)  # nothing new was stored
    check_all = _cli("alerts", "check", "--db", str(db))
    assert check_all.exit_code == 0 and "(no new alerts)" in check_all.stdout
    listed = _cli("alerts", "list", "--db", str(db), "--format", "json")
    assert len(json.loads(listed.stdout)) == len({(a["watch"], a["event_id"]) for a in json.loads(listed.stdout)})


def test_the_atom_feed_is_read_by_a_feed_reader(seeds_db: Path) -> None:
    client = TestClient(create_app(str(seeds_db)), base_url="http://127.0.0.1")
    response = client.get("/feeds/putin.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Storyline: putin" and len(feed.entries) == 4
    assert all(entry.link.startswith("http://127.0.0.1/events/ev-") for entry in feed.entries)
    assert client.get("/feeds/nobody.atom").status_code == 404
    assert {w["name"] for w in client.get("/api/watches").json()} == {"putin", "paris-talks"}
    assert len(client.get("/api/alerts", params={"watch": "putin"}).json()) == 4


def test_a_webhook_gets_the_new_alerts_and_a_dead_one_is_reported(tmp_path: Path) -> None:
    with LocalWeb() as web:
        web.routes["/hook"] = Route(body=b"ok", content_type="text/plain")
        db = tmp_path / "hooks.db"
        with SQLiteStore(db) as store:
            add_watch(store, Watch(name="summit", entity="Scholz", webhook=web.url("/hook")))
            add_watch(store, Watch(name="dead", entity="Scholz", webhook=web.url("/missing")))
            Pipeline().ingest([str(ARTICLES)], store, progress=False)
        posted = [json.loads(r.body) for r in web.log if r.path == "/hook"]
    assert len(posted) == 1 and posted[0]["watch"] == "summit"
    assert {a["event_id"] for a in posted[0]["alerts"]} and all("Olaf Scholz" in a["reason"]
                                                               for a in posted[0]["alerts"])
    with SQLiteStore(db) as store:
        assert len(alerts(store, watch="dead")) == len(posted[0]["alerts"])  # stored even though the POST failed
        assert check(store) == []
        feed = atom_feed(store, "summit", "http://example.org/")
    assert "http://example.org/events/" in feed


def test_bad_watches_say_how_to_fix_them(tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    bad = _cli("alerts", "add", "Not OK", "--entity", "x", "--db", db)
    assert bad.exit_code == 1 and "lower-case letters" in bad.output and "Traceback" not in bad.output
    empty = _cli("alerts", "add", "nothing", "--db", db)
    assert empty.exit_code == 1 and "--entity NAME, --query WORDS" in empty.output
    hook = _cli("alerts", "add", "hook", "--entity", "x", "--webhook", "ftp://x", "--db", db)
    assert hook.exit_code == 1 and "http(s) URL" in hook.output
    missing = _cli("alerts", "remove", "nobody", "--db", db)
    assert missing.exit_code == 1 and "No watch named 'nobody'" in missing.output
    with SQLiteStore(tmp_path / "w.db") as store, pytest.raises(StorylineError):
        add_watch(store, Watch(name="x"))
