"""Online event clustering: each arriving article joins an open event or opens one.

Single pass, in arrival order, river-style (``predict_one`` / ``learn_one``):

* candidates: the ``max_candidates`` open events whose centroid is closest to the
  article's embedding (:class:`~storyline.link.index.CentroidIndex`, one matrix
  product over open events, which stay few because events quiet for
  ``window_days`` are closed and released);
* each candidate is scored against the event's members (of its most recent
  ``max_members``, the ``scored_members`` whose embedding is closest to the
  article's), each pair by :func:`storyline.link.similarity.compare`
  (embeddings, entities, places, numbers, dates), the article pairs the model
  was trained on. ``linkage="single"`` (default) takes the best member:
  reports of one event differ (a first flash, a later analysis) and an article
  need only match one of them well; ``"average"`` takes the mean. Measured on
  ECB+ and MEANTIME, single linkage was better in every regime (README). The
  best event is joined when its score reaches ``threshold``;
* IDs are sequential and never reused or renumbered, so the same input order
  gives the same IDs and later articles never change earlier assignments;
* when later evidence shows two events are one (an article matching both at
  ``merge_threshold``), they merge; when an event's reports form two groups that
  hardly match each other (checked as it grows and when it closes), it splits. Both are
  returned with the assignment, with their evidence, for the store to record
  (``storyline events --lineage``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np

from storyline.article import Article
from storyline.link.index import CentroidIndex
from storyline.link.profile import Profile, profile_of
from storyline.link.similarity import PairEvidence, evidence_of, feature_rows, pair_model, row_probabilities


@dataclass(slots=True, kw_only=True)
class EventState:
    """An event as the clusterer sees it: its profile and members."""

    event_id: str
    seq: int
    profile: Profile
    title: str
    article_ids: list[str] = field(default_factory=list)
    #: Profiles of the most recent members, for average-linkage scoring.
    members: list[Profile] = field(default_factory=list)
    last_date: date | None = None
    story_id: str | None = None
    #: The members' unit embeddings as one matrix (row of zeros where a member has none of the
    #: article's dimension) and which rows are real: built once per change of ``members``.
    _member_matrix: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)
    #: Same-event probabilities of pairs of members, aligned with ``members`` (NaN: not scored
    #: yet): what joining scored is kept, so a split check scores only the pairs it lacks.
    _pairs: np.ndarray | None = field(default=None, repr=False, compare=False)

    def set_members(self, members: list[Profile], pairs: np.ndarray | None = None) -> None:
        self.members = members
        self._member_matrix = None
        self._pairs = pairs

    def add_member(self, member: Profile, scored: dict[int, float], limit: int) -> None:
        """Append a member (the oldest leaves past ``limit``), with its probabilities against the
        members it was scored with (by position)."""
        count = len(self.members)
        pairs = np.full((count + 1, count + 1), np.nan)
        if self._pairs is not None and self._pairs.shape == (count, count):
            pairs[:count, :count] = self._pairs
        for position, probability in scored.items():
            pairs[count, position] = pairs[position, count] = probability
        drop = max(0, count + 1 - limit)
        self.set_members([*self.members, member][drop:], pairs[drop:, drop:])

    def member_matrix(self, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        if self._member_matrix is None or self._member_matrix[0].shape[1] != dimension:
            usable = np.array([m.centroid.shape == (dimension,) and bool(m.centroid.any()) for m in self.members])
            matrix = np.zeros((len(self.members), dimension), dtype=np.float32)
            for row, (member, ok) in enumerate(zip(self.members, usable, strict=True)):
                if ok:
                    matrix[row] = member.centroid
            self._member_matrix = (matrix, usable)
        return self._member_matrix


@dataclass(slots=True, frozen=True)
class Merge:
    """Evidence that two open events are one: an article that matches both strongly."""

    event_id: str
    into_event_id: str
    article_id: str
    probability: float
    into_probability: float
    evidence: PairEvidence

    def reason(self) -> dict[str, Any]:
        return {"article": self.article_id, "probability": round(self.probability, 3),
                "into_probability": round(self.into_probability, 3)} | self.evidence.to_json()


@dataclass(slots=True, frozen=True)
class Split:
    """Evidence that one event is two: its reports form two groups whose pairs across the
    groups the pair model scores low on average (chained through one report that matched
    both a little), each group large enough to be an event of its own."""

    event_id: str
    new_event_id: str
    #: The article whose arrival led to the check.
    article_id: str
    #: The reports that move to the new event (the group without the event's first report).
    moved: tuple[str, ...]
    cross_probability: float
    sizes: tuple[int, int]
    #: Both events as they are after the split (for the store).
    kept: EventState = field(repr=False, compare=False)
    event: EventState = field(repr=False, compare=False)

    def reason(self) -> dict[str, Any]:
        return {"article": self.article_id, "cross_probability": round(self.cross_probability, 3),
                "sizes": list(self.sizes), "moved": list(self.moved)}


#: An event is checked for a split when it reaches one of these sizes (and when it closes):
#: often enough to catch a chain early, rarely enough to cost little (the check scores every
#: pair of its reports).
SPLIT_CHECK_SIZES = frozenset({6, 8, 12, 16, 24, 30})


@dataclass(slots=True, frozen=True)
class Assignment:
    """Where an article went and why (and the events it showed to be one with its own)."""

    article_id: str
    event_id: str
    created: bool
    probability: float
    evidence: PairEvidence | None
    merges: tuple[Merge, ...] = ()
    splits: tuple[Split, ...] = ()

    @property
    def final_event_id(self) -> str:
        """Where the article is once this assignment's splits are done."""
        for split in self.splits:
            if self.article_id in split.moved:
                return split.new_event_id
        return self.event_id

    def reason(self) -> dict[str, Any]:
        out: dict[str, Any] = {"created": self.created, "probability": round(self.probability, 3)}
        if self.evidence is not None:
            out |= self.evidence.to_json()
        return out


