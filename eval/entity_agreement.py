"""How well names are normalised across languages, measured on MEANTIME's translations: the same
article in English, Spanish, Italian and Dutch should name the same people, organisations and places
once resolved ("Apple Inc." = "Apple", "Steve Jobs" = "Jobs"). No entity gold ships for MEANTIME here,
so the measure is agreement: for each article and each other language, how many of the canonical names
found in the English version are found in the translation (recall of English names), how many found in
the translation are in the English one (precision against English), and the Jaccard of the two sets;
beside each, the same on the names as written (what resolution adds).

Usage: python eval/entity_agreement.py [--data ../shared/data/meantime/apple.jsonl]

It ingests the file with the shipped pipeline into a temporary database (the path ingest runs) and
reads the stored entities.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from storyline.pipeline import Pipeline
from storyline.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "meantime" / "apple.jsonl"))
    parser.add_argument("--types", default="PER,ORG,LOC")
    args = parser.parse_args()
    docs = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    group = {d["id"]: (d["doc_group"], d["lang"]) for d in docs}
    kinds = tuple(args.types.split(","))
    with tempfile.TemporaryDirectory() as tmp, SQLiteStore(Path(tmp) / "m.db") as store:
        Pipeline().ingest([args.data], store, progress=False)
        names: dict[tuple[str, str], set[str]] = defaultdict(set)
        written: dict[tuple[str, str], set[str]] = defaultdict(set)
        for row in store.conn.execute("SELECT article_id, text, canonical, type FROM entities").fetchall():
            if row["article_id"] in group and row["type"] in kinds:
                names[group[row["article_id"]]].add(row["canonical"])
                written[group[row["article_id"]]].add(row["text"])
    groups = {g for g, _ in group.values()}
    print(f"{len(groups)} articles, each in en and its translations; types {', '.join(kinds)}")
    print(f"{'pair':8s} {'names':10s} {'articles':>8s} {'recall of en names':>19s} {'precision vs en':>16s}"
          f" {'Jaccard':>8s}")
    for language, reading, table in [(lang, reading, table) for lang in ("es", "it", "nl")
                                     for reading, table in (("resolved", names), ("as written", written))]:
        recall, precision, jaccard, n = [], [], [], 0
        for doc_group in sorted(groups):
            english, other = table.get((doc_group, "en"), set()), table.get((doc_group, language), set())
            if not english and not other:
                continue
            n += 1
            shared = len(english & other)
            recall.append(shared / len(english) if english else 0.0)
            precision.append(shared / len(other) if other else 0.0)
            jaccard.append(shared / len(english | other))
        print(f"en-{language:5s} {reading:10s} {n:8d} {sum(recall) / n:19.3f} {sum(precision) / n:16.3f}"
              f" {sum(jaccard) / n:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
