"""The web UI in a real browser: Debian's Chromium driven by Playwright against ``storyline serve``.

Skips (with the reason) where Chromium or the seeds are absent, except when
``STORYLINE_REQUIRE_BROWSER=1`` (CI sets it after installing Chromium): then a
missing browser is a failure, not a skip.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyline.pipeline import Pipeline
from storyline.serve.process import running_server
from storyline.stages.ingest import parse_jsonl
from storyline.store.sqlite import SQLiteStore
from tests.conftest import SEEDS

CHROMIUM = shutil.which("chromium")
REQUIRED = os.environ.get("STORYLINE_REQUIRE_BROWSER") == "1"
HOSTILE_JSONL = (
    '{"id": "hostile", "title": "Protest <img src=x onerror=alert(1)>", "url": "javascript:alert(4)", "text": '
    '"Officials met in Geneva on Monday, March 6, 2023, and a protester held a sign reading '
    "<script>alert('x')</script> outside the hall. The <b onmouseover=alert(5)>talks</b> ended late, "
    'see <a href=\\"javascript:alert(2)\\" onclick=\\"alert(3)\\">this</a>."}'
)


def _missing() -> str | None:
    if CHROMIUM is None:
        return "Chromium is not on PATH (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not SEEDS.exists():
        return f"seed articles not found at {SEEDS}"
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    reason = _missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"STORYLINE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    db = tmp_path_factory.mktemp("browser") / "seeds.db"
    with SQLiteStore(db) as store:
        pipeline = Pipeline()
        pipeline.ingest([str(SEEDS)], store, progress=False)
        pipeline.ingest_records(parse_jsonl(HOSTILE_JSONL, "hostile"), store)
    try:
        with running_server(db) as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"])
        yield chromium
        chromium.close()


def test_story_timeline_and_cross_lingual_search(server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(server + "/")
    page.screenshot(path=str(tmp_path / "1-home.png"), full_page=True)
    page.get_by_role("link", name="Netanyahu, Putin hold ‘important’ talks in Paris amid Syria tensions").first.click()

    page.wait_for_url("**/stories/*")
    assert page.locator("svg circle").count() >= 1  # the timeline chart
    paris_reports = ("Netanyahu, Putin hold ‘important’ talks in Paris",
                     "Putin, Netanyahu struggle to mend ties in Paris")
    for title in paris_reports:
        assert page.get_by_role("link", name=title).first.is_visible()
    assert page.locator(".timeline-event").first.inner_text().startswith("2018-11-11")
    page.screenshot(path=str(tmp_path / "2-story.png"), full_page=True)

    page.locator(".timeline-event a[href^='/events/']").first.click()  # the dated event: the Paris meeting
    page.wait_for_url("**/events/*")
    assert page.locator("article").count() == 2  # both reports side by side
    assert page.locator("article mark", has_text="Vladimir Putin").count() >= 2
    page.screenshot(path=str(tmp_path / "3-event.png"), full_page=True)

    page.get_by_role("searchbox").first.fill("Poutine Netanyahou")
    page.get_by_role("button", name="Search").first.click()
    page.wait_for_url("**/search?q=*")
    results = page.locator(".result")  # one per event: the Paris meeting's two English reports in one row
    paris = [results.nth(i) for i in range(results.count()) if "Netanyahu, Putin hold" in results.nth(i).inner_text()]
    assert len(paris) == 1 and "2 articles" in paris[0].inner_text()
    paris[0].locator("summary").click()  # unfold the event's matching articles
    assert paris[0].get_by_role("link", name="Putin, Netanyahu struggle to mend ties in Paris").is_visible()
    page.screenshot(path=str(tmp_path / "4-search.png"), full_page=True)
    assert dialogs == []
    assert list(tmp_path.glob("*.png"))


def test_hostile_text_stays_inert(server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server + "/articles/hostile")
    body = page.locator("main").inner_text()
    assert "<script>alert('x')</script>" in body  # shown as text
    assert page.locator("main script, main img, main b").count() == 0  # not as elements
    page.get_by_text("this", exact=False).last.hover()
    for link in page.locator("main a").all():
        assert not (link.get_attribute("href") or "").startswith("javascript:")
    page.goto(server + "/search?q=protester+Geneva")
    page.goto(server + "/search?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)
    assert dialogs == []


PAGES = ("/", "/stories", "/events", "/entities", "/search?q=Poutine", "/events?language=fr&sort=largest")


def test_every_page_fits_a_phone_and_a_laptop_and_is_reachable_from_home(  # type: ignore[no-untyped-def]
        server: str, browser, tmp_path: Path) -> None:
    """At 390 and 1366 px: no page scrolls sideways, and each list page and a page of every kind
    (story, event, entity, article) is a link away from the home page."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(server + "/")
    home_links = {a.get_attribute("href") for a in page.locator("a").all()}
    assert {"/stories", "/events", "/entities", "/search"} <= home_links
    story = page.locator("a[href^='/stories/']", has_text="Netanyahu").first.get_attribute("href")
    page.goto(server + story)
    event = page.locator("a[href^='/events/ev-']").first.get_attribute("href")
    page.goto(server + event)
    article = page.locator("a[href^='/articles/']").first.get_attribute("href")
    page.goto(server + article)
    compare = page.locator("a[href^='/compare?']").first.get_attribute("href")
    page.goto(server + "/entities")
    entity = page.locator("main a[href^='/entities/']").first.get_attribute("href")
    visited = [*PAGES, story, event, article, entity, compare]
    shots = Path(os.environ.get("STORYLINE_SCREENSHOTS") or tmp_path)  # CI keeps them in .cache/screenshots
    shots.mkdir(parents=True, exist_ok=True)
    for width in (390, 1366):
        phone = browser.new_page(viewport={"width": width, "height": 800})
        requested: list[str] = []
        phone.on("request", lambda request, seen=requested: seen.append(request.url))
        for path in visited:
            response = phone.goto(server + path)
            assert response is not None and response.status == 200, path
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width} px"
            name = re.sub(r"[^\w=-]+", "-", path.strip("/"))[:60] or "home"
            phone.screenshot(path=str(shots / f"{width}-{name}.png"), full_page=True)
        assert all(url.startswith(server) for url in requested), [u for u in requested if not u.startswith(server)]
        phone.close()


