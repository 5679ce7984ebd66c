"""The polite HTTP client, against a real server on 127.0.0.1: robots.txt, retries, timeouts,
redirects, conditional GET, the rate per host and the User-Agent."""

from __future__ import annotations

import time

import pytest

from storyline.errors import Skip
from storyline.stages.web import WebClient, WebSettings, failed_for_now, is_web_address, normalise_url
from tests.local_web import LocalWeb, Route

QUICK = WebSettings(rate=0, timeout=1.0, backoff=0.05)


@pytest.mark.parametrize(("url", "normal"), [
    ("HTTPS://WWW.Example.org:443/a/b?id=7&utm_source=rss&fbclid=x#top", "https://www.example.org/a/b?id=7"),
    ("http://example.org", "http://example.org/"),
    ("http://example.org:8080/x?b=2&a=1", "http://example.org:8080/x?b=2&a=1"),  # order kept: ?id= may be the page
    ("http://[::1", "http://[::1"),  # unparsable: kept as given
])
def test_web_normalise_url(url: str, normal: str) -> None:
    assert normalise_url(url) == normal


def test_web_is_web_address() -> None:
    assert is_web_address("https://a.example/rss") and is_web_address("HTTP://a.example")
    assert not is_web_address("news/http.txt") and not is_web_address("-") and not is_web_address(None)


def test_web_names_itself_and_reads_robots_once() -> None:
    with LocalWeb() as web:
        web.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private\n", content_type="text/plain")
        web.routes["/a"] = Route(b"<p>a</p>")
        web.routes["/private/b"] = Route(b"<p>b</p>")
        client = WebClient(QUICK)
        assert client.get(web.url("/a")).content == b"<p>a</p>"
        with pytest.raises(Skip) as refused:
            client.get(web.url("/private/b"))
        client.get(web.url("/a"))
        assert refused.value.code == "E052" and not failed_for_now(refused.value)
        assert [r.path for r in web.log] == ["/robots.txt", "/a", "/a"]  # /private/b never asked for
        assert all(r.headers["user-agent"].startswith("Storyline/") for r in web.log)


def test_web_an_unreachable_robots_txt_disallows_everything() -> None:
    with LocalWeb() as web:
        web.routes["/robots.txt"] = Route(b"down", status=503)
        web.routes["/a"] = Route(b"<p>a</p>")
        with pytest.raises(Skip) as refused:
            WebClient(QUICK).get(web.url("/a"))
        assert refused.value.code == "E052" and not web.asked("/a")


def test_web_conditional_get_costs_a_304() -> None:
    with LocalWeb() as web:
        web.routes["/feed"] = Route(b"<rss/>", content_type="application/rss+xml")
        client = WebClient(QUICK)
        first = client.get(web.url("/feed"))
        again = client.get(web.url("/feed"), etag=first.etag, last_modified=first.last_modified)
        assert first.status == 200 and first.etag and first.last_modified
        assert again.not_modified and again.content == b""
        assert web.asked("/feed")[-1].headers["if-none-match"] == first.etag


@pytest.mark.parametrize(("route", "code", "transient", "tries"), [
    (Route(b"oops", status=500), "E050", True, 3),  # retried twice, then reported
    (Route(b"busy", status=429), "E050", True, 3),
    (Route(b"", status=404), "E050", False, 1),
    (Route(b"", status=410), "E050", False, 1),
    (Route(b"<p>late</p>", delay=0.8), "E051", True, 3),  # no answer within the 0.3 s timeout
    (Route(status=302, location="/page"), "E051", True, 11),  # a redirect loop, given up after 10
])
def test_web_failures_are_reported_by_url(route: Route, code: str, transient: bool, tries: int) -> None:
    with LocalWeb() as web:
        web.routes["/page"] = route
        with pytest.raises(Skip) as failed:
            WebClient(WebSettings(rate=0, timeout=0.3, backoff=0.05)).get(web.url("/page"))
        assert failed.value.code == code and web.url("/page") in str(failed.value)
        assert failed_for_now(failed.value) is transient
        assert len(web.asked("/page")) == tries


def test_web_follows_redirects_and_keeps_the_final_url() -> None:
    with LocalWeb() as web:
        web.routes["/old"] = Route(status=301, location="/new")
        web.routes["/new"] = Route(b"<p>moved</p>")
        answer = WebClient(QUICK).get(web.url("/old"))
        assert (answer.url, answer.final_url, answer.content) == (web.url("/old"), web.url("/new"), b"<p>moved</p>")


def test_web_refuses_a_body_larger_than_max_bytes() -> None:
    with LocalWeb() as web:
        web.routes["/big"] = Route(b"x" * 5000)
        with pytest.raises(Skip) as refused:
            WebClient(WebSettings(rate=0, max_bytes=1000)).get(web.url("/big"))
        assert refused.value.code == "E008"


def test_web_spaces_requests_to_one_host() -> None:
    with LocalWeb() as web:
        web.routes["/a"] = Route(b"a")
        client = WebClient(WebSettings(rate=5))  # 0.2 s apart
        started = time.monotonic()
        for _ in range(4):  # robots.txt (404) and four pages: four intervals at least
            client.get(web.url("/a"))
        assert time.monotonic() - started >= 0.8


def test_web_a_host_that_does_not_answer_is_unreachable_not_forbidden() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = WebClient(QUICK)
    with pytest.raises(Skip) as first:
        client.get(f"http://127.0.0.1:{port}/a")
    started = time.monotonic()
    with pytest.raises(Skip) as second:
        client.get(f"http://127.0.0.1:{port}/b")
    assert first.value.code == second.value.code == "E051" and failed_for_now(second.value)
    assert time.monotonic() - started < 0.5  # the host is known to be down: no new round of retries
