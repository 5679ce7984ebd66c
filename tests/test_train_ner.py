"""The NER training script's data handling (no training: that is `make ner-models`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import spacy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))

from train_ner import halves, repaired, sources_of, to_doc, without_non_ascii, write_report_halves


def test_to_doc_keeps_people_organisations_and_places_and_drops_misc() -> None:
    doc = to_doc(spacy.blank("de"), {"tokens": ["Olaf", "Scholz", "sprach", "Deutsch", "in", "Berlin", "bei", "SAP"],
                                     "tags": ["B-PER", "I-PER", "O", "B-MISC", "O", "B-LOC", "O", "B-ORG"]})
    assert [(e.text, e.label_) for e in doc.ents] == [("Olaf Scholz", "PER"), ("Berlin", "LOC"), ("SAP", "ORG")]


def test_val_halves_are_disjoint_and_the_odd_one_is_written_for_eval(tmp_path: Path) -> None:
    rows = [{"tokens": [f"w{i}"], "tags": ["O"]} for i in range(7)]
    fit, report = halves(rows)
    assert [r["tokens"][0] for r in fit] == ["w0", "w2", "w4", "w6"] and len(report) == 3
    data = tmp_path / "ner"
    (data / "wikiann" / "pl").mkdir(parents=True)
    (data / "wikiann" / "pl" / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (written,) = write_report_halves("pl", data, tmp_path)
    assert written.name == "ner-wikiann-pl-val-odd.jsonl"
    assert [json.loads(line)["tokens"][0] for line in written.read_text().splitlines()] == ["w1", "w3", "w5"]


def test_a_training_doc_reads_its_sentence_as_ingest_does() -> None:
    """Its spaces are known, so spaCy trains on its own tokenizer's reading of the text (as ingest
    and `eval entities` give it), not on the gold tokens."""
    doc = to_doc(spacy.blank("pl"), {"tokens": ["Konstancin-Jeziorna", "leży", "."], "tags": ["B-LOC", "O", "O"]})
    assert doc.text == "Konstancin-Jeziorna leży ." and not doc.has_unknown_spaces
    assert [(e.text, e.label_) for e in doc.ents] == [("Konstancin-Jeziorna", "LOC")]


def test_german_conll_spellings_are_repaired_and_learnt_without_their_lost_letters() -> None:
    record = {"tokens": ["Straÿe", "in", "Saarbrücken"], "tags": ["O", "O", "B-LOC"]}
    assert repaired(record)["tokens"] == ["Straße", "in", "Saarbrücken"]
    assert without_non_ascii(repaired(record))["tokens"] == ["Strae", "in", "Saarbrcken"]
    assert without_non_ascii({"tokens": ["Berlin"], "tags": ["B-LOC"]}) is None  # nothing lost: no copy
    assert without_non_ascii({"tokens": ["Ω", "x"], "tags": ["O", "O"]}) is None  # a token is never emptied


def test_the_multilingual_pipeline_reads_every_languages_sets_news_first() -> None:
    assert sources_of("pl") == [("wikiann", "pl")]
    assert sources_of("xx") == [("conll", "de"), ("conll", "es"), ("conll", "nl"), ("wikiann", "de"),
                                ("wikiann", "es"), ("wikiann", "nl"), ("wikiann", "pl"), ("wikiann", "ru")]
