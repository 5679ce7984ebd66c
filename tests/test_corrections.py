"""Corrections that stick: move, merge, keep apart, undo; applied again after later ingests; named by
explain. On the fixtures, and on ECB+ dev (slow): correct, ingest the other 97 reports, re-run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.cli import main
from storyline.corrections import cannot_link, corrections, merge, move, reapply, undo
from storyline.errors import StorylineError
from storyline.store.sqlite import SQLiteStore
from tests.conftest import SHARED


def _cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def db(fixture_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "corrected.db"
    shutil.copy(fixture_db, copy)
    return copy


def test_move_merge_apart_and_undo(db: Path) -> None:
    with SQLiteStore(db) as store:
        summit, call = store.event_of("en_summit"), store.event_of("en_phone_call")
        moved = move(store, "en_phone_call", summit, who="ed", why="follow-up call")
        assert store.event_of("en_phone_call") == summit and moved["previous"] == call
        assert store.event(call)["merged_into"] == summit  # emptied: its ID points on
        assert corrections(store, article_id="en_phone_call")[0]["why"] == "follow-up call"
        undo(store, moved["seq"], who="ed")
        assert store.event_of("en_phone_call") == call and store.event(call)["merged_into"] is None
        apart = cannot_link(store, "en_summit", "fr_summit", who="ed")
        assert store.event_of("fr_summit") == apart["target"] != summit
        assert reapply(store) == []  # nothing undid it
        store.conn.execute("UPDATE event_articles SET event_id=? WHERE article_id='fr_summit'", (summit,))
        assert reapply(store) and store.event_of("fr_summit") != summit  # a later run put them together: parted
        merged = merge(store, call, summit, who="ed")
        assert store.event_of("en_phone_call") == summit
        undo(store, merged["seq"], who="ed")
        assert store.event_of("en_phone_call") == call
        with pytest.raises(StorylineError, match="already"):
            move(store, "en_summit", summit, who="ed")
        with pytest.raises(StorylineError, match="say who"):
            move(store, "en_quake", summit, who=" ")


def test_the_cli_corrects_explains_and_undoes(db: Path) -> None:
    with SQLiteStore(db) as store:
        summit = store.event_of("en_summit")
    moved = _cli("correct", "move", "en_quake", "--to", summit, "--by", "ed", "--why", "a test", "--db", str(db))
    assert moved.exit_code == 0 and "correction 1" in moved.output
    why = _cli("explain", "en_quake", "--db", str(db))
    assert "corrected by ed" in why.output and "a test" in why.output
    listed = json.loads(_cli("correct", "list", "--db", str(db), "--format", "json").stdout)
    assert listed[0]["kind"] == "move" and listed[0]["who"] == "ed" and listed[0]["undone_at"] is None
    both = _cli("correct", "move", "en_quake", "--db", str(db))
    assert both.exit_code == 2 and "exactly one of --to EVENT or --new" in both.output
    assert _cli("correct", "undo", "1", "--db", str(db)).exit_code == 0
    again = _cli("correct", "undo", "1", "--db", str(db))
    assert again.exit_code == 1 and "undone already" in again.output and "Traceback" not in again.output
    missing = _cli("correct", "undo", "99", "--db", str(db))
    assert missing.exit_code == 1 and "No correction number 99" in missing.output


@pytest.mark.slow
def test_a_correction_survives_more_articles_and_a_rerun_and_undo_restores(tmp_path: Path) -> None:
    dev = SHARED / "data" / "ecbplus" / "dev.jsonl"
    if not dev.is_file():
        pytest.skip("../shared/data/ecbplus is not here")
    lines = dev.read_text(encoding="utf-8").splitlines()
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    first.write_text("\n".join(lines[:100]) + "\n")
    rest.write_text("\n".join(lines[100:]) + "\n")
    db = str(tmp_path / "ecb.db")
    assert _cli("ingest", str(first), "--db", db, "--no-progress").exit_code == 0
    with SQLiteStore(db) as store:
        event = max(store.events(), key=lambda e: len(e["articles"]))
        members = [a["id"] for a in event["articles"]]
        moved_id, kept_id, apart_id = members[-1], members[0], members[1]
    assert _cli("correct", "move", moved_id, "--new", "--by", "ed", "--db", db).exit_code == 0
    assert _cli("correct", "apart", kept_id, apart_id, "--by", "ed", "--db", db).exit_code == 0
    with SQLiteStore(db) as store:
        corrected = {a: store.event_of(a) for a in (moved_id, kept_id, apart_id)}
    assert _cli("ingest", str(rest), "--db", db, "--no-progress").exit_code == 0  # 97 more, same topics
    assert _cli("ingest", str(first), str(rest), "--db", db, "--no-progress").exit_code == 0  # the same again
    with SQLiteStore(db) as store:
        now = {a: store.event_of(a) for a in corrected}
        assert now[moved_id] == corrected[moved_id] != store.event_of(members[-2])
        assert now[kept_id] != now[apart_id]
    assert "corrected by ed" in _cli("explain", moved_id, "--db", db).output
    assert _cli("correct", "undo", "1", "--by", "ed", "--db", db).exit_code == 0
    with SQLiteStore(db) as store:
        assert store.event_of(moved_id) == store.event_of(members[-2])  # back with the model's grouping


def test_corrections_over_http_behind_the_write_protection(db: Path) -> None:
    from fastapi.testclient import TestClient

    from storyline.serve.app import create_app

    client = TestClient(create_app(str(db)), base_url="http://127.0.0.1")
    made = client.post("/api/corrections", json={"kind": "move", "article": "en_quake", "by": "ed", "why": "x"})
    assert made.status_code == 201, made.text
    seq = made.json()["seq"]
    assert client.get("/api/corrections").json()[0]["article_id"] == "en_quake"
    assert client.post("/api/corrections", json={"kind": "move", "by": "ed"}).status_code == 400  # no article
    assert client.post("/api/corrections", json={"kind": "rename", "by": "ed"}).status_code == 422
    assert client.post("/api/corrections", json={"kind": "undo", "seq": seq, "by": "ed"}).status_code == 201
    assert client.post("/api/corrections", json={"kind": "undo", "seq": 99, "by": "ed"}).status_code == 404
    foreign = client.post("/api/corrections", json={"kind": "move", "article": "en_quake", "by": "ed"},
                          headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert foreign.status_code == 403
    locked = TestClient(create_app(str(db), token="s3cret"), base_url="http://127.0.0.1")
    assert locked.post("/api/corrections", json={"kind": "move", "article": "en_quake", "by": "ed"}).status_code == 401
    assert locked.post("/api/corrections", json={"kind": "move", "article": "en_quake", "by": "ed"},
                       headers={"Authorization": "Bearer s3cret"}).status_code == 201


def test_an_alias_renames_stored_and_later_articles_and_undo_restores(db: Path, tmp_path: Path) -> None:
    from storyline.corrections import alias
    from storyline.pipeline import Pipeline

    with SQLiteStore(db) as store:
        fixed = alias(store, "Elysee Palace", "Élysée Palace", kind="org", who="ed", why="the presidency")
        rows = store.conn.execute("SELECT canonical, type FROM entities WHERE text='Elysee'").fetchall()  # as written
        assert [(r["canonical"], r["type"]) for r in rows] == [("Élysée Palace", "ORG")]
        later = tmp_path / "later.jsonl"
        later.write_text(json.dumps({"id": "later", "title": "Macron speaks at the Elysee Palace", "published":
                                     "2023-06-21", "text": "French President Emmanuel Macron spoke at the Elysee "
                                     "Palace in Paris on Wednesday about energy prices and gas storage."}))
        report = Pipeline().ingest([str(later)], store, progress=False)
        names = store.conn.execute("SELECT canonical FROM entities WHERE article_id='later' AND text LIKE 'Elysee%'"
                                   ).fetchall()
        assert [r["canonical"] for r in names] in ([], ["Élysée Palace"])  # found by NER or not: never the old name
        if names:
            assert any("Élysée Palace" in line for line in report.corrected)
        undo(store, fixed["seq"], who="ed")
        back = store.conn.execute("SELECT DISTINCT canonical, type FROM entities WHERE text='Elysee'").fetchall()
        assert [(r["canonical"], r["type"]) for r in back] == [("Elysee Palace", "LOC")]
        with pytest.raises(StorylineError, match="PER, ORG or LOC"):
            alias(store, "Berlin", "Berlin", kind="CITY", who="ed")
    cli = _cli("correct", "alias", "Rome", "--as", "Roma", "--type", "LOC", "--by", "ed", "--db", str(db))
    assert cli.exit_code == 0 and "now reads as Roma" in cli.output


def test_an_alias_over_http(db: Path) -> None:
    from fastapi.testclient import TestClient

    from storyline.serve.app import create_app

    client = TestClient(create_app(str(db)), base_url="http://127.0.0.1")
    made = client.post("/api/corrections", json={"kind": "alias", "surface": "Rome", "stands_for": "Roma",
                                                 "type": "LOC", "by": "ed"})
    assert made.status_code == 201, made.text
    assert "Roma" in [e["name"] for e in client.get("/api/entities", params={"name": "roma"}).json()]


def test_the_article_page_corrects_with_a_plain_form(db: Path) -> None:
    from fastapi.testclient import TestClient

    from storyline.serve.app import create_app

    client = TestClient(create_app(str(db)), base_url="http://127.0.0.1")
    page = client.get("/articles/fr_summit")
    assert 'action="/corrections"' in page.text and "Keep apart" in page.text
    moved = client.post("/corrections", content="article=fr_summit&kind=apart&other=en_summit&by=ed&why=test",
                        headers={"Content-Type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"].startswith("/articles/fr_summit?corrected=")
    with SQLiteStore(db) as store:
        assert store.event_of("fr_summit") != store.event_of("en_summit")
    after = client.get(moved.headers["location"])
    assert "holds through later ingests" in after.text
    foreign = client.post("/corrections", content="article=en_quake&kind=move&by=x",
                          headers={"Content-Type": "application/x-www-form-urlencoded",
                                   "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert foreign.status_code == 403


def test_the_article_page_title_is_only_the_title(db: Path) -> None:
    from fastapi.testclient import TestClient

    from storyline.serve.app import create_app

    text = TestClient(create_app(str(db)), base_url="http://127.0.0.1").get("/articles/fr_summit").text
    title = text[text.index("<title>"):text.index("</title>")]
    assert "<form" not in title and "Correct this grouping" not in title and text.count("Correct this grouping") == 1
