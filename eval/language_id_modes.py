"""Does lingua's low-accuracy mode give the language its full mode gives, on the shared sets?

Storyline runs the low-accuracy mode (0.6 s and 66 MB to load, against 14 s and 900 MB). This
prints, per set that states a language, the accuracy of both modes against it and how often they
agree (docs/evaluation.md, *Language identification*).

    .venv/bin/python eval/language_id_modes.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lingua import LanguageDetectorBuilder


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    data = parser.parse_args().shared / "data"
    if not data.is_dir():
        raise SystemExit(f"{data} is not here: pass --shared PATH")
    def titled(record: dict) -> str:
        return f"{record.get('title') or ''}\n{record['text']}"

    semeval = _lines(data / "semeval8/train.jsonl")
    sets = {
        "MEANTIME Apple": [(r["lang"], titled(r)) for r in _lines(data / "meantime/apple.jsonl")],
        "ECB+ dev": [("en", titled(r)) for r in _lines(data / "ecbplus/dev.jsonl")],
        "GoogleNews dev (1,500)": [("en", r["text"]) for r in _lines(data / "googlenews/dev.jsonl")[:1500]],
        "SemEval-8 train": [(r[f"lang{side}"], r[f"text{side}"]) for r in semeval for side in "12"],
    }
    modes = {"full": LanguageDetectorBuilder.from_all_languages().build(),
             "low": LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()}
    for name, items in sets.items():
        found = {}
        for mode, detector in modes.items():
            started = time.perf_counter()
            found[mode] = [(values[0].language.iso_code_639_1.name.lower() if values else None)
                           for values in (detector.compute_language_confidence_values(t[:1500]) for _, t in items)]
            accuracy = sum(g == lang for (lang, _), g in zip(items, found[mode], strict=True)) / len(items)
            ms = 1000 * (time.perf_counter() - started) / len(items)
            print(f"{name:24} {mode:4} accuracy {accuracy:.4f}  {ms:.1f} ms/doc")
        agree = sum(a == b for a, b in zip(found["full"], found["low"], strict=True))
        print(f"{name:24} the modes agree on {agree}/{len(items)}")


if __name__ == "__main__":
    main()
