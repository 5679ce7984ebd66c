"""How well Storyline tells copies from independent reports: plant light-edited reprints of ECB+ dev
reports under other outlets, ingest everything with the shipped pipeline, and count the plants that
end up in their original's event marked as its copy (so the event's independent-source count is
unchanged).

Usage: python eval/planted_reprints.py [--data ../shared/data/ecbplus/dev.jsonl] [--plants 60]

Each reprint is the original with a new headline, one sentence after the first dropped, a line
added ("This article first appeared on ..."), some words changed, and a URL on another site: what a
syndicated or aggregated copy looks like. Also prints how many same-event pairs of the originals
are marked as copies (ECB+ keeps some wire rewrites: read them before calling one a false copy).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from pathlib import Path

from storyline.link.copies import event_independence
from storyline.pipeline import Pipeline
from storyline.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
SWAPS = {"said": "stated", "says": "states", "police": "officers", "Tuesday": "on Tuesday", "people": "persons"}


def reprint(doc: dict, rng: random.Random, number: int) -> dict:
    sentences = [s for s in _SENTENCE.split(doc["text"]) if s.strip()]
    if len(sentences) > 3:
        del sentences[rng.randrange(1, len(sentences))]
    text = " ".join(" ".join(SWAPS.get(w, w) for w in s.split(" ")) for s in sentences)
    text += f" This article first appeared on {doc.get('source_url') or 'the wire'}."
    title = doc.get("title") or ""
    return {"id": f"plant{number}_{doc['id']}", "title": f"REPORT: {title}" if title else "",
            "text": text, "url": f"https://aggregator{number % 7}.example.net/news/{number}", "lang": doc.get("lang"),
            "date": doc.get("date")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ecbplus" / "dev.jsonl"))
    parser.add_argument("--plants", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    docs = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(args.seed)
    chosen = rng.sample([d for d in docs if len(d["text"]) > 400], min(args.plants, len(docs)))
    plants = {f"plant{n}_{d['id']}": d["id"] for n, d in enumerate(chosen)}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        lines = [json.dumps({"id": d["id"], "title": d.get("title"), "text": d["text"], "lang": d.get("lang"),
                             "url": d.get("source_url"), "date": d.get("date")}) for d in docs]
        lines += [json.dumps(reprint(d, rng, n)) for n, d in enumerate(chosen)]
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with SQLiteStore(Path(tmp) / "planted.db") as store:
            Pipeline().ingest([str(corpus)], store, progress=False)
            right, wrong = 0, []
            flagged = same_event_pairs = 0
            for event in store.events():
                info = event_independence(store, event["event_id"])
                members = {a["id"] for a in event["articles"]}
                copy_of = {c["id"]: c["copy_of"] for c in info["copies"]}

                def origin(article: str, copy_of: dict = copy_of) -> str:
                    while article in copy_of:
                        article = copy_of[article]
                    return article
                for plant, original in plants.items():
                    if plant in members:
                        ok = original in members and origin(plant) == origin(original)
                        right += ok
                        if not ok:
                            wrong.append((plant, event["event_id"], original in members))
                originals = [m for m in members if m not in plants]
                same_event_pairs += len(originals) * (len(originals) - 1) // 2
                flagged += sum(1 for c in info["copies"] if c["id"] not in plants and c["copy_of"] not in plants)
    print(f"planted reprints marked as copies of their original, in its event: {right}/{len(plants)}"
          f" ({100 * right / max(1, len(plants)):.1f}%)")
    for plant, event, together in wrong:
        print(f"  missed: {plant} in {event}" + ("" if together else " (not in its original's event)"))
    print(f"pairs of original reports marked as copies: {flagged} (of {same_event_pairs} same-event pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
