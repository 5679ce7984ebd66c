"""Pair scoring: is this the same real-world event, and why?

Document embeddings say two articles are about the same actors; they do not say
it is the same happening. "Another earthquake" differs from "the same earthquake"
by date, place, numbers and participants, so the score combines:

* cosine of title+lead embeddings (cross-lingual),
* weighted overlap of canonical entities, of lead entities, of places,
* agreement of event dates (same day, or days apart) and weekdays,
* overlap of the numbers in the lead (casualties, magnitudes),
* the rare words both sides use (the rarest, how many, what share of the rarity
  there was to share, and in the titles): "Dalembert", "Sixers", "7.6".

The model is a small gradient-boosted tree ensemble (a logistic model is also
understood), stored as JSON in ``storyline/data`` and evaluated here with numpy;
``eval/train_pair_model.py`` trains and cross-validates it. Shared rare words
interact with the other evidence (a shared surname means more when the
embeddings agree too), which a linear model cannot express: in a development
check on ECB+ dev pairs (before the date veto), trees reached ROC-AUC 0.960
where a logistic model reached 0.943.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from storyline.link.profile import (
    PairView,
    Profile,
    TermOverlaps,
    jaccard_of_weights,
    shared_rarities,
)

FEATURES = ("cosine", "title_cosine", "lexical", "rare_terms", "cross_language", "entities", "lead_entities", "places",
            "people", "people_missing", "numbers", "same_day", "days_apart", "weekday_conflict",
            "rarest_shared", "rare_shared_top3", "rare_shared_35", "rare_shared_45", "rare_shared_55",
            "title_rare_shared", "rare_shared_mass")
#: Two reports whose firm event dates (see ``link.profile.FIRM_DATE``) are further apart than this
#: are not one event, whatever else they share: the same leaders meet many times, and an event
#: happens on a date. Not a week: dates read from the text are often off by days or weeks (a
#: follow-up dated by its own "Monday", a misread month), and on ECB+ train every same-topic pair
#: 8-30 days apart (48) is one event; within a month the content decides.
MAX_DAYS_APART = 30
#: Dates that are not firm veto only this far apart. A weekday read against a publication date
#: estimated from the text can be years off: on ECB+ train the 30-day veto on all dates struck 310
#: same-event pairs among 573. With firm dates only within a year: ECB+ dev BCubed 0.940 -> 0.949 and
#: ROC-AUC 0.947 -> 0.950, train unchanged (0.921), MEANTIME unchanged; the seeds' 2015 and 2018
#: Putin meetings (one dated by a weekday against a photo caption) stay apart.
MAX_DAYS_APART_NOT_FIRM = 365
#: For the clusterer, a vetoed pair's probability is multiplied by this: far below any threshold,
#: still ordered for the split checks (scored 0 instead, more events split: ECB+ train BCubed
#: 0.927 -> 0.921). Also the reported ``same_event`` of a vetoed pair when the model carries no
#: ``date_conflict`` calibration (models before it).
VETO_FACTOR = 0.05


@dataclass(slots=True, frozen=True)
class PairEvidence:
    """Feature values and the human-readable reasons behind a pair score."""

    features: dict[str, float]
    shared_entities: list[str]
    shared_places: list[str]
    date_a: str | None
    date_b: str | None
    days_apart: int | None
    #: The dates are too far apart for one event (:func:`date_vetoes`).
    date_veto: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "features": {k: round(v, 3) for k, v in self.features.items()},
            "shared_entities": self.shared_entities,
            "shared_places": self.shared_places,
            "dates": [self.date_a, self.date_b],
            "days_apart": self.days_apart,
        }


def compare(a: Profile, b: Profile) -> PairEvidence:
    """Features of a pair of profiles (articles or events), and the reasons to show."""
    rows, gaps, vetoed = feature_rows(a, [b])
    return evidence_of(a, b, rows[0], gaps[0], bool(vetoed[0]))


def evidence_of(a: Profile, b: Profile, row: np.ndarray, gap: int | None, vetoed: bool) -> PairEvidence:
    """The evidence of a pair from its row of :func:`feature_rows` (the clusterer scores many
    pairs at once and explains only the one it shows)."""
    shared = sorted(set(a.entities) & set(b.entities), key=lambda n: (-(a.entities[n] + b.entities[n]), n))
    return PairEvidence(
        features=dict(zip(FEATURES, (float(v) for v in row), strict=True)),
        shared_entities=shared[:12],
        shared_places=[n for n in shared if a.types.get(n) == "LOC"][:6],
        date_a=a.date.isoformat() if a.date else None,
        date_b=b.date.isoformat() if b.date else None,
        days_apart=gap,
        date_veto=vetoed,
    )


_COLUMN = {name: i for i, name in enumerate(FEATURES)}


def feature_rows(a: Profile, others: list[Profile]) -> tuple[np.ndarray, list[int | None], np.ndarray]:
    """The features (columns in :data:`FEATURES` order) of ``a`` against each of ``others``,
    each pair's gap in days between event dates (None when a side is undated), and which pairs
    the dates veto (:func:`date_vetoes`).

    One vectorised pass for the embeddings and words, which are most of the work; the entity
    bags are small dicts and stay per pair. :func:`compare` is this with one other, so the
    clusterer's scores and the explanations it shows come from the same formulas.
    """
    rows = np.zeros((len(others), len(FEATURES)), dtype=np.float64)
    if not others:
        return rows, [], np.zeros(0, dtype=bool)
    column = _COLUMN
    va, views = a.view, [o.view for o in others]
    rows[:, column["cosine"]] = _cosines(va.centroid, [v.centroid for v in views])
    rows[:, column["title_cosine"]] = _cosines(va.title_centroid, [v.title_centroid for v in views])
    overlap = TermOverlaps.of(va.stats, [v.stats for v in views])
    same_language = np.array([v.language == va.language for v in views])
    rows[:, column["lexical"]] = np.where(same_language, overlap.lexical, 0.0)
    rows[:, column["rare_terms"]] = overlap.rare
    rows[:, column["cross_language"]] = ~same_language
    _rare_word_columns(rows, va, views, overlap)
    date_a, weekday_a, title_a = va.date, va.weekday, va.stats.title_rarities
    entities, lead, places, people, missing, numbers, same_day, days_apart, weekday_conflict, title_rare = (
        column[name] for name in ("entities", "lead_entities", "places", "people", "people_missing", "numbers",
                                  "same_day", "days_apart", "weekday_conflict", "title_rare_shared"))
    gaps: list[int | None] = []
    vetoed = np.zeros(len(others), dtype=bool)
    firm_a = va.firm_date
    for position, (row, b) in enumerate(zip(rows, views, strict=True)):
        gap = abs((date_a - b.date).days) if date_a and b.date else None
        gaps.append(gap)
        firm_gap = abs((firm_a - b.firm_date).days) if firm_a and b.firm_date else None
        vetoed[position] = date_vetoes(gap, firm_gap)
        row[entities] = jaccard_of_weights(va.bags, b.bags)
        row[lead] = _jaccard(va.lead, b.lead)
        row[places] = jaccard_of_weights(va.places, b.places)
        row[people] = jaccard_of_weights(va.people, b.people)
        row[missing] = max(_missing(va.principal, b.entities), _missing(b.principal, va.entities))
        row[numbers] = _jaccard(va.numbers, b.numbers) if va.numbers and b.numbers else 0.0
        if gap is not None:
            row[same_day] = 1.0 if gap <= 1 else 0.0
            row[days_apart] = math.log1p(max(0, gap - 1))
        elif weekday_a is not None and b.weekday is not None and weekday_a != b.weekday:
            row[weekday_conflict] = 1.0
        row[title_rare] = math.log1p(sum(shared_rarities(title_a, b.stats.title_rarities)))
    return rows, gaps, vetoed


def date_vetoes(gap: int | None, firm_gap: int | None) -> bool:
    """Are two reports too far apart in time to be one event? Firm dates more than
    :data:`MAX_DAYS_APART`, any dates more than :data:`MAX_DAYS_APART_NOT_FIRM`."""
    return (firm_gap is not None and firm_gap > MAX_DAYS_APART) or (
        gap is not None and gap > MAX_DAYS_APART_NOT_FIRM)


def _cosines(vector: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
    """Inner products of unit vectors; 0 for a vector of another dimension (no embedding)."""
    out = np.zeros(len(others), dtype=np.float64)
    same = [i for i, other in enumerate(others) if other.shape == vector.shape]
    if same:
        out[same] = np.stack([others[i] for i in same]) @ vector
    return out


def same_event_probability(evidence: PairEvidence, model: dict[str, Any] | None = None) -> float:
    """Score in [0, 1] that both sides report the same real-world event."""
    return same_event_probabilities([evidence], model)[0]


def same_event_probabilities(evidences: list[PairEvidence], model: dict[str, Any] | None = None) -> list[float]:
    """:func:`same_event_probability` of many pairs in one vectorised pass.

    A pair whose dates conflict (:func:`date_conflict`) is never joined by the clusterer, but its
    probability is not made up: it is the model's, calibrated on such pairs (:func:`conflict_calibrated`).
    """
    spec = model or pair_model()
    rows = np.array([[e.features.get(name, 0.0) for name in FEATURES] for e in evidences], dtype=np.float64)
    probabilities = content_probabilities(rows.reshape(len(evidences), len(FEATURES)), spec)
    vetoed = np.array([e.date_veto for e in evidences], dtype=bool)
    return [float(p) for p in np.where(vetoed, conflict_calibrated(probabilities, spec), probabilities)]


def conflict_calibrated(probabilities: np.ndarray, model: dict[str, Any]) -> np.ndarray:
    """The same-event probability of pairs whose dates conflict, from the model's probability.

    How often such pairs are one event depends on what "one event" spans. ECB+ counts follow-ups
    weeks or years later in the seminal event (a shooting and the trial), and its texts' dates are
    sometimes background dates: of its training pairs the dates veto, those the trees score above
    0.9 are 97% one event. MEANTIME's Apple articles are different events however alike (none of
    6,752). The model's ``date_conflict`` entry is a logistic calibration fitted on both, each
    weighing the same (``eval/train_pair_model.py``); it never raises a probability.
    """
    calibration = model.get("date_conflict")
    if calibration is None:
        return probabilities * VETO_FACTOR
    clipped = np.clip(probabilities, 1e-9, 1 - 1e-9)
    z = calibration["bias"] + calibration["slope"] * np.log(clipped / (1 - clipped))
    return np.minimum(probabilities, 1.0 / (1.0 + np.exp(-z)))


def content_probabilities(rows: np.ndarray, model: dict[str, Any] | None = None) -> np.ndarray:
    """The pair model's probabilities for rows of :func:`feature_rows`, before any date veto."""
    if not len(rows):
        return np.zeros(0)
    scorer = _scorer(model or pair_model())
    return scorer.probabilities(rows[:, scorer.columns])


