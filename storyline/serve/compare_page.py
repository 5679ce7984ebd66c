"""The compare page, ``/compare?a=ID&b=ID``: ``storyline similar`` for a reader.

The seven SemEval dimensions as meters with their values, whether the clusterer would make the two
one event and why, what they share and what only one names, and the most similar sentence pairs
side by side (across languages). Without both ids it shows the form to pick two articles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from storyline.compare import DIMENSIONS, compare_articles

#: What each dimension measures, for the page's legend.
MEANING = {
    "geography": "the places named",
    "entities": "the people, organisations and places named",
    "time": "when it happened",
    "narrative": "what is told",
    "overall": "how similar overall (SemEval-2022 Task 8)",
    "style": "how it is written",
    "tone": "how positive or negative",
}


def add_compare(app: FastAPI, store: Callable[[], Any], page: Callable[..., HTMLResponse],
                embedder: Callable[[], Any]) -> None:
    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    def compare_page(request: Request, a: Annotated[str, Query(max_length=200)] = "",
                     b: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
        a, b = a.strip(), b.strip()
        result, articles = None, None
        if a and b:
            opened = store()
            articles = (opened.get_article(a), opened.get_article(b))
            result = compare_articles(*articles, sentences=3, embedder=embedder())
        return page(request, "compare.html", form={"a": a, "b": b}, result=result, articles=articles,
                    dimensions=DIMENSIONS, meaning=MEANING)
