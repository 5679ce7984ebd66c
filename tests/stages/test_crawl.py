"""WebReader: from feeds, sitemaps and lists to articles, in order, fetching only what is new."""

from __future__ import annotations

from storyline.article import Article
from storyline.stages.crawl import Validators, WebReader
from storyline.stages.ingest import IngestFailure
from storyline.stages.web import WebClient, WebSettings, normalise_url
from tests.local_web import LocalWeb, Route, page, rss

QUICK = WebSettings(rate=0, timeout=0.5, backoff=0.05)


def _paragraphs(topic: str) -> list[str]:
    return [f"The {topic} was the main news in Springfield on Tuesday, when the city council met for five hours "
            "and residents filled the hall to hear what the engineers had found.",
            f"Officials said the {topic} would be discussed again next week, after a report from the state agency "
            "that inspects public works across the region.",
            "Mayor Jane Quimby told reporters that the city would publish every document on its website."]


def _serve_pages(web: LocalWeb, names: list[str]) -> None:
    for name in names:
        web.routes[f"/news/{name}"] = Route(page(f"{name.title()} in Springfield", _paragraphs(name)))


def _split(records: list[Article | IngestFailure]) -> tuple[list[Article], list[IngestFailure]]:
    return ([r for r in records if isinstance(r, Article)], [r for r in records if isinstance(r, IngestFailure)])


def test_crawl_feed_entries_become_articles_in_feed_order_with_the_feeds_word() -> None:
    names = ["bridge", "ferry", "budget", "school", "library", "park", "harbour", "tram", "museum", "stadium"]
    with LocalWeb() as web:
        _serve_pages(web, names)
        items = [{"title": f"Feed title {n}", "link": f"/news/{n}", "pubDate": "Tue, 07 Mar 2023 10:00:00 GMT",
                  "author": "J. Doe"} for n in names]  # relative links, made absolute against the feed
        web.routes["/feed.xml"] = Route(rss("Springfield Gazette", items), content_type="application/rss+xml")
        web.routes["/news/park"].delay = 0.3  # a slow page does not change the order
        reader = WebReader(WebClient(QUICK))
        articles, failures = _split(list(reader.read_url(web.url("/feed.xml"))))
    assert not failures
    assert [a.url for a in articles] == [web.url(f"/news/{n}") for n in names]
    first = articles[0]
    assert (first.extras["given_title"], first.outlet, first.extras["author"], str(first.published.value),
            first.published.basis) == ("Feed title bridge", "Springfield Gazette", "J. Doe", "2023-03-07", "feed entry")
    assert "main news in Springfield" in first.raw_text and "newsletter" not in first.raw_text  # boilerplate gone
    assert reader.stats["pages"] == 10 and reader.stats["feeds"] == 1
    assert [url for url, _ in reader.finished] == [normalise_url(web.url("/feed.xml"))]


def test_crawl_fetches_nothing_already_stored_or_listed_twice() -> None:
    with LocalWeb() as web:
        _serve_pages(web, ["bridge", "ferry", "budget"])
        items = [{"title": "a", "link": "/news/bridge"}, {"title": "b", "link": "/news/ferry?utm_source=rss"},
                 {"title": "b again", "link": "/news/ferry"}, {"title": "c", "link": "/news/budget"}]
        web.routes["/feed.xml"] = Route(rss("G", items), content_type="application/rss+xml")
        stored = {normalise_url(web.url("/news/bridge"))}
        reader = WebReader(WebClient(QUICK), known=stored.__contains__)
        articles, _ = _split(list(reader.read_url(web.url("/feed.xml"))))
        assert [a.extras["given_title"] for a in articles] == ["b", "c"]
        assert not web.asked("/news/bridge") and len(web.asked("/news/ferry")) == 1
        assert reader.stats["already stored"] == 2
        assert articles[0].extras["fetched_urls"] == [normalise_url(web.url("/news/ferry"))]


def test_crawl_an_unchanged_feed_costs_one_304() -> None:
    with LocalWeb() as web:
        _serve_pages(web, ["bridge"])
        web.routes["/feed.xml"] = Route(rss("G", [{"title": "a", "link": "/news/bridge"}]),
                                        content_type="application/rss+xml")
        first = WebReader(WebClient(QUICK))
        assert len(list(first.read_url(web.url("/feed.xml")))) == 1
        remembered = dict(first.finished)
        again = WebReader(WebClient(QUICK), validators=remembered.get)
        assert list(again.read_url(web.url("/feed.xml"))) == []
        assert web.asked("/feed.xml")[-1].status == 304 and len(web.asked("/news/bridge")) == 1
        assert again.stats["unchanged listings"] == 1


