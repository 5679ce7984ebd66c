"""From URLs, feeds and sitemaps to articles: fetch what is new, in order, politely.

:class:`WebReader` is what ``storyline ingest`` and ``storyline watch`` read the web with.
A feed is read with the validators of its last answer, so an unchanged feed costs one
``304``; an entry whose page is already stored (by normalised URL, final URL after
redirects included) is not fetched again. Pages are fetched a few at a time on threads and
handed on in the listing's order, so a run's events do not depend on which server was fast.

A listing's validators are remembered only once every entry it listed has been stored
(:meth:`WebReader.finished`): a run stopped half-way reads the feed again next time and
fetches just the entries it had not stored.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

from storyline.article import Article, DatedValue
from storyline.errors import Skip
from storyline.stages.feeds import Entry, Listing, parse_listing, sniff
from storyline.stages.ingest import (
    IngestFailure,
    article_from_html,
    article_from_text,
    decode_bytes,
    safe_text,
    unexpected,
)
from storyline.stages.web import Fetched, WebClient, failed_for_now, normalise_url

#: Listings inside listings followed (a sitemap index of sitemaps; an OPML of feeds).
MAX_DEPTH = 2
#: Pages fetched ahead of the one handed on.
PREFETCH = 8


@dataclass(slots=True, frozen=True)
class Validators:
    """What a server said of a listing last time, sent back to ask "changed since?"."""

    etag: str | None
    last_modified: str | None


Record = Article | IngestFailure


class WebReader:
    """Turns web sources into articles. ``known(url)`` says whether a page (normalised URL) is
    stored; ``validators(url)`` gives a listing's last ETag / Last-Modified."""

    def __init__(self, client: WebClient, *, known: Callable[[str], bool] = lambda url: False,
                 validators: Callable[[str], Validators | None] = lambda url: None,
                 threads: int = 8) -> None:
        self.client = client
        self.known = known
        self.validators = validators
        self.max_per_listing = client.settings.max_per_listing  # a sitemap may list 50,000 pages
        self.threads = threads
        self.stats: Counter[str] = Counter()
        self.finished: list[tuple[str, Validators]] = []  # listings read to their end, to remember
        self._seen: set[str] = set()  # pages handed on in this run
        self._failed_for_now = 0  # fetches that may work next time (network, 5xx): their listing is read again
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self.client.close()

    # -- what ingest calls --------------------------------------------------------------------
    def read_url(self, url: str, depth: int = 0) -> Iterator[Record]:
        """Articles from one URL: a page, or every new entry of the feed or sitemap it is."""
        key = normalise_url(url)
        if key in self._seen or self.known(key):
            self.stats["already stored"] += 1
            return
        last = self.validators(key)
        try:
            answer = self.client.get(url, etag=last.etag if last else None,
                                     last_modified=last.last_modified if last else None)
        except Skip as skip:
            self._failed_for_now += failed_for_now(skip)
            yield IngestFailure(url, skip.code, skip.args[0])
            return
        if answer.not_modified:
            self.stats["unchanged listings"] += 1
            return
        head = _head(answer)
        kind = sniff(head, PurePosixPath(urlsplit(answer.final_url).path).suffix.lower(), answer.content_type)
        if kind is None:
            self.stats["pages"] += 1
            yield self._page(answer, None, url)
            return
        failed_before = self._failed_for_now
        yield from self._listing(kind, answer.content, answer.final_url, depth)
        if self._failed_for_now == failed_before:  # else read it whole again next time, to retry those
            self.finished.append((key, Validators(answer.etag, answer.last_modified)))

    def read_document(self, kind: str, data: bytes, name: str) -> Iterator[Record]:
        """Articles from a listing read from a file (a saved feed, an OPML file, a URL list)."""
        yield from self._listing(kind, data, name, 0)

    # -- listings ------------------------------------------------------------------------------
    def _listing(self, kind: str, data: bytes, name: str, depth: int) -> Iterator[Record]:
        try:
            listing = parse_listing(kind, data, name)
        except Skip as skip:
            self._failed_for_now += 1  # a broken feed may be mended: read it again, and say so again
            yield IngestFailure(name, skip.code, skip.args[0])
            return
        except Exception as exc:  # a parser's bug must not stop the run
            self._failed_for_now += 1
            yield unexpected(name, exc)
            return
        self.stats["feeds" if listing.kind == "feed" else "sitemaps" if listing.kind == "sitemap" else "lists"] += 1
        for inner in listing.listings:
            if depth >= MAX_DEPTH:
                too_deep = Skip("E053", path=inner, detail="listings nested too deeply")
                yield IngestFailure(inner, too_deep.code, too_deep.args[0])
                continue
            yield from self.read_url(_absolute(inner, name), depth + 1)
        yield from self._entries(listing, name)

    def _entries(self, listing: Listing, name: str) -> Iterator[Record]:
        """Fetch the new entries' pages, a few at a time, and hand them on in listing order."""
        fresh: list[Entry] = []
        for position, entry in enumerate(listing.entries):
            link = _absolute(entry.link, name)
            key = normalise_url(link)
            if key in self._seen or self.known(key):
                self.stats["already stored"] += 1
                continue
            if len(fresh) == self.max_per_listing:  # the rest waits for the next run
                self.stats["left for the next run"] += len(listing.entries) - position
                break
            self._seen.add(key)
            fresh.append(entry if link == entry.link else _relinked(entry, link))
        pending: deque[tuple[Entry, Future[Fetched]]] = deque()
        for entry in fresh:
            pending.append((entry, self._fetch_later(entry.link)))
            if len(pending) >= PREFETCH:
                yield from self._handed_on(*pending.popleft(), listing)
        while pending:
            yield from self._handed_on(*pending.popleft(), listing)

    def _fetch_later(self, url: str) -> Future[Fetched]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="storyline-fetch")
        return self._pool.submit(self.client.get, url)

    def _handed_on(self, entry: Entry, future: Future[Fetched], listing: Listing) -> Iterator[Record]:
        try:
            answer = future.result()
        except Skip as skip:
            if entry.summary:  # stored from the summary: the page is not asked for again
                yield IngestFailure(entry.link, skip.code, skip.args[0] + " Its text is the feed's summary.")
                yield self._summary_article(entry, listing)
                return
            self._failed_for_now += failed_for_now(skip)
            yield IngestFailure(entry.link, skip.code, skip.args[0])
            return
        except Exception as exc:  # a bug in a fetch thread, reported for this page only
            yield unexpected(entry.link, exc)
            return
        self.stats["pages"] += 1
        yield self._page(answer, entry, entry.link, listing)

    # -- articles --------------------------------------------------------------------------------
    def _page(self, answer: Fetched, entry: Entry | None, asked: str, listing: Listing | None = None) -> Record:
        """An article from a fetched page, with what its listing said of it."""
        url = answer.final_url
        try:
            kind = answer.content_type.split(";")[0].strip().lower()
            if kind and not (kind.startswith("text/") or "html" in kind or "xml" in kind):
                raise Skip("E054", path=url, detail=kind)  # a PDF, a picture, a video
            text = _decoded(answer)
            if "html" in kind or text.lstrip()[:1] == "<":
                article = article_from_html(text, source=url, url=url)
            else:
                article = article_from_text(text, source=url, url=url)
        except Skip as skip:
            if entry is not None and entry.summary:
                return self._summary_article(entry, listing)
            return IngestFailure(url, skip.code, skip.args[0])
        except Exception as exc:  # one page must not stop the run
            return unexpected(url, exc)
        article.extras["fetched_urls"] = sorted({normalise_url(asked), normalise_url(url)})
        self._seen.update(article.extras["fetched_urls"])
        if entry is not None:
            _with_entry(article, entry, listing)
        return article

    def _summary_article(self, entry: Entry, listing: Listing | None) -> Record:
        """The entry's summary as the article, when its page cannot be had."""
        try:
            summary = entry.summary or ""
            if "<" in summary:
                article = article_from_html(f"<html><body><article>{summary}</article></body></html>",
                                            source=entry.link, url=entry.link)
            else:
                article = article_from_text(summary, source=entry.link, url=entry.link)
        except Skip as skip:
            return IngestFailure(entry.link, skip.code, skip.args[0])
        article.extras["text_from"] = "feed summary"
        article.extras["fetched_urls"] = [normalise_url(entry.link)]
        article.confidence["text"] = 0.5
        _with_entry(article, entry, listing)
        return article


