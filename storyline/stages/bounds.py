"""How much of one article the enrichment stages read, and how they keep their cost linear.

A scraped page can be megabytes of text (a live blog, a table of dates, a broken scrape). No
single article may hold the writer for more than a few seconds (``benchmarks/input_size.py``
measures cost against size up to ``--max-bytes``), so:

* cleaning reads the first :data:`MAX_TEXT_CHARS` characters of the raw text (what is past them
  is left out and the article says so in ``extras["cut_at_chars"]``);
* entity lookups and date finding read the first :data:`ENRICH_MAX_CHARS` characters of
  ``Article.full_text`` (the whole text is still stored and searchable), and the NER model the
  first ``NER_MAX_CHARS`` (``storyline.stages.entities``);
* overlap checks between found spans go through :class:`SpanSet`, logarithmic per span, where a
  scan of every earlier span made a 1 MB article of dates take a minute.
"""

from __future__ import annotations

import bisect

from storyline.article import Article

#: Characters of raw text an article keeps: about 150,000 words, far past any news report, and
#: about half a second of cleaning. A 20 MB page of text is cut here instead of taking 20 s.
MAX_TEXT_CHARS = 1_000_000

#: Characters of title + text read for entities (past the NER model's part) and dates. About
#: 15,000 words: longer than nearly every news article, and about a second of work.
ENRICH_MAX_CHARS = 100_000


def enrichment_text(article: Article) -> str:
    """The part of :attr:`Article.full_text` the enrichment stages read (offsets unchanged)."""
    return article.full_text[:ENRICH_MAX_CHARS]


class SpanSet:
    """Non-overlapping half-open ``[start, end)`` spans; :meth:`add` refuses one that overlaps."""

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        at = bisect.bisect_right(self._starts, start)
        if at and self._ends[at - 1] > start:  # the span starting at or before ``start`` reaches past it
            return True
        return at < len(self._starts) and self._starts[at] < end  # the next span starts inside

    def add(self, start: int, end: int) -> bool:
        """Take the span unless it overlaps one already taken; says whether it was taken."""
        if self.overlaps(start, end):
            return False
        at = bisect.bisect_right(self._starts, start)
        self._starts.insert(at, start)
        self._ends.insert(at, end)
        return True
