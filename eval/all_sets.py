"""Every shared set's event figures side by side, through the commands a user runs.

Usage: python eval/all_sets.py [--data ../shared/data] [--seeds ../shared/seeds] [--format table|json]
(``make eval`` runs it.)

Each gold set goes through ``storyline eval clustering`` (exactly ``storyline ingest`` into a
fresh database, the stored events scored, the TF-IDF + average-linkage baseline beside them);
the seeds go through ``storyline ingest`` + ``storyline export``, scored against their gold
reading. Two sets run at a time (the machine has two cores). A model change is taken only if no
row loses more than noise (issue 17: one model, every regime), so the rows say which sets the
shipped model was trained on and which it never saw.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from storyline.evaluate import split_by_label
from storyline.metrics import bcubed

ROOT = Path(__file__).resolve().parents[1]
STORYLINE = [sys.executable, "-m", "storyline.cli"]
#: The seeds' gold reading: 000 and 001 report one meeting; 002, 003 and 004 are events of their own.
SEEDS_GOLD = {"000": "meeting", "001": "meeting", "002": "visit", "003": "summit-2015", "004": "other"}


def gold_sets(data: Path) -> list[tuple[str, Path, str, str]]:
    """``(name, file, gold label, role)``: what the shipped model saw of each set."""
    fit, holdout = split_by_label(data / "googlenews" / "dev.jsonl", ROOT / ".cache")
    return [
        ("ECB+ dev", data / "ecbplus" / "dev.jsonl", "cluster", "never trained on"),
        ("ECB+ train", data / "ecbplus" / "train.jsonl", "cluster", "trained on"),
        ("MEANTIME Apple, 4 languages", data / "meantime" / "apple.jsonl", "doc_group", "trained on"),
        ("GoogleNews dev, held-out half", holdout, "cluster", "never trained on"),
        ("GoogleNews dev, fitted half", fit, "cluster", "trained on"),
    ]


def run_gold(name: str, path: Path, label: str, role: str) -> dict:
    result = subprocess.run([*STORYLINE, "eval", "clustering", "--data", str(path), "--label", label,
                             "--format", "json", "--no-progress"], capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(f"{name}: storyline eval clustering failed:\n{result.stderr or result.stdout}")
    report = json.loads(result.stdout)
    ours, baseline = report["total"]["bcubed"], report["baseline"]["total"]["bcubed"]
    return {"set": name, "role": role, "articles": report["articles"], "gold_events": report["gold_events"],
            "events": report["predicted_events"], "bcubed_f1": round(ours["f1"], 3),
            "precision": round(ours["precision"], 3), "recall": round(ours["recall"], 3),
            "kept_whole": report["gold_events_kept_whole"], "tfidf_f1": round(baseline["f1"], 3),
            "failed": report["ingest"]["failed"]}


def run_seeds(seeds: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "seeds.db")
        for command in (["ingest", str(seeds), "--db", db, "--no-progress"], ["export", "--db", db]):
            result = subprocess.run([*STORYLINE, *command], capture_output=True, text=True, check=False)
            if result.returncode:
                raise SystemExit(f"seeds: storyline {command[0]} failed:\n{result.stderr or result.stdout}")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    predicted = {row["id"][:3]: row["event_id"] for row in rows if row["id"][:3] in SEEDS_GOLD}
    gold = {key: SEEDS_GOLD[key] for key in predicted}
    score = bcubed(gold, predicted)
    return {"set": "seeds (gold reading)", "role": "never trained on", "articles": len(rows),
            "gold_events": len(set(gold.values())), "events": len(set(predicted.values())),
            "bcubed_f1": round(score["f1"], 3), "precision": round(score["precision"], 3),
            "recall": round(score["recall"], 3), "kept_whole": None, "tfidf_f1": None, "failed": None}


def table(rows: list[dict]) -> str:
    head = ("set", "model saw it", "articles", "gold", "events", "BCubed F1", "P", "R", "TF-IDF F1")
    body = [(r["set"], r["role"], str(r["articles"]), str(r["gold_events"]), str(r["events"]), f"{r['bcubed_f1']:.3f}",
             f"{r['precision']:.3f}", f"{r['recall']:.3f}", "" if r["tfidf_f1"] is None else f"{r['tfidf_f1']:.3f}")
            for r in rows]
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in (head, *body))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args()
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(run_gold, *spec) for spec in gold_sets(args.data)]
        jobs.append(pool.submit(run_seeds, args.seeds))
        rows = [job.result() for job in jobs]
    print(json.dumps(rows, indent=2) if args.format == "json" else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
