"""Every endpoint through FastAPI's test client: good requests, bad input, tokens, limits, escaping."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from storyline.serve import create_app


@pytest.fixture(scope="module")
def client(fixture_db: Path) -> TestClient:
    return TestClient(create_app(str(fixture_db)), base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def writable(fixture_db: Path, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """A copy of the fixture db that ingest tests may change, with a small body limit."""
    db = tmp_path_factory.mktemp("writable") / "w.db"
    shutil.copy(fixture_db, db)
    return TestClient(create_app(str(db), max_body=20_000), base_url="http://127.0.0.1")


def _summit_event(client: TestClient) -> dict:
    events = client.get("/api/events").json()
    return next(e for e in events if any(a["id"] == "en_summit" for a in e["articles"]))


# -- reading -----------------------------------------------------------------------------------
def test_health_counts(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"articles": 5, "events": 3, "stories": 2}


def test_articles_list_and_one(client: TestClient) -> None:
    listed = client.get("/api/articles", params={"limit": 2}).json()
    assert len(listed) == 2 and "text" not in listed[0]
    assert {a["id"] for a in client.get("/api/articles", params={"language": "fr"}).json()} == {"fr_summit"}
    one = client.get("/api/articles/fr_summit").json()
    assert one["language"] == "fr" and one["event_date"]["date"] == "2023-03-03" and one["text"]


def test_events_and_one_event(client: TestClient) -> None:
    summit = _summit_event(client)
    assert {a["id"] for a in summit["articles"]} == {"en_summit", "fr_summit", "de_summit"}
    assert summit["articles"][1]["why"]["shared_entities"]
    one = client.get(f"/api/events/{summit['event_id']}").json()
    assert one.pop("sources")["reports"] == 3 and one == summit  # one event also says who copied whom
    assert len(client.get("/api/events", params={"limit": 1, "offset": 1}).json()) == 1


def test_stories_and_story_timeline(client: TestClient) -> None:
    stories = client.get("/api/stories").json()
    summit_story = _summit_event(client)["story_id"]
    story = client.get(f"/api/stories/{summit_story}").json()
    assert story["story_id"] in {s["story_id"] for s in stories}
    dates = [e["date"] for e in story["timeline"] if e["date"]]
    assert dates == sorted(dates) and "2023-03-03" in dates


def test_timeline_by_entity_in_another_language(client: TestClient) -> None:
    result = client.get("/api/timeline", params={"entity": "Allemagne"}).json()
    assert result["entity"] == "Germany" and result["events"]


def test_search_endpoint(client: TestClient) -> None:
    result = client.get("/api/search", params={"q": "tremblement de terre", "mode": "semantic"}).json()
    assert result["results"][0]["id"] == "en_quake"
    filtered = client.get("/api/search", params={"q": "Scholz", "language": "de"}).json()
    assert [r["id"] for r in filtered["results"]] == ["de_summit"]


def test_similar_explains_the_pair(client: TestClient) -> None:
    same = client.get("/api/similar", params={"a": "en_summit", "b": "fr_summit"}).json()
    other = client.get("/api/similar", params={"a": "en_summit", "b": "en_quake"}).json()
    assert same["same_event"] > 0.8 > other["same_event"]
    assert "Olaf Scholz" in same["explanation"]["shared_entities"] and same["explanation"]["days_apart"] == 0
    assert set(same["dimensions"]) == {"geography", "entities", "time", "narrative", "overall", "style", "tone"}
    assert same["explanation"]["similar_sentences"]


@pytest.mark.parametrize(("url", "status"), [
    ("/api/articles/nope", 404), ("/api/events/ev-999999", 404), ("/api/stories/st-999999", 404),
    ("/api/timeline?entity=Atlantis", 404), ("/api/timeline", 400), ("/api/timeline?entity=a&story=b", 400),
    ("/api/search?q=x&since=yesterday", 400), ("/api/search", 422), ("/api/search?q=x&mode=magic", 422),
    ("/api/search?q=x&limit=0", 422), ("/api/articles?limit=100000", 422), ("/api/similar?a=en_summit", 422),
    ("/api/similar?a=en_summit&b=nope", 404),
])
def test_bad_requests_get_a_clear_4xx(client: TestClient, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    body = response.json()
    assert body.get("error") or body.get("detail")


def test_openapi_and_offline_docs(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/articles", "/api/events", "/api/stories", "/api/timeline", "/api/search", "/api/similar",
            "/api/ingest"} <= set(paths)
    docs = client.get("/docs").text
    assert "cdn." not in docs and "swagger-ui-bundle.js" in docs
    asset = docs.split('src="')[1].split('"')[0]
    assert client.get(asset).status_code == 200


# -- writing -----------------------------------------------------------------------------------
QUAKE_FR = ("Séisme de magnitude 6,1 dans le centre de l'Italie : 12 morts\n"
            "Un séisme de magnitude 6,1 a frappé le centre de l'Italie près de Norcia le dimanche 14 août 2022, "
            "faisant 12 morts et endommageant des centaines de bâtiments, selon la protection civile.")


def test_ingest_one_json_article_then_the_same_again(writable: TestClient) -> None:
    response = writable.post("/api/ingest", json={"id": "fr_quake", "text": QUAKE_FR, "lang": "fr"})
    assert response.status_code == 200, response.text
    assert response.json()["ingested"] == 1 and response.json()["ids"] == ["fr_quake"]
    assert writable.get("/api/articles/fr_quake").json()["language"] == "fr"
    again = writable.post("/api/ingest", json={"id": "fr_quake", "text": QUAKE_FR})
    assert again.status_code == 200 and again.json()["duplicates"] == 1


def test_ingest_jsonl_reports_the_bad_line_and_keeps_the_good(writable: TestClient) -> None:
    body = "\n".join([json.dumps({"id": "ok1", "text": "Flooding closed roads in Lyon on Monday, March 6, 2023."}),
                      "{not json", json.dumps({"id": "no_text"})])
    response = writable.post("/api/ingest", content=body, headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 207  # some stored, some failed: each failure says its line
    report = response.json()
    assert report["ingested"] == 1 and report["failed"] == 2
    assert [f["line"] for f in report["failures"]] == [2, 3]


@pytest.mark.parametrize(("body", "ctype", "status"), [
    (b"", "application/json", 400),
    (b"{broken", "application/json", 400),
    (b"\xff\xfe\x00garbage", "application/x-ndjson", 400),
    (b'{"title": "no text"}', "application/json", 422),
    (b"x" * 20_001, "application/x-ndjson", 413),
])
def test_ingest_refuses_bad_bodies(writable: TestClient, body: bytes, ctype: str, status: int) -> None:
    before = writable.get("/api/health").json()["articles"]
    response = writable.post("/api/ingest", content=body, headers={"content-type": ctype})
    assert response.status_code == status
    assert response.json()["error"] if status != 422 else response.json()["failures"]
    assert writable.get("/api/health").json()["articles"] == before


def test_ingest_token(fixture_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    shutil.copy(fixture_db, db)
    with_token = TestClient(create_app(str(db), token="s3cret"), base_url="http://127.0.0.1")
    assert with_token.post("/api/ingest", json={"text": "x"}).status_code == 401
    assert with_token.post("/api/ingest", json={"text": "x"},
                           headers={"authorization": "Bearer wrong"}).status_code == 401
    assert with_token.post("/api/ingest", json={"text": "x"},  # a bare token is no bearer token
                           headers={"authorization": "s3cret"}).status_code == 401
    for roads, scheme in enumerate(("Bearer", "bearer", "BEARER"), start=2):  # RFC 6750: scheme in any case
        text = f"Flooding closed {roads} roads in Ghent on Monday, officials said."
        response = with_token.post("/api/ingest", json={"text": text},
                                   headers={"authorization": f"{scheme} s3cret"})
        assert response.status_code == 200 and response.json()["ingested"] == 1, response.text
    schemes = with_token.get("/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    public_no_token = TestClient(create_app(str(db), require_token=True), base_url="http://127.0.0.1")
    assert public_no_token.post("/api/ingest", json={"text": "x"}).status_code == 403
    assert public_no_token.get("/api/health").status_code == 200  # reading stays open


HOSTILE = {"id": "hostile", "title": "<img src=x onerror=alert(1)>",
           "text": "Officials met in Geneva on Monday, March 6, 2023, and a protester held a sign reading "
                   "<script>alert('x')</script> outside the hall.\nThe <b onmouseover=alert(5)>talks</b> ended late, "
                   "see <a href=\"javascript:alert(2)\">this</a>.",
           "url": "javascript:alert(4)"}


def test_hostile_article_text_is_shown_inert(writable: TestClient) -> None:
    assert writable.post("/api/ingest", json=HOSTILE).status_code == 200
    stored = writable.get("/api/articles/hostile").json()
    assert "<script>alert('x')</script>" in stored["text"]  # kept as data...
    event_id = next(e["event_id"] for e in writable.get("/api/events").json()
                    if any(a["id"] == "hostile" for a in e["articles"]))
    pages = [writable.get("/articles/hostile").text, writable.get(f"/events/{event_id}").text,
             writable.get("/search", params={"q": "protester Geneva"}).text,
             writable.get("/search", params={"q": "<script>alert('x')</script>"}).text]
    for page in pages:  # ...and shown as text, never as markup
        assert "<script>alert" not in page and "<img src=x" not in page and "<b onmouseover" not in page
        assert 'href="javascript:' not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in pages[0]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[0]


# -- pages -------------------------------------------------------------------------------------
def test_pages_render(client: TestClient) -> None:
    summit = _summit_event(client)
    home = client.get("/")
    assert home.status_code == 200 and f'href="/stories/{summit["story_id"]}"' in home.text
    story = client.get(f"/stories/{summit['story_id']}").text
    assert "<svg" in story and "Macron and Scholz meet in Berlin" in story and "German" in story
    event = client.get(f"/events/{summit['event_id']}").text
    assert "<mark>Olaf Scholz</mark>" in event or "<mark>Scholz</mark>" in event
    assert 'lang="de"' in event and 'lang="fr"' in event
    entity = client.get("/entities/Scholz").text
    assert "Olaf Scholz" in entity and "<svg" in entity
    search = client.get("/search", params={"q": "Allemagne"}).text
    assert "Macron and Scholz meet in Berlin" in search
    assert client.get("/articles/en_quake").status_code == 200


def test_missing_pages_are_404_pages(client: TestClient) -> None:
    response = client.get("/stories/st-999999")
    assert response.status_code == 404 and "<html" in response.text and "st-999999" in response.text
    assert client.get("/search", params={"q": "x", "since": "soon"}).status_code == 400


def test_ingest_while_another_writer_holds_the_file_is_409(writable: TestClient) -> None:
    from storyline.store.sqlite import SQLiteStore

    db = writable.app.app.state.storyline.db
    with SQLiteStore(db) as other, other.writer_lock():
        response = writable.post("/api/ingest", json={"text": "A ferry strike began in Split on Monday, May 1, 2023."})
    assert response.status_code == 409 and "Another ingest" in response.json()["error"]


@pytest.mark.parametrize("query", ['"', "NEAR(", "a OR", "*", "title:x", "'; DROP TABLE articles; --", "%", "\\",
                                   "a AND (b", "^", "-x", "<script>"])
def test_search_syntax_and_sql_metacharacters_never_500(client: TestClient, query: str) -> None:
    response = client.get("/api/search", params={"q": query})
    assert response.status_code == 200 and isinstance(response.json()["results"], list)
    assert client.get("/search", params={"q": query}).status_code == 200


def test_which_addresses_count_as_local() -> None:
    from storyline.serve import is_loopback

    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.org"))


def test_a_story_whose_events_merged_away_redirects_to_the_story_holding_them(fixture_db: Path,
                                                                              tmp_path: Path) -> None:
    from storyline.corrections import merge
    from storyline.store.sqlite import SQLiteStore

    db = tmp_path / "merged.db"
    shutil.copy(fixture_db, db)
    with SQLiteStore(db) as store:
        quake, summit = store.event_of("en_quake"), store.event_of("en_summit")
        gone, kept = store.event(quake)["story_id"], store.event(summit)["story_id"]
        assert gone != kept
        merge(store, quake, summit, who="ed")
    client = TestClient(create_app(str(db)), base_url="http://127.0.0.1")
    api = client.get(f"/api/stories/{gone}", follow_redirects=False)
    assert api.status_code == 307 and api.headers["location"] == f"/api/stories/{kept}"
    assert client.get(f"/api/stories/{gone}").json()["story_id"] == kept
    page = client.get(f"/stories/{gone}", follow_redirects=False)
    assert page.status_code == 307 and page.headers["location"] == f"/stories/{kept}"
    assert client.get("/api/stories/st-999999").status_code == 404  # never existed: still 404
