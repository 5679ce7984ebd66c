"""Reading listings of articles: RSS, Atom and JSON feeds, sitemaps, OPML and URL lists.

A listing says where articles are, not what they say: each :class:`Entry` carries the
page's link and what the listing knows of it (title, date, author, outlet, a summary to
fall back on when the page cannot be fetched). RSS and Atom go through feedparser (it
copes with the broken feeds real outlets publish); JSON Feed, sitemaps and OPML are small
enough to read here. XML is parsed without entities or network access.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from storyline.errors import Skip

#: What a listing is, from its first characters (after any XML declaration or comments).
_XML_ROOT = re.compile(r"<(?!\?|!)([A-Za-z][\w.-]*:)?([A-Za-z][\w.-]*)")
_ROOT_KINDS = {"rss": "feed", "feed": "feed", "rdf": "feed", "urlset": "sitemap", "sitemapindex": "sitemap",
               "opml": "opml"}
LISTING_SUFFIXES = {".xml", ".rss", ".atom", ".opml", ".json"}
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


@dataclass(slots=True, frozen=True)
class Entry:
    """One article a listing points to."""

    link: str
    title: str | None = None
    published: date | None = None
    author: str | None = None
    outlet: str | None = None  # the entry's own source (an aggregator's), else the listing's title
    summary: str | None = None  # HTML or text


@dataclass(slots=True)
class Listing:
    """What a listing holds: article entries, or further listings to read (a sitemap index,
    an OPML file, a list of feed URLs)."""

    kind: str  # "feed", "sitemap", "opml" or "urls"
    title: str | None = None
    entries: list[Entry] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)


def sniff(head: str, suffix: str = "", content_type: str = "") -> str | None:
    """The kind of listing a document is ("feed", "jsonfeed", "sitemap", "opml", "urls"), or
    None for an article. ``head`` is its first few thousand characters."""
    content_type = content_type.lower()
    stripped = head.lstrip("\ufeff \t\r\n")
    if "jsonfeed.org/version" in stripped[:1000] or "application/feed+json" in content_type:
        return "jsonfeed" if stripped.startswith("{") else None
    if stripped.startswith("<") and "html" not in content_type:
        match = _XML_ROOT.search(_without_prolog(stripped))
        if match and match.group(2).lower() in _ROOT_KINDS:
            return _ROOT_KINDS[match.group(2).lower()]
        return None
    if (suffix in ("", ".txt", ".list") and "html" not in content_type and stripped
            and "\n\n\n" not in stripped):
        lines = [line.strip() for line in stripped.splitlines() if line.strip() and not line.strip().startswith("#")]
        if lines and all(_URL.match(line) for line in lines):
            return "urls"
    return None


def listing_kind(text: str, suffix: str) -> str | None:
    """The listing a local file is (a saved feed, OPML, a URL list), or None for an article."""
    if suffix not in LISTING_SUFFIXES and suffix not in ("", ".txt", ".list"):
        return None
    return sniff(text[:4096], suffix)


def _without_prolog(text: str) -> str:
    """The document from its root element on: XML declaration, comments and doctype left out."""
    return re.sub(r"^(\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>))*", "", text[:4000], flags=re.DOTALL)


def parse_listing(kind: str, data: bytes, name: str) -> Listing:
    """Parse a listing of the given kind; Skip E053 when it holds nothing readable."""
    if kind == "feed":
        return _parse_feed(data, name)
    if kind == "jsonfeed":
        return _parse_json_feed(data, name)
    if kind == "sitemap":
        return _parse_sitemap(data, name)
    if kind == "opml":
        return _parse_opml(data, name)
    lines = data.decode("utf-8", errors="replace").splitlines()
    return Listing("urls", listings=[line.strip() for line in lines
                                     if line.strip() and not line.strip().startswith("#")])


def _parse_feed(data: bytes, name: str) -> Listing:
    import feedparser

    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True)
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise Skip("E053", path=name, detail=_reason(problem) if problem else "no entries")
    title = _clean(parsed.feed.get("title"))
    entries = []
    for item in parsed.entries:
        link = item.get("link") or _first_link(item)
        if not link:
            continue
        source = item.get("source") or {}
        summary = item.get("summary") or (item.get("content") or [{}])[0].get("value")
        entries.append(Entry(link=link, title=_clean(item.get("title")),
                             published=_struct_date(item.get("published_parsed") or item.get("updated_parsed")),
                             author=_clean(item.get("author")), outlet=_clean(source.get("title")) or title,
                             summary=summary or None))
    if not entries:
        raise Skip("E053", path=name, detail="no entry has a link")
    return Listing("feed", title=title, entries=entries)


def _first_link(item: Any) -> str | None:
    for link in item.get("links") or []:
        if link.get("href") and link.get("rel", "alternate") == "alternate":
            return str(link["href"])
    return None


def _parse_json_feed(data: bytes, name: str) -> Listing:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        feed = json.loads(data.decode("utf-8", errors="replace"))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise Skip("E053", path=name, detail=f"not valid JSON: {_reason(exc)}") from None
    if not isinstance(feed, dict) or not isinstance(feed.get("items"), list):
        raise Skip("E053", path=name, detail="a JSON Feed needs an 'items' list")
    title = _clean(feed.get("title"))
    entries = []
    for item in feed["items"]:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        if not isinstance(link, str) or not link.strip():
            continue
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        author = ", ".join(str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")) or None
        summary = item.get("content_html") or item.get("content_text") or item.get("summary")
        entries.append(Entry(link=link.strip(), title=_clean(item.get("title")),
                             published=_iso_date(item.get("date_published") or item.get("date_modified")),
                             author=_clean(author), outlet=title,
                             summary=summary if isinstance(summary, str) else None))
    if not entries:
        raise Skip("E053", path=name, detail="no item has a url")
    return Listing("feed", title=title, entries=entries)


def _xml(data: bytes, name: str) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise Skip("E053", path=name, detail=f"broken XML: {_reason(exc)}") from None
    if root is None:
        raise Skip("E053", path=name, detail="broken XML")
    return root


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _parse_sitemap(data: bytes, name: str) -> Listing:
    """A sitemap (``urlset``, with Google News' ``news:`` extension) or a sitemap index."""
    root = _xml(data, name)
    if _local(root.tag) == "sitemapindex":
        return Listing("sitemap", listings=[_text(child, "loc") for child in root if _local(child.tag) == "sitemap"
                                            if _text(child, "loc")])
    entries = []
    for url in root:
        if _local(url.tag) != "url" or not _text(url, "loc"):
            continue
        news = next((child for child in url if _local(child.tag) == "news"), None)
        title = _text(news, "title") if news is not None else None
        when = _text(news, "publication_date") if news is not None else None
        outlet = None
        if news is not None:
            publication = next((child for child in news if _local(child.tag) == "publication"), None)
            outlet = _text(publication, "name") if publication is not None else None
        entries.append(Entry(link=_text(url, "loc") or "", title=_clean(title), outlet=_clean(outlet),
                             published=_iso_date(when or _text(url, "lastmod"))))
    if not entries:
        raise Skip("E053", path=name, detail="a sitemap with no <url><loc>")
    # Newest first, so a size bound keeps the news; undated entries keep their order at the end.
    entries.sort(key=lambda e: e.published.toordinal() if e.published else 0, reverse=True)
    return Listing("sitemap", entries=entries)


def _parse_opml(data: bytes, name: str) -> Listing:
    root = _xml(data, name)
    feeds = [str(node.get("xmlUrl")).strip() for node in root.iter() if _local(node.tag) == "outline"
             and node.get("xmlUrl")]
    if not feeds:
        raise Skip("E053", path=name, detail="an OPML file with no outline xmlUrl")
    return Listing("opml", listings=feeds)


def _text(node: Any, child_name: str) -> str | None:
    for child in node:
        if _local(child.tag) == child_name and child.text and child.text.strip():
            return str(child.text).strip()
    return None


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", value)).strip()
    return text or None


def _struct_date(value: time.struct_time | None) -> date | None:
    if value is None:
        return None
    try:
        return date(value.tm_year, value.tm_mon, value.tm_mday) if 1800 < value.tm_year < 2200 else None
    except ValueError:
        return None


def _iso_date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except ValueError:
        match = re.match(r"^\s*(\d{4})-(\d{2})-(\d{2})", value)
        if not match:
            return None
        try:
            parsed = date(*(int(g) for g in match.groups()))
        except ValueError:
            return None
    return parsed if 1800 < parsed.year < 2200 else None


def _reason(exc: object) -> str:
    return re.sub(r"\s+", " ", str(exc) or type(exc).__name__)[:200]
