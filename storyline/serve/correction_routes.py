"""Corrections over HTTP: the same as ``storyline correct``, behind the same protection as ingest
(the server's token when it has one; refused from other sites; refused outright on a server that
listens beyond localhost without a token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from storyline.corrections import alias, cannot_link, corrections, merge, move, undo

_BEARER = HTTPBearer(auto_error=False, description="The server's token (--token-file or $STORYLINE_TOKEN)")


class Correction(BaseModel):
    """One correction: ``move`` (article, to_event or none for an event of its own), ``merge`` (event,
    into_event), ``apart`` (article, other), ``alias`` (surface, stands_for, type, event or none for
    everywhere), or ``undo`` (seq)."""

    kind: Literal["move", "merge", "apart", "alias", "undo"]
    by: str = Field(min_length=1, max_length=100, description="who corrects")
    why: str = Field("", max_length=2000)
    article: str | None = Field(None, max_length=200)
    other: str | None = Field(None, max_length=200)
    to_event: str | None = Field(None, max_length=64)
    event: str | None = Field(None, max_length=64)
    into_event: str | None = Field(None, max_length=64)
    seq: int | None = None
    surface: str | None = Field(None, max_length=200, description="alias: the name as written")
    stands_for: str | None = Field(None, max_length=200, description="alias: what it stands for")
    type: Literal["PER", "ORG", "LOC"] | None = None


def add_correction_routes(app: FastAPI, state: Any, check_token: Callable[[Request, Any], JSONResponse | None],
                          open_store: Callable[[str], Any]) -> None:
    @app.get("/api/corrections", tags=["corrections"], summary="Every correction, oldest first")
    def list_corrections() -> list[dict[str, Any]]:
        return corrections(state.store())

    @app.post("/api/corrections", tags=["corrections"], summary="Correct the grouping (as 'storyline correct')",
              status_code=201)
    async def correct(request: Request, body: Correction,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)] = None) -> Any:
        denied = check_token(request, state)
        if denied is not None:
            return denied
        return JSONResponse(await run_in_threadpool(_apply, state, body, open_store), status_code=201)


    @app.post("/corrections", include_in_schema=False)
    async def correct_from_page(request: Request) -> Any:
        """The article page's form (no script: a plain form POST), then back to the article."""
        from urllib.parse import parse_qs, quote

        from fastapi.responses import RedirectResponse

        denied = check_token(request, state)
        if denied is not None:
            return denied
        fields = {k: v[0].strip() for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        article = fields.get("article", "")
        kind = fields.get("kind", "move")
        if kind == "apart":  # this article leaves the event it shares with the other
            body = Correction(kind="apart", by=fields.get("by") or "web", why=fields.get("why", ""),
                              article=fields.get("other") or None, other=article or None)
        else:
            body = Correction(kind="move", by=fields.get("by") or "web", why=fields.get("why", ""),
                              article=article or None, to_event=fields.get("to_event") or None)
        done = await run_in_threadpool(_apply, state, body, open_store)
        return RedirectResponse(f"/articles/{quote(article, safe='')}?corrected={done['seq']}", status_code=303)


def _apply(state: Any, body: Correction, open_store: Callable[[str], Any]) -> dict[str, Any]:
    from storyline.errors import StorylineError

    with state.ingest_lock:  # one writer per process; a CLI ingest on the file: E017, 409
        store = open_store(state.db)
        try:
            with store.writer_lock(wait=False):
                if body.kind == "move":
                    return move(store, _need(body.article, "article"), body.to_event, who=body.by, why=body.why)
                if body.kind == "merge":
                    return merge(store, _need(body.event, "event"), _need(body.into_event, "into_event"),
                                 who=body.by, why=body.why)
                if body.kind == "apart":
                    return cannot_link(store, _need(body.article, "article"), _need(body.other, "other"),
                                       who=body.by, why=body.why)
                if body.kind == "alias":
                    return alias(store, _need(body.surface, "surface"), _need(body.stands_for, "stands_for"),
                                 kind=body.type, event_id=body.event, who=body.by, why=body.why)
                if body.seq is None:
                    raise StorylineError("E062", detail="undo needs seq")
                return undo(store, body.seq, who=body.by)
        finally:
            store.close()


def _need(value: str | None, name: str) -> str:
    from storyline.errors import StorylineError

    if not value:
        raise StorylineError("E062", detail=f"this kind of correction needs {name}")
    return value
