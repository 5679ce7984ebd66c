"""Ingest: turn files, folders, stdin, HTML and JSONL into :class:`Article` records.

Every input is untrusted. A bad file, line or record becomes an :class:`IngestFailure`
(file, line, code, reason) and the run goes on; nothing here raises for a user's bad input,
and an unexpected error on one record is reported as a bug (E090) with where it happened.
Every string that enters an :class:`Article` goes through :func:`safe_text` (no lone
surrogates, no NUL), so what one backend stores the other stores too.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from storyline.article import Article, DatedValue, content_hash
from storyline.errors import Skip
from storyline.stages.dates import safe_date
from storyline.stages.feeds import listing_kind
from storyline.stages.web import is_web_address

if TYPE_CHECKING:
    from storyline.stages.crawl import WebReader

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
DEFAULT_MAX_BYTES = 20_000_000
_BINARY_MAGIC = {b"%PDF": "PDF", b"\x89PNG": "PNG", b"PK\x03\x04": "ZIP", b"\x1f\x8b": "gzip", b"GIF8": "GIF",
                 b"\xff\xd8\xff": "JPEG"}
_URL_LINE = re.compile(r"^\s*(https?://\S+)\s*$")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: A tag longer than this (a <p> with thousands of attributes) is cut to its name before parsing:
#: HTML parsers and trafilatura spend minutes on such tags, and no article needs them.
MAX_TAG_CHARS = 4096
_HUGE_TAG = re.compile(rf"<([A-Za-z][\w:-]{{0,30}})[^<>]{{{MAX_TAG_CHARS},}}>")


@dataclass(slots=True, frozen=True)
class IngestFailure:
    """One input that could not be read; reported in the ingest summary."""

    source: str
    code: str
    reason: str
    line: int | None = None


def safe_text(value: str) -> str:
    """The string with lone surrogates (from JSON escapes or undecodable file names) as U+FFFD
    and NUL characters dropped: neither can be encoded as UTF-8 or stored by PostgreSQL."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return _SURROGATE.sub("\ufffd", value)


def display_name(item: Path | str) -> str:
    """How a path is named in messages and stored as a source: printable whatever its bytes."""
    return "<stdin>" if item == "-" else safe_text(str(item))


def iter_paths(paths: Iterable[str]) -> Iterator[Path | str | IngestFailure]:
    """Expand folders recursively (sorted, so runs are deterministic); '-' is stdin and an
    http(s) URL is read from the web. A folder that cannot be listed is an :class:`IngestFailure`,
    not silently skipped."""
    for raw in paths:
        if raw == "-" or is_web_address(raw):
            yield raw
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path)
        elif path.is_file():
            yield path
        else:
            yield raw  # reported as E001 by read_source


def _walk(folder: Path, seen: set[Path] | None = None) -> Iterator[Path | IngestFailure]:
    """Files under ``folder`` in sorted order, hidden ones (dot files, dot folders) left out; a
    folder reached twice through symbolic links is read once (a link to a parent is no loop)."""
    seen = set() if seen is None else seen
    try:
        real = folder.resolve()
        if real in seen:
            return
        seen.add(real)
        children = sorted(folder.iterdir())
    except (OSError, RuntimeError) as exc:
        name = display_name(folder)
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        yield IngestFailure(name, "E009", Skip("E009", path=name, detail=detail).args[0])
        return
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir():
            yield from _walk(child, seen)
        elif child.is_file():
            yield child


def read_source(item: Path | str | IngestFailure, *, max_bytes: int = DEFAULT_MAX_BYTES,
                web: WebReader | None = None) -> Iterator[Article | IngestFailure]:
    """Read one input (file path, '-' or a URL) into articles or failures; never raises for the
    input. ``web`` reads URLs and the feeds, sitemaps and URL lists a file may be; without it a
    URL is not found and such a file is read as text."""
    if isinstance(item, IngestFailure):
        yield item
        return
    name = display_name(item)
    try:
        if web is not None and is_web_address(item):
            yield from web.read_url(str(item))
            return
        yield from _read(item, name, max_bytes, web)
    except Exception as exc:  # one file must not stop the run; reported as a bug
        yield unexpected(name, exc)


