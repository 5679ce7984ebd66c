"""Profiles: what the linkers compare, for an article or for a whole event.

An event is compared to a new article through the same summary an article has
(centroid embedding, weighted entities, lead entities, dates), so one scoring
function serves article~article (``storyline similar``) and article~event
(clustering), and "why are these together?" has one answer.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from storyline.article import Article

# wordfreq logs a warning each time it reads a nearby language's list for one it lacks ("la" -> "it"):
# that fallback is what :func:`rarity` wants, and the warning reached users mid-ingest.
logging.getLogger("wordfreq").setLevel(logging.ERROR)

_TERM = re.compile(r"[^\W\d_]{4,}|\d+(?:[.,]\d+)?")
MAX_TERMS = 200
#: An event date this sure (stated with its year, an anniversary, or a given publication date) is
#: firm, as is one the text states outright; one read from a weekday or "yesterday" against a
#: publication date estimated from the text is not, and can be weeks or years off.
FIRM_DATE = 0.7
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[ ,.]\d{3})+|\d+(?:[.,]\d+)?)(?![\w])")


@dataclass(slots=True, kw_only=True)
class Profile:
    """The comparable summary of one article or of an event's articles."""

    vector_sum: np.ndarray
    title_sum: np.ndarray
    size: int = 1
    entities: Counter[str] = field(default_factory=Counter)
    types: dict[str, str] = field(default_factory=dict)
    lead_entities: Counter[str] = field(default_factory=Counter)
    numbers: Counter[str] = field(default_factory=Counter)
    dates: list[date] = field(default_factory=list)
    #: The ``dates`` that are firm (:data:`FIRM_DATE`): only these veto a pair far apart in time.
    firm_dates: list[date] = field(default_factory=list)
    weekdays: Counter[int] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    #: Content-word counts (top ``MAX_TERMS``): lexical overlap within one language.
    terms: Counter[str] = field(default_factory=Counter)
    #: Content words of the title(s): the words an editor chose to name the event.
    title_terms: Counter[str] = field(default_factory=Counter)
    #: Values derived from the fields above, computed once: an article is compared with
    #: hundreds of event members, and recomputing them for every pair was most of the linking
    #: time. Emptied by :meth:`absorb`, the one method that changes a profile.
    _derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = compute()
            return value

    @property
    def view(self) -> PairView:
        """Everything a pair comparison reads, gathered once (one lookup per pair instead of a
        dozen: an article is compared with every scored member of its candidate events)."""
        return self._cached("view", lambda: PairView(
            centroid=self.centroid, title_centroid=self.title_centroid, stats=self.stats, language=self.language,
            bags=self.bag_weights(), places=self.bag_weights("LOC"), people=self.bag_weights("PER"),
            lead=frozenset(self.lead_entities), principal=frozenset(self.principal_people()),
            entities=self.entities, numbers=frozenset(self.numbers), date=self.date, firm_date=self.firm_date,
            weekday=self.weekday))

    @property
    def stats(self) -> TermStats:
        """Word weights of this profile."""
        return self._cached("stats", lambda: TermStats.of(self.terms, self.title_terms, self.language))

    @property
    def language(self) -> str | None:
        return self._cached("language", lambda: self.languages.most_common(1)[0][0] if self.languages else None)

    @property
    def centroid(self) -> np.ndarray:
        return self._cached("centroid", lambda: _unit(self.vector_sum))

    @property
    def title_centroid(self) -> np.ndarray:
        return self._cached("title_centroid", lambda: _unit(self.title_sum))

    @property
    def date(self) -> date | None:
        """The most common event date among members (the median breaks ties)."""
        return self._cached("date", lambda: self._date(self.dates))

    @property
    def firm_date(self) -> date | None:
        """:attr:`date` among the firm dates only."""
        return self._cached("firm_date", lambda: self._date(self.firm_dates))

    @staticmethod
    def _date(dates: list[date]) -> date | None:
        if not dates:
            return None
        counts = Counter(dates)
        top = max(counts.values())
        candidates = sorted(d for d, c in counts.items() if c == top)
        return candidates[len(candidates) // 2]

    @property
    def weekday(self) -> int | None:
        return self._cached("weekday", lambda: self.weekdays.most_common(1)[0][0] if self.weekdays else None)

    def of_type(self, kind: str) -> Counter[str]:
        """The entity bag restricted to one type (PER, ORG, LOC)."""
        return self._cached(f"type:{kind}", lambda: Counter(
            {name: n for name, n in self.entities.items() if self.types.get(name) == kind}))

    def bag_weights(self, kind: str | None = None) -> tuple[dict[str, float], float]:
        """Log-damped weights of the entity bag (of one type, or all) and their total, for
        :func:`jaccard_of_weights`."""
        return self._cached(f"weights:{kind}",
                            lambda: _bag_weights(self.entities if kind is None else self.of_type(kind)))

    def principal_people(self) -> set[str]:
        """People the lead names and the text mentions more than once: who the event is about."""
        share = max(1, self.size)  # an event's counts add up over its articles
        return self._cached("principal_people", lambda: {
            name for name in self.lead_entities
            if self.types.get(name) == "PER" and self.entities[name] >= 2 * share})

    def salient(self, kind: str, k: int = 2) -> set[str]:
        """Entities of a type that the lead names, and the ``k`` most mentioned: who it is about.

        A lead can leave out someone the article is about ("Putin cancels his visit to
        France" names Hollande five times below), so the most mentioned count too.
        """
        lead = {name for name in self.lead_entities if self.types.get(name) == kind}
        ranked = [name for name, _ in self.of_type(kind).most_common(k)]
        return lead | set(ranked)

    def copy(self) -> Profile:
        """An independent copy (an event starting from its first article's profile). Faster than
        ``copy.deepcopy``, and keeps the derived values, which depend only on the fields."""
        return Profile(vector_sum=self.vector_sum.copy(), title_sum=self.title_sum.copy(), size=self.size,
                       entities=Counter(self.entities), types=dict(self.types),
                       lead_entities=Counter(self.lead_entities), numbers=Counter(self.numbers),
                       dates=list(self.dates), firm_dates=list(self.firm_dates), weekdays=Counter(self.weekdays),
                       languages=Counter(self.languages), terms=Counter(self.terms),
                       title_terms=Counter(self.title_terms), _derived=dict(self._derived))

    def absorb(self, other: Profile) -> None:
        """Add another profile's evidence (an article joining an event)."""
        self._derived = {}
        self.vector_sum = self.vector_sum + other.vector_sum
        self.title_sum = self.title_sum + other.title_sum
        self.size += other.size
        self.entities.update(other.entities)
        self.types.update({k: v for k, v in other.types.items() if k not in self.types})
        self.lead_entities.update(other.lead_entities)
        self.numbers.update(other.numbers)
        self.dates.extend(other.dates)
        self.firm_dates.extend(other.firm_dates)
        self.weekdays.update(other.weekdays)
        self.languages.update(other.languages)
        self.terms = _top_sum(self.terms, other.terms)
        self.title_terms = _top_sum(self.title_terms, other.title_terms)

    def to_json(self) -> dict[str, Any]:
        return {
            "vector_sum": _vector_to_json(self.vector_sum),
            "title_sum": _vector_to_json(self.title_sum),
            "size": self.size,
            "entities": dict(self.entities),
            "types": self.types,
            "lead_entities": dict(self.lead_entities),
            "numbers": dict(self.numbers),
            "dates": [d.isoformat() for d in self.dates],
            "firm_dates": [d.isoformat() for d in self.firm_dates],
            "weekdays": {str(k): v for k, v in self.weekdays.items()},
            "languages": dict(self.languages),
            "terms": dict(self.terms),
            "title_terms": dict(self.title_terms),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        return cls(
            vector_sum=_vector_from_json(data["vector_sum"]),
            title_sum=_vector_from_json(data["title_sum"]),
            size=int(data["size"]),
            entities=Counter(data["entities"]),
            types=dict(data["types"]),
            lead_entities=Counter(data["lead_entities"]),
            numbers=Counter(data.get("numbers", {})),
            dates=[date.fromisoformat(d) for d in data["dates"]],
            firm_dates=[date.fromisoformat(d) for d in data.get("firm_dates", [])],  # earlier versions: none
            weekdays=Counter({int(k): v for k, v in data["weekdays"].items()}),
            languages=Counter(data.get("languages", {})),
            terms=Counter(data.get("terms", {})),
            title_terms=Counter(data.get("title_terms", {})),
        )


def _vector_to_json(vector: np.ndarray) -> dict[str, str]:
    """A vector as base64 of its float32 bytes: exact, and a tenth of the time of a list of
    decimals (event profiles are saved with every batch that touches them)."""
    return {"float32": base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")}


def _vector_from_json(value: dict[str, str] | list[float]) -> np.ndarray:
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["float32"]), dtype="<f4").astype(np.float32)
    return np.asarray(value, dtype=np.float32)  # as profiles saved by earlier versions hold them


@dataclass(slots=True, frozen=True)
class PairView:
    """The derived values of a profile that pair features read (:attr:`Profile.view`)."""

    centroid: np.ndarray
    title_centroid: np.ndarray
    stats: TermStats
    language: str | None
    bags: tuple[dict[str, float], float]
    places: tuple[dict[str, float], float]
    people: tuple[dict[str, float], float]
    lead: frozenset[str]
    principal: frozenset[str]
    entities: Counter[str]
    numbers: frozenset[str]
    date: date | None
    firm_date: date | None
    weekday: int | None


def profile_of(article: Article) -> Profile:
    """The profile of one enriched article."""
    vector = article.embedding if article.embedding is not None else np.zeros(1, dtype=np.float32)
    title_vector = article.title_embedding if article.title_embedding is not None else vector
    weekday = article.extras.get("event_weekday")
    dated = article.event_date.value is not None and article.event_date.precision == "day"
    return Profile(
        vector_sum=np.asarray(vector, dtype=np.float32),
        title_sum=np.asarray(title_vector, dtype=np.float32),
        entities=Counter({e.canonical: e.count for e in article.entities}),
        types={e.canonical: e.type for e in article.entities},
        lead_entities=Counter(article.extras.get("lead_entities", [])),
        numbers=Counter(lead_numbers(f"{article.title}\n{article.lead}")),
        dates=[article.event_date.value] if dated else [],
        firm_dates=[article.event_date.value] if dated and _firm(article) else [],
        weekdays=Counter([weekday]) if isinstance(weekday, int) else Counter(),
        languages=Counter([article.language or "und"]),
        terms=content_terms(f"{article.title}\n{article.text}"),
        title_terms=content_terms(article.title),
    )


def _firm(article: Article) -> bool:
    """Is the article's event date firm: sure enough itself, or a weekday that falls on a date the
    text states ("on Tuesday, June 20, 2023")?"""
    when = article.event_date
    return when.confidence >= FIRM_DATE or any(
        mention.kind == "explicit" and mention.precision == "day" and mention.value == when.value
        for mention in article.dates)


def _top_sum(a: Counter[str], b: Counter[str]) -> Counter[str]:
    """The ``MAX_TERMS`` largest counts of ``a + b`` (ties: ``a``'s words first, in order)."""
    total = Counter(a)
    total.update(b)
    return total if len(total) <= MAX_TERMS else Counter(dict(total.most_common(MAX_TERMS)))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def content_terms(text: str) -> Counter[str]:
    """Counts of words of four letters or more and of numbers: the vocabulary of an event."""
    return Counter(dict(Counter(_TERM.findall(text.lower())).most_common(MAX_TERMS)))


@lru_cache(maxsize=500_000)
def rarity(term: str, language: str | None) -> float:
    """How much a word says about a story: 7 minus its Zipf frequency in the language
    (``wordfreq``, 40+ languages, data in the wheel), floored at 0. "the" ≈ 0, "earthquake" ≈ 3,
    a name never seen ≈ 7. An inverse document frequency that needs no corpus."""
    import wordfreq

    try:
        return max(0.0, 7.0 - wordfreq.zipf_frequency(term, language or "en"))
    except (LookupError, ValueError, ImportError):
        # A language wordfreq lacks, or one needing a tokenizer it cannot import (ja, ko: MeCab;
        # zh: jieba): the English list, where such a word is rare, as it is in that language too.
        return max(0.0, 7.0 - wordfreq.zipf_frequency(term, "en"))


@dataclass(slots=True, frozen=True)
class TermStats:
    """A profile's word weights, computed once: an article is compared with hundreds of event
    members, and recomputing logs and rarities for every pair was most of the linking time.

    The words are held as arrays sorted by a stable 64-bit hash of the word, so two profiles'
    shared words are found by vectorised binary search (:class:`TermOverlaps`)."""

    keys: np.ndarray
    #: Log-scaled counts, their rarity-weighted form, and each word's :func:`rarity`.
    log_array: np.ndarray
    rare_array: np.ndarray
    rarity_array: np.ndarray
    log_norm: float
    rare_norm: float
    #: Total rarity of the distinct words: how much there is to share.
    mass: float
    title_rarities: dict[str, float]

    @classmethod
    def of(cls, terms: Counter[str], title_terms: Counter[str], language: str | None) -> TermStats:
        log_weights = {t: _w(c) for t, c in terms.items()}
        rarities = {t: rarity(t, language) for t in terms}
        rare_weights = {t: log_weights[t] * rarities[t] for t in terms}
        words = sorted(terms, key=term_key)
        return cls(keys=np.array([term_key(t) for t in words], dtype=np.uint64),
                   log_array=np.array([log_weights[t] for t in words], dtype=np.float64),
                   rare_array=np.array([rare_weights[t] for t in words], dtype=np.float64),
                   rarity_array=np.array([rarities[t] for t in words], dtype=np.float64),
                   log_norm=math.sqrt(sum(w * w for w in log_weights.values())),
                   rare_norm=math.sqrt(sum(w * w for w in rare_weights.values())), mass=sum(rarities.values()),
                   title_rarities={t: rarity(t, language) for t in title_terms})


@lru_cache(maxsize=500_000)
def term_key(term: str) -> int:
    """A 64-bit hash of a word, the same in every process (unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass(slots=True, frozen=True)
class TermOverlaps:
    """What one profile's words have in common with each of several others', from one
    vectorised pass over all of them: an article is compared with every scored member of its
    candidate events, and a pass per pair (and three per feature before that) was most of the
    linking time.

    Each shared word is found by a binary search of the other side's word keys in this
    profile's sorted keys; sums per other profile are ``bincount``s over the hits."""

    #: Cosine of log-scaled term counts, one per other profile.
    lexical: np.ndarray
    #: The same, weighted by :func:`rarity`: shared names, places and numbers count, shared
    #: common words hardly (names and numbers match across languages too).
    rare: np.ndarray
    #: For every shared word, the index of the other profile that shares it, and its rarity (the
    #: lower of the two languages' rarities, so a word common in either language does not count
    #: as a shared rare word); sorted by other profile, then rarest first.
    owner: np.ndarray
    rarities: np.ndarray

    @classmethod
    def of(cls, a: TermStats, others: list[TermStats]) -> TermOverlaps:
        count = len(others)
        sizes = np.array([len(o.keys) for o in others], dtype=np.int64)
        if not len(a.keys) or not sizes.sum():
            empty = np.zeros(0)
            return cls(np.zeros(count), np.zeros(count), empty.astype(np.int64), empty)
        keys = np.concatenate([o.keys for o in others])
        owner = np.repeat(np.arange(count), sizes)
        at = np.searchsorted(a.keys, keys)
        at[at == len(a.keys)] = 0
        hit = a.keys[at] == keys
        at, owner = at[hit], owner[hit]
        log_b = np.concatenate([o.log_array for o in others])[hit]
        rare_b = np.concatenate([o.rare_array for o in others])[hit]
        rarity_b = np.concatenate([o.rarity_array for o in others])[hit]
        lexical = np.bincount(owner, weights=a.log_array[at] * log_b, minlength=count)
        rare = np.bincount(owner, weights=a.rare_array[at] * rare_b, minlength=count)
        rarities = np.minimum(a.rarity_array[at], rarity_b)
        # by owner, rarest first, in one sort of values (a sort of indices took three times as
        # long): rarities lie in [0, 7], so owner * 8 - rarity orders both and gives both back
        ordered = np.sort(owner * 8.0 - rarities)
        owner = np.ceil(ordered / 8.0).astype(np.int64)
        return cls(lexical=_ratio(lexical, a.log_norm * np.array([o.log_norm for o in others])),
                   rare=_ratio(rare, a.rare_norm * np.array([o.rare_norm for o in others])),
                   owner=owner, rarities=owner * 8.0 - ordered)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, 0 where the denominator is 0 (a profile without words)."""
    out = np.zeros_like(numerator, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def shared_rarities(a: dict[str, float], b: dict[str, float]) -> list[float]:
    """Rarity of every word both sides use, rarest first (see :class:`TermOverlaps`)."""
    return sorted((min(a[t], b[t]) for t in a.keys() & b.keys()), reverse=True)


def lead_numbers(text: str) -> list[str]:
    """Numbers that identify an event (casualties, magnitudes), not years or days of month."""
    out = []
    for match in _NUMBER.finditer(text):
        raw = match.group(1).replace(",", "").replace(" ", "")
        try:
            value = float(raw.replace(".", "", raw.count(".") - 1) if raw.count(".") > 1 else raw)
        except ValueError:
            continue
        if value.is_integer() and (1900 <= value <= 2100 or value <= 31):
            continue
        out.append(f"{value:g}")
    return out


def jaccard_of_weights(a: tuple[dict[str, float], float], b: tuple[dict[str, float], float]) -> float:
    """Weighted Jaccard of two bags given as (weights, total): the sum of maxima is both totals
    less the sum of minima, so only the shared names are visited."""
    (weights_a, total_a), (weights_b, total_b) = a, b
    if len(weights_b) < len(weights_a):
        weights_a, weights_b = weights_b, weights_a
    num = sum(min(w, weights_b[k]) for k, w in weights_a.items() if k in weights_b)
    den = total_a + total_b - num
    return num / den if den else 0.0


def weighted_jaccard(a: Counter[str], b: Counter[str]) -> float:
    """Overlap of two bags with log-damped weights, so one repeated name does not dominate."""
    return jaccard_of_weights(_bag_weights(a), _bag_weights(b))


def _bag_weights(bag: Counter[str]) -> tuple[dict[str, float], float]:
    weights = {name: _w(count) for name, count in bag.items()}
    return weights, sum(weights.values())


def _w(count: int) -> float:
    return 1.0 + math.log(count) if count > 0 else 0.0
