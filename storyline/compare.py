"""Compare two enriched articles: are they about the same event, and what do they share?

The answer comes from the same pair scorer the event clusterer uses
(:mod:`storyline.link.similarity`), so "why are these in one event?" and "how
similar are these two?" have one explanation.
"""

from __future__ import annotations

from typing import Any

from storyline.article import Article
from storyline.link.profile import profile_of
from storyline.link.similarity import compare, date_conflict, same_event_probability


def explain_pair(a: Article, b: Article) -> dict[str, Any]:
    """Same-event probability with shared and differing entities, places and dates."""
    evidence = compare(profile_of(a), profile_of(b))
    names_a = {e.canonical: e.type for e in a.entities}
    names_b = {e.canonical: e.type for e in b.entities}
    return {
        "a": _side(a),
        "b": _side(b),
        "same_event": round(same_event_probability(evidence), 3),
        "date_conflict": date_conflict(evidence),
        "shared_entities": evidence.shared_entities,
        "shared_places": evidence.shared_places,
        "only_in_a": sorted(set(names_a) - set(names_b))[:12],
        "only_in_b": sorted(set(names_b) - set(names_a))[:12],
        "dates": [evidence.date_a, evidence.date_b],
        "days_apart": evidence.days_apart,
        "features": {k: round(v, 3) for k, v in evidence.features.items()},
    }


def _side(article: Article) -> dict[str, Any]:
    return {"id": article.id, "title": article.title, "language": article.language,
            "event_date": article.event_date.to_json()}
