"""Compare two enriched articles on the SemEval-2022 Task 8 dimensions, and explain why.

The same-event probability comes from the pair scorer the event clusterer uses
(:mod:`storyline.link.similarity`), so "why are these in one event?" and "how
similar are these two?" have one answer. Each dimension is a similarity in
[0, 1] (1 = the same):

- ``geography``: overlap of the places named (weighted by mentions);
- ``entities``: overlap of all people, organisations and places;
- ``time``: closeness of the two event dates (a week apart ≈ 0.37; unknown 0.5);
- ``narrative``: what is told, from the multilingual embeddings and shared vocabulary;
- ``style``: how it is written (sentence and word length, quotes, numbers, questions);
- ``tone``: closeness of the two texts' polarity, from the multilingual embeddings
  projected on positive and negative anchor sentences (zero-shot, no tone model ships);
- ``overall``: a learned blend, ranking same event > same topic > unrelated.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import numpy as np

from storyline.article import Article
from storyline.link.profile import Profile, profile_of, weighted_jaccard
from storyline.link.similarity import (
    MAX_DAYS_APART,
    MAX_DAYS_APART_NOT_FIRM,
    PairEvidence,
    compare,
    date_conflict,
    pair_model,
    same_event_probability,
)

DIMENSIONS = ("geography", "entities", "time", "narrative", "overall", "style", "tone")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORD = re.compile(r"\w+")
#: Anchors for the tone axis, in the languages Storyline reads best.
POSITIVE = ("Good news: the agreement was welcomed with relief and hope.",
            "Bonne nouvelle : l'accord a été accueilli avec soulagement et espoir.",
            "Gute Nachrichten: Die Einigung wurde mit Erleichterung und Hoffnung begrüßt.",
            "Buenas noticias: el acuerdo fue recibido con alivio y esperanza.",
            "Buone notizie: l'accordo è stato accolto con sollievo e speranza.")
NEGATIVE = ("Disaster: the attack killed many people and caused outrage and fear.",
            "Catastrophe : l'attaque a tué de nombreuses personnes et suscité colère et peur.",
            "Katastrophe: Der Angriff tötete viele Menschen und löste Wut und Angst aus.",
            "Desastre: el ataque mató a muchas personas y causó indignación y miedo.",
            "Disastro: l'attacco ha ucciso molte persone e ha causato rabbia e paura.")


def compare_articles(a: Article, b: Article, *, sentences: int = 0, embedder: Any = None) -> dict[str, Any]:
    """The seven dimensions, ``same_event``, and the explanation (shared and differing entities,
    places, dates and gap; with ``sentences`` > 0, that many most similar sentence pairs)."""
    profiles = profile_of(a), profile_of(b)
    evidence = compare(*profiles)
    same_event = same_event_probability(evidence)
    result: dict[str, Any] = {
        "a": _side(a),
        "b": _side(b),
        "dimensions": dimensions(a, b, evidence, same_event, profiles=profiles, embedder=embedder),
        "same_event": round(same_event, 3),
        "explanation": explain(a, b, evidence) | {"clusterer": clusterer_verdict(same_event, evidence)},
    }
    if sentences:
        result["explanation"]["similar_sentences"] = similar_sentences(a, b, sentences, embedder=embedder)
    return result


def dimensions(a: Article, b: Article, evidence: PairEvidence, same_event: float, *,
               profiles: tuple[Profile, Profile] | None = None, embedder: Any = None) -> dict[str, float]:
    features = evidence.features
    pa, pb = profiles or (profile_of(a), profile_of(b))
    places_a, places_b = pa.of_type("LOC"), pb.of_type("LOC")
    geography = weighted_jaccard(places_a, places_b) if places_a or places_b else 0.5
    entities = features["entities"] if pa.entities or pb.entities else 0.5
    if evidence.days_apart is not None:
        time = math.exp(-evidence.days_apart / 7.0)
    else:
        time = 0.2 if features.get("weekday_conflict") else 0.5
    narrative = _clip(0.6 * _stretch(features["cosine"]) + 0.4 * _stretch(features["title_cosine"])
                      if features["cross_language"] else
                      0.45 * _stretch(features["cosine"]) + 0.25 * _stretch(features["title_cosine"])
                      + 0.3 * features["lexical"])
    found = {"geography": geography, "entities": entities, "time": time, "narrative": narrative,
             "style": style_similarity(a, b), "tone": tone_similarity(a, b, embedder=embedder)}
    found["overall"] = overall(same_event, found, features)
    return {name: round(float(found[name]), 3) for name in DIMENSIONS}


def overall(same_event: float, found: dict[str, float], features: dict[str, float]) -> float:
    """Same event first, then how much of the subject is shared (the shipped model's blend)."""
    blend = pair_model().get("overall", {"same_event": 0.6, "narrative": 0.3, "entities": 0.1})
    values = {"same_event": same_event, **found, **{f"feature:{k}": v for k, v in features.items()}}
    return _clip(sum(weight * values.get(name, 0.0) for name, weight in blend.items()))


def explain(a: Article, b: Article, evidence: PairEvidence) -> dict[str, Any]:
    names_a = {e.canonical for e in a.entities}
    names_b = {e.canonical for e in b.entities}
    return {
        "shared_entities": evidence.shared_entities,
        "shared_places": evidence.shared_places,
        "only_in_a": sorted(names_a - names_b)[:12],
        "only_in_b": sorted(names_b - names_a)[:12],
        "dates": [evidence.date_a, evidence.date_b],
        "days_apart": evidence.days_apart,
        "date_conflict": date_conflict(evidence),
        "features": {k: round(v, 3) for k, v in evidence.features.items()},
    }


def clusterer_verdict(same_event: float, evidence: PairEvidence) -> dict[str, Any]:
    """Would the event clusterer put these two in one event, and why: the same score and rule, so
    "how similar?" and "why (not) one event?" have one answer."""
    threshold = float(pair_model()["threshold"])
    conflict = date_conflict(evidence)
    if conflict:
        gap = f"{evidence.days_apart} days apart" if evidence.days_apart is not None else "far apart"
        reason = (f"their event dates are {gap}: reports whose stated dates are more than {MAX_DAYS_APART} days"
                  f" apart, or any dates more than {MAX_DAYS_APART_NOT_FIRM}, are never one event")
    elif same_event >= threshold:
        reason = f"same_event {same_event:.2f} reaches the threshold {threshold:.2f}"
    else:
        reason = f"same_event {same_event:.2f} is below the threshold {threshold:.2f}"
    return {"one_event": same_event >= threshold and not conflict, "threshold": threshold,
            "reason": reason}


def similar_sentences(a: Article, b: Article, k: int = 3, *, embedder: Any = None,
                      max_sentences: int = 30) -> list[dict[str, Any]]:
    """The ``k`` most similar sentence pairs (multilingual embeddings, so across languages too)."""
    left, right = _sentences(a.text, max_sentences), _sentences(b.text, max_sentences)
    if not left or not right:
        return []
    vectors = _embedder(embedder).encode(left + right)
    scores = vectors[:len(left)] @ vectors[len(left):].T
    pairs = []
    for flat in np.argsort(-scores, axis=None):
        i, j = divmod(int(flat), len(right))
        if any(p["a_index"] == i or p["b_index"] == j for p in pairs):
            continue
        pairs.append({"a": left[i], "b": right[j], "similarity": round(float(scores[i, j]), 3),
                      "a_index": i, "b_index": j})
        if len(pairs) == k:
            break
    return pairs


def style_similarity(a: Article, b: Article) -> float:
    """1 minus the mean relative difference of simple style measures."""
    sa, sb = style_profile(a.text), style_profile(b.text)
    differences = [abs(x - y) / max(abs(x), abs(y), 1e-9) for x, y in zip(sa, sb, strict=True)]
    return _clip(1.0 - sum(differences) / len(differences))


def style_profile(text: str) -> tuple[float, ...]:
    """Words per sentence, letters per word, and the share of quotes, digits, questions and paragraphs."""
    sentences = [s for s in _SENTENCE.split(text) if s.strip()] or [text]
    words = _WORD.findall(text) or [""]
    chars = max(1, len(text))
    return (len(words) / len(sentences), sum(len(w) for w in words) / len(words),
            1000 * sum(text.count(q) for q in "\"“”«»„") / chars, 100 * sum(c.isdigit() for c in text) / chars,
            1000 * (text.count("?") + text.count("!")) / chars, 1000 * text.count("\n") / chars)


def tone_similarity(a: Article, b: Article, *, embedder: Any = None) -> float:
    if a.embedding is None or b.embedding is None:
        return 0.5
    axis = _tone_axis(id(embedder) if embedder is not None else 0, embedder)
    ta, tb = float(np.dot(a.embedding, axis)), float(np.dot(b.embedding, axis))
    return _clip(1.0 - abs(ta - tb) / 0.5)


@lru_cache(maxsize=4)
def _tone_axis(_key: int, embedder: Any) -> np.ndarray:
    model = _embedder(embedder)
    positive, negative = model.encode(list(POSITIVE)).mean(axis=0), model.encode(list(NEGATIVE)).mean(axis=0)
    axis = positive - negative
    return (axis / (np.linalg.norm(axis) or 1.0)).astype(np.float32)


def _embedder(embedder: Any) -> Any:
    if embedder is not None:
        return embedder
    from storyline.stages.embed import get_embedder

    return get_embedder()


def _sentences(text: str, limit: int) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if len(s.split()) >= 4][:limit]


def _side(article: Article) -> dict[str, Any]:
    return {"id": article.id, "title": article.title, "language": article.language,
            "event_date": article.event_date.to_json()}


def _stretch(cosine: float, low: float = 0.2, high: float = 0.9) -> float:
    """Embedding cosines of news live between ~0.2 (unrelated) and ~0.9 (the same story)."""
    return _clip((cosine - low) / (high - low))


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))
