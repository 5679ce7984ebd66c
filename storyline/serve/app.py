"""The HTTP API (JSON under ``/api``, OpenAPI at ``/docs``) and the web UI, in one process.

Reading is open (or needs the token, with ``token_reads``); adding articles (``POST
/api/ingest``) needs the server's bearer token when one is set, is refused outright when
the server listens beyond localhost without a token, and is refused from other sites'
pages (``storyline.serve.guard``). One ingest writes at a time and a few wait; past
that the server answers 503 at once, so reads keep answering. Every page is rendered on
the server with Jinja2 autoescaping: article text comes from the open web and is never
trusted.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from fastapi_offline import FastAPIOffline

from storyline.compare import compare_articles
from storyline.errors import NotFoundError, StorylineError
from storyline.link.copies import event_independence
from storyline.search import Searcher, SearchFilters, VectorIndex
from storyline.search_groups import GROUP_DEPTH, paged_search
from storyline.serve import views
from storyline.serve.alert_routes import add_alert_routes
from storyline.serve.compare_page import add_compare
from storyline.serve.correction_routes import add_correction_routes
from storyline.serve.coverage import coverage_chart, coverage_rows
from storyline.serve.guard import LOOPBACK_NAMES, Guard, token_matches
from storyline.serve.listings import MAX_OFFSET, add_listings
from storyline.store import open_store
from storyline.store.base import Store
from storyline.store.memo import Memo

DEFAULT_MAX_BODY = 5_000_000
#: Results (or events) per search page.
SEARCH_PAGE = 20
#: Ingest requests that may wait while one writes; one more is answered 503 at once.
DEFAULT_INGEST_QUEUE = 4
#: Content types POST /api/ingest reads. A browser form can send none of them across sites
#: without asking the server first (a CORS preflight, which this server never grants).
INGEST_TYPES = ("application/json", "application/x-ndjson", "application/jsonl")
_BEARER = HTTPBearer(auto_error=False, description="The server's token (--token-file or $STORYLINE_TOKEN)")
TEMPLATES = Path(__file__).parent / "templates"


class ServerState:
    """What the process shares: the db path, one embedding index, one ingest pipeline.

    SQLite connections are per thread (FastAPI runs plain handlers in a thread pool).
    """

    def __init__(self, db: str, *, token: str | None, require_token: bool, max_body: int,
                 ingest_queue: int = DEFAULT_INGEST_QUEUE) -> None:
        self.db = db
        self.token = token
        self.require_token = require_token
        self.max_body = max_body
        self.ingest_queue = ingest_queue
        self.ingests = 0  # ingest requests writing or waiting (counted on the event loop)
        self.index = VectorIndex()
        self._local = threading.local()
        self._opened: list[Store] = []  # every thread's store, closed when the app stops
        self._opened_lock = threading.Lock()
        self._pipeline: Any = None
        self.ingest_lock = threading.Lock()
        with open_store(db) as store:  # create or migrate the store once, up front
            stamp = store.shared_stamp()
        # One memo for every request thread: listings and event pages are read once per change.
        self.memo = Memo(stamp) if stamp is not None else None
        # Requests run in many threads; BLAS threads on top of them fight for the cores (measured:
        # throughput of concurrent searches fell from 250/s to 95/s). One BLAS thread each.
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")

    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = open_store(self.db, create=False)
            if self.memo is not None:
                store.share_memo(self.memo)
            with self._opened_lock:
                self._opened.append(store)
        return store

    def close(self) -> None:
        """Close the stores the request threads opened (a PostgreSQL connection each)."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for store in opened:
            store.close()
        if self.memo is not None:
            self.memo.close()

    def searcher(self) -> Searcher:
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._local.searcher = Searcher(self.store(), embedder=query_embedder(), index=self.index)
        return searcher

    def pipeline(self) -> Any:
        if self._pipeline is None:
            from storyline.pipeline import Pipeline

            self._pipeline = Pipeline()
            self._pipeline.wait_for_writer = False  # a CLI ingest on the same file: answer 409, do not hang
        return self._pipeline


_EMBEDDER: Any = None


def shared_embedder() -> Any:
    """One embedding model per process (loading it takes a second)."""
    global _EMBEDDER
    if _EMBEDDER is None:
        from storyline.stages.embed import UniversalSentenceEncoder

        _EMBEDDER = UniversalSentenceEncoder(threads=1, serialise=False)  # many request threads at once
    return _EMBEDDER


