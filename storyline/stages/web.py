"""Fetching over HTTP the way a polite crawler does: robots.txt, a rate per host, retries.

A newsroom checks the same feeds again and again, so a re-check must cost the outlet little:
every request names Storyline in its User-Agent, waits its turn per host (``rate`` requests
a second, at most ``per_host`` at once, longer when robots.txt asks for a Crawl-delay), and
feeds and sitemaps are asked for with the validators of the last answer (ETag,
Last-Modified), so an unchanged one costs a ``304 Not Modified`` and no body.

Nothing here raises for a bad server: what went wrong is a :class:`~storyline.errors.Skip`
with the URL and the reason (E050 status, E051 network, E052 robots.txt), which the ingest
reports by URL while the rest goes on.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from storyline.errors import Skip

try:
    _VERSION = version("storyline")
except PackageNotFoundError:  # running from a source tree that was never installed
    _VERSION = "0"

USER_AGENT = f"Storyline/{_VERSION} (news monitoring; +https://github.com/storyline-news/storyline)"
#: The token robots.txt rules are matched against (the product name of the User-Agent).
ROBOTS_AGENT = "Storyline"
#: Answers worth asking again after a pause: the server is busy or briefly down.
RETRY_STATUSES = {429, 500, 502, 503, 504}
#: Query parameters that say how a reader came, not which page it is (dropped for de-duplication).
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|_ga|cmpid|ocid|"
                       r"at_medium|at_campaign|xtor|ns_mchannel|ns_campaign|ito|smid)$", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_web_address(item: object) -> bool:
    """Whether a command-line source is an http(s) URL rather than a path."""
    return isinstance(item, str) and re.match(r"^https?://", item, re.IGNORECASE) is not None


def normalise_url(url: str) -> str:
    """One spelling per page, for de-duplication: lower-case scheme and host, no default port, no
    fragment, no tracking parameters (utm_*, fbclid...), "/" for an empty path. The other query
    parameters keep their order: on many sites ``?id=`` is the page."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:  # "http://[::1": not a URL a server could answer; kept as given
        return url.strip()
    scheme = parts.scheme.lower()
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING.match(k)])
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


@dataclass(slots=True)
class WebSettings:
    """How politely and how patiently to fetch (the ``ingest``/``watch`` options)."""

    rate: float = 1.0  # requests a second to one host
    per_host: int = 2  # requests in flight to one host
    timeout: float = 20.0  # seconds for connecting and for each read
    retries: int = 2  # further tries after a timeout, a dropped connection, 429 or 5xx
    backoff: float = 1.0  # seconds before the first retry; doubled each time
    max_bytes: int = 20_000_000
    max_per_listing: int = 500  # new entries taken from one feed or sitemap in a run; the rest wait
    user_agent: str = USER_AGENT


@dataclass(slots=True)
class Fetched:
    """One answer: what was asked, where it ended after redirects, and its validators."""

    url: str
    final_url: str
    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    retry_after: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def charset(self) -> str | None:
        match = re.search(r"charset=[\"']?([\w.:-]+)", self.content_type, re.IGNORECASE)
        return match.group(1) if match else None


@dataclass(slots=True)
class _HostGate:
    """Spaces the requests to one host: at most ``per_host`` at once, ``interval`` seconds apart."""

    interval: float
    slots: threading.Semaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0

    def wait_turn(self) -> None:
        with self.lock:
            now = time.monotonic()
            turn = max(now, self.next_at)
            self.next_at = turn + self.interval
        if turn > now:
            time.sleep(turn - now)


