"""Alerts over HTTP: each watch's Atom feed (for any feed reader) and the alerts as JSON.

Watches are added with ``storyline alerts add`` on the machine that holds the database; the server
only reads them, so an open read-only server never lets a visitor add webhooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from storyline.alerts import alerts, atom_feed, to_json, watches


def add_alert_routes(app: FastAPI, store: Callable[[], Any]) -> None:
    @app.get("/feeds/{name}.atom", tags=["alerts"], summary="A watch's alerts as an Atom feed",
             response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
    def feed(request: Request, name: str) -> Response:
        return Response(atom_feed(store(), name, str(request.base_url)), media_type="application/atom+xml")

    @app.get("/api/watches", tags=["alerts"], summary="The watches and what each looks for")
    def list_watches() -> list[dict[str, Any]]:
        return [to_json(w) | {"webhook": bool(w.webhook)} for w in watches(store())]  # the URL may hold a secret

    @app.get("/api/alerts", tags=["alerts"], summary="Alerts raised, newest first")
    def list_alerts(watch: Annotated[str | None, Query(max_length=64)] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
        return alerts(store(), watch=watch, limit=limit)
