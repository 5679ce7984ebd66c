"""Throughput of the entity stage per language (issue 19), on real text: the gold NER sentences
of ../shared/data/ner, joined 20 at a time into article-sized texts (about 2,000 characters), and
for Italian, which has no NER gold here (the multilingual pipeline reads it), MEANTIME's 30
Italian articles.

Usage: .venv/bin/python benchmarks/entities_speed.py [--data ../shared/data/ner] [--texts 50]

For each language: the model's load time, then milliseconds per text and characters per second
of the NER model alone and of the whole entity stage (NER, gazetteer, resolution) as ingest runs
it, one text at a time, after one warm-up text. The "floor" column is spaCy's blank tokenizer for
the language alone, what any spaCy pipeline must pay.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: One gold file per language (WikiANN for the languages without CoNLL, and for English).
FILES = {"de": "conll/de/val.jsonl", "es": "conll/es/val.jsonl", "nl": "conll/nl/val.jsonl",
         "pl": "wikiann/pl/val.jsonl", "ru": "wikiann/ru/val.jsonl", "en": "wikiann/en/val.jsonl"}


def texts_of(path: Path, count: int, per_text: int = 20) -> list[str]:
    sentences = [" ".join(json.loads(line)["tokens"]) for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    return [" ".join(sentences[i:i + per_text]) for i in range(0, per_text * count, per_text)]


def articles_of(path: Path, language: str, count: int) -> list[str]:
    """Whole articles of one language from a ``{"lang","title","text"}`` JSONL file (MEANTIME)."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [f"{r.get('title', '')}\n\n{r['text']}" for r in records if r.get("lang") == language][:count]


def timed(function, texts: list[str]) -> float:
    function(texts[0])
    started = time.perf_counter()
    for text in texts:
        function(text)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ner")
    parser.add_argument("--texts", type=int, default=50)
    parser.add_argument("--meantime", type=Path, default=ROOT.parent / "shared" / "data" / "meantime" / "apple.jsonl",
                        help="MEANTIME articles: the Italian row's texts")
    args = parser.parse_args()
    import spacy

    from storyline.article import Article
    from storyline.stages.entities import EntityRecognizer, load_ner, model_spans

    print("lang  load s  NER ms/text  stage ms/text  floor ms/text  NER chars/s")
    sets = [(lang, texts_of(args.data / name, args.texts)) for lang, name in FILES.items()]
    if args.meantime.is_file():
        sets.append(("it", articles_of(args.meantime, "it", args.texts)))
    for lang, texts in sets:
        started = time.perf_counter()
        if load_ner(lang) is None:
            print(f"{lang}: no NER model")
            continue
        load = time.perf_counter() - started
        stage = EntityRecognizer()
        ner = timed(lambda t, lang=lang: model_spans(t, lang), texts)
        whole = timed(lambda t, lang=lang, stage=stage: stage(
            Article(id="b", source="bench", raw_text=t, text=t, lead=t[:300], language=lang)), texts)
        blank = spacy.blank(lang)
        floor = timed(blank.make_doc, texts)
        chars = sum(len(t) for t in texts)
        n = len(texts)
        print(f"{lang:4}  {load:6.2f}  {1000 * ner / n:11.1f}  {1000 * whole / n:13.1f}  {1000 * floor / n:13.2f}"
              f"  {chars / ner:11,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