def unexpected(name: str, exc: BaseException, line: int | None = None) -> IngestFailure:
    """An error nobody foresaw on one record, reported with its place and as a bug (E090)."""
    detail = safe_text(f"{type(exc).__name__}: {exc}")[:300]
    where = f" line {line}" if line is not None else ""
    return IngestFailure(name, "E090", Skip("E090", path=name, where=where, detail=detail).args[0], line)


def read_from(article: Article) -> str:
    """Where an article was read: ``file:line`` for JSONL, even when its source is its URL."""
    return str(article.extras.get("read_from") or article.source)


def failure_of(article: Article, exc: BaseException) -> IngestFailure:
    """An unexpected error on one article (a stage, the embedder, the store), reported with the file
    it was read from and its line."""
    line = article.extras.get("line")
    where = read_from(article)
    return unexpected(where.removesuffix(f":{line}") if line is not None else where, exc, line)


def _read(item: Path | str, name: str, max_bytes: int, web: WebReader | None) -> Iterator[Article | IngestFailure]:
    if item == "-":
        first = sys.stdin.buffer.readline(max_bytes + 1)
        if first.lstrip()[:1] == b"{":  # JSONL: read and yield line by line, so a pipe is stored as it flows
            yield from _stdin_jsonl(first, name, max_bytes)
            return
        data = first + sys.stdin.buffer.read(max_bytes + 1 - len(first))
        if len(data) > max_bytes:
            yield _failure(name, Skip("E008", path=name, detail=max_bytes))
            return
        suffix = ""
    else:
        path = Path(item)
        try:
            if not path.is_file():
                yield _failure(name, Skip("E001", path=name))
                return
            if path.stat().st_size > max_bytes:
                yield _failure(name, Skip("E008", path=name, detail=max_bytes))
                return
            data = path.read_bytes()
        except OSError as exc:
            yield _failure(name, Skip("E009", path=name, detail=exc.strerror or exc))
            return
        suffix = path.suffix.lower()
    try:
        text = decode_bytes(data, name)
    except Skip as skip:
        yield _failure(name, skip)
        return
    if not safe_text(text).strip():  # nothing but white space or NUL characters (dropped when stored)
        yield _failure(name, Skip("E007", path=name))
        return
    kind = listing_kind(text, suffix) if web is not None else None
    if kind is not None:  # a saved feed, a sitemap, OPML or a list of URLs: what they point to is read
        yield from web.read_document(kind, data, name)  # type: ignore[union-attr]
        return
    if suffix in JSONL_SUFFIXES or (suffix not in HTML_SUFFIXES and _looks_like_jsonl(text)):
        yield from parse_jsonl(text, name)
        return
    stem = safe_text(Path(name).stem) if name != "<stdin>" else ""
    if suffix in HTML_SUFFIXES or _looks_like_html(text):
        yield _catch(name, lambda: article_from_html(text, source=name, article_id=stem or None))
    else:
        yield _catch(name, lambda: article_from_text(text, source=name, article_id=stem or None))


