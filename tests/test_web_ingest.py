"""Issue 21's acceptance, through the commands a user runs, against a real server on 127.0.0.1:
a feed of 50 real news pages, a second run that costs 304s, a broken feed and a dead page
reported by URL, `storyline watch` picking up a new file and a new entry, and a SIGTERM
mid-round that loses nothing. Slow: real processes load the models."""

from __future__ import annotations

import gzip
import json
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.cli import main
from tests.conftest import SHARED
from tests.hostile import good
from tests.local_web import LocalWeb, Route, page, rss

pytestmark = pytest.mark.slow
EXTRACTION = SHARED / "data" / "extraction"


def _real_pages(count: int) -> list[bytes]:
    if not (EXTRACTION / "ground-truth.json").exists():
        pytest.skip("needs ../shared/data/extraction (real news HTML)")
    ids = sorted(json.loads((EXTRACTION / "ground-truth.json").read_text()))[:count]
    return [gzip.decompress((EXTRACTION / "html" / f"{i}.html.gz").read_bytes()) for i in ids]


def _ingest(*args: str) -> dict:
    result = CliRunner().invoke(main, ["ingest", *args, "--rate", "0", "--format", "json", "--no-progress"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _stored(db: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT url, title, outlet, published FROM articles ORDER BY seq").fetchall()


def test_web_ingest_a_feed_of_50_real_pages_then_only_304s(tmp_path: Path) -> None:
    db = tmp_path / "web.db"
    with LocalWeb() as web:
        items = []
        for n, html in enumerate(_real_pages(50)):
            web.routes[f"/news/{n}"] = Route(html)
            items.append({"title": f"Headline {n}", "link": web.url(f"/news/{n}"),
                          "pubDate": f"Tue, {n % 28 + 1:02d} Mar 2023 10:00:00 GMT"})
        web.routes["/feed.xml"] = Route(rss("Gazette Online", items), content_type="application/rss+xml")
        web.routes["/broken.xml"] = Route(b"<rss><channel><item><title>cut off", content_type="application/rss+xml")
        sources = [web.url("/feed.xml"), web.url("/broken.xml"), web.url("/dead-page"), "--db", str(db)]

        first = _ingest(*sources)
        rows = _stored(db)
        assert first["ingested"] == len(rows) == 50
        assert {row[0] for row in rows} == {web.url(f"/news/{n}") for n in range(50)}
        by_url = {row[0]: row[1:] for row in rows}
        assert by_url[web.url("/news/0")] == ("Headline 0", "Gazette Online", "2023-03-01")  # all from the feed
        assert sorted((f["source"], f["code"]) for f in first["failures"]) == [
            (web.url("/broken.xml"), "E053"), (web.url("/dead-page"), "E050")]

        web.log.clear()
        second = _ingest(*sources)
        assert second["ingested"] == 0 and len(_stored(db)) == 50  # nothing stored twice
        assert web.asked("/feed.xml")[0].status == 304
        assert not [r for r in web.log if r.path.startswith("/news/")]  # no page fetched again
        assert {f["source"] for f in second["failures"]} == {web.url("/broken.xml"), web.url("/dead-page")}


class _Lines:
    """A process's stdout, line by line, without blocking the test."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in process.stdout or []],
                         daemon=True).start()

    def wait_for(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if text in line:
                return line
        raise AssertionError(f"no line with {text!r} within {timeout} s")


def _watch(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "storyline.cli", "watch", *args, "--rate", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _paragraphs(topic: str) -> list[str]:
    return [good("Springfield", f"The {topic} closed"), f"Officials said the {topic} would open again in spring, "
            "after a report from the state agency that inspects public works across the region."]


def test_watch_picks_up_a_new_file_and_a_new_entry_and_stops_on_sigterm(tmp_path: Path) -> None:
    db, inbox = tmp_path / "watch.db", tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "first.txt").write_text(good("Lyon"))
    with LocalWeb() as web:
        web.routes["/news/bridge"] = Route(page("Bridge closes", _paragraphs("bridge")))
        web.routes["/news/ferry"] = Route(page("Ferry stops", _paragraphs("ferry")))
        entries = [{"title": "Bridge closes", "link": web.url("/news/bridge")}]
        web.routes["/feed.xml"] = Route(rss("Gazette", entries), content_type="application/rss+xml")
        process = _watch(web.url("/feed.xml"), str(inbox), "--db", str(db), "--every", "1s", "--format", "jsonl")
        lines = _Lines(process)
        try:
            assert json.loads(lines.wait_for('"round": 1'))["ingested"] == 2
            (inbox / "second.txt").write_text(good("Porto"))
            web.routes["/feed.xml"] = Route(rss("Gazette", [*entries, {"title": "Ferry stops",
                                                                       "link": web.url("/news/ferry")}]),
                                            content_type="application/rss+xml")
            picked = 0
            while picked < 2:  # within a round or two of one second
                picked += json.loads(lines.wait_for('"round"', timeout=30))["ingested"]
            assert picked == 2
            quiet = json.loads(lines.wait_for('"round"', timeout=30))
            assert quiet["ingested"] == 0 and quiet["web"].get("unchanged listings") == 1  # a 304, no page
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Stopped after" in err
    assert {row[1] for row in _stored(db)} >= {"Bridge closes", "Ferry stops"} and len(_stored(db)) == 4
    assert len(web.asked("/news/bridge")) == len(web.asked("/news/ferry")) == 1


def test_watch_sigterm_mid_round_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "stop.db"
    topics = [f"depot {n}" for n in range(30)]
    with LocalWeb() as web:
        for n, topic in enumerate(topics):
            web.routes[f"/news/{n}"] = Route(page(topic.title(), _paragraphs(topic)), delay=0.4)
        web.routes["/feed.xml"] = Route(rss("Gazette", [{"title": t, "link": web.url(f"/news/{n}")}
                                                        for n, t in enumerate(topics)]),
                                        content_type="application/rss+xml")
        process = _watch(web.url("/feed.xml"), "--db", str(db), "--every", "1h")
        deadline = time.monotonic() + 120
        while len([r for r in web.log if r.path.startswith("/news/")]) < 8 and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)  # pages still being fetched
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        kept = len(_stored(db))
        assert 0 < kept < 30, "the round should have been stopped half-way, with what it read stored"

        rest = _ingest(web.url("/feed.xml"), "--db", str(db))
        assert rest["ingested"] == 30 - kept and len(_stored(db)) == 30  # exactly what was missing
    assert sorted(row[1] for row in _stored(db)) == sorted(topics)  # the titles the feed gave