def row_probabilities(rows: np.ndarray, vetoed: np.ndarray, model: dict[str, Any] | None = None) -> np.ndarray:
    """The clusterer's join scores of pairs given as :func:`feature_rows` (an article against every
    scored member of its candidate events): the model's probability, times :data:`VETO_FACTOR` when
    the dates conflict, so such a pair never joins. Equal to ``same_event`` for every other pair."""
    probabilities = content_probabilities(rows, model)
    return np.where(vetoed, probabilities * VETO_FACTOR, probabilities)


class _Scorer:
    """A pair model in arrays: a logistic model, or trees laid out as complete binary trees.

    Each tree is padded to full depth in heap order (the children of node ``i`` are ``2i+1`` and
    ``2i+2``): a leaf above the bottom becomes nodes that always go left down to copies of its
    value. All rows then walk all trees at once with one gather per level and no leaf tests,
    which halved the scoring time against walking the trees' own node tables.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.features: list[str] = list(spec["features"])
        unknown = sorted(set(self.features) - set(FEATURES))
        if unknown:
            raise ValueError(f"pair model needs features this version does not compute: {unknown}")
        self.columns = np.array([FEATURES.index(f) for f in self.features], dtype=np.int64)
        self.kind = spec.get("kind", "logistic")
        self.bias = float(spec.get("bias", spec.get("baseline", 0.0)))
        if self.kind == "logistic":
            self.weights = np.array([spec["weights"].get(f, 0.0) for f in self.features])
            return
        trees = spec["trees"]
        self.depth = max(_tree_depth(tree) for tree in trees)
        inner, bottom = 2**self.depth - 1, 2**self.depth
        # per tree: the split feature and threshold of each inner heap node, the value of each bottom node
        self.split_feature = np.zeros((len(trees), inner), dtype=np.int64)
        self.split_threshold = np.full((len(trees), inner), np.inf)
        self.leaf_value = np.zeros((len(trees), bottom))
        for t, tree in enumerate(trees):
            self._lay_out(tree, t)
        # flat copies, gathered with ``take`` (a third of the time of 2-D fancy indexing)
        self.inner_base = (np.arange(len(trees)) * inner)[None, :]
        self.bottom_base = (np.arange(len(trees)) * bottom)[None, :]
        self.flat_feature, self.flat_threshold = self.split_feature.ravel(), self.split_threshold.ravel()
        self.flat_value = self.leaf_value.ravel()

    def _lay_out(self, tree: list[list[float]], t: int) -> None:
        # per node: [feature index, threshold, left child, right child, leaf value, is leaf]
        stack = [(0, 0, 0)]  # (node, heap position, depth)
        while stack:
            node, position, depth = stack.pop()
            feature, threshold, left, right, value, leaf = tree[node]
            if leaf:
                span = 2 ** (self.depth - depth)  # the bottom nodes under this position
                first = (position + 1) * span - 1 - (2**self.depth - 1)
                self.leaf_value[t, first:first + span] = value
                continue
            self.split_feature[t, position] = int(feature)
            self.split_threshold[t, position] = threshold
            stack += [(int(left), 2 * position + 1, depth + 1), (int(right), 2 * position + 2, depth + 1)]

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if self.kind == "logistic":
            z = self.bias + rows @ self.weights
        else:
            rows = np.ascontiguousarray(rows, dtype=np.float64)
            cells, row_base = rows.ravel(), (np.arange(len(rows)) * rows.shape[1])[:, None]
            position = np.zeros((len(rows), self.inner_base.shape[1]), dtype=np.int64)  # per row and tree
            for _ in range(self.depth):
                node = self.inner_base + position
                value = cells.take(row_base + self.flat_feature.take(node))
                position = 2 * position + 1 + (value > self.flat_threshold.take(node))
            bottom = self.bottom_base + position - (2**self.depth - 1)
            z = self.bias + self.flat_value.take(bottom).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _tree_depth(tree: list[list[float]], node: int = 0) -> int:
    if tree[node][5]:
        return 0
    return 1 + max(_tree_depth(tree, int(tree[node][2])), _tree_depth(tree, int(tree[node][3])))


_SCORERS: dict[int, tuple[dict[str, Any], _Scorer]] = {}


def _scorer(spec: dict[str, Any]) -> _Scorer:
    """The array form of a model dict, built once per dict."""
    cached = _SCORERS.get(id(spec))
    if cached is None or cached[0] is not spec:
        cached = (spec, _Scorer(spec))
        _SCORERS[id(spec)] = cached
    return cached[1]


def date_conflict(evidence: PairEvidence) -> bool:
    """The two sides' event dates are too far apart for the clusterer to join them as one event
    (:func:`date_vetoes`); their ``same_event`` is calibrated (:func:`conflict_calibrated`).

    Weekdays that disagree (undated reports) are only a feature, not a veto: a report
    written the next day says "Monday" where the first said "today", and on ECB+ the
    weekday veto struck 13% of same-event pairs (dropping it: dev BCubed 0.792 -> 0.839,
    no change on MEANTIME or the seeds).
    """
    return evidence.date_veto


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def pair_model() -> dict[str, Any]:
    """The shipped pair model (``data/pair_model.json``), read once: a fresh dict per call cost a JSON
    parse and a new array scorer (cached by the dict's identity) for every pair compared. Shared:
    do not modify it."""
    return json.loads(resources.files("storyline.data").joinpath("pair_model.json").read_text("utf-8"))


def _rare_word_columns(rows: np.ndarray, a: PairView, others: list[PairView], overlap: TermOverlaps) -> None:
    """What the rare words each pair shares say (:attr:`TermOverlaps.rarities`, rarest first per
    pair): names, places and numbers match across languages as words, and "another earthquake"
    shares only the common ones."""
    column, count = _COLUMN, len(others)
    owner, rarities = overlap.owner, overlap.rarities
    shared = np.bincount(owner, minlength=count)
    first = np.concatenate([[0], np.cumsum(shared)[:-1]])
    rank = np.arange(len(owner)) - first[owner]  # 0 for the rarest word a pair shares
    sharing = shared > 0
    rows[sharing, column["rarest_shared"]] = rarities[first[sharing]]
    top3 = rank < 3
    rows[:, column["rare_shared_top3"]] = np.bincount(owner[top3], weights=rarities[top3], minlength=count) / 3
    for name, level in (("rare_shared_35", 3.5), ("rare_shared_45", 4.5), ("rare_shared_55", 5.5)):
        rows[:, column[name]] = np.log1p(np.bincount(owner, weights=rarities >= level, minlength=count))
    mass = np.minimum(a.stats.mass, np.array([o.stats.mass for o in others]))
    total = np.bincount(owner, weights=rarities, minlength=count)
    rows[:, column["rare_shared_mass"]] = np.divide(total, mass, out=np.zeros(count), where=mass != 0)


def _missing(principal: frozenset[str], other: Counter[str]) -> float:
    """Share of one side's principal people that the other side never mentions."""
    return sum(1 for name in principal if name not in other) / len(principal) if principal else 0.0


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0