def decode_bytes(data: bytes, name: str) -> str:
    """Decode text robustly: BOMs, UTF-8, then Windows-1252; refuse binaries."""
    for magic, kind in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise Skip("E003", path=name, detail=kind)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data[:8192]
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16 is None:
            raise Skip("E003", path=name, detail="NUL bytes")
        return data.decode(utf16, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Mostly UTF-8 with a few broken bytes (a truncated scrape): keep UTF-8, mark the bad bytes.
    lenient = data.decode("utf-8", errors="replace")
    multibyte = sum(1 for ch in lenient if ord(ch) > 127 and ch != "\ufffd")
    broken = lenient.count("\ufffd")
    if multibyte and broken <= max(3, 0.01 * len(lenient)):
        return lenient
    text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * max(1, len(text[:8192])) or text.count("\ufffd") > 0.05 * max(1, len(text)):
        raise Skip("E003", path=name, detail="control characters")
    return text


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when NUL bytes sit in every other position (text in UTF-16)."""
    even, odd = head[0::2], head[1::2]
    if not even or not odd:
        return None
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _stdin_jsonl(first: bytes, name: str, max_bytes: int) -> Iterator[Article | IngestFailure]:
    """JSONL from standard input, a line at a time (``--max-bytes`` bounds the whole stream)."""
    read = 0

    def lines() -> Iterator[str]:
        nonlocal read
        line = first
        while line:
            read += len(line)
            if read > max_bytes:
                return
            yield line.decode("utf-8", errors="replace")
            line = sys.stdin.buffer.readline(max_bytes + 1)

    yield from parse_jsonl(lines(), name)
    if read > max_bytes:
        yield _failure(name, Skip("E008", path=name, detail=max_bytes))


def parse_jsonl(text: str | Iterable[str], name: str) -> Iterator[Article | IngestFailure]:
    """One article per line (a text, or lines as they come); a broken line is a failure with its
    line number."""
    for number, line in enumerate(text.splitlines() if isinstance(text, str) else text, start=1):
        if not line.strip():
            continue
        try:
            record = load_json_line(line)
        except ValueError as exc:
            yield IngestFailure(name, "E004", Skip("E004", path=name, line=number, detail=exc).args[0], number)
            continue
        if not isinstance(record, dict) or not any(isinstance(record.get(k), str) and record[k].strip()
                                                   for k in ("text", "html")):
            keys = sorted(map(safe_text, map(str, record))) if isinstance(record, dict) else type(record).__name__
            yield IngestFailure(name, "E005", Skip("E005", path=name, line=number, detail=keys).args[0], number)
            continue
        yield _catch(name, lambda r=record, n=number: article_from_record(r, source=f"{name}:{n}", line=n),
                     line=number)


def load_json_line(line: str) -> object:
    """One JSON value; ValueError (with a reason a user can read) for anything that is not."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(exc.msg) from None
    except RecursionError:
        raise ValueError("nested too deeply") from None


def article_from_record(record: dict[str, object], *, source: str, line: int | None = None) -> Article:
    """Build an article from a JSONL record (fields: id, title, text|html, url or source_url, outlet,
    author, published, lang)."""
    url = _str_or_none(record.get("url") or record.get("source_url"))
    html = _str_or_none(record.get("html"))
    ident = _str_or_none(record.get("id"))
    if html and not record.get("text"):
        article = article_from_html(html, source=url or source, article_id=ident, url=url)
    else:
        article = article_from_text(str(record["text"]), source=url or source, article_id=ident, url=url)
    if line is not None:
        article.extras["line"] = line
    article.extras["read_from"] = source  # file:line, for a failure report when the source is the URL
    outlet = _str_or_none(record.get("outlet"))
    if outlet:  # the record's word beats the URL's host name
        article.outlet = outlet
    article.confidence["outlet"] = 1.0 if outlet else 0.9 if article.outlet and url else 0.0
    title = _str_or_none(record.get("title"))
    if title:
        article.extras["given_title"] = title
    author = _str_or_none(record.get("author"))
    if author:
        article.extras["author"] = author
    published = _parse_iso_date(record.get("published") or record.get("date"))
    if published:
        article.published = DatedValue(value=published, precision="day", confidence=1.0, basis="given in input")
    lang = _str_or_none(record.get("lang") or record.get("language"))
    if lang:
        article.extras["given_language"] = lang.lower()[:2]
    return article


def article_from_text(text: str, *, source: str, article_id: str | None = None, url: str | None = None) -> Article:
    """A plain-text article; a URL alone on one of the first lines is kept as provenance."""
    text = safe_text(text)
    if url is None:
        for line in text.splitlines()[:5]:
            match = _URL_LINE.match(line)
            if match:
                url = match.group(1)
                break
    url = safe_text(url) if url else None
    return Article(
        id=safe_text(article_id) if article_id else f"a-{content_hash(text)[:12]}",
        source=safe_text(source),
        raw_text=text,
        url=url,
        outlet=_outlet(url),
        confidence={"url": 0.9 if url else 0.0},
    )


def article_from_html(html: str, *, source: str, article_id: str | None = None, url: str | None = None) -> Article:
    """Main text and metadata of an HTML page via trafilatura (drops menus, footers, banners)."""
    import trafilatura

    html = _HUGE_TAG.sub(r"<\1>", safe_text(html))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # trafilatura/lxml emit FutureWarnings on some pages
        doc = trafilatura.bare_extraction(html, url=_parsable(url), with_metadata=True, include_comments=False)
    if doc is None or not (doc.text or "").strip():
        raise Skip("E006", path=source)
    page_url = url or doc.url
    article = article_from_text(doc.text, source=source, article_id=article_id, url=page_url)
    article.extras["format"] = "html"
    if doc.title:
        article.extras["given_title"] = safe_text(doc.title)
    if doc.sitename:
        article.outlet = safe_text(doc.sitename)
    if doc.author:
        article.extras["author"] = safe_text(doc.author)
    if url and doc.url and doc.url != url:  # the page names its own address (rel=canonical, og:url)
        article.extras["canonical_url"] = safe_text(doc.url)
    published = _parse_iso_date(doc.date)
    if published:
        article.published = DatedValue(value=published, precision="day", confidence=0.8, basis="HTML metadata")
    article.confidence["url"] = 0.9 if page_url else 0.0
    return article


def _looks_like_html(text: str) -> bool:
    head = text[:2000].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in text)