def test_the_lists_are_usable_from_the_keyboard(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    """Tabbing from the top reaches the filter form (folded: its summary opens it) and the first
    story, and Enter follows it; opened, the form's fields are reached in turn."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(server + "/")
    script = ("document.activeElement.getAttribute('href') || document.activeElement.name"
              " || document.activeElement.tagName")
    focused = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.append(page.evaluate(script) or "")
        if focused[-1] == "SUMMARY":
            page.keyboard.press("Enter")  # open the filters
        if focused[-1].startswith("/stories/"):
            break
    assert "SUMMARY" in focused and "since" in focused and "sort" in focused
    assert focused[-1].startswith("/stories/")
    page.keyboard.press("Enter")
    page.wait_for_url("**/stories/*")


def test_every_link_of_a_page_is_reached_by_tab_at_phone_width(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    """At 390 px, Tab visits every link and field of the story, event and list pages in turn, the
    timeline's dots included (each named by its event), and nothing traps the focus."""
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(server + "/")
    story = page.locator("a[href^='/stories/']", has_text="Netanyahu").first.get_attribute("href")
    for path in ("/", "/events", "/entities", story):
        page.goto(server + path)
        wanted = page.evaluate("""Array.from(document.querySelectorAll('a[href], input, select, button, summary'))
            .filter(e => { const folded = e.closest('details:not([open])');  // a closed section: its summary
                           return (!folded || e.tagName === 'SUMMARY') && (e.offsetParent !== null || e.closest('svg'));
                         }).length""")
        reached = set()
        for _ in range(wanted + 5):
            page.keyboard.press("Tab")
            reached.add(page.evaluate("""(() => { const e = document.activeElement;  // position: links repeat
                return Array.from(document.querySelectorAll('*')).indexOf(e) + '|' + e.tagName + '|'
                + (e.getAttribute('href') || e.name || ''); })()"""))
        assert len(reached) >= wanted, f"{path}: Tab reached {len(reached)} of {wanted} controls"
        if path == story:
            dots = [r for r in reached if "|a|/events/" in r]  # lower-case "a": the SVG chart's links
            assert dots, "the timeline's event links are not reached by keyboard"
            name = page.locator("a.chart-event").first.evaluate("e => e.querySelector('title').textContent")
            assert name.startswith("1. ") and "·" in name  # "1. 2018-11-11 · <event title> (2 articles)"
            assert page.locator("a.chart-event text").first.text_content() == "1"  # numbered as the list
