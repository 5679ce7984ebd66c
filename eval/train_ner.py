"""Train the NER pipelines shipped in ``storyline/data/ner/<lang>/`` (``make ner-models``; not run by CI).

Usage: python eval/train_ner.py --lang de [--data ../shared/data/ner] [--out storyline/data/ner]
       python eval/train_ner.py --lang de --halves .cache   # the held-out halves, to measure on
       python eval/train_ner.py --lang xx --max-steps 15000 --set components.tok2vec.model.encode.width=128
                                                            # one pipeline over all five, for nl, it, pt

No spaCy pipeline for German, Spanish, Dutch, Polish or Russian ships on PyPI (docs/models.md), so
Storyline trains small ones from the shared gold: CoNLL-2002/2003 news where the language has it,
and WikiANN for every language. Each is spaCy's CPU "efficiency" recipe (hash embeddings and a CNN)
with one addition: each word's vector from the multilingual embedder's subword table
(``storyline/stages/piece_vectors.py``), so nothing but weights is shipped: a few MB a language.
MISC is dropped (Storyline keeps people, organisations and places). Each val file is split in two
by line parity: the even lines choose the best checkpoint, the odd lines are never seen and give
the figures in the model card
(``storyline eval entities`` on them reproduces them through the shipped pipeline).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from storyline.stages.entities import MULTILINGUAL_TRAINED

ROOT = Path(__file__).resolve().parents[1]
#: Training data by language, in the order read: (corpus, file stem).
SOURCES = {
    "de": ("conll", "wikiann"), "es": ("conll", "wikiann"), "nl": ("conll", "wikiann"),
    "pl": ("wikiann",), "ru": ("wikiann",),
}
KEPT = {"PER", "ORG", "LOC"}
#: Dev sentences per corpus for checkpoint choice (spaCy scores the dev set at every evaluation);
#: the multilingual pipeline takes fewer of each of its eight.
DEV_LIMIT = {"xx": 400}
DEV_LIMIT_DEFAULT = 1500


def sources_of(lang: str) -> list[tuple[str, str]]:
    """The (corpus, language) training sets of a pipeline, in the order they are read. The
    multilingual one, ``xx``, learns the sets of every language in the entity stage's
    ``MULTILINGUAL_TRAINED`` (which it reads with the tokenizer it was trained with)."""
    if lang == "xx":
        return [(corpus, each) for corpus in ("conll", "wikiann") for each in MULTILINGUAL_TRAINED
                if corpus in SOURCES[each]]
    return [(corpus, lang) for corpus in SOURCES[lang]]


def sentences(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def to_doc(nlp, record: dict):
    """A spaCy Doc of the gold tokens with its PER/ORG/LOC spans (IOB2; MISC dropped).

    Its spaces are given (one after each token, as ``storyline eval entities`` and ingest read the
    sentence), so spaCy trains on its own tokenizer's reading aligned to the gold, not on the gold
    tokens: a model trained on WikiANN's tokens read Polish and Russian text 0.08 F1 worse than it
    read those tokens."""
    from spacy.tokens import Doc, Span

    from storyline.evaluate_entities import iob_spans

    words = record["tokens"]
    doc = Doc(nlp.vocab, words=words, spaces=[True] * (len(words) - 1) + [False] if words else [])
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in iob_spans(record["tags"])
                if label in KEPT]
    return doc


def repaired(record: dict) -> dict:
    """CoNLL-2003 German train reads "ß" as "ÿ" ("daÿ", "Straÿe"), a decoding slip: "ÿ" is no
    German letter."""
    return {**record, "tokens": [token.replace("ÿ", "ß") for token in record["tokens"]]}


def without_non_ascii(record: dict) -> dict | None:
    """The sentence with every non-ASCII letter deleted, as the shared CoNLL German val has it
    ("Saarbrcken", "fr", "Mdchen"), or None when nothing would change. Training on both spellings
    lets the model read text whose letters were lost on the way, as well as intact text."""
    tokens = ["".join(ch for ch in token if ord(ch) < 128) or token for token in record["tokens"]]
    return None if tokens == record["tokens"] else {**record, "tokens": tokens}


def halves(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """Even lines (checkpoint choice) and odd lines (never seen: the reported figures)."""
    return records[0::2], records[1::2]


def write_report_halves(lang: str, data: Path, out: Path) -> list[Path]:
    """The odd-line halves of each val file, as ``{"tokens","tags"}`` JSONL for ``storyline eval entities``."""
    written = []
    for corpus, each in sources_of(lang):
        _, report = halves(sentences(data / corpus / each / "val.jsonl"))
        path = out / f"ner-{corpus}-{each}-val-odd.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in report), encoding="utf-8")
        written.append(path)
    return written


def train(lang: str, data: Path, out: Path, max_steps: int, sources: list[tuple[str, str]],
          overrides: dict[str, object] | None = None, also: tuple[str, ...] = (), ascii_copies: bool = False) -> Path:
    """``also``: other languages' training sets to learn from too (``conll/es``): the subword
    vectors are shared across languages, so news sentences in Spanish teach Russian patterns
    ("minister X Y") that WikiANN's encyclopedic fragments lack. The dev set stays ``lang``'s.
    ``ascii_copies``: CoNLL German's "ÿ" is read as "ß" and its sentences are also learnt without
    their non-ASCII letters (:func:`without_non_ascii`; tried, not taken: docs/experiments.md)."""
    import spacy
    from spacy.cli.init_config import init_config
    from spacy.cli.train import train as spacy_train
    from spacy.tokens import DocBin

    import storyline.stages.piece_vectors  # noqa: F401  registers storyline.PieceEmbed.v1

    nlp = spacy.blank(lang)
    train_bin, dev_bin = DocBin(), DocBin()
    for corpus, each in sources:
        for record in sentences(data / corpus / each / "train.jsonl"):
            if ascii_copies and corpus == "conll" and each == "de":
                record = repaired(record)
                stripped = without_non_ascii(record)
                if stripped is not None:
                    train_bin.add(to_doc(nlp, stripped))
            train_bin.add(to_doc(nlp, record))
        dev, _ = halves(sentences(data / corpus / each / "val.jsonl"))
        for record in dev[:DEV_LIMIT.get(lang, DEV_LIMIT_DEFAULT)]:
            dev_bin.add(to_doc(nlp, record))
    for source in also:
        for record in sentences(data / source / "train.jsonl"):
            train_bin.add(to_doc(nlp, record))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        train_bin.to_disk(work / "train.spacy")
        dev_bin.to_disk(work / "dev.spacy")
        config = init_config(lang=lang, pipeline=["ner"], optimize="efficiency", gpu=False)
        config_path = work / "config.cfg"
        config.to_disk(config_path)
        # Eight corpora in one: evaluate less often and wait longer for the dev score to rise.
        every, patience = (1000, 4000) if lang == "xx" else (500, 2500)
        spacy_train(config_path, work / "output", overrides={
            "paths.train": str(work / "train.spacy"), "paths.dev": str(work / "dev.spacy"),
            "training.max_steps": max_steps, "training.eval_frequency": every, "training.patience": patience,
            "system.seed": 0, **(overrides or {})})
        target = out / lang
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(work / "output" / "model-best", target)
    describe(target, lang, tuple(f"{corpus}/{each}" for corpus, each in sources) + also)
    return target


def describe(target: Path, lang: str, corpora: tuple[str, ...]) -> None:
    """Name the shipped pipeline in its meta.json, drop the training run's temporary paths from its
    config (they are not read when loading) and empty its string store."""
    meta_path = target / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta |= {"name": f"storyline_ner_{lang}", "version": "1.0.0", "author": "Storyline",
             "description": f"People, organisations and places in {lang} news, trained by eval/train_ner.py on "
                            + " + ".join(corpora) + " (../shared/data/ner); card: docs/models.md",
             "license": "see docs/models.md (training data: " + ", ".join(corpora) + ")"}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # The string store holds every word of the training sets (7.5 MB for the multilingual pipeline),
    # and nothing reads it: the embeddings hash each word's text, the labels are kept in ner/moves.
    # Emptied, the pipeline finds the same spans (checked on 1,600 val sentences) in half the size.
    (target / "vocab" / "strings.json").write_text("[]", encoding="utf-8")
    config = target / "config.cfg"
    lines = config.read_text(encoding="utf-8").splitlines()
    config.write_text("\n".join("train = null" if line.startswith("train = ") else
                                "dev = null" if line.startswith("dev = ") else line for line in lines) + "\n",
                      encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lang", required=True, choices=[*sorted(SOURCES), "xx"],
                        help="a language, or xx: one multilingual pipeline over all of them (read for nl, it, pt)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ner")
    parser.add_argument("--out", type=Path, default=ROOT / "storyline" / "data" / "ner")
    parser.add_argument("--max-steps", type=int, default=8000)
    parser.add_argument("--no-subwords", action="store_true",
                        help="spaCy's hashed embeddings alone, without the embedder's subword vectors"
                             " (storyline.PieceEmbed.v1): the recipe of the first shipped models")
    parser.add_argument("--also", action="append", default=[], metavar="CORPUS/LANG",
                        help="another language's training set to learn from too, e.g. conll/es (repeatable)")
    parser.add_argument("--ascii-copies", action="store_true",
                        help="German: read CoNLL's 'ÿ' as 'ß' and learn its sentences also without their"
                             " non-ASCII letters, as its val file has them (not in the shipped model)")
    parser.add_argument("--no-conll", action="store_true",
                        help="train on WikiANN alone (CoNLL's texts were released for research; see docs/models.md)")
    parser.add_argument("--halves", type=Path, metavar="DIR",
                        help="only write the never-seen odd-line halves of the val files to DIR, as"
                             " ner-<corpus>-<lang>-val-odd.jsonl, for 'storyline eval entities'")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                        help="a spaCy config override, e.g. components.tok2vec.model.embed.rows=[10000,2000,5000,5000]")
    args = parser.parse_args()
    overrides = {key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)}
    if not args.no_subwords:
        overrides.setdefault("components.tok2vec.model.embed.@architectures", "storyline.PieceEmbed.v1")
    if args.halves:
        args.halves.mkdir(parents=True, exist_ok=True)
        for path in write_report_halves(args.lang, args.data, args.halves):
            print(path)
        return 0
    sources = [(c, each) for c, each in sources_of(args.lang) if not (args.no_conll and c == "conll")]
    target = train(args.lang, args.data, args.out, args.max_steps, sources, overrides, tuple(args.also),
                   args.ascii_copies)
    meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
    print(json.dumps({"lang": args.lang, "model": str(target), "dev_ents_f": meta.get("performance", {}).get("ents_f"),
                      "per_type": meta.get("performance", {}).get("ents_per_type")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
