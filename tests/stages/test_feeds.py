"""Listings: RSS, Atom, JSON Feed, sitemaps, OPML and URL lists, parsed and told apart."""

from __future__ import annotations

import json
from datetime import date

import pytest

from storyline.errors import Skip
from storyline.stages.feeds import listing_kind, parse_listing, sniff
from tests.local_web import rss

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<!-- generated -->
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Times</title>
<entry><title>Quake hits coast</title><link rel="alternate" href="https://atom.example/quake"/>
<updated>2024-02-03T08:00:00Z</updated><author><name>R. Roe</name></author>
<summary>A strong earthquake hit the coast.</summary></entry></feed>"""

SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://s.example/old</loc><lastmod>2023-01-01</lastmod></url>
<url><loc>https://s.example/new</loc><news:news><news:publication><news:name>Sitemap Post</news:name>
<news:language>en</news:language></news:publication><news:publication_date>2024-05-06T10:00:00+02:00</news:publication_date>
<news:title>Floods close schools</news:title></news:news></url>
<url><loc>https://s.example/undated</loc></url>
</urlset>"""


def test_feeds_rss_entries_keep_title_link_date_author_and_outlet() -> None:
    data = rss("Gazette", [{"title": "Bridge closes", "link": "https://g.example/a1", "author": "J. Doe",
                            "pubDate": "Tue, 07 Mar 2023 10:00:00 GMT", "description": "<p>Short <b>summary</b></p>"}])
    listing = parse_listing("feed", data, "feed.xml")
    (entry,) = listing.entries
    assert (listing.kind, listing.title) == ("feed", "Gazette")
    assert (entry.link, entry.title, entry.published, entry.author, entry.outlet) == (
        "https://g.example/a1", "Bridge closes", date(2023, 3, 7), "J. Doe", "Gazette")
    assert "summary" in (entry.summary or "")


def test_feeds_atom_and_its_alternate_link() -> None:
    (entry,) = parse_listing("feed", ATOM, "atom.xml").entries
    assert (entry.link, entry.published, entry.author, entry.outlet) == (
        "https://atom.example/quake", date(2024, 2, 3), "R. Roe", "Atom Times")


def test_feeds_json_feed() -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "JSON Daily", "items": [
        {"id": "1", "url": "https://j.example/1", "title": "Vote passes", "date_published": "2024-06-01T12:00:00Z",
         "authors": [{"name": "A. Poe"}], "content_text": "The vote passed."},
        {"id": "2", "title": "no url: left out"}, "not an object"]}
    listing = parse_listing("jsonfeed", json.dumps(feed).encode(), "feed.json")
    (entry,) = listing.entries
    assert (entry.link, entry.title, entry.published, entry.author, entry.outlet, entry.summary) == (
        "https://j.example/1", "Vote passes", date(2024, 6, 1), "A. Poe", "JSON Daily", "The vote passed.")


def test_feeds_news_sitemap_newest_first_and_sitemap_index() -> None:
    listing = parse_listing("sitemap", SITEMAP, "sitemap.xml")
    assert [e.link for e in listing.entries] == ["https://s.example/new", "https://s.example/old",
                                                 "https://s.example/undated"]
    assert (listing.entries[0].title, listing.entries[0].outlet, listing.entries[0].published) == (
        "Floods close schools", "Sitemap Post", date(2024, 5, 6))
    index = (b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://s.example/a.xml'
             b"</loc></sitemap><sitemap><loc>https://s.example/b.xml</loc></sitemap></sitemapindex>")
    assert parse_listing("sitemap", index, "index.xml").listings == ["https://s.example/a.xml",
                                                                     "https://s.example/b.xml"]


def test_feeds_opml_and_url_lists_list_feeds() -> None:
    opml = (b'<?xml version="1.0"?><opml version="2.0"><body><outline text="News">'
            b'<outline text="A" type="rss" xmlUrl="https://a.example/rss"/>'
            b'<outline text="B" xmlUrl="https://b.example/atom"/></outline></body></opml>')
    assert parse_listing("opml", opml, "feeds.opml").listings == ["https://a.example/rss", "https://b.example/atom"]
    text = b"# my feeds\nhttps://a.example/rss\n\n  https://b.example/page  \n"
    assert parse_listing("urls", text, "feeds.txt").listings == ["https://a.example/rss", "https://b.example/page"]


@pytest.mark.parametrize(("data", "kind"), [
    (b"<rss><channel><item><title>cut off", "feed"),  # no link anywhere
    (b"this is not xml at all <", "sitemap"),
    (b'{"version": "https://jsonfeed.org/version/1", "items": "nope"}', "jsonfeed"),
    (b"<opml><body></body></opml>", "opml"),
])
def test_feeds_a_broken_listing_says_why(data: bytes, kind: str) -> None:
    with pytest.raises(Skip) as raised:
        parse_listing(kind, data, "bad")
    assert raised.value.code == "E053" and "bad" in str(raised.value)


@pytest.mark.parametrize(("head", "suffix", "content_type", "kind"), [
    ('<?xml version="1.0"?><rss version="2.0">', "", "", "feed"),
    ("<?xml version='1.0'?>\n<!-- c -->\n<feed xmlns='http://www.w3.org/2005/Atom'>", ".xml", "", "feed"),
    ("<rdf:RDF xmlns:rdf='x'>", "", "", "feed"),
    ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">', ".xml", "", "sitemap"),
    ("<sitemapindex>", "", "application/xml", "sitemap"),
    ('<opml version="2.0">', ".opml", "", "opml"),
    ('{"version": "https://jsonfeed.org/version/1.1", "items": []}', ".json", "", "jsonfeed"),
    ("https://a.example/rss\nhttps://b.example/x\n", ".txt", "", "urls"),
    ("<!DOCTYPE html><html><body><p>An article</p>", "", "text/html", None),
    ("<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'>", "", "", None),
    ("Floods closed roads.\nhttps://a.example/source\n", ".txt", "", None),
    ('{"id": "a", "text": "JSONL, not a feed"}', ".jsonl", "", None),
])
def test_feeds_sniff_tells_listings_from_articles(head: str, suffix: str, content_type: str,
                                                  kind: str | None) -> None:
    assert sniff(head, suffix, content_type) == kind


def test_feeds_listing_kind_only_for_listing_suffixes() -> None:
    assert listing_kind("<rss version='2.0'>", ".xml") == "feed"
    assert listing_kind("<rss version='2.0'>", ".html") is None  # an .html file is read as a page
