"""Titles people read: an event is headed by its most representative headline, never a dateline.

Scraped pages often give a dateline as their title ("September 15, 2013 11: 26 pm", "Updated:
November 11, 2011 20: 09 IST", "MONDAY, MAY 23, 2005"). An event used to take its first
article's title as it came. Now :func:`event_title` picks, among its articles' titles that say
something, the one sharing most words with the others (the headline the reports agree on),
in the reader's language when one of them is in it. :func:`story_label` heads a story with
the title of its largest event.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"[^\W\d_]{3,}")
#: Distinct headlines compared when heading a big event (the most common ones).
MOST_COMMON_TITLES = 100
#: Words a dateline is made of, in the languages Storyline reads best (weekdays, months, the
#: words around a time stamp).
DATELINE_WORDS = frozenset("""
monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
updated posted published last modified edited date time today yesterday
gmt utc bst cet cest est edt pst pdt cst cdt mst mdt ist aest jst
lundi mardi mercredi jeudi vendredi samedi dimanche janvier février mars avril mai juin juillet août
septembre octobre novembre décembre publié mis jour modifié
montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar märz juni juli august oktober
dezember aktualisiert veröffentlicht uhr
lunes martes miércoles jueves viernes sábado domingo enero febrero marzo abril mayo junio julio agosto
septiembre octubre noviembre diciembre actualizado publicado
""".split())  # noqa: SIM905 (a word list reads better as text)


def is_dateline(title: str | None) -> bool:
    """Is this "title" only a date, a time or a time stamp (no word that says what happened)?"""
    words = [w for w in _WORD.findall((title or "").lower()) if w not in DATELINE_WORDS]
    return not words


def event_title(titles: Sequence[tuple[str | None, str | None]], *, language: str | None = None,
                fallback: str = "") -> str:
    """The headline of an event from its articles' ``(title, language)``: the one sharing most words
    with the others, among those in ``language`` when there are any (by default the language most
    of them are in); ``fallback`` when no title says anything (then a lead sentence is better than
    a date).

    Titles with the same words are weighed once, times how many reports carry them, and a big event
    is headed from its :data:`MOST_COMMON_TITLES` most common headlines: the pairwise comparison
    otherwise costs seconds for an event of a thousand reprints (measured: 6 s for a page).
    """
    usable = [(t.strip(), lang) for t, lang in titles if t and t.strip() and not is_dateline(t)]
    if not usable:
        return fallback
    if not language:  # the language most of its reports are in (ties: the first report's)
        counts = Counter(lang for _, lang in usable)
        first = {lang: -i for i, (_, lang) in reversed(list(enumerate(usable)))}
        language = max(counts, key=lambda lang: (counts[lang], first[lang]))
    groups: dict[frozenset[str], list[int]] = {}  # one word set: the reports carrying it, in order
    for i, (title, _) in enumerate(usable):
        groups.setdefault(frozenset(_WORD.findall(title.lower())) - DATELINE_WORDS, []).append(i)
    kept = sorted(groups.items(), key=lambda g: (-len(g[1]), g[1][0]))[:MOST_COMMON_TITLES]
    in_language = [(words, members) for words, members in kept
                   if any(usable[i][1] == language for i in members)]

    def agreement(words: frozenset[str]) -> float:
        return sum(len(members) * len(words & other) / len(words | other)
                   for other, members in kept if words | other) - (1.0 if words else 0.0)  # not with itself

    def first_in_language(members: list[int]) -> int:
        return next((i for i in members if usable[i][1] == language), members[0])

    choices = [(words, first_in_language(members) if in_language else members[0])
               for words, members in (in_language or kept)]
    _, best = max(choices, key=lambda c: (agreement(c[0]), -c[1]))  # ties: the earliest report
    return usable[best][0]


def lead_phrase(lead: str | None, words: int = 14) -> str:
    """The first sentence of a lead, cut to ``words`` words: a title for a report whose title is a date."""
    sentence = re.split(r"(?<=[.!?])\s", (lead or "").strip(), maxsplit=1)[0]
    cut = sentence.split()
    return " ".join(cut[:words]) + ("…" if len(cut) > words else "")


def story_label(events: Sequence[dict], fallback: str) -> str:
    """A story's label: the title of its largest event (ties: the latest), else ``fallback``."""
    titled = [e for e in events if e.get("title") and not is_dateline(e["title"])]
    if not titled:
        return fallback
    return max(titled, key=lambda e: (len(e["articles"]) if isinstance(e["articles"], list) else e["articles"],
                                      e.get("date") or ""))["title"]
