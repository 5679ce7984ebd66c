"""Hostile and broken input through `storyline ingest`: each bad file gets a clear error naming the file
(and line), every good file in the same run is stored, and nothing stored earlier is lost."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.cli import main
from tests.conftest import ARTICLES

GOOD = ("Flooding closed roads and schools in {city} on Monday, March 6, 2023, officials said.\n"
        "Rescue teams worked through the night. The mayor thanked everyone involved.\n")


def _write_inputs(folder: Path) -> dict[str, str]:
    """The bad files, and for each the error code expected (or 'stored')."""
    folder.mkdir()
    expected = {}

    def put(name: str, data: bytes | str, outcome: str) -> None:
        (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        expected[name] = outcome

    put("good.txt", GOOD.format(city="Lyon"), "stored")
    put("empty.txt", "", "E007")
    put("blank.txt", "  \n\n \t ", "E007")
    put("doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + os.urandom(2000), "E003")
    put("picture.png", b"\x89PNG\r\n\x1a\n" + os.urandom(3000), "E003")
    put("noise.txt", os.urandom(5000), "E003")
    put("utf16.txt", GOOD.format(city="Besançon").encode("utf-16"), "stored")
    put("utf16-no-bom.txt", GOOD.format(city="Orléans").encode("utf-16-le"), "stored")
    put("latin1.txt", GOOD.format(city="Besançon-les-Bains").encode("latin-1"), "stored")
    put("broken-utf8.txt", GOOD.format(city="Besançon-la-Forêt").encode("utf-8").replace(b"Monday", b"Mon\xffday"),
        "stored")
    put("malformed.html", "<html><head><title>Storm in Graz</title><body><p>A storm brought down trees in Graz "
        "on Friday, May 5, 2023. <div><p>Power lines fell.<table><tr><td>unclosed", "stored")
    put("nested.html", "<html><body>" + "<div>" * 50_000 + "<p>A fire in Porto on Tuesday, June 6, 2023.</p>"
        + "</div>" * 50_000 + "</body></html>", "E006")
    put("long-line.txt", "Rents " + "rose sharply again in Krakow this spring " * 2500 + "\n", "stored")
    put("years.txt", "Officials in Tampere said on 31 December 9999 the festival would close, and on January 1, "
        "0001 it opened.\nMore about the festival in Tampere and its music.\n", "stored")
    put("bomb.txt.gz", gzip.compress(b"\0" * 20_000_000), "E003")
    lines = [{"id": "jsonl-ok", "text": "A strike stopped trains in Ghent on Thursday, April 6, 2023, unions said."},
             "{broken json", {"id": "no-text", "title": "only a title"}, ["a", "list"],
             {"id": "year-0", "text": "A protest about rents grew in Split on Sunday.", "published": "0000-01-01"},
             {"id": "year-9999", "text": "A storm warning was issued for the coast of Bergen.",
              "published": "9999-12-31"},
             {"id": "not-a-date", "text": "A ceremony was held in Turin for teachers.", "published": "soon"}]
    put("mixed.jsonl", "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        "jsonl")
    with open(folder / "huge.txt", "w", encoding="utf-8") as handle:  # 50 MB
        line = GOOD.format(city="Basel").replace("\n", " ") * 20 + "\n"
        while handle.tell() < 50_000_000:
            handle.write(line)
    expected["huge.txt"] = "E008"
    return expected


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("bad")
    db = root / "bad.db"
    first = CliRunner().invoke(main, ["ingest", str(ARTICLES / "en_summit.txt"), "--db", str(db)])
    assert first.exit_code == 0, first.output
    expected = _write_inputs(root / "inputs")
    result = CliRunner().invoke(main, ["ingest", str(root / "inputs"), "--db", str(db), "--format", "json"])
    return result, db, expected


def _stored_sources(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {Path(row[0]).name.split(":")[0] for row in conn.execute("SELECT source FROM articles")}


def test_no_traceback_and_a_summary_that_counts_failures(run) -> None:  # type: ignore[no-untyped-def]
    result, _, expected = run
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    summary = json.loads(result.stdout)
    failing_files = [name for name, outcome in expected.items() if outcome.startswith("E")]
    assert summary["failed"] == len(failing_files) + 3  # + three bad JSONL lines
    assert summary["ingested"] == sum(1 for o in expected.values() if o == "stored") + 4  # + four JSONL articles


def test_each_bad_file_is_named_with_its_reason(run) -> None:  # type: ignore[no-untyped-def]
    result, _, expected = run
    failures = {Path(f["source"]).name: f for f in json.loads(result.stdout)["failures"]}
    for name, outcome in expected.items():
        if outcome.startswith("E"):
            assert failures[name]["code"] == outcome, (name, failures.get(name))
            assert name in failures[name]["reason"]
    jsonl = [f for f in json.loads(result.stdout)["failures"] if f["source"].endswith("mixed.jsonl")]
    assert [(f["line"], f["code"]) for f in jsonl] == [(2, "E004"), (3, "E005"), (4, "E005")]
    assert all(f"line {f['line']}" in f["reason"] for f in jsonl)
    assert "failed: [E008]" in result.stderr and "huge.txt" in result.stderr


def test_good_files_are_stored_and_earlier_articles_kept(run) -> None:  # type: ignore[no-untyped-def]
    _, db, expected = run
    stored = _stored_sources(db)
    assert "en_summit.txt" in stored  # from the earlier run
    assert {name for name, outcome in expected.items() if outcome == "stored"} <= stored
    with sqlite3.connect(db) as conn:
        texts = dict(conn.execute("SELECT id, text FROM articles"))
    assert "Besançon" in texts["utf16"] and "Orléans" in texts["utf16-no-bom"]
    assert "Besançon-les-Bains" in texts["latin1"]
    assert "Besançon-la-Forêt" in texts["broken-utf8"]  # one broken byte does not garble the rest
    assert len(texts["long-line"]) > 90_000


def test_absurd_dates_are_ignored_not_believed(run) -> None:  # type: ignore[no-untyped-def]
    _, db, _ = run
    with sqlite3.connect(db) as conn:
        dates = dict(conn.execute("SELECT id, coalesce(event_date, '') || '|' || coalesce(published, '')"
                                  " FROM articles"))
    for article_id in ("year-0", "year-9999", "not-a-date", "years"):
        assert "9999" not in dates[article_id] and "0000" not in dates[article_id] and "0001" not in dates[article_id]
    with sqlite3.connect(db) as conn:
        clock = json.loads(conn.execute("SELECT value FROM meta WHERE key='linker_state'").fetchone()[0])["clock"]
    assert clock is None or clock < "2100"
