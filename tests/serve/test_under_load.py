"""A real ``storyline serve`` under a burst of ingests: reads keep answering.

Regression: 45 concurrent POST /api/ingest took every request thread (each waiting for the one
writer) and /api/health timed out for 34 s. Now one ingest writes, a few wait, the rest get 503
with Retry-After at once. Slow: it starts a server and loads the models.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from storyline.serve.process import running_server
from tests.hostile import good

pytestmark = pytest.mark.slow
BURST = 45


def _post(base: str, number: int, statuses: list[int]) -> None:
    body = json.dumps({"id": f"burst-{number}", "text": good(f"Town {number}", f"{number} roads closed")}).encode()
    request = urllib.request.Request(f"{base}/api/ingest", data=body, method="POST",
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            statuses.append(response.status)
    except urllib.error.HTTPError as error:
        statuses.append(error.code)
        error.close()


def test_45_concurrent_ingests_leave_health_answering_within_a_second(fixture_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "burst.db"
    shutil.copy(fixture_db, db)
    with running_server(db) as base:
        statuses: list[int] = []
        posts = [threading.Thread(target=_post, args=(base, n, statuses)) for n in range(BURST)]
        for post in posts:
            post.start()
        slowest = 0.0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            started = time.monotonic()
            with urllib.request.urlopen(f"{base}/api/health", timeout=30) as response:
                assert response.status == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.1)
        for post in posts:
            post.join(timeout=300)
        with urllib.request.urlopen(f"{base}/api/health", timeout=30) as response:
            articles = json.load(response)["articles"]
    assert slowest < 1.0, f"/api/health took {slowest:.2f} s under the burst"
    assert len(statuses) == BURST and set(statuses) <= {200, 503}, statuses
    assert 1 <= statuses.count(200) <= BURST and statuses.count(503) >= 1
    assert articles == 5 + statuses.count(200)  # every accepted request stored, nothing else