class WebClient:
    """A polite HTTP client shared by the threads fetching one run's pages."""

    def __init__(self, settings: WebSettings | None = None, transport: Any = None) -> None:
        self.settings = settings or WebSettings()
        self._transport = transport  # tests may pass an httpx transport
        self._client: Any = None
        self._lock = threading.Lock()
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, RobotFileParser | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._unreachable: dict[str, str] = {}  # origin -> why its robots.txt got no answer
        self.requests = 0  # HTTP requests sent (robots.txt included), for the run's summary

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET ``url`` (redirects followed) once robots.txt allows it; Skip for anything but an answer."""
        origin = _origin(url)
        if not self._allowed(url, origin):
            raise Skip("E052", path=url, host=urlsplit(url).hostname)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return _checked(self._get(url, origin, headers))

    # -- one request, with its turn, its retries and its size bound --------------------------
    def _get(self, url: str, origin: str, headers: dict[str, str]) -> Fetched:
        """The answer, whatever its status; Skip when none came (network, redirect loop, size)."""
        import httpx

        gate = self._gate(origin)
        attempt = 0
        while True:
            pause = None
            with gate.slots:
                gate.wait_turn()
                try:
                    answer = self._send(url, headers)
                except httpx.TooManyRedirects:
                    raise Skip("E051", path=url, detail="redirect loop (more than 10 redirects)") from None
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    if attempt >= self.settings.retries:
                        raise Skip("E051", path=url, detail=_network_reason(exc, self.settings.timeout)) from None
                else:
                    if answer.status not in RETRY_STATUSES or attempt >= self.settings.retries:
                        return answer
                    pause = _retry_after(answer)
            attempt += 1
            time.sleep(pause if pause is not None else self.settings.backoff * 2 ** (attempt - 1))

    def _send(self, url: str, headers: dict[str, str]) -> Fetched:
        with self._lock:
            self.requests += 1
        body = bytearray()
        with self._http().stream("GET", url, headers=headers) as response:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.settings.max_bytes:
                    raise Skip("E008", path=url, detail=self.settings.max_bytes)
            return Fetched(url=url, final_url=str(response.url), status=response.status_code, content=bytes(body),
                           content_type=response.headers.get("content-type", ""), etag=response.headers.get("etag"),
                           last_modified=response.headers.get("last-modified"),
                           retry_after=response.headers.get("retry-after"))

    def _http(self) -> Any:
        with self._lock:
            if self._client is None:
                import httpx

                self._client = httpx.Client(
                    headers={"User-Agent": self.settings.user_agent}, follow_redirects=True, max_redirects=10,
                    timeout=httpx.Timeout(self.settings.timeout), transport=self._transport,
                    limits=httpx.Limits(max_connections=16, max_keepalive_connections=8))
            return self._client

    def _gate(self, origin: str) -> _HostGate:
        with self._lock:
            if origin not in self._gates:
                interval = 1.0 / self.settings.rate if self.settings.rate > 0 else 0.0
                self._gates[origin] = _HostGate(interval, threading.Semaphore(max(1, self.settings.per_host)))
            return self._gates[origin]

    # -- robots.txt, read once per host and run ----------------------------------------------
    def _allowed(self, url: str, origin: str) -> bool:
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin in self._unreachable:  # its robots.txt got no answer: neither will this page
                raise Skip("E051", path=url, detail=self._unreachable[origin])
            if origin not in self._robots:
                try:
                    self._robots[origin] = self._read_robots(origin)
                except Skip as skip:
                    self._unreachable[origin] = str(skip.details.get("detail", "no answer"))
                    raise Skip("E051", path=url, detail=self._unreachable[origin]) from None
        rules = self._robots[origin]
        return rules is None or rules.can_fetch(ROBOTS_AGENT, url)

    def _read_robots(self, origin: str) -> RobotFileParser | None:
        """The host's rules; None (everything allowed) when it has none. A host whose robots.txt
        answers 5xx is treated as disallowing everything, as RFC 9309 says; one that does not
        answer at all raises Skip (its pages are reported as unreachable, E051)."""
        parser = RobotFileParser()
        answer = self._get(f"{origin}/robots.txt", origin, {})  # Skip when the host does not answer at all
        if answer.status >= 500:
            parser.parse(["User-agent: *", "Disallow: /"])
            return parser
        if answer.status >= 400 or not answer.content:
            return None
        parser.parse(answer.content.decode("utf-8", errors="replace").splitlines())
        delay = parser.crawl_delay(ROBOTS_AGENT)
        if delay:
            gate = self._gate(origin)
            gate.interval = max(gate.interval, min(float(delay), 60.0))
        return parser


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _checked(answer: Fetched) -> Fetched:
    """The answer when it is one to use (2xx, 304); Skip E050 for an error status."""
    if answer.status == 304 or 200 <= answer.status < 300:
        return answer
    if answer.status in (404, 410):
        detail = " (no such page)"
    elif answer.status in (401, 403):
        detail = " (the page needs a log-in or refuses crawlers)"
    elif is_transient(answer.status):
        detail = "; it is tried again on the next run"
    else:
        detail = ""
    raise Skip("E050", path=answer.url, status=answer.status, detail=detail)


def is_transient(status: int) -> bool:
    """An answer that may be different next time (busy, down), so worth asking again then."""
    return status in RETRY_STATUSES or status >= 500


def failed_for_now(skip: Skip) -> bool:
    """Whether a fetch failure may pass (network, 5xx, 429): its listing is read again next run."""
    status = skip.details.get("status")
    return skip.code == "E051" or (skip.code == "E050" and isinstance(status, int) and is_transient(status))


def _retry_after(answer: Fetched) -> float | None:
    """Seconds a 429/503 asked us to wait (at most a minute); None when it did not say."""
    value = (answer.retry_after or "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), 60.0)
    try:
        return min(max(0.0, parsedate_to_datetime(value).timestamp() - time.time()), 60.0)
    except (TypeError, ValueError):
        return None


def _network_reason(exc: Exception, timeout: float) -> str:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout:g} s"
    return safe_reason(exc)


def safe_reason(exc: Exception) -> str:
    """A short reason a user can read ("connection refused"), not a stack of wrapped errors."""
    text = str(exc) or type(exc).__name__
    return re.sub(r"\s+", " ", text)[:200]
