"""The one data type that flows through every stage: :class:`Article`.

Each stage reads some fields and fills others (see ``storyline.pipeline``). What a
stage adds beyond the declared fields goes into ``Article.extras`` so that the
core type stays small and stable.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

EntityType = Literal["PER", "ORG", "LOC"]
Precision = Literal["day", "month", "year", "unknown"]


@dataclass(slots=True, kw_only=True)
class Entity:
    """A named entity as written in the text, and the canonical name it refers to."""

    text: str
    canonical: str
    type: EntityType
    count: int = 1
    #: Where the canonical name came from: alias table, in-document, fuzzy, as-written.
    resolved_by: str = "as-written"


@dataclass(slots=True, kw_only=True)
class DateMention:
    """A date expression found in the text and the calendar date it resolves to."""

    text: str
    value: date
    precision: Precision
    #: How it was resolved: explicit, relative (to the publication date), anniversary…
    kind: str
    offset: int = 0


@dataclass(slots=True, kw_only=True)
class DatedValue:
    """A date with how sure we are and why: used for publication and event dates."""

    value: date | None = None
    precision: Precision = "unknown"
    confidence: float = 0.0
    basis: str = "not found"

    #: Below this confidence a date is an estimate, and shown as one.
    ESTIMATED_BELOW = 0.8

    @property
    def estimated(self) -> bool:
        return self.value is not None and self.confidence < self.ESTIMATED_BELOW

    def display(self) -> str:
        """As exact as it is: "2015-10-02", "Oct 2016" or "2008", with "≈ " for an estimate (a year
        estimate was shown as "2008-01-01")."""
        if self.value is None:
            return "unknown"
        shown = {"month": self.value.strftime("%b %Y"), "year": str(self.value.year)}.get(
            self.precision, self.value.isoformat())
        return f"≈ {shown}" if self.estimated else shown

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.value.isoformat() if self.value else None,
            "precision": self.precision,
            "estimated": self.estimated,
            "confidence": round(self.confidence, 2),
            "basis": self.basis,
        }


@dataclass(slots=True, kw_only=True)
class Article:
    """One news article, from raw input to enriched record.

    Fields are filled stage by stage: ingest sets ``raw_text`` and provenance,
    clean sets ``title``/``text``, then language, entities, dates and embedding.
    """

    id: str
    source: str
    raw_text: str
    url: str | None = None
    outlet: str | None = None
    title: str = ""
    text: str = ""
    lead: str = ""
    language: str | None = None
    language_confidence: float = 0.0
    published: DatedValue = field(default_factory=DatedValue)
    event_date: DatedValue = field(default_factory=DatedValue)
    entities: list[Entity] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    embedding: Any = None  # numpy vector of the title + lead, L2-normalised
    title_embedding: Any = None  # numpy vector of the title alone (headline event), L2-normalised
    #: Confidence of each extracted field (title, text, language, …) in [0, 1].
    confidence: dict[str, float] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    _hash: tuple[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def content_hash(self) -> str:
        """Hash of the raw content: the same article ingested twice is stored once (computed once
        per raw text: a 20 MB page took a second a call)."""
        if self._hash is None or self._hash[0] is not self.raw_text:
            self._hash = (self.raw_text, content_hash(self.raw_text))
        return self._hash[1]

    @property
    def full_text(self) -> str:
        """Title and text as the enrichment stages read them (offsets refer to this)."""
        return f"{self.title}\n\n{self.text}"

    @property
    def head_end(self) -> int:
        """Offset in :attr:`full_text` where the title and lead end: where news says what happened."""
        return len(self.title) + 2 + len("\n\n".join(self.lead.split("\n")))

    def to_json(self, *, with_text: bool = True) -> dict[str, Any]:
        """The public JSON shape of an article (``storyline articles --format json``)."""
        out: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "outlet": self.outlet,
            "author": self.extras.get("author"),
            "title": self.title,
            "language": self.language,
            "published": self.published.to_json(),
            "event_date": self.event_date.to_json(),
            "entities": [asdict(e) for e in self.entities],
            "dates": [
                {"text": d.text, "date": d.value.isoformat(), "precision": d.precision, "kind": d.kind}
                for d in self.dates
            ],
            "confidence": {k: round(v, 2) for k, v in self.confidence.items()},
        }
        if with_text:
            out["text"] = self.text
        return out


def content_hash(text: str) -> str:
    """A stable hash of normalised content (whitespace-insensitive)."""
    normalised = " ".join(text.split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
