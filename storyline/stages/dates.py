"""Dates: find date expressions, resolve them, estimate publication and event dates.

News rarely says "11 November 2018" about its main event; it says "on Sunday",
"last week", "mid-September". Those resolve only against the publication date,
which scraped text often lacks. So resolution runs in three steps:

1. extract every expression (explicit dates, partial dates, weekdays, relative
   phrases, anniversaries such as "the 100th anniversary of the end of World War I");
2. fix the reference date: the given publication date, else an estimate from the
   text (latest explicit date or anniversary), else from photo captions;
3. resolve partial and relative expressions against it, and pick the event date
   from the title and lead, where news states what happened.

Rules cover English, French, German, Spanish, Italian and Dutch; other languages
get explicit numeric dates only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from storyline.article import Article, DatedValue, DateMention, Precision
from storyline.stages.bounds import SpanSet, enrichment_text

_MONTHS: dict[str, dict[str, int]] = {
    "en": {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
           "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
           "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12},
    "fr": {"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
           "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12},
    "de": {"januar": 1, "jänner": 1, "februar": 2, "märz": 3, "april": 4, "mai": 5, "juni": 6, "juli": 7,
           "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12},
    "es": {"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
           "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12},
    "it": {"gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7,
           "agosto": 8, "settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12},
    "nl": {"januari": 1, "februari": 2, "maart": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7, "augustus": 8,
           "september": 9, "oktober": 10, "november": 11, "december": 12},
}
_WEEKDAYS: dict[str, dict[str, int]] = {
    "en": {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6},
    "fr": {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6},
    "de": {"montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5,
           "sonnabend": 5, "sonntag": 6},
    "es": {"lunes": 0, "martes": 1, "miércoles": 2, "miercoles": 2, "jueves": 3, "viernes": 4, "sábado": 5,
           "sabado": 5, "domingo": 6},
    "it": {"lunedì": 0, "lunedi": 0, "martedì": 1, "martedi": 1, "mercoledì": 2, "mercoledi": 2, "giovedì": 3,
           "giovedi": 3, "venerdì": 4, "venerdi": 4, "sabato": 5, "domenica": 6},
    "nl": {"maandag": 0, "dinsdag": 1, "woensdag": 2, "donderdag": 3, "vrijdag": 4, "zaterdag": 5, "zondag": 6},
}
# (pattern, days offset or (unit, amount)) for relative phrases; amount sign: past is negative.
_RELATIVE: dict[str, list[tuple[str, tuple[str, int]]]] = {
    "en": [(r"today|this morning|tonight", ("day", 0)), (r"yesterday", ("day", -1)), (r"tomorrow", ("day", 1)),
           (r"last week", ("week", -1)), (r"next week", ("week", 1)), (r"last month", ("month", -1)),
           (r"next month", ("month", 1)), (r"last year", ("year", -1)), (r"next year", ("year", 1)),
           (r"a year ago", ("year", -1)), (r"(?P<n>\d+|two|three|four|five|six|seven|eight|nine|ten) years ago",
                                        ("year", -1)),
           (r"(?P<n>\d+|two|three|four|five|six) (?:days) ago", ("day", -1))],
    "fr": [(r"aujourd['’]hui|ce matin|ce soir", ("day", 0)), (r"hier", ("day", -1)), (r"demain", ("day", 1)),
           (r"la semaine (?:dernière|passée)", ("week", -1)), (r"la semaine prochaine", ("week", 1)),
           (r"le mois (?:dernier|passé)", ("month", -1)), (r"le mois prochain", ("month", 1)),
           (r"l['’]an(?:née)? (?:dernier|dernière|passé|passée)", ("year", -1)),
           (r"l['’]an(?:née)? prochaine?", ("year", 1)), (r"il y a (?P<n>\d+) ans", ("year", -1))],
    "de": [(r"heute", ("day", 0)), (r"gestern", ("day", -1)), (r"morgen", ("day", 1)),
           (r"(?:letzte|vergangene|vorige) Woche", ("week", -1)), (r"nächste Woche", ("week", 1)),
           (r"(?:letzten|vergangenen|vorigen) Monat", ("month", -1)),
           (r"(?:letztes|vergangenes|voriges) Jahr", ("year", -1)), (r"vor (?P<n>\d+) Jahren", ("year", -1))],
    "es": [(r"hoy", ("day", 0)), (r"ayer", ("day", -1)), (r"mañana", ("day", 1)),
           (r"la semana pasada", ("week", -1)), (r"el mes pasado", ("month", -1)),
           (r"el año pasado", ("year", -1)), (r"hace (?P<n>\d+) años", ("year", -1))],
    "it": [(r"oggi", ("day", 0)), (r"ieri", ("day", -1)), (r"domani", ("day", 1)),
           (r"la settimana scorsa", ("week", -1)), (r"il mese scorso", ("month", -1)),
           (r"l['’]anno scorso", ("year", -1)), (r"(?P<n>\d+) anni fa", ("year", -1))],
    "nl": [(r"vandaag", ("day", 0)), (r"gisteren", ("day", -1)), (r"morgen", ("day", 1)),
           (r"vorige week", ("week", -1)), (r"vorige maand", ("month", -1)), (r"vorig jaar", ("year", -1)),
           (r"(?P<n>\d+) jaar geleden", ("year", -1))],
}
_PART_OF_MONTH: dict[str, dict[str, int]] = {
    "en": {"early": 5, "mid": 15, "late": 25, "the end of": 28, "the beginning of": 3},
    "fr": {"début": 5, "mi": 15, "fin": 25, "courant": 15},
    "de": {"anfang": 5, "mitte": 15, "ende": 25},
    "es": {"principios de": 5, "mediados de": 15, "finales de": 25},
    "it": {"inizio": 5, "metà": 15, "fine": 25},
    "nl": {"begin": 5, "half": 15, "medio": 15, "eind": 25},
}
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "hundred": 100, "hundredth": 100, "fiftieth": 50, "twentieth": 20, "tenth": 10}
# Well-known anchors for anniversaries: (phrases, date).
_HISTORIC: list[tuple[tuple[str, ...], date]] = [
    (("end of world war i", "end of the first world war", "wwi armistice", "armistice", "end of the great war",
      "fin de la première guerre mondiale", "fin de la grande guerre", "ende des ersten weltkriegs",
      "fin de la primera guerra mundial", "fine della prima guerra mondiale", "einde van de eerste wereldoorlog"),
     date(1918, 11, 11)),
    (("end of world war ii", "end of the second world war", "victory in europe", "ve day",
      "fin de la seconde guerre mondiale", "fin de la deuxième guerre mondiale", "kriegsende",
      "ende des zweiten weltkriegs", "fin de la segunda guerra mundial", "fine della seconda guerra mondiale"),
     date(1945, 5, 8)),
    (("fall of the berlin wall", "chute du mur de berlin", "mauerfall", "caída del muro de berlín",
      "caduta del muro di berlino", "val van de berlijnse muur"), date(1989, 11, 9)),
    (("september 11 attacks", "9/11", "attentats du 11 septembre", "11. september"), date(2001, 9, 11)),
    (("d-day", "normandy landings", "débarquement de normandie", "débarquement en normandie"), date(1944, 6, 6)),
]
_CENTENARY = re.compile(r"\b(centenary|centennial|centenaire|hundertjahrfeier|centenario|honderdjarig)\b", re.I)
_ANNIVERSARY = re.compile(
    r"\b(?P<n>\d{1,3}|hundredth|fiftieth|twentieth|tenth)(?:st|nd|rd|th|e|ème|\.)?\s+"
    r"(?:anniversary|anniversaire|jahrestag|aniversario|anniversario|verjaardag)\s+(?P<of>of|de|du|des|del|della|"
    r"van)?\s*(?:the\s+|la\s+|le\s+|l['’])?(?P<what>[^.;,]{3,80})"
    r"|\b(?P<n2>\d{1,3}|hundred) years (?:since|after) (?:the\s+)?(?P<what2>[^.;,]{3,80})",
    re.IGNORECASE,
)
_YEAR_CONTEXT = re.compile(r"\b(?:in|en|im|nel|del|since|depuis|seit|desde|dal|sinds|from|until|of|de|von|"
                           r"van|in early|in late)\s+(?P<y>1[89]\d\d|20\d\d)\b(?!\s*[-–]?\s*\d)", re.I)
_ISO = re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])\b")
_NUMERIC = re.compile(r"\b(?P<a>\d{1,2})[./](?P<b>\d{1,2})[./](?P<y>(?:19|20)\d\d)\b")


@dataclass(slots=True)
class _Found:
    """An expression before resolution."""

    text: str
    offset: int
    kind: str  # explicit | partial | weekday | relative | anniversary | year
    value: date | None = None
    precision: Precision = "day"
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    modifier: str = ""  # last | next | ""
    unit: str = ""
    amount: int = 0
    in_caption: bool = False


def find_expressions(text: str, language: str | None, *, in_caption: bool = False) -> list[_Found]:
    """Every date expression in ``text``, unresolved, in text order."""
    lang = language if language in _MONTHS else "en"
    months = _MONTHS[lang]
    month_alt = "|".join(sorted(map(re.escape, months), key=len, reverse=True))
    found: list[_Found] = []
    taken = SpanSet()

    def add(match: re.Match[str], item: _Found) -> None:
        if not taken.add(*match.span()):
            return
        item.in_caption = in_caption
        found.append(item)

    flags = re.IGNORECASE
    for m in _ANNIVERSARY.finditer(text):
        n_raw = m.group("n") or m.group("n2")
        what = (m.group("what") or m.group("what2") or "").lower()
        # "the 50th anniversary of its founding in 1953" counts from 1953; in "the 50th anniversary
        # celebration in 2003" the year is the anniversary's own, so only a named event anchors it.
        anchor = _anchor(what, year_allowed=bool(m.group("of") or m.group("what2")))
        n = int(n_raw) if n_raw.isdigit() else _NUMBER_WORDS.get(n_raw.lower(), 0)
        if anchor and n:
            add(m, _Found(m.group(0), m.start(), "anniversary", _shift_years(anchor, n), "day"))
    for m in _CENTENARY.finditer(text):
        window = text[max(0, m.start() - 60): m.end() + 80].lower()
        anchor = _anchor(window)
        if anchor:
            add(m, _Found(m.group(0), m.start(), "anniversary", _shift_years(anchor, 100), "day"))
    for m in _ISO.finditer(text):
        add(m, _Found(m.group(0), m.start(), "explicit",
                      safe_date(int(m["y"]), int(m["m"]), int(m["d"])), "day"))
    for m in _NUMERIC.finditer(text):
        a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
        day_first = lang != "en" or a > 12
        d, mo = (a, b) if day_first else (b, a)
        if lang == "en" and a <= 12 and b <= 12:
            continue  # 03/04/2018 is ambiguous in English
        value = safe_date(y, mo, d)
        if value:
            add(m, _Found(m.group(0), m.start(), "explicit", value, "day"))
    day_suffix = r"(?:st|nd|rd|th|er|e|\.|º)?"
    patterns = [
        # 11 November 2018 / 11 novembre 2018 / 11. November 2018 / 11 de noviembre de 2018
        (rf"\b(?P<d>[0-3]?\d){day_suffix}\s+(?:de\s+)?(?P<mon>{month_alt})\.?"
         rf"(?:,?\s+(?:de\s+|del\s+)?(?P<y>(?:19|20)\d\d))?\b", "dmy"),
        # November 11, 2018 / Sept. 27
        (rf"\b(?P<mon>{month_alt})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>(?:19|20)\d\d)\b)?", "mdy"),
        # November 2018 / novembre 2018
        (rf"\b(?P<mon>{month_alt})\.?\s+(?:de\s+|del\s+)?(?P<y>(?:19|20)\d\d)\b", "my"),
    ]
    for pattern, shape in patterns:
        if shape == "mdy" and lang != "en":
            continue
        for m in re.finditer(pattern, text, flags):
            month = months.get(m["mon"].lower().rstrip("."))
            if month is None or (m["mon"].lower() == "may" and not m["mon"][0].isupper()):
                continue
            day = int(m["d"]) if "d" in m.groupdict() and m["d"] else None
            year = int(m["y"]) if m["y"] else None
            if day is not None and not 1 <= day <= 31:
                continue
            if year:
                value = safe_date(year, month, day or 1)
                if value:
                    add(m, _Found(m.group(0), m.start(), "explicit", value, "day" if day else "month"))
            elif day:
                add(m, _Found(m.group(0), m.start(), "partial", None, "day", month=month, day=day))
    parts = _PART_OF_MONTH.get(lang, {})
    if parts:
        part_alt = "|".join(sorted(map(re.escape, parts), key=len, reverse=True))
        for m in re.finditer(rf"\b(?P<part>{part_alt})[\s-]+(?:of\s+)?(?P<mon>{month_alt})\b", text, flags):
            month = months.get(m["mon"].lower())
            if (month and m["mon"][0].isupper()) or (month and lang != "en"):
                add(m, _Found(m.group(0), m.start(), "partial", None, "month", month=month,
                              day=parts[m["part"].lower()]))
    preps = {"en": "in|since|by|until", "fr": "en|depuis|d['’]ici|au mois de", "de": "im|seit|bis",
             "es": "en|desde|hasta", "it": "a|in|da|fino a", "nl": "in|sinds|tot"}[lang]
    for m in re.finditer(rf"\b(?:{preps})\s+(?P<mon>{month_alt})\b(?!\s*\d)", text, flags):
        month = months.get(m["mon"].lower())
        if month and (lang != "en" or m["mon"][0].isupper()):
            add(m, _Found(m.group(0), m.start(), "partial", None, "month", month=month, day=15))
    weekdays = _WEEKDAYS.get(lang, _WEEKDAYS["en"])
    wd_alt = "|".join(sorted(map(re.escape, weekdays), key=len, reverse=True))
    before = (r"last|past|this|next|dernier|prochain|letzten|vergangenen|nächsten|pasado|próximo|scorso|prossimo|"
              r"vorige|afgelopen|volgende")
    after = r"dernier|prochain|pasado|próximo|scorso|prossimo"
    for m in re.finditer(rf"\b(?:(?P<mod>{before})\s+)?(?P<wd>{wd_alt})(?:\s+(?P<mod2>{after}))?\b", text, flags):
        if lang == "en" and not m["wd"][0].isupper():
            continue
        modifier = (m["mod"] or m["mod2"] or "").lower()
        direction = "next" if modifier in {"next", "prochain", "nächsten", "próximo", "prossimo", "volgende"} else (
            "last" if modifier else "")
        add(m, _Found(m.group(0), m.start(), "weekday", weekday=weekdays[m["wd"].lower()], modifier=direction))
    for pattern, (unit, sign) in _RELATIVE.get(lang, []):
        for m in re.finditer(rf"\b(?:{pattern})\b", text, flags):
            n_raw = m.groupdict().get("n")
            n = (int(n_raw) if n_raw.isdigit() else _NUMBER_WORDS.get(n_raw.lower(), 1)) if n_raw else 1
            add(m, _Found(m.group(0), m.start(), "relative", unit=unit, amount=sign * n))
    for m in _YEAR_CONTEXT.finditer(text):
        add(m, _Found(m.group(0), m.start(), "year", safe_date(int(m["y"]), 1, 1), "year"))
    found.sort(key=lambda f: f.offset)
    return found


def resolve(item: _Found, reference: date | None, reference_precision: Precision = "day") -> DateMention | None:
    """Turn an expression into a calendar date, given the reference (publication) date.

    A weekday or "yesterday" read against a reference known only to the month (estimated from
    "December 2008" in the text) is no surer than that month: resolved to a day, it would claim
    a date the text never gives, and a background month would date the news to its first day.
    """
    if item.value is not None:
        return DateMention(text=item.text, value=item.value, precision=item.precision, kind=item.kind,
                           offset=item.offset)
    if reference is None:
        return None
    value: date | None = None
    precision: Precision = "day"
    if item.kind == "partial" and item.month:
        value = _closest_past(reference, item.month, item.day or 1)
        precision = item.precision
    elif item.kind == "weekday" and item.weekday is not None:
        delta = (reference.weekday() - item.weekday) % 7
        if item.modifier == "next":
            value = reference + timedelta(days=(item.weekday - reference.weekday()) % 7 or 7)
        else:
            value = reference - timedelta(days=delta if (delta or item.modifier != "last") else 7)
    elif item.kind == "relative":
        if item.unit == "day":
            value = reference + timedelta(days=item.amount)
        elif item.unit == "week":
            value, precision = reference + timedelta(weeks=item.amount), "week"
        elif item.unit == "month":
            month_index = reference.year * 12 + reference.month - 1 + item.amount
            value, precision = date(month_index // 12, month_index % 12 + 1, 15), "month"
        elif item.unit == "year":
            value, precision = safe_date(reference.year + item.amount, 7, 1), "year"
    if value is None:
        return None
    if precision == "day" and reference_precision in ("month", "year"):
        precision = reference_precision
    return DateMention(text=item.text, value=value, precision=precision, kind=item.kind, offset=item.offset)


class DateResolver:
    """Pipeline stage: fills ``dates``, ``published`` (when estimated) and ``event_date``."""

    needs = ("text", "language")
    sets = ("dates", "published", "event_date")
    stateless = True  # depends on the article alone: may run on a worker

    def __call__(self, article: Article) -> Article:
        found = find_expressions(enrichment_text(article), article.language)
        captions = [f for c in article.extras.get("captions", []) for f in
                    find_expressions(c, article.language, in_caption=True)]
        if article.published.value is None:
            article.published = estimate_publication(found, captions)
        reference, precision = article.published.value, article.published.precision
        article.dates = [m for m in (resolve(f, reference, precision) for f in found) if m is not None]
        article.event_date = pick_event_date(article.dates, article.head_end, article.published)
        weekday = next((f.weekday for f in found if f.kind == "weekday" and f.offset < article.head_end), None)
        if weekday is not None:
            article.extras["event_weekday"] = weekday
        article.confidence["published"] = article.published.confidence
        article.confidence["event_date"] = article.event_date.confidence
        return article


#: A text that names a year this long after its latest full date was written after that date: the
#: date is background (an obituary's "born April 22, 1923" beside "in 1992"), not its publication.
BACKGROUND_YEARS = 10


def estimate_publication(found: list[_Found], captions: list[_Found]) -> DatedValue:
    """The latest explicit date or anniversary in the text; else the latest caption date. Never a
    date after today: an article cannot be published later than it is read (a schedule or a
    misread anniversary can name one)."""
    latest = date.today() + timedelta(days=1)
    found = [f for f in found if f.value is None or f.value <= latest]
    captions = [f for f in captions if f.value is None or f.value <= latest]
    anchors = [f for f in found if f.kind in {"explicit", "anniversary"} and f.value and f.precision == "day"]
    if anchors:
        best = max(anchors, key=lambda f: f.value or date.min)
        anchor = best.value or date.min
        later = max((f.value for f in found if f.value and f.value.year >= anchor.year + BACKGROUND_YEARS),
                    default=None)
        if later is not None:  # an obituary's birth date, a scandal's old dates: the news is later
            said = next(f.text for f in found if f.value == later)
            return DatedValue(value=date(later.year, 1, 1), precision="year", confidence=0.2,
                              basis=f"estimated: latest year in text ({said!r}), after the latest date ({best.text!r})")
        basis = "anniversary" if best.kind == "anniversary" else "latest date in text"
        return DatedValue(value=best.value, precision="day", confidence=0.5,
                          basis=f"estimated: {basis} ({best.text!r})")
    months = [f for f in found if f.kind == "explicit" and f.value]
    if months:
        best = max(months, key=lambda f: f.value or date.min)
        return DatedValue(value=best.value, precision="month", confidence=0.3,
                          basis=f"estimated: latest month in text ({best.text!r})")
    dated_captions = [f for f in captions if f.kind == "explicit" and f.value and f.precision == "day"]
    if dated_captions:
        best = max(dated_captions, key=lambda f: f.value or date.min)
        return DatedValue(value=best.value, precision="day", confidence=0.4,
                          basis=f"estimated: photo caption ({best.text!r})")
    return DatedValue(basis="no date in text")


def pick_event_date(mentions: list[DateMention], head_end: int, published: DatedValue) -> DatedValue:
    """The first day-precise date in the title or lead, else the publication date."""
    reference = published.value
    for mention in mentions:
        if mention.offset >= head_end or mention.precision != "day":
            continue
        if reference and (mention.value - reference).days > 7:
            continue  # a scheduled future date is not what is reported
        if reference and (reference - mention.value).days > 31 and mention.kind != "anniversary":
            continue  # background ("since 2011") is not the news
        confidence = 0.8 if published.confidence >= 0.8 or mention.kind in {"explicit", "anniversary"} else 0.6
        return DatedValue(value=mention.value, precision="day", confidence=confidence,
                          basis=f"{mention.kind} date in lead: {mention.text!r}")
    if reference:
        return DatedValue(value=reference, precision=published.precision,
                          confidence=round(published.confidence * 0.7, 2), basis="publication date")
    return DatedValue(basis="no datable expression")


def _anchor(phrase: str, *, year_allowed: bool = True) -> date | None:
    year = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", phrase) if year_allowed else None
    if year:
        return date(int(year.group(1)), 1, 1)
    phrase = phrase.lower()
    if re.search(r"\b(start|outbreak|beginning|début|beginn|inicio|inizio)\b", phrase):
        return None
    for names, when in _HISTORIC:
        if any(name in phrase for name in names):
            return when
    return None


def _shift_years(anchor: date, years: int) -> date:
    return safe_date(anchor.year + years, anchor.month, anchor.day) or date(anchor.year + years, anchor.month, 28)


def _closest_past(reference: date, month: int, day: int) -> date | None:
    """The most recent (month, day) on or before the reference, allowing a week ahead."""
    for year in (reference.year + 1, reference.year, reference.year - 1):
        candidate = safe_date(year, month, day)
        if candidate and candidate <= reference + timedelta(days=7):
            return candidate
    return None


def safe_date(year: int, month: int, day: int) -> date | None:
    """A calendar date, or None for impossible days and absurd years (year 0, 9999)."""
    if not 1800 <= year <= 2200:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None
