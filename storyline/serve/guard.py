"""What every request to ``storyline serve`` passes through, before any handler runs.

* **Writes come from this server's own origin.** A web page the user visits could otherwise
  plant articles with an auto-submitting form (browsers send those cross-site without asking).
  A state-changing request (POST, PUT, PATCH, DELETE) is refused when its ``Host`` is not one the
  server answers to (DNS rebinding), its ``Origin`` is another site's, or ``Sec-Fetch-Site`` says
  a browser sent it from elsewhere. Clients that are not browsers send neither header.
* **Reads need the token too** when the server was started with ``--token-reads``.
* **Every response carries security headers**: a Content-Security-Policy that allows nothing
  from outside this server (the API docs' one inline script aside), no sniffing, no framing, no
  referrer.

The token is a bearer token (RFC 6750): ``Authorization: Bearer TOKEN``, scheme in any case.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Browsers' word for where a request came from; only these may change anything.
SAME_SITE_FETCH = frozenset({"same-origin", "none"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
#: Paths open without a token even with --token-reads: liveness, and the docs to learn the API.
OPEN_PATHS = ("/api/health", "/docs", "/redoc", "/openapi.json", "/static-offline-docs/")

PAGE_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'none'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# Swagger UI starts from one inline script; Redoc parses the spec in a blob: worker. Neither may
# load anything from elsewhere (Redoc's own logo from a CDN is refused, and it hides it).
DOCS_CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
           (b"x-frame-options", b"DENY"), (b"cross-origin-opener-policy", b"same-origin"),
           (b"cross-origin-resource-policy", b"same-origin"),
           (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]


def bearer_token(authorization: str) -> str | None:
    """The credentials of an ``Authorization: Bearer …`` header (scheme in any case), else None:
    a bare token or another scheme is no bearer token."""
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    return credentials if scheme.lower() == "bearer" and credentials else None


def token_matches(authorization: str, token: str) -> bool:
    given = bearer_token(authorization)
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def host_name(host: str) -> str:
    """``Host`` without its port: ``[::1]:8000`` → ``::1``, ``example.org:80`` → ``example.org``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """ASGI middleware applying the rules above. ``allowed_hosts`` None accepts any Host (an app
    built in Python for tests or behind a proxy that checks it); the CLI always passes a list."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str] | None, token: str | None,
                 token_reads: bool) -> None:
        self.app = app
        self.allowed_hosts = None if allowed_hosts is None else {host_name(h) for h in allowed_hosts}
        self.token = token
        self.token_reads = token_reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        refusal = self.refusal(scope.get("method", "GET"), path, headers)
        secured = _with_headers(send, DOCS_CSP if path.startswith(("/docs", "/redoc")) else PAGE_CSP)
        if refusal is not None:
            status, message = refusal
            await _json(secured, status, {"error": message, "code": f"HTTP{status}"})
            return
        await self.app(scope, receive, secured)

    def refusal(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, str] | None:
        """Why this request is refused (status, message), or None to let it through."""
        host = headers.get("host", "")
        if method in WRITE_METHODS:
            if self.allowed_hosts is not None and host_name(host) not in self.allowed_hosts:
                return 403, (f"this server does not answer to the host {host!r}; start it with --allow-host "
                             f"{host_name(host) or 'NAME'} if that is its name")
            origin = headers.get("origin")
            if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != host.lower()):
                return 403, "cross-origin writes are refused: send this request from the server's own pages or a" \
                            " client that is not a browser"
            if headers.get("sec-fetch-site", "none") not in SAME_SITE_FETCH:
                return 403, "this request came from another site; writes are refused"
        elif (self.token_reads and self.token and not path.startswith(OPEN_PATHS)
              and not token_matches(headers.get("authorization", ""), self.token)):
            return 401, "this server needs 'Authorization: Bearer TOKEN' for reads too (--token-reads)"
        return None


def _with_headers(send: Send, csp: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in [(b"content-security-policy", csp.encode()), *HEADERS] if k not in present]
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return sending


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="storyline"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
