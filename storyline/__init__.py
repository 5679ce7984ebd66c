"""Storyline: scraped multilingual news → events, stories and timelines."""

from storyline.article import Article, DatedValue, DateMention, Entity
from storyline.errors import NotFoundError, Skip, StorylineError
from storyline.link.events import OnlineEventClusterer
from storyline.link.stories import StoryLinker
from storyline.pipeline import IngestReport, Pipeline
from storyline.store.sqlite import SQLiteStore

__all__ = [
    "Article",
    "DateMention",
    "DatedValue",
    "Entity",
    "IngestReport",
    "NotFoundError",
    "OnlineEventClusterer",
    "Pipeline",
    "SQLiteStore",
    "Skip",
    "StoryLinker",
    "StorylineError",
]
