"""Listings in the API and the UI: events, stories and entities, filtered, sorted and paged.

The same :class:`~storyline.browse.Browse` the CLI builds from its options is built here from
query parameters, so ``/events?language=fr&sort=largest``, ``/api/events?language=fr&sort=largest``
and ``storyline events --language fr --sort largest`` list the same events. The API returns the
list as before, with the total in an ``X-Total-Count`` header; every page's URL is shareable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from storyline.browse import SORTS, Browse, Page, find_entities, find_events, find_stories
from storyline.errors import StorylineError
from storyline.serve import views
from storyline.serve.coverage import coverage_chart, coverage_rows

#: Largest ``offset`` a listing takes (SQLite's integers end near 9.2e18; nobody pages that far).
MAX_OFFSET = 1_000_000_000
_SORT = "^(" + "|".join(SORTS) + ")$"
#: The reader's language for titles: ``?lang=fr`` heads each event with its French report's title.
Lang = Annotated[str | None, Query(max_length=8, description="title events in this language where a report is")]


def _browse_params(default_sort: str) -> Callable[..., Browse]:
    """The query parameters of a listing. ``/api/events`` lists oldest first, as it always has and as
    the CLI does (scripts page through a stable order); stories and the pages, latest first."""

    def params(
        since: Annotated[str | None, Query(description="YYYY-MM-DD: events dated on or after", max_length=10)] = None,
        until: Annotated[str | None, Query(description="YYYY-MM-DD: events dated on or before", max_length=10)] = None,
        language: Annotated[str | None, Query(description="with an article in this language", max_length=8)] = None,
        outlet: Annotated[str | None, Query(description="with an article from an outlet containing this",
                                            max_length=200)] = None,
        entity: Annotated[str | None, Query(description="naming this entity (any spelling)", max_length=200)] = None,
        min_articles: Annotated[str | None, Query(description="at least this many articles", max_length=6)] = None,
        sort: Annotated[str, Query(pattern=_SORT, description="latest, largest, growing or oldest")] = default_sort,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> Browse:
        """Query parameters as a :class:`Browse` (blank form fields mean "any")."""
        size = (min_articles or "").strip()
        if size and not size.isdigit():
            raise StorylineError("E016", detail=f"min_articles must be a whole number, not {size!r}")
        return Browse.parse(since=since, until=until, language=language, outlet=outlet, entity=entity,
                            min_articles=int(size) if size else None, sort=sort, limit=limit, offset=offset)

    return params


browse_params = _browse_params("latest")
events_api_params = _browse_params("oldest")


def add_listings(app: FastAPI, store: Callable[[], Any], page: Callable[..., HTMLResponse]) -> None:
    """Register ``/api/events``, ``/api/stories``, ``/api/entities`` and the pages ``/``, ``/events``,
    ``/stories``, ``/entities``."""

    @app.get("/api/events", tags=["events"], summary="Events with their articles and why each joined")
    def list_events(browse: Annotated[Browse, Depends(events_api_params)], lang: Lang = None) -> JSONResponse:
        return _listed(find_events(store(), browse, lang=_lang(lang)))

    @app.get("/api/stories", tags=["stories"], summary="Stories with a matching event, latest first")
    def list_stories(browse: Annotated[Browse, Depends(browse_params)], lang: Lang = None) -> JSONResponse:
        return _listed(find_stories(store(), browse, lang=_lang(lang)))

    @app.get("/api/entities", tags=["entities"], summary="People, organisations and places by articles naming them")
    def list_entities(name: Annotated[str | None, Query(max_length=200)] = None,
                      type: Annotated[str | None, Query(pattern="^(PER|ORG|LOC|per|org|loc)$")] = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> JSONResponse:
        total, items = find_entities(store(), name=name, kind=type, limit=limit, offset=offset)
        return JSONResponse(items, headers={"X-Total-Count": str(total)})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, browse: Annotated[Browse, Depends(browse_params)],
             lang: Lang = None) -> HTMLResponse:
        found = find_stories(store(), browse, lang=_lang(lang))
        coverage = coverage_chart(coverage_rows(store())) if not browse.offset else None
        return page(request, "stories.html", found=found, form=_form(browse, lang), counts=store().counts(),
                    heading="Latest stories", action="/", pager=_pager(request, found), coverage=coverage)

    @app.get("/stories", response_class=HTMLResponse, include_in_schema=False)
    def stories_page(request: Request, browse: Annotated[Browse, Depends(browse_params)],
                     lang: Lang = None) -> HTMLResponse:
        found = find_stories(store(), browse, lang=_lang(lang))
        return page(request, "stories.html", found=found, form=_form(browse, lang), counts=store().counts(),
                    heading="Stories", action="/stories", pager=_pager(request, found))

    @app.get("/events", response_class=HTMLResponse, include_in_schema=False)
    def events_page(request: Request, browse: Annotated[Browse, Depends(browse_params)],
                    lang: Lang = None) -> HTMLResponse:
        found = find_events(store(), browse, lang=_lang(lang))
        return page(request, "events.html", found=found, form=_form(browse, lang), pager=_pager(request, found))

    @app.get("/entities", response_class=HTMLResponse, include_in_schema=False)
    def entities_page(request: Request, name: Annotated[str, Query(max_length=200)] = "",
                      type: Annotated[str, Query(pattern="^(|PER|ORG|LOC)$")] = "",
                      offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> HTMLResponse:
        limit = 50
        total, items = find_entities(store(), name=name or None, kind=type or None, limit=limit, offset=offset)
        pager = views.pager(request, total=total, offset=offset, limit=limit, shown=len(items))
        return page(request, "entities.html", items=items, form={"name": name, "type": type}, pager=pager)


def _lang(value: str | None) -> str | None:
    return (value or "").strip().lower() or None


def _listed(found: Page) -> JSONResponse:
    return JSONResponse(found.items, headers={"X-Total-Count": str(found.total)})


def _form(browse: Browse, lang: str | None = None) -> dict[str, Any]:
    values = browse.to_json() | {"lang": lang or ""}
    return {k: ("" if v is None or (k == "min_articles" and v == 1) else v) for k, v in values.items()}


def _pager(request: Request, found: Page) -> dict[str, Any]:
    return views.pager(request, total=found.total, offset=found.browse.offset, limit=found.browse.limit,
                       shown=len(found.items))