def _with_entry(article: Article, entry: Entry, listing: Listing | None) -> None:
    """What the feed said beats what the page's metadata guessed: its title, date, author, outlet."""
    if entry.title:
        article.extras["given_title"] = safe_text(entry.title)
    if entry.published:
        article.published = DatedValue(value=entry.published, precision="day", confidence=0.95,
                                       basis="feed entry")
    if entry.author:
        article.extras["author"] = safe_text(entry.author)
    if entry.outlet:
        article.outlet = safe_text(entry.outlet)
        article.confidence["outlet"] = 0.95
    if listing is not None and listing.kind == "feed":
        article.extras["feed"] = safe_text(listing.title or "")


def _relinked(entry: Entry, link: str) -> Entry:
    return Entry(link=link, title=entry.title, published=entry.published, author=entry.author,
                 outlet=entry.outlet, summary=entry.summary)


def _absolute(link: str, base: str) -> str:
    """A listing's relative link made absolute against the listing's own URL."""
    return urljoin(base, link.strip()) if base.lower().startswith(("http://", "https://")) else link.strip()


def _head(answer: Fetched) -> str:
    try:
        return answer.content[:4096].decode(answer.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return answer.content[:4096].decode("utf-8", errors="replace")


def _decoded(answer: Fetched) -> str:
    """The body as text: the charset the server named, else what the bytes look like."""
    if answer.charset:
        try:
            return answer.content.decode(answer.charset, errors="replace")
        except LookupError:  # a charset Python does not know
            pass
    return decode_bytes(answer.content, answer.final_url)