def test_crawl_a_dead_page_is_reported_and_its_summary_kept() -> None:
    with LocalWeb() as web:
        _serve_pages(web, ["bridge"])
        items = [{"title": "Gone", "link": "/news/gone",
                  "description": "The bridge in Springfield closed on Tuesday after engineers found cracks."},
                 {"title": "Gone too", "link": "/news/gone-too"}, {"title": "Here", "link": "/news/bridge"}]
        web.routes["/feed.xml"] = Route(rss("G", items), content_type="application/rss+xml")
        reader = WebReader(WebClient(QUICK))
        articles, failures = _split(list(reader.read_url(web.url("/feed.xml"))))
    assert [a.extras["given_title"] for a in articles] == ["Gone", "Here"]
    assert articles[0].extras["text_from"] == "feed summary" and "cracks" in articles[0].raw_text
    assert [(f.source, f.code) for f in failures] == [(web.url("/news/gone"), "E050"), (web.url("/news/gone-too"),
                                                                                       "E050")]
    assert "summary" in failures[0].reason and "no such page" in failures[1].reason
    assert reader.finished  # a 404 will not mend: the feed is asked "changed?" next time


def test_crawl_a_feed_with_a_page_down_for_now_is_read_whole_next_time() -> None:
    with LocalWeb() as web:
        _serve_pages(web, ["bridge"])
        web.routes["/busy"] = Route(b"busy", status=503)
        web.routes["/feed.xml"] = Route(rss("G", [{"title": "a", "link": "/news/bridge"}, {"title": "b",
                                                                                           "link": "/busy"}]),
                                        content_type="application/rss+xml")
        reader = WebReader(WebClient(QUICK))
        articles, failures = _split(list(reader.read_url(web.url("/feed.xml"))))
    assert len(articles) == 1 and failures[0].code == "E050" and "tried again" in failures[0].reason
    assert reader.finished == []  # no validators kept: the next run reads the feed and retries /busy


def test_crawl_broken_feed_and_non_article_page() -> None:
    with LocalWeb() as web:
        web.routes["/broken.xml"] = Route(b"<rss><channel><item><title>cut", content_type="application/rss+xml")
        web.routes["/photo"] = Route(b"\x89PNG....", content_type="image/png")
        reader = WebReader(WebClient(QUICK))
        records = [*reader.read_url(web.url("/broken.xml")), *reader.read_url(web.url("/photo"))]
    assert [(r.source, r.code) for r in records] == [(web.url("/broken.xml"), "E053"), (web.url("/photo"), "E054")]
    assert reader.finished == []  # a broken feed is read (and reported) again next time


def test_crawl_sitemap_index_and_the_bound_per_listing() -> None:
    with LocalWeb() as web:
        _serve_pages(web, ["bridge", "ferry", "budget"])
        locs = "".join(f"<url><loc>{web.url('/news/' + n)}</loc><lastmod>2024-01-0{i + 1}</lastmod></url>"
                       for i, n in enumerate(["bridge", "ferry", "budget"]))
        web.routes["/sitemap-news.xml"] = Route(
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode(),
            content_type="application/xml")
        web.routes["/sitemap.xml"] = Route(
            b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>/sitemap-news.xml</loc>'
            b"</sitemap></sitemapindex>", content_type="application/xml")
        reader = WebReader(WebClient(WebSettings(rate=0, max_per_listing=2)))
        articles, failures = _split(list(reader.read_url(web.url("/sitemap.xml"))))
    assert not failures
    assert [a.url for a in articles] == [web.url("/news/budget"), web.url("/news/ferry")]  # newest first
    assert reader.stats["left for the next run"] == 1 and reader.stats["sitemaps"] == 2


def test_crawl_a_url_list_file_reads_each_url() -> None:
    with LocalWeb() as web:
        _serve_pages(web, ["bridge", "ferry"])
        listed = f"# pages\n{web.url('/news/bridge')}\n{web.url('/news/ferry')}\n".encode()
        reader = WebReader(WebClient(QUICK))
        articles, _ = _split(list(reader.read_document("urls", listed, "pages.txt")))
    assert [a.url for a in articles] == [web.url("/news/bridge"), web.url("/news/ferry")]
    assert all(a.outlet == "Local Gazette" for a in articles)  # the page's own metadata


def test_crawl_validators_round_trip() -> None:
    assert Validators('"x"', None) == Validators(etag='"x"', last_modified=None)
