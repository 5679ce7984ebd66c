"""`storyline eval entities`: gold spans from IOB2 tags, the three readings, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from storyline.cli import main
from storyline.evaluate_entities import evaluate_entities, gold_sentence


def test_gold_sentence_spans_from_iob2_tags() -> None:
    text, spans = gold_sentence({"tokens": ["Angela", "Merkel", "met", "EU", "Paris", "Saint", "Germain", "fans"],
                                 "tags": ["B-PER", "I-PER", "O", "B-MISC", "B-ORG", "I-ORG", "I-ORG", "O"]})
    assert text == "Angela Merkel met EU Paris Saint Germain fans"
    assert spans == {(0, 13, "PER"), (21, 40, "ORG")}  # MISC is not scored
    # an I- tag with no B- before it starts a span (as conlleval reads it); B- after B- starts another
    _, spans = gold_sentence({"tokens": ["Rome", "Paris", "London"], "tags": ["I-LOC", "B-LOC", "B-LOC"]})
    assert spans == {(0, 4, "LOC"), (5, 10, "LOC"), (11, 17, "LOC")}


def test_eval_entities_scores_the_stage_ingest_runs(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    rows = [{"tokens": ["Maria", "Jansen", "visited", "Paris", "on", "Monday", "."],
             "tags": ["B-PER", "I-PER", "O", "B-LOC", "O", "O", "O"]},
            {"tokens": ["Nothing", "here", "."], "tags": ["O", "O", "O"]}]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = evaluate_entities(gold, "en")
    assert report["sentences"] == 2 and report["gold_spans"] == 2 and report["languages"] == {"en": 2}
    assert report["pipeline"]["micro"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert report["ner_model_alone"]["PER"]["f1"] == 1.0
    # without NER only the gazetteer reads: Paris is a known place, Maria Jansen is not in the table
    assert report["without_ner"]["LOC"]["recall"] == 1.0 and report["without_ner"]["PER"]["recall"] == 0.0
    result = CliRunner().invoke(main, ["eval", "entities", "--data", str(gold), "--lang", "en", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "as ingest runs it" in result.output and "micro F1" in result.output


def test_eval_entities_bad_lines_are_clear_errors(tmp_path: Path) -> None:
    for content, code in (('{"tokens": ["a"], "tags": ["O", "O"]}\n', "E023"), ("not json\n", "E004"),
                          ('{"tags": ["O"]}\n', "E023")):
        gold = tmp_path / "bad.jsonl"
        gold.write_text(content, encoding="utf-8")
        result = CliRunner().invoke(main, ["eval", "entities", "--data", str(gold), "--lang", "en", "--no-progress"])
        assert result.exit_code != 0
        assert code in result.output and "line 1" in result.output and "Traceback" not in result.output