def _looks_like_jsonl(text: str) -> bool:
    first = text.lstrip()[:1]
    if first != "{":
        return False
    line = text.lstrip().split("\n", 1)[0]
    try:
        return isinstance(load_json_line(line), dict)
    except ValueError:  # a line opening like a JSON object is broken JSONL: parse_jsonl says why, by line
        return line.startswith('{"')


def _catch(name: str, build: Callable[[], Article], line: int | None = None) -> Article | IngestFailure:
    try:
        return build()
    except Skip as skip:
        return _failure(name, skip, line)
    except Exception as exc:  # one record must not stop the run; reported as a bug
        return unexpected(name, exc, line)


def _failure(name: str, skip: Skip, line: int | None = None) -> IngestFailure:
    return IngestFailure(name, skip.code, skip.args[0], line)


def _outlet(url: str | None) -> str | None:
    """The URL's registered domain ("edition.cnn.com" -> "cnn.com", "news.bbc.co.uk" -> "bbc.co.uk",
    by the public suffix list inside the tld package); the host name when it has none (an address)."""
    if not url:
        return None
    try:
        host = urlparse(url).hostname or ""
    except ValueError:  # "http://[::1": kept as given, but it names no host
        return None
    from tld import get_fld

    try:
        registered = get_fld(host, fix_protocol=True, fail_silently=True)
    except Exception:  # the tld package refusing an odd host must not lose the article
        registered = None
    return registered or host.removeprefix("www.") or None


def _parsable(url: str | None) -> str | None:
    """The URL when the standard library can parse it, else None (trafilatura would raise)."""
    if not url:
        return None
    try:
        urlparse(url).hostname  # noqa: B018 - parsing is the check
    except ValueError:
        return None
    return url


def _str_or_none(value: object) -> str | None:
    return safe_text(str(value)).strip() or None if value is not None else None


def _parse_iso_date(value: object) -> date | None:
    """Accept 'YYYY-MM-DD' (optionally followed by a time); reject absurd years."""
    if not isinstance(value, str):
        return None
    match = re.match(r"^\s*(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    return safe_date(year, month, day)
