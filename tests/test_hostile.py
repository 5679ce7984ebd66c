"""The hostile corpus (tests/hostile.py) through every way in: ``storyline ingest`` of a folder that
mixes it with the seeds, a re-run, ``similar --pairs``, and the HTTP API. Nothing stops a run, every
bad record is reported by name and line, every good record is stored exactly once, in bounded time."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from storyline.cli import main
from storyline.serve import create_app
from tests.conftest import ARTICLES, SEEDS
from tests.hostile import good, jsonl_lines, write_corpus

#: The whole folder (about 6 MB of hostile input and five articles) must take seconds, not minutes.
TIME_BOUND_S = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path]:
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "inputs"
    expected = write_corpus(folder / "hostile")
    seeds = SEEDS if SEEDS.is_dir() else ARTICLES  # the shared seeds, or our own fixtures without ../shared
    shutil.copytree(seeds, folder / "seeds")
    return folder, expected, folder / "seeds"


@pytest.fixture(scope="module")
def ingested(corpus, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder, _, _ = corpus
    db = tmp_path_factory.mktemp("db") / "hostile.db"
    started = time.monotonic()
    result = CliRunner().invoke(main, ["ingest", str(folder), "--db", str(db), "--format", "json"])
    return result, db, time.monotonic() - started


def _sources(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT source FROM articles")]


def test_hostile_folder_runs_to_the_end_without_a_traceback(ingested) -> None:  # type: ignore[no-untyped-def]
    result, _, elapsed = ingested
    assert result.exception is None, result.exception
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert elapsed < TIME_BOUND_S


def test_every_bad_record_is_reported_by_file_and_line(corpus, ingested) -> None:  # type: ignore[no-untyped-def]
    _, expected, _ = corpus
    result, _, _ = ingested
    failures = json.loads(result.stdout)["failures"]
    got = sorted((Path(f["source"].rsplit(":", 1)[0] if f["line"] else f["source"]).name, f["line"], f["code"])
                 for f in failures)
    want = sorted((name, line, code) for name, outcome in expected.items() for line, code in outcome.failures)
    assert got == want
    assert not [f for f in failures if f["code"] == "E090"], "an unexpected error is a bug"
    for failure in failures:
        assert Path(failure["source"].split(":")[0]).name in failure["reason"]
        if failure["line"]:
            assert f"line {failure['line']}" in failure["reason"] or f":{failure['line']}" in failure["reason"]


def test_every_good_record_and_seed_is_stored_once(corpus, ingested) -> None:  # type: ignore[no-untyped-def]
    _, expected, seeds = corpus
    result, db, _ = ingested
    sources = _sources(db)
    assert len(sources) == len(set(sources))
    assert json.loads(result.stdout)["ingested"] == len(sources)
    names = [Path(s.split(":")[0]).name for s in sources]
    for name, outcome in expected.items():
        if name != "hostile.jsonl":  # its lines with a url have the url as their source: by id below
            assert names.count(name) == outcome.stored, name
    with sqlite3.connect(db) as conn:
        ids = {row[0] for row in conn.execute("SELECT id FROM articles")}
    given = [json.loads(line).get("id") for line, code in jsonl_lines() if code is None]
    assert {str(i).replace("\ud83d", "\ufffd") for i in given} <= ids
    assert {p.name for p in seeds.iterdir()} <= set(names)
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT id, text FROM articles"))
        confidence = json.loads(conn.execute("SELECT confidence_json FROM articles WHERE id='headline-only'")
                                .fetchone()[0])
    assert "\ud800" not in "".join(rows) and all("\x00" not in text for text in rows.values())
    assert "slashes/and?query#frag &amp; space" in rows and "12345" in rows
    assert rows["headline-only"] == "Strike halts trains across Belgium" and confidence["text"] == 0.0


def test_rerun_stores_nothing_twice_and_reports_the_same(corpus, ingested) -> None:  # type: ignore[no-untyped-def]
    folder, _, _ = corpus
    first, db, _ = ingested
    again = CliRunner().invoke(main, ["ingest", str(folder), "--db", str(db), "--format", "json"])
    assert again.exit_code == 0, again.output
    report, before = json.loads(again.stdout), json.loads(first.stdout)
    assert report["ingested"] == 0 and report["duplicates"] == before["ingested"]
    assert report["failures"] == before["failures"]
    assert len(_sources(db)) == before["ingested"]


def test_the_stored_records_answer_in_the_api_and_ui(ingested) -> None:  # type: ignore[no-untyped-def]
    _, db, _ = ingested
    client = TestClient(create_app(str(db)), base_url="http://127.0.0.1")
    from urllib.parse import quote

    for article_id in ("slashes/and?query#frag &amp; space", "surrogate-\ufffd-id", "12345"):
        assert client.get(f"/api/articles/{quote(article_id)}").json()["id"] == article_id
        page = client.get(f"/articles/{quote(article_id)}")
        assert page.status_code == 200, article_id
    event = client.get("/api/events", params={"limit": 500}).json()
    for ev in event[:50]:
        assert client.get(f"/events/{quote(ev['event_id'])}").status_code == 200
    assert client.get("/api/articles", params={"offset": 99999999999999999999}).status_code == 422
    for query in ("%ED%A0%80", "%00", "%FF%FE", "a" * 400):  # an encoded surrogate, NUL, bad UTF-8
        assert client.get(f"/search?q={query}").status_code == 200, query
        assert client.get(f"/api/search?q={query}").status_code == 200, query


def test_similar_pairs_scores_every_good_line_and_reports_the_rest(tmp_path: Path) -> None:
    text = good("Lyon")
    lines = [json.dumps({"pair_id": "ok", "text1": text, "text2": good("Lyon", "Floods shut roads")}),
             json.dumps({"pair_id": "surrogates", "text1": text + "\ud800", "text2": "\udfff" + text}),
             json.dumps({"pair_id": "raw-only", "text1": "Accept cookies\nPrivacy policy", "text2": text}),
             json.dumps({"pair_id": "bad-url", "text1": text, "url1": "http://[::1", "text2": text + " Later."}),
             '{"text1": ' + "[" * 100_000 + "]" * 100_000 + "}",
             json.dumps({"pair_id": "missing", "text1": text}),
             json.dumps({"pair_id": "cjk", "text1": "東京で大きな地震が発生しました。",
                         "text2": "東京で地震が発生しました。"})]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass") + b'{"text1": "\xff\xfe"}\n')
    result = CliRunner().invoke(main, ["similar", "--pairs", str(pairs), "--no-progress"])
    assert result.exception is None and result.exit_code == 0, result.output
    scored = [json.loads(line)["pair_id"] for line in result.stdout.splitlines()]
    assert scored == ["ok", "surrogates", "raw-only", "bad-url", "cjk"]
    assert "line 5: not valid JSON (nested too deeply)" in result.stderr
    assert "line 6: missing or empty text2" in result.stderr and "line 8" in result.stderr
    assert "Traceback" not in result.output and "E090" not in result.stderr


@pytest.fixture
def server(fixture_db: Path, tmp_path: Path) -> TestClient:
    db = tmp_path / "served.db"
    shutil.copy(fixture_db, db)
    return TestClient(create_app(str(db)), base_url="http://127.0.0.1")


def test_http_ingest_reports_each_bad_line_and_stores_the_good(server: TestClient) -> None:
    lines = jsonl_lines()
    body = ("\n".join(line for line, _ in lines) + "\n").encode("utf-8", "surrogatepass")
    before = server.get("/api/health").json()["articles"]
    response = server.post("/api/ingest", content=body.decode("utf-8", "replace").encode(),
                           headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 207, response.text
    report = response.json()
    assert [(f["line"], f["code"]) for f in report["failures"]] == \
        [(n, code) for n, (_, code) in enumerate(lines, start=1) if code]
    assert report["ingested"] == sum(1 for _, code in lines if code is None)
    assert server.get("/api/health").json()["articles"] == before + report["ingested"]
    deep = server.post("/api/ingest", content=b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                       headers={"content-type": "application/json"})
    assert deep.status_code == 400 and "nested too deeply" in deep.json()["error"]


@pytest.mark.parametrize("headers", [
    {"content-type": "text/plain", "origin": "https://evil.example"},  # the auto-submitting form
    {"content-type": "text/plain"},
    {"content-type": "application/x-www-form-urlencoded"},
    {"content-type": "application/json", "origin": "https://evil.example"},
    {"content-type": "application/json", "origin": "null"},
    {"content-type": "application/json", "sec-fetch-site": "cross-site"},
    {"content-type": "application/json", "sec-fetch-site": "same-site"},
    {"content-type": "application/json", "host": "evil.example"},  # DNS rebinding
])
def test_cross_site_writes_store_nothing(server: TestClient, headers: dict[str, str]) -> None:
    before = server.get("/api/health").json()["articles"]
    body = json.dumps({"text": good("Ghent", "Planted by another site")})
    response = server.post("/api/ingest", content=body, headers=headers)
    assert response.status_code in (403, 415), response.text
    assert "error" in response.json()
    assert server.get("/api/health").json()["articles"] == before


def test_same_origin_write_goes_through(server: TestClient) -> None:
    body = json.dumps({"text": good("Ypres", "A bridge reopened")})
    response = server.post("/api/ingest", content=body, headers={
        "content-type": "application/json", "origin": "http://127.0.0.1", "sec-fetch-site": "same-origin"})
    assert response.status_code == 200 and response.json()["ingested"] == 1


@pytest.mark.parametrize("path", ["/", "/search?q=summit", "/api/health", "/api/articles", "/docs", "/redoc",
                                  "/openapi.json", "/articles/no-such-id", "/api/articles/no-such-id"])
def test_every_response_carries_security_headers(server: TestClient, path: str) -> None:
    response = server.get(path)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "http" not in csp  # nothing may load from another server (Redoc's CDN logo included)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def test_docs_load_nothing_from_outside(server: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = server.get(path).text
        assert "https://" not in page and "http://" not in page, path


def test_token_for_reads_too(fixture_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "closed.db"
    shutil.copy(fixture_db, db)
    client = TestClient(create_app(str(db), token="s3cret", token_reads=True), base_url="http://127.0.0.1")
    assert client.get("/api/articles").status_code == 401
    assert client.get("/").status_code == 401
    assert client.get("/api/articles", headers={"authorization": "bearer s3cret"}).status_code == 200
    assert client.get("/api/health").status_code == 200 and client.get("/docs").status_code == 200
