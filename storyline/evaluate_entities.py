"""``storyline eval entities``: exact-span precision, recall and F1 of the people, organisations
and places Storyline finds, against gold sentences (``{"tokens": [...], "tags": [...]}``, IOB2).

Each sentence is read as ingest reads an article's text (its tokens joined by spaces), by the
same :class:`~storyline.stages.entities.EntityRecognizer`: three rows, so the parts can be told
apart: the whole stage as ingest runs it (NER, then the alias table and country names, then
resolution, which drops what it cannot type), the NER model's spans alone, and the stage without
NER (what a language without a model gets: the gazetteer only). A span counts when its start, end
and type are all right, as CoNLL's conlleval counts; MISC is not scored.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storyline.errors import StorylineError
from storyline.stages.entities import _LABELS, EntityRecognizer, model_spans
from storyline.stages.language import detect_language

TYPES = ("PER", "ORG", "LOC")
Span = tuple[int, int, str]


def iob_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """Token spans ``(start, end, label)`` of IOB2 tags, read as CoNLL's conlleval reads them: an
    I- tag with no B- before it starts a span, a B- after a B- starts another."""
    spans: list[tuple[int, int, str]] = []
    begin, label = None, None
    for i, tag in enumerate([*tags, "O"]):
        if begin is not None and not (tag.startswith("I-") and tag[2:] == label):
            spans.append((begin, i, label))
            begin, label = None, None
        if tag.startswith("B-") or (tag.startswith("I-") and begin is None):
            begin, label = i, tag[2:]
    return spans


def gold_sentence(record: dict[str, Any]) -> tuple[str, set[Span]]:
    """The sentence's text (tokens joined by spaces) and its gold PER/ORG/LOC character spans."""
    tokens, tags = record["tokens"], record["tags"]
    if not isinstance(tokens, list) or not isinstance(tags, list) or len(tokens) != len(tags):
        raise ValueError("tokens and tags must be lists of the same length")
    starts, position = [], 0
    for token in tokens:
        starts.append(position)
        position += len(token) + 1
    spans = {(starts[begin], starts[end - 1] + len(tokens[end - 1]), label)
             for begin, end, label in iob_spans(tags) if label in TYPES}
    return " ".join(tokens), spans


def _prf(tp: int, predicted: int, gold: int) -> dict[str, float]:
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


class _Tally:
    def __init__(self) -> None:
        self.tp: Counter[str] = Counter()
        self.predicted: Counter[str] = Counter()
        self.gold: Counter[str] = Counter()

    def add(self, predicted: set[Span], gold: set[Span]) -> None:
        for _, _, kind in predicted:
            self.predicted[kind] += 1
        for _, _, kind in gold:
            self.gold[kind] += 1
        for _, _, kind in predicted & gold:
            self.tp[kind] += 1

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {kind: _prf(self.tp[kind], self.predicted[kind], self.gold[kind]) for kind in TYPES}
        out["micro"] = _prf(sum(self.tp.values()), sum(self.predicted.values()), sum(self.gold.values()))
        return out


def evaluate_entities(path: str | Path, language: str | None = None, *, limit: int | None = None,
                      progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Scores of the three readings (see the module docstring) over the sentences of ``path``.

    ``language`` applies to every sentence; without it a sentence's ``lang`` field is used, and
    failing that the language is identified from the text, as ingest does."""
    stage, without_ner = EntityRecognizer(), EntityRecognizer(use_ner=False)
    tallies = {"pipeline": _Tally(), "ner_model_alone": _Tally(), "without_ner": _Tally()}
    sentences = 0
    languages: Counter[str] = Counter()
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if limit is not None and sentences >= limit:
                break
            try:
                record = json.loads(line)
            except ValueError as error:
                raise StorylineError("E004", path=path, line=number, detail=error) from error
            try:
                text, gold = gold_sentence(record)
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise StorylineError("E023", path=path, line=number, detail=error) from error
            lang = language or record.get("lang") or detect_language(text)[0]
            languages[lang or "und"] += 1
            spans = model_spans(text, lang)  # read once: the stage and the model's own row share it
            tallies["pipeline"].add(set(stage.typed_spans(text, spans)), gold)
            model = {(s, e, _LABELS[label]) for s, e, _, label in (spans or []) if _LABELS.get(label)}
            tallies["ner_model_alone"].add(model, gold)
            tallies["without_ner"].add(set(without_ner.typed_spans(text, None)), gold)
            sentences += 1
            if progress:
                progress(1)
    return {"sentences": sentences, "languages": dict(languages),
            "gold_spans": sum(tallies["pipeline"].gold.values()),
            **{name: tally.report() for name, tally in tallies.items()}}