_QUERIES: Any = None


def query_embedder() -> Any:
    """The shared embedder, keeping the vectors of recent queries (readers repeat them)."""
    global _QUERIES
    if _QUERIES is None:
        from storyline.stages.embed import RecentTexts

        _QUERIES = RecentTexts(shared_embedder())
    return _QUERIES


def _moved_story(store: Any, story_id: str) -> str | None:
    """Where a story no longer listed went (:func:`storyline.browse.story_now`), else None."""
    from storyline.browse import story_now

    try:
        store.story(story_id)
        return None
    except NotFoundError:
        return story_now(store, story_id)


def create_app(db: str, *, token: str | None = None, require_token: bool = False,
               max_body: int = DEFAULT_MAX_BODY, token_reads: bool = False,
               allowed_hosts: tuple[str, ...] | list[str] | None = LOOPBACK_NAMES,
               ingest_queue: int = DEFAULT_INGEST_QUEUE) -> Any:
    """The Storyline web app over one database file (API docs served from the package, no CDN),
    behind :class:`~storyline.serve.guard.Guard`. ``allowed_hosts``: the names a write may be
    addressed to (None: any, for an app behind a proxy that checks them)."""
    state = ServerState(db, token=token, require_token=require_token, max_body=max_body,
                        ingest_queue=ingest_queue)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPIOffline(title="Storyline", version="0.2.0", lifespan=lifespan,
                  description="Events, stories and timelines from multilingual news. JSON API under /api; "
                              "the web UI at /.")
    app.state.storyline = state
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["highlight"] = views.highlight
    templates.env.filters["source_name"] = views.source_name
    templates.env.globals["lang_name"] = views.language_name

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    @app.exception_handler(StorylineError)
    async def domain_error(request: Request, exc: StorylineError) -> Any:
        status = 404 if isinstance(exc, NotFoundError) else 409 if exc.code == "E017" else 400
        if request.url.path.startswith("/api"):
            return JSONResponse({"error": str(exc), "code": exc.code}, status_code=status)
        return page(request, "error.html", status_code=status, message=str(exc), status=status)

    # -- JSON API ------------------------------------------------------------------------------
    @app.get("/api/health", tags=["meta"], summary="Counts of what the database holds")
    def health() -> dict[str, Any]:
        return state.store().counts()

    @app.get("/api/articles", tags=["articles"], summary="Newest articles first (no text)")
    def list_articles(limit: Annotated[int, Query(ge=1, le=500)] = 50,
                      offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                      language: Annotated[str | None, Query(max_length=8)] = None) -> list[dict[str, Any]]:
        return state.store().article_summaries(limit=limit, offset=offset, language=language)

    @app.get("/api/articles/{article_id:path}", tags=["articles"], summary="One article with all that was extracted")
    def get_article(article_id: str) -> dict[str, Any]:
        return state.store().get_article(article_id).to_json()

    @app.get("/api/events/{event_id:path}", tags=["events"], summary="One event")
    def get_event(event_id: str) -> dict[str, Any]:
        store = state.store()
        return store.event(event_id) | {"sources": event_independence(store, event_id)}

    @app.get("/api/stories/{story_id:path}", tags=["stories"], summary="One story with its timeline")
    def get_story(story_id: str) -> Any:
        from storyline.timeline import story_timeline

        store = state.store()
        moved = _moved_story(store, story_id)
        if moved is not None:  # its events merged into another story's: follow them (307, a correction may undo it)
            return RedirectResponse(f"/api/stories/{quote(moved, safe='')}", status_code=307)
        return store.story(story_id) | {"timeline": story_timeline(store, story_id)["events"]}

    @app.get("/api/timeline", tags=["stories"], summary="Dated events of an entity (any spelling) or a story")
    def timeline(entity: Annotated[str | None, Query(max_length=200)] = None,
                 story: Annotated[str | None, Query(max_length=64)] = None) -> dict[str, Any]:
        from storyline.timeline import entity_timeline, story_timeline

        if bool(entity) == bool(story):
            return JSONResponse({"error": "give exactly one of entity=NAME or story=ID"}, status_code=400)
        return entity_timeline(state.store(), entity) if entity else story_timeline(state.store(), story or "")

    @app.get("/api/search", tags=["search"], summary="Hybrid full-text + semantic search, cross-lingual")
    def search(q: Annotated[str, Query(min_length=1, max_length=500, description="Words, names, a phrase")],
               language: Annotated[str | None, Query(max_length=8)] = None,
               since: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
               until: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
               entity: Annotated[str | None, Query(max_length=200)] = None,
               source: Annotated[str | None, Query(max_length=200)] = None,
               mode: Annotated[str, Query(pattern="^(hybrid|text|semantic)$")] = "hybrid",
               limit: Annotated[int, Query(ge=1, le=200)] = 20,
               group: Annotated[str, Query(pattern="^(article|event)$",
                                           description="event: also `groups`, one per event, paged")] = "article",
               sort: Annotated[str, Query(pattern="^(relevance|date)$")] = "relevance",
               offset: Annotated[int, Query(ge=0, le=GROUP_DEPTH)] = 0) -> dict[str, Any]:
        filters = SearchFilters.parse(language=language, since=since, until=until, entity=entity, source=source)
        return paged_search(state.searcher(), state.store(), q, filters=filters, mode=mode, group=group, sort=sort,
                            limit=limit, offset=offset)

    @app.get("/api/similar", tags=["articles"], summary="Are two articles about the same event, and why")
    def similar(a: Annotated[str, Query(max_length=200)], b: Annotated[str, Query(max_length=200)]) -> dict[str, Any]:
        store = state.store()
        return compare_articles(store.get_article(a), store.get_article(b), sentences=3,
                                embedder=shared_embedder())

    @app.post("/api/ingest", tags=["articles"], summary="Add articles: one JSON object, a JSON array, or JSONL",
              openapi_extra={"requestBody": {"content": {
                  "application/json": {"schema": {"type": "object", "required": ["text"], "properties": {
                      "id": {"type": "string"}, "title": {"type": "string"}, "text": {"type": "string"},
                      "html": {"type": "string"}, "url": {"type": "string"}, "published": {"type": "string"},
                      "lang": {"type": "string"}}}},
                  "application/x-ndjson": {"schema": {"type": "string"}}}},
                  "responses": {"207": {"description": "Some lines stored, some failed (each failure with its"
                                                       " line and reason)"},
                                "415": {"description": "Not JSON or JSONL"},
                                "503": {"description": "Too many ingests waiting; retry after the Retry-After"
                                                       " seconds"}}})
    async def ingest(request: Request,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)] = None) -> Any:
        # ``credentials`` declares the bearer scheme in OpenAPI (the docs' Authorize button); the
        # check itself is _check_token's, which also says why a request was refused.
        denied = _check_token(request, state)
        if denied is not None:
            return denied
        ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if ctype not in INGEST_TYPES:
            return JSONResponse({"error": f"send articles as {' or '.join(INGEST_TYPES[:2])} (got "
                                          f"{ctype or 'no content type'!r})"}, status_code=415)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > state.max_body:
            return _too_large(state.max_body)
        if state.ingests > state.ingest_queue:
            return JSONResponse({"error": "too many ingests are waiting; try again in a few seconds"},
                                status_code=503, headers={"Retry-After": "5"})
        state.ingests += 1
        try:
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > state.max_body:
                    return _too_large(state.max_body)
            try:
                lines = views.body_to_jsonl(bytes(body), ctype)
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            report = await run_in_threadpool(_ingest_lines, state, lines)
        finally:
            state.ingests -= 1
        stored = report["ingested"] or report["duplicates"]
        status = 200 if not report["failed"] else 207 if stored else 422
        return JSONResponse(report, status_code=status)

    # -- web UI --------------------------------------------------------------------------------
    add_listings(app, state.store, page)
    add_compare(app, state.store, page, shared_embedder)
    add_alert_routes(app, state.store)
    add_correction_routes(app, state, _check_token, open_store)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, q: Annotated[str, Query(max_length=500)] = "",
                    language: str = "", since: str = "", until: str = "", entity: str = "",
                    source: str = "", sort: Annotated[str, Query(pattern="^(relevance|date)$")] = "relevance",
                    group: Annotated[str, Query(pattern="^(article|event)$")] = "event",
                    offset: Annotated[int, Query(ge=0, le=GROUP_DEPTH)] = 0) -> HTMLResponse:
        form = {"q": q, "language": language, "since": since, "until": until, "entity": entity, "source": source,
                "sort": sort, "group": group}
        result, pager = None, None
        if q.strip():
            filters = SearchFilters.parse(language=language, since=since, until=until, entity=entity, source=source)
            result = paged_search(state.searcher(), state.store(), q, filters=filters, group=group, sort=sort,
                                  limit=SEARCH_PAGE, offset=offset, count_all=True)
            pager = views.pager(request, total=result["total"], offset=offset, limit=SEARCH_PAGE,
                                shown=len(result["groups"] if group == "event" else result["results"]))
        return page(request, "search.html", form=form, result=result, pager=pager,
                    marks=views.query_marks(result) if result else [])

    @app.get("/stories/{story_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def story_page(request: Request, story_id: str, by: Annotated[str, Query(max_length=8)] = "language"
                   ) -> Any:  # the page, or a redirect to where its story went
        from storyline.timeline import story_timeline

        store = state.store()
        moved = _moved_story(store, story_id)
        if moved is not None:
            return RedirectResponse(f"/stories/{quote(moved, safe='')}", status_code=307)
        story = store.story(story_id)
        events = story_timeline(store, story_id)["events"]
        by = "outlet" if by == "outlet" else "language"
        ids = [a["id"] for e in events for a in e["articles"]]
        return page(request, "story.html", story=story, events=events, chart=views.timeline_chart(events),
                    breakdown=views.breakdown(events), coverage=coverage_chart(coverage_rows(store, article_ids=ids),
                                                                                by=by))

    @app.get("/events/{event_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def event_page(request: Request, event_id: str) -> HTMLResponse:
        store = state.store()
        event = store.event(event_id)
        articles = [store.get_article(a["id"]) for a in event["articles"]]
        shared = views.shared_surfaces(articles)
        # Why these belong together, at page speed: without the second reader (0.14 s an article).
        pairs = [compare_articles(articles[0], other, embedder=shared_embedder(), second_reader=False)
                 for other in articles[1:6]]
        sources = event_independence(store, event_id)
        copied = {c["id"]: c for c in sources["copies"]}
        return page(request, "event.html", event=event, articles=articles, shared=shared, pairs=pairs,
                    sources=sources, copied=copied)

    @app.get("/entities/{name:path}", response_class=HTMLResponse, include_in_schema=False)
    def entity_page(request: Request, name: str) -> HTMLResponse:
        from storyline.timeline import entity_timeline

        store = state.store()
        result = entity_timeline(store, name)
        names = [result["entity"]] if isinstance(result["entity"], str) else list(result["entity"])
        return page(request, "entity.html", result=result, chart=views.timeline_chart(result["events"]),
                    coverage=coverage_chart(coverage_rows(store, entities=names)))

    @app.get("/articles/{article_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, article_id: str) -> HTMLResponse:
        store = state.store()
        article = store.get_article(article_id)
        event_id = store.event_of(article_id)
        event = store.event(event_id) if event_id else None
        others = [a for a in event["articles"] if a["id"] != article_id] if event else []
        related = [e for e in store.events(story_id=event["story_id"]) if e["event_id"] != event_id] \
            if event and event["story_id"] else []
        return page(request, "article.html", article=article, event_id=event_id, event=event, others=others,
                    related=related[:10], corrected=request.query_params.get("corrected", "")[:12])

    return Guard(app, allowed_hosts=allowed_hosts, token=token, token_reads=token_reads)


def is_loopback(host: str) -> bool:
    """Whether a listening address is reachable only from this machine."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: assume it can be reached from elsewhere


def _ingest_lines(state: ServerState, lines: str) -> dict[str, Any]:
    """Run the pipeline on a JSONL text; one ingest at a time per process."""
    from storyline.stages.ingest import parse_jsonl

    with state.ingest_lock:
        store = open_store(state.db)
        try:
            report = state.pipeline().ingest_records(parse_jsonl(lines, "request"), store)
        finally:
            store.close()
    return report.to_json() | {"ids": report.ingested}


def _check_token(request: Request, state: ServerState) -> JSONResponse | None:
    if state.token:
        if not token_matches(request.headers.get("authorization", ""), state.token):
            return JSONResponse({"error": "ingest needs 'Authorization: Bearer TOKEN' (the server's token)"},
                                status_code=401, headers={"WWW-Authenticate": 'Bearer realm="storyline"'})
        return None
    if state.require_token:
        return JSONResponse({"error": "ingest is disabled: this server listens beyond localhost without a token; "
                                      "restart it with --token or $STORYLINE_TOKEN"}, status_code=403)
    return None


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"error": f"request body larger than {limit} bytes; send fewer articles per request"},
                        status_code=413)

