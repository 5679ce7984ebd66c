"""Story linking: chain events about the same ongoing matter.

A story is a set of events with the same principal participants and subject
within a time window (a meeting, then a phone call between the same leaders
about the same war). Online like the event clusterer: a new event joins the
best-matching open story or starts one; story IDs are never renumbered.

A new event is scored only against stories that share one of its principal people
(an index by person), so the cost of linking an event does not grow with the
archive. Stories close like events: one not touched for ``close_after_days`` of the
stream's clock leaves memory and the store keeps it, so memory stays flat however
long the stream. A closed story can still take an event that could belong to it: an
undated report (seed 003, a cancelled visit, belongs to a story years old) or one
dated back near the story. For those the linker asks its ``archive`` (the store's
closed stories, found by person) and reopens the story that wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from storyline.link.events import EventState
from storyline.link.profile import Profile, weighted_jaccard


@dataclass(slots=True, kw_only=True)
class StoryState:
    story_id: str
    seq: int
    profile: Profile
    event_ids: list[str] = field(default_factory=list)
    first_date: date | None = None
    last_date: date | None = None
    #: The linker's clock when an event last joined (undated stories close by it too).
    touched: date | None = None

    @property
    def label(self) -> str:
        """Its principal people and main place, e.g. "Benjamin Netanyahu, Vladimir Putin · Syria"."""
        principal = self.profile.salient("PER")
        lead = self.profile.lead_entities
        people = sorted(principal, key=lambda n: (-self.profile.entities[n], -lead[n], n))[:2]
        places = [n for n, _ in self.profile.of_type("LOC").most_common(1)]
        if not people:  # no person: the most named entities other than the place
            people = [n for n, _ in self.profile.entities.most_common(3) if n not in places][:2]
        subject = ", ".join(sorted(people))
        if subject and places:
            return f"{subject} · {places[0]}"
        return subject or (places[0] if places else self.story_id)


@dataclass(slots=True, frozen=True)
class StoryLink:
    story_id: str
    created: bool
    score: float
    shared_people: list[str]

    def reason(self) -> dict[str, Any]:
        return {"created": self.created, "score": round(self.score, 3), "shared_people": self.shared_people}


class StoryLinker:
    """Link events into stories.

    Args:
        window_days: an event more than this many days from a story's date range
            does not join it.
        min_score: minimum similarity (mean of centroid cosine and entity
            overlap) for a link on one shared principal person; two shared
            principal people link at any score.
        close_after_days: close stories untouched for this many days of the stream's clock
            (None: keep every story open).
        archive: finds closed stories by principal person near a date (None: undated)
            within a window of days (``Store.closed_stories``), for an event that may belong
            to one (see the module docstring).
    """

    def __init__(self, window_days: int = 120, min_score: float = 0.55, close_after_days: int | None = 180,
                 archive: Callable[[set[str], date | None, int], list[StoryState]] | None = None) -> None:
        self.window_days = window_days
        self.min_score = min_score
        self.close_after_days = close_after_days
        self.archive = archive
        self.stories: dict[str, StoryState] = {}
        self.next_seq = 1
        self.clock: date | None = None
        #: Stories closed since the store last asked (:meth:`drain_closed`).
        self.closed: list[StoryState] = []
        self._by_person: dict[str, set[str]] = {}
        self._indexed: dict[str, set[str]] = {}

    def restore(self, story: StoryState) -> None:
        """Take back an open story saved by an earlier run."""
        self.stories[story.story_id] = story
        self._reindex(story)

    def reset(self) -> None:
        self.stories.clear()
        self._by_person.clear()
        self._indexed.clear()
        self.closed = []

    def drain_closed(self) -> list[StoryState]:
        """The stories closed since the last call (the store saves them one last time); one
        closed and reopened since is open again and not among them."""
        closed, self.closed = [s for s in self.closed if s.story_id not in self.stories], []
        return closed

    def predict_one(self, event: EventState) -> StoryLink:
        return self._best(event)[0]

    def learn_one(self, event: EventState) -> StoryLink:
        """Place a newly created event in a story (reopening a closed one it belongs to)."""
        link, story = self._best(event)
        if story is None:
            story = StoryState(story_id=link.story_id, seq=self.next_seq, profile=event.profile.copy())
            self.stories[story.story_id] = story
            self.next_seq += 1
        else:
            self.stories[story.story_id] = story  # a no-op unless it was closed
            story.profile.absorb(event.profile)
        story.event_ids.append(event.event_id)
        self._extend_dates(story, event.profile.date)
        event.story_id = story.story_id
        self._touch(story, event.profile.date)
        return link

    def _best(self, event: EventState) -> tuple[StoryLink, StoryState | None]:
        """The best story for the event and the story itself (None: a new one)."""
        people = event.profile.salient("PER")
        when = event.profile.date
        candidates = {sid: self.stories[sid] for name in people for sid in self._by_person.get(name, ())}
        if people and self._may_be_closed(when):
            recent = [s for s in self.closed if people & s.profile.salient("PER")]
            for story in [*recent, *(self.archive(people, when, self.window_days) if self.archive else [])]:
                candidates.setdefault(story.story_id, story)  # the one in memory is the latest
        best: tuple[StoryLink, StoryState] | None = None
        for story in sorted(candidates.values(), key=lambda s: s.seq):
            if not self._in_window(story, when):
                continue
            shared = sorted(people & story.profile.salient("PER"))
            if not shared:
                continue
            cosine = float(np.dot(event.profile.centroid, story.profile.centroid))
            score = 0.5 * cosine + 0.5 * weighted_jaccard(event.profile.entities, story.profile.entities)
            if len(shared) < 2 and score < self.min_score:
                continue
            if best is None or score > best[0].score:
                best = (StoryLink(story.story_id, False, score, shared), story)
        if best is None:
            return StoryLink(f"st-{self.next_seq:06d}", True, 0.0, []), None
        return best

    def _may_be_closed(self, when: date | None) -> bool:
        """Could a story closed by now take an event of this date? Undated: yes; dated: only
        one dated before the clock by more than the closing delay less the window."""
        if self.close_after_days is None or self.clock is None:
            return False
        return when is None or when < self.clock - timedelta(days=self.close_after_days - self.window_days)

    def add_event(self, event: EventState) -> None:
        """An event split off one of the story's events belongs to the story too."""
        story = self.stories.get(event.story_id or "")
        if story is not None and event.event_id not in story.event_ids:
            story.event_ids.append(event.event_id)

    def update(self, story_id: str, article_profile: Profile) -> None:
        """An article joined one of the story's events: keep the story's profile current."""
        story = self.stories.get(story_id)
        if story is not None:
            story.profile.absorb(article_profile)
            self._extend_dates(story, article_profile.date)
            self._touch(story, article_profile.date)

    def _touch(self, story: StoryState, when: date | None) -> None:
        self._reindex(story)
        if when is not None and (self.clock is None or when > self.clock):
            self.clock = when
            if self.close_after_days is not None:
                self._close_quiet_stories(self.close_after_days)
        story.touched = self.clock

    def _reindex(self, story: StoryState) -> None:
        """Keep the person index current: a story's principal people change as it grows."""
        people = story.profile.salient("PER")
        old = self._indexed.get(story.story_id, set())
        for name in old - people:
            self._by_person[name].discard(story.story_id)
            if not self._by_person[name]:
                del self._by_person[name]
        for name in people - old:
            self._by_person.setdefault(name, set()).add(story.story_id)
        self._indexed[story.story_id] = people

    def _close_quiet_stories(self, days: int) -> None:
        assert self.clock is not None
        horizon = self.clock - timedelta(days=days)
        for story in list(self.stories.values()):
            last = max(filter(None, (story.last_date, story.touched)), default=None)
            if last is not None and last < horizon:
                del self.stories[story.story_id]
                for name in self._indexed.pop(story.story_id, set()):
                    self._by_person[name].discard(story.story_id)
                    if not self._by_person[name]:
                        del self._by_person[name]
                self.closed.append(story)

    def _in_window(self, story: StoryState, when: date | None) -> bool:
        if when is None or story.first_date is None or story.last_date is None:
            return True
        if story.first_date <= when <= story.last_date:
            return True
        gap = min(abs((when - story.first_date).days), abs((when - story.last_date).days))
        return gap <= self.window_days

    @staticmethod
    def _extend_dates(story: StoryState, when: date | None) -> None:
        if when is None:
            return
        story.first_date = min(story.first_date or when, when)
        story.last_date = max(story.last_date or when, when)