class OnlineEventClusterer:
    """Assign articles to events as they arrive.

    Args:
        threshold: minimum same-event probability to join an event (default: the
            pair model's calibrated threshold).
        window_days: events with no article dated within this many days of the
            newest date seen are closed to new articles.
        max_candidates: how many nearest open events are scored in full.
        max_members: how many of an event's most recent articles it is compared through.
        scored_members: of those, how many (the closest by embedding) are scored in full;
            single linkage takes the best member, and the best is nearly always among the
            closest few, so scoring all of them cost time for nothing (README, *Speed*).
        min_cosine: an event none of whose scored members reaches this embedding cosine with
            the article is not scored: on ECB+ and MEANTIME no pair the model gave even 0.5
            had a cosine below 0.24, and half of all candidates fall below 0.3.
        linkage: "single" (best member) or "average" (mean over members).
        merge_threshold: an article that matches two open events at least this well each
            merges them (None: never).
        split_below: an event whose reports fall into two groups of at least
            ``split_min_group`` with a mean same-event probability across the groups below
            this splits in two (None: never). Events larger than ``max_members`` are not
            checked (their older reports are no longer in memory).
    """

    def __init__(self, threshold: float | None = None, window_days: int = 30, max_candidates: int = 10,
                 max_members: int = 30, scored_members: int = 8, min_cosine: float = 0.2,
                 linkage: Literal["single", "average"] = "single", model: dict[str, Any] | None = None,
                 merge_threshold: float | None = 0.98, split_below: float | None = 0.3,
                 split_min_group: int = 3) -> None:
        self.model = model or pair_model()
        self.threshold = threshold if threshold is not None else float(self.model["threshold"])
        self.window_days = window_days
        self.max_candidates = max_candidates
        self.max_members = max_members
        self.scored_members = scored_members
        self.min_cosine = min_cosine
        self.merge_threshold = merge_threshold
        self.split_below = split_below
        self.split_min_group = split_min_group
        self.linkage = linkage
        self.events: dict[str, EventState] = {}
        self.next_seq = 1
        self.clock: date | None = None
        #: The clock when quiet events were last closed (saved with the linkers' state).
        self.closed_at: date | None = None
        #: Events closed since the store last asked (:meth:`drain_closed`).
        self.closed: list[str] = []
        self._index = CentroidIndex()
        self._by_seq: dict[int, EventState] = {}

    def restore(self, event: EventState) -> None:
        """Take back an open event saved by an earlier run."""
        self.events[event.event_id] = event
        self._by_seq[event.seq] = event
        self._index.set(event.seq, event.profile.centroid)

    def reset(self) -> None:
        """Forget every open event (before restoring what a store holds now)."""
        self.events.clear()
        self._by_seq.clear()
        self._index = CentroidIndex()
        self.closed = []

    def drain_closed(self) -> list[str]:
        """IDs of the events closed since the last call."""
        closed, self.closed = self.closed, []
        return closed

    # -- river-style API ---------------------------------------------------------------
    def predict_one(self, article: Article) -> Assignment:
        """Where the article would go, without changing any state."""
        return self._assign(article.id, profile_of(article))[0]

    def learn_one(self, article: Article, *, close_quiet: bool = True) -> Assignment:
        """Assign the article and update the event it joins (or opens).

        The article's profile is the last of its event's ``members`` afterwards. With
        ``close_quiet`` (the default: a stream), events quiet for ``window_days`` before the clock
        close once it is assigned; a caller linking a window of articles in date order passes
        False inside the window, so an undated article linked at its end can still join an event
        of that window (:class:`~storyline.pipeline.Pipeline`).
        """
        profile = profile_of(article)
        assignment, scored = self._assign(article.id, profile)
        article_date = profile.date
        splits: list[Split] = []
        if assignment.created:
            event = EventState(event_id=assignment.event_id, seq=self.next_seq, profile=profile.copy(),
                               title=article.title, article_ids=[article.id], members=[profile],
                               last_date=article_date)
            self.restore(event)
            self.next_seq += 1
        else:
            event = self.events[assignment.event_id]
            event.profile.absorb(profile)
            event.article_ids.append(article.id)
            event.add_member(profile, scored.get(event.event_id, {}), self.max_members)
            if article_date and (event.last_date is None or article_date > event.last_date):
                event.last_date = article_date
            for merge in assignment.merges:
                self._merge(self.events[merge.event_id], event)
            if len(event.article_ids) in SPLIT_CHECK_SIZES and (split := self._split(event, article.id)):
                self.restore(split.event)
                splits.append(split)
            self._index.set(event.seq, event.profile.centroid)
        if article_date and (self.clock is None or article_date > self.clock):
            self.clock = article_date
        if close_quiet:
            splits.extend(self.close_quiet(article.id))
        return dataclasses.replace(assignment, splits=tuple(splits)) if splits else assignment

    def close_quiet(self, article_id: str) -> list[Split]:
        """Close the events quiet for ``window_days`` before the clock (each checked for a split one
        last time), if the clock moved since they were last closed; ``article_id`` is the article
        whose arrival the closing follows (for the lineage of a split)."""
        if self.clock == self.closed_at:
            return []
        self.closed_at = self.clock
        return self._close_quiet_events(article_id)

    # -- internals ---------------------------------------------------------------------
    def _assign(self, article_id: str, profile: Profile) -> tuple[Assignment, dict[str, dict[int, float]]]:
        """The assignment, and per candidate event the probabilities scored against its members
        (by position), kept for split checks."""
        candidates = []
        for event in self._candidates(profile):
            positions = self._closest_members(event, profile)
            if positions:
                candidates.append((event, positions))
        # every scored pair in one vectorised pass; evidence (the explanation) only for the pairs shown
        scored_members = [event.members[i] for event, positions in candidates for i in positions]
        rows, gaps, vetoed = feature_rows(profile, scored_members)
        flat = row_probabilities(rows, vetoed, self.model)
        scores: list[tuple[float, EventState, int]] = []  # with the row of the member that explains it
        scored: dict[str, dict[int, float]] = {}
        start = 0
        for event, positions in candidates:
            group = flat[start:start + len(positions)]
            start += len(positions)
            scored[event.event_id] = dict(zip(positions, group.tolist(), strict=True))
            closest = int(np.argmax(group))  # the closest member explains best
            probability = float(group[closest]) if self.linkage == "single" else float(group.mean())
            scores.append((probability, event, start - len(positions) + closest))
        if not scores:
            return Assignment(article_id, self.format_id(self.next_seq), True, 1.0, None), scored
        best, best_event, best_row = max(scores, key=lambda item: item[0])  # the first of equals

        def evidence(row: int) -> PairEvidence:
            return evidence_of(profile, scored_members[row], rows[row], gaps[row], bool(vetoed[row]))

        if best < self.threshold:
            return Assignment(article_id, self.format_id(self.next_seq), True, 1.0 - best, evidence(best_row)), scored
        merges = ()
        if self.merge_threshold is not None and best >= self.merge_threshold:
            merges = tuple(Merge(event.event_id, best_event.event_id, article_id, p, best, evidence(row))
                           for p, event, row in scores if event is not best_event and p >= self.merge_threshold)
        return Assignment(article_id, best_event.event_id, False, best, evidence(best_row), merges), scored

    def _merge(self, merged: EventState, into: EventState) -> None:
        """Fold ``merged`` into ``into``: its articles and evidence join, its ID is retired (never
        reused) and the store records the merge (``storyline events --lineage``)."""
        into.profile.absorb(merged.profile)
        into.article_ids = [*into.article_ids, *merged.article_ids]
        into.set_members([*into.members, *merged.members][-self.max_members:])
        if merged.last_date and (into.last_date is None or merged.last_date > into.last_date):
            into.last_date = merged.last_date
        del self.events[merged.event_id]
        del self._by_seq[merged.seq]
        self._index.remove(merged.seq)

    def _candidates(self, profile: Profile) -> list[EventState]:
        if len(self.events) <= self.max_candidates:
            return list(self.events.values())  # open events only: closed ones are released
        return [self._by_seq[seq] for seq in self._index.nearest(profile.centroid, self.max_candidates)]

    def _closest_members(self, event: EventState, profile: Profile) -> list[int]:
        """Positions of the members worth scoring: the ``scored_members`` nearest the article by
        embedding (in member order), or none when even the nearest is below ``min_cosine``."""
        count = len(event.members)
        vector = profile.centroid
        if not count:
            return []
        matrix, usable = event.member_matrix(vector.shape[0])
        if not vector.any() or not usable.any():  # no embeddings to go by: the latest members
            return list(range(max(0, count - self.scored_members), count))
        scores = np.where(usable, matrix @ vector, -1.0)
        if scores.max() < self.min_cosine:
            return []
        if count <= self.scored_members:
            return list(range(count))
        return sorted(int(i) for i in np.argsort(-scores, kind="stable")[: self.scored_members])

    def _close_quiet_events(self, article_id: str) -> list[Split]:
        """Close the events quiet for the window, each checked for a split one last time."""
        if self.clock is None:
            return []
        horizon = self.clock - timedelta(days=self.window_days)
        splits = []
        for event_id, event in list(self.events.items()):
            if event.last_date is not None and event.last_date < horizon:
                del self.events[event_id]  # closed events live on in the store only
                del self._by_seq[event.seq]
                self._index.remove(event.seq)
                self.closed.append(event_id)
                if split := self._split(event, article_id):
                    self.closed.append(split.new_event_id)
                    splits.append(split)
        return splits

    def _pair_probabilities(self, event: EventState) -> np.ndarray:
        """Same-event probability of every pair of the event's members (symmetric, as the pair
        features are), scoring only the pairs not scored when the members joined or at the last
        check."""
        members = event.members
        pairs = event._pairs if event._pairs is not None and event._pairs.shape == (len(members),) * 2 \
            else np.full((len(members), len(members)), np.nan)
        for i in range(1, len(members)):
            missing = [j for j in range(i) if np.isnan(pairs[i, j])]
            if missing:
                rows, _, vetoed = feature_rows(members[i], [members[j] for j in missing])
                probabilities = row_probabilities(rows, vetoed, self.model)
                pairs[i, missing] = pairs[missing, i] = probabilities
        event._pairs = pairs
        return np.nan_to_num(pairs, nan=0.0)

    def _split(self, event: EventState, article_id: str) -> Split | None:
        """Split the event if its reports form two groups that are not one event (see
        :class:`Split`); the group holding its first report keeps its ID."""
        members, ids = event.members, event.article_ids
        if self.split_below is None or len(ids) < 2 * self.split_min_group or len(ids) != len(members):
            return None
        kept, moved, cross = two_groups(self._pair_probabilities(event))
        if min(len(kept), len(moved)) < self.split_min_group or cross >= self.split_below:
            return None
        new = EventState(event_id=self.format_id(self.next_seq), seq=self.next_seq,
                         profile=summed_profile([members[i] for i in moved]), title="",
                         article_ids=[ids[i] for i in moved], members=[members[i] for i in moved],
                         story_id=event.story_id)
        self.next_seq += 1
        pairs = event._pairs
        assert pairs is not None  # scored just now
        new.set_members(new.members, pairs[np.ix_(moved, moved)])
        event.profile = summed_profile([members[i] for i in kept])
        event.article_ids = [ids[i] for i in kept]
        event.set_members([members[i] for i in kept], pairs[np.ix_(kept, kept)])
        for part in (event, new):
            part.last_date = max(part.profile.dates) if part.profile.dates else None
        return Split(event.event_id, new.event_id, article_id, tuple(new.article_ids), cross,
                     (len(kept), len(moved)), kept=event, event=new)

    @staticmethod
    def format_id(seq: int) -> str:
        return f"ev-{seq:06d}"


