"""The CLI end to end, in process (click's CliRunner), on the hand-written fixtures."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.cli import main
from tests.conftest import ARTICLES


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    shutil.copytree(ARTICLES, folder / "articles")
    jsonl = '{"id": "j1", "text": "Short JSONL article about nothing."}\n{oops\n'
    (folder / "articles" / "broken.jsonl").write_text(jsonl)
    (folder / "articles" / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    db = folder / "test.db"
    result = CliRunner().invoke(main, ["ingest", str(folder / "articles"), "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ingested"] == 6 and summary["failed"] == 2
    return db


def _json(args: list[str]) -> object:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cli_articles_json_has_the_contract_fields(ingested: Path) -> None:
    articles = _json(["articles", "--db", str(ingested), "--format", "json"])
    by_id = {a["id"]: a for a in articles}
    fr = by_id["fr_summit"]
    assert fr["language"] == "fr"
    assert fr["event_date"]["date"] == "2023-03-03" and fr["event_date"]["confidence"] > 0
    assert {"text", "canonical", "type"} <= set(fr["entities"][0])
    assert "newsletter" not in fr["text"]
    assert by_id["en_summit"]["url"].startswith("https://news.example.com/")


def test_cli_events_stories_timeline_and_export(ingested: Path) -> None:
    events = _json(["events", "--db", str(ingested), "--format", "json"])
    summit = next(e for e in events if any(a["id"] == "en_summit" for a in e["articles"]))
    assert {a["id"] for a in summit["articles"]} == {"en_summit", "fr_summit", "de_summit"}
    assert summit["date"] == "2023-03-03"
    assert summit["articles"][1]["why"]["shared_entities"]

    stories = _json(["stories", "--db", str(ingested), "--format", "json"])
    assert any(len(s["events"]) >= 2 for s in stories)

    timeline = _json(["timeline", "--entity", "Scholz", "--db", str(ingested), "--format", "json"])
    assert timeline["entity"] == "Olaf Scholz"
    dates = [e["date"] for e in timeline["events"]]
    assert dates == sorted(dates) and dates[0] == "2023-03-03"

    result = CliRunner().invoke(main, ["export", "--db", str(ingested)])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"id", "source", "event_id", "story_id", "language", "published", "event_date"} <= set(rows[0])
    assert {"outlet", "published_precision", "published_estimated", "event_date_precision",
            "event_date_estimated"} <= set(rows[0])
    assert {row["event_date_precision"] for row in rows} <= {"day", "month", "year", "unknown"}


def test_cli_table_output_and_reingest_skips_duplicates(ingested: Path) -> None:
    result = CliRunner().invoke(main, ["events", "--db", str(ingested)])
    assert result.exit_code == 0 and "ev-000001" in result.stdout
    again = CliRunner().invoke(main, ["ingest", str(ARTICLES / "en_summit.txt"), "--db", str(ingested)])
    assert "ingested 0, skipped as duplicate 1" in again.stdout


def test_cli_reads_stdin(tmp_path: Path) -> None:
    db = tmp_path / "stdin.db"
    text = (ARTICLES / "en_quake.txt").read_text()
    result = CliRunner().invoke(main, ["ingest", "-", "--db", str(db)], input=text)
    assert result.exit_code == 0 and "ingested 1" in result.stdout


def test_cli_user_mistakes_give_messages_not_tracebacks(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["events", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1 and "storyline ingest" in missing.output and "Traceback" not in missing.output
    CliRunner().invoke(main, ["ingest", str(ARTICLES / "en_quake.txt"), "--db", str(tmp_path / "q.db")])
    unknown = CliRunner().invoke(main, ["timeline", "--entity", "Nobody Atall", "--db", str(tmp_path / "q.db")])
    assert unknown.exit_code == 1 and "No entity" in unknown.output
    both = CliRunner().invoke(main, ["timeline", "--db", str(tmp_path / "q.db")])
    assert both.exit_code == 2 and "exactly one" in both.output


def test_cli_help_teaches() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert "storyline ingest" in result.output and "timeline" in result.output
    ingest_help = CliRunner().invoke(main, ["ingest", "--help"])
    assert "JSONL" in ingest_help.output and "standard input" in ingest_help.output


def test_cli_eval_clustering_on_a_small_gold_file(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    lines = []
    for name, cluster, lang in [("en_summit", "summit", "en"), ("fr_summit", "summit", "fr"),
                                ("de_summit", "summit", "de"), ("en_quake", "quake", "en")]:
        text = (ARTICLES / f"{name}.txt").read_text()
        lines.append(json.dumps({"id": name, "lang": lang, "date": None, "title": "", "text": text,
                                 "cluster": cluster}))
    gold.write_text("\n".join(lines) + "\n")
    report = _json(["eval", "clustering", "--data", str(gold), "--format", "json"])
    assert report["articles"] == 4 and report["gold_events"] == 2
    assert report["total"]["bcubed"]["f1"] == 1.0
    assert set(report["by_language"]) == {"en", "fr", "de"}
    table = CliRunner().invoke(main, ["eval", "clustering", "--data", str(gold)])
    assert "BCubed F1" in table.stdout and "total" in table.stdout


def test_cli_eval_clustering_needs_the_gold_label(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "a", "text": "Some text here."}) + "\n")
    result = CliRunner().invoke(main, ["eval", "clustering", "--data", str(gold)])
    assert result.exit_code == 1 and "--label" in result.output


def test_cli_doctor_reports_and_sets_the_exit_status(ingested: Path, tmp_path: Path) -> None:
    healthy = _json(["doctor", "--db", str(ingested), "--format", "json"])
    assert healthy["ok"] and len(healthy["checks"]) >= 7
    broken = tmp_path / "broken.db"
    shutil.copy(ingested, broken)
    import sqlite3

    with sqlite3.connect(broken) as conn:
        conn.execute("DELETE FROM stories")
    result = CliRunner().invoke(main, ["doctor", "--db", str(broken)])
    assert result.exit_code == 1 and "PROBLEM" in result.output and "missing story" in result.output
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello " * 1000)
    result = CliRunner().invoke(main, ["doctor", "--db", str(not_a_db)])
    assert result.exit_code == 1 and "is not a Storyline database" in result.output and "Traceback" not in result.output


def test_cli_explain_says_why_an_article_is_in_its_event(ingested: Path) -> None:
    result = CliRunner().invoke(main, ["explain", "fr_summit", "--db", str(ingested)])
    assert result.exit_code == 0, result.output
    assert "joined with same-event probability" in result.output and "Olaf Scholz" in result.output
    data = _json(["explain", "fr_summit", "--db", str(ingested), "--format", "json"])
    assert data["event"]["event_id"] and "en_summit" in data["event_articles"]
    missing = CliRunner().invoke(main, ["explain", "nope", "--db", str(ingested)])
    assert missing.exit_code == 1 and "nope" in missing.output
