"""A real HTTP server on 127.0.0.1 for the web-ingest tests: feeds, pages, sitemaps and every
way a server goes wrong (404, 500, slow, redirect loop, robots.txt), with a log of what was
asked. No test reaches the internet."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from xml.sax.saxutils import escape


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before answering (a slow page)
    location: str | None = None  # a redirect's target
    validators: bool = True  # send ETag and Last-Modified, answer 304 to a matching conditional GET


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    status: int
    body: bytes = b""  # what a POST sent (a webhook's JSON)


@dataclass
class LocalWeb:
    """``with LocalWeb() as web: web.routes["/feed.xml"] = Route(...); web.url("/feed.xml")``."""

    routes: dict[str, Route] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def asked(self, path: str) -> list[Request]:
        """The requests for ``path``, whatever their query string."""
        return [request for request in self.log if request.path.split("?", 1)[0] == path]

    def __enter__(self) -> LocalWeb:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = web.routes.get(self.path.split("?", 1)[0])
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, 0)
                web.log.append(request)  # before answering: a client that has its answer finds it logged
                self._answer(route, request)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, 0,
                                  self.rfile.read(length))
                web.log.append(request)
                self._answer(web.routes.get(self.path.split("?", 1)[0]), request)

            def _answer(self, route: Route | None, request: Request) -> None:
                """Answer, noting the status in the log before the client can have it."""
                if route is None:
                    request.status = 404
                    self.send_error(404)
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.location:
                    request.status = route.status
                    self.send_response(route.status)
                    self.send_header("Location", route.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                if route.validators and self.headers.get("If-None-Match") == etag:
                    request.status = 304
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                request.status = route.status
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.validators:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", formatdate(1_700_000_000, usegmt=True))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                    self.wfile.write(route.body)

            def log_message(self, *args: object) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def page(title: str, paragraphs: list[str], *, site: str = "Local Gazette") -> bytes:
    """A news page as outlets publish it: menu, article, footer."""
    body = "".join(f"<p>{escape(text)}</p>" for text in paragraphs)
    return (f"<!DOCTYPE html><html><head><title>{escape(title)}</title>"
            f'<meta property="og:site_name" content="{escape(site)}"></head><body>'
            "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav>"
            f"<article><h1>{escape(title)}</h1>{body}</article>"
            "<footer>Copyright Local Gazette. All rights reserved. Subscribe to our newsletter.</footer>"
            "</body></html>").encode()


def rss(title: str, items: list[dict[str, str]]) -> bytes:
    entries = "".join(
        "<item>" + "".join(f"<{key}>{escape(value)}</{key}>" for key, value in item.items()) + "</item>"
        for item in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>http://example.org/</link><description>news</description>{entries}</channel></rss>").encode()