def two_groups(similarity: np.ndarray) -> tuple[list[int], list[int], float]:
    """Average-linkage agglomeration of items down to two groups: the group holding item 0,
    the other, and the mean similarity of the pairs across them. Merges go into the lower
    index, so ties break the same way every run."""
    count = len(similarity)
    if count < 2:
        return list(range(count)), [], 1.0
    linkage = similarity.astype(np.float64).copy()
    np.fill_diagonal(linkage, -np.inf)
    sizes = np.ones(count)
    groups: list[list[int]] = [[i] for i in range(count)]
    alive = np.ones(count, dtype=bool)
    for _ in range(count - 2):
        masked = np.where(alive[:, None] & alive[None, :], linkage, -np.inf)
        i, j = sorted(np.unravel_index(int(np.argmax(masked)), masked.shape))
        merged = (linkage[i] * sizes[i] + linkage[j] * sizes[j]) / (sizes[i] + sizes[j])
        linkage[i], linkage[:, i] = merged, merged
        linkage[i, i] = -np.inf
        sizes[i] += sizes[j]
        alive[j] = False
        groups[i] += groups[j]
    first, second = np.flatnonzero(alive)
    return sorted(groups[first]), sorted(groups[second]), float(linkage[first, second])


def summed_profile(profiles: list[Profile]) -> Profile:
    """One profile of several (an event rebuilt from its reports)."""
    total = profiles[0].copy()
    for profile in profiles[1:]:
        total.absorb(profile)
    return total
