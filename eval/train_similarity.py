"""Train the seven-dimension similarity head shipped in ``storyline/data/similarity_head.json``.

Usage: python eval/train_similarity.py [--data ../shared/data/semeval8/train.jsonl]

The pairs are scored by the shipped path (``storyline similar --pairs``: the pipeline's
enrichment, then :func:`storyline.compare.compare_articles`), and the signals it reports for
each pair are the inputs. Each dimension gets a ridge regression on standardised signals,
its target the gold rating mapped to a similarity ((4 − gold) / 3: 1 = very similar). Pairs
are grouped by article (two pairs sharing an article are in one group), a fifth of the groups
is held out and never fitted, and the ridge penalty of each dimension is chosen by 5-fold
grouped cross-validation on the rest. The held-out pairs are written beside the candidate so
``storyline eval similarity --data <holdout> --gold-similar-low`` reproduces the figures.

A fifth of 658 pairs is 134, a dozen per language pair: one split says little (another hash
of the same groups moved held-out `overall` by 0.07). So `overall` is also cross-validated on
all pairs over ten random groupings into five folds (``--repeats``), per language pair, with the
TF-IDF cosine of the same pairs (IDF of this file, as ``storyline eval similarity`` fits it) beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from storyline import metrics
from storyline.baselines import tfidf_pair_cosines
from storyline.commands.common import run_engine
from storyline.compare import DIMENSIONS, SECOND_READER_SIGNALS
from storyline.metrics import spearman
from storyline.pairs import graded_pairs_from_documents, read_pairs, score_pairs
from storyline.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]
PENALTIES = (1.0, 3.0, 10.0, 30.0, 100.0)
HOLDOUT_SHARE = 0.2


def groups_of(records: list[dict]) -> list[str]:
    """Connected components of pairs that share an article (by text), so no article is on both
    sides of a split."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keys = [(_digest(r["text1"]), _digest(r["text2"])) for r in records]
    for a, b in keys:
        parent[find(a)] = find(b)
    return [find(a) for a, _ in keys]


def held_out(groups: list[str], languages: list[str]) -> np.ndarray:
    """A fifth of the groups of each language pair (by a stable hash), so every pair is measured."""
    language_of: dict[str, str] = {}
    for group, language in zip(groups, languages, strict=True):
        language_of.setdefault(group, language)
    chosen: set[str] = set()
    for language in set(language_of.values()):
        members = sorted((g for g, lang in language_of.items() if lang == language),
                         key=lambda g: hashlib.sha1(f"holdout:{g}".encode()).hexdigest())
        chosen.update(members[:max(1, round(HOLDOUT_SHARE * len(members)))])
    return np.array([g in chosen for g in groups])


def fold_of(group: str, folds: int = 5) -> int:
    return int(hashlib.sha1(f"fold:{group}".encode()).hexdigest(), 16) % folds


def fit_ridge(x: np.ndarray, y: np.ndarray, penalty: float, sample_weight: np.ndarray | None = None) -> dict:
    """Weighted ridge regression on standardised columns (the penalty is per unit of total weight
    as if every row weighed 1, so penalties mean the same with or without weights)."""
    w = np.ones(len(y)) if sample_weight is None else sample_weight * len(y) / sample_weight.sum()
    mean = np.average(x, axis=0, weights=w)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
    scale = np.where(scale < 1e-9, 1.0, scale)
    z = (x - mean) / scale
    bias = float(np.average(y, weights=w))
    weights = np.linalg.solve((z * w[:, None]).T @ z + penalty * np.eye(z.shape[1]), (z * w[:, None]).T @ (y - bias))
    return {"mean": mean.tolist(), "scale": scale.tolist(), "weights": weights.tolist(), "bias": bias}


def predict(model: dict, x: np.ndarray) -> np.ndarray:
    z = (x - np.array(model["mean"])) / np.array(model["scale"])
    return np.clip(z @ np.array(model["weights"]) + model["bias"], 0.0, 1.0)


def pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    """:func:`storyline.metrics.pearson`, rounded, None where it is undefined (JSON has no NaN)."""
    value = metrics.pearson(list(a), list(b))
    return None if value != value or len(a) <= 2 else round(value, 4)


def fit_dimension(train_x: np.ndarray, train_y: np.ndarray, train_folds: np.ndarray, extra_x: np.ndarray,
                  extra_y: np.ndarray, graded_weight: float
                  ) -> tuple[dict, float, dict[float, float | None], Callable[[np.ndarray, np.ndarray, float], dict]]:
    """One dimension's ridge, its penalty chosen by 5-fold grouped cross-validation: the model, the
    penalty, the cross-validated Pearson of each penalty, and the fitting function (for more CV)."""

    def fit_rows(some_x: np.ndarray, some_y: np.ndarray, penalty: float) -> dict:
        """Fit on these SemEval rows and the graded rows, the graded set weighing
        ``graded_weight`` times the other in total."""
        rows_x, rows_y = np.vstack([some_x, extra_x]), np.concatenate([some_y, extra_y])
        share = graded_weight * len(some_y) / max(1, len(extra_y))
        weight = np.concatenate([np.ones(len(some_y)), np.full(len(extra_y), share)])
        return fit_ridge(rows_x, rows_y, penalty, weight)

    cv = {}
    for penalty in PENALTIES:
        out = np.zeros(len(train_y))
        for fold in range(5):
            inside = train_folds != fold
            out[~inside] = predict(fit_rows(train_x[inside], train_y[inside], penalty), train_x[~inside])
        cv[penalty] = pearson(out, train_y)
    penalty = max(cv, key=lambda p: cv[p] or -1.0)
    return fit_rows(train_x, train_y, penalty) | {"penalty": penalty}, penalty, cv, fit_rows


def repeated_cv(x: np.ndarray, y: np.ndarray, groups: list[str], languages: np.ndarray,
                fit: Callable[[np.ndarray, np.ndarray], dict], repeats: int) -> dict:
    """Mean Pearson over ``repeats`` random groupings of all pairs into five folds (no article on
    both sides of a fold), in total and per language pair."""
    unique = sorted(set(groups))
    total: list[float] = []
    by_pair: dict[str, list[float]] = {pair: [] for pair in sorted(set(languages))}
    for repeat in range(repeats):
        order = unique[:]
        random.Random(repeat).shuffle(order)
        fold_of_group = {group: i % 5 for i, group in enumerate(order)}
        folds = np.array([fold_of_group[g] for g in groups])
        out = np.zeros(len(y))
        for fold in range(5):
            out[folds == fold] = predict(fit(x[folds != fold], y[folds != fold]), x[folds == fold])
        total.append(pearson(out, y) or 0.0)
        for pair, values in by_pair.items():
            values.append(pearson(out[languages == pair], y[languages == pair]) or 0.0)
    return {"all": round(float(np.mean(total)), 4), "spread": round(float(np.std(total)), 4),
            "by_language_pair": {pair: round(float(np.mean(v)), 4) for pair, v in by_pair.items()}}


def signals_of(lines: list[str], name: str, cache: Path | None = None) -> list[tuple[dict, dict[str, float], str]]:
    """Each pair's record, the signals the shipped path reports for it, and its language pair
    (kept in ``cache`` when given: trying penalties or weights need not score the pairs again)."""
    if cache is not None and cache.is_file():
        return [tuple(row) for row in json.loads(cache.read_text(encoding="utf-8"))]
    out = []
    with run_engine("processes", None, None) as engine:  # as `similar --pairs`: the same signals, sooner
        for item, result in score_pairs(read_pairs(lines, name), Pipeline(), engine=engine,
                                        on_error=lambda e: print("failed:", e, file=sys.stderr)):
            out.append((item.record, result["explanation"]["signals"],
                        "-".join(sorted((item.a.language or "und", item.b.language or "und")))))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(out), encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "semeval8" / "train.jsonl"))
    parser.add_argument("--graded", default=str(ROOT.parent / "shared" / "data" / "ecbplus" / "train.jsonl"),
                        help="gold documents (topic, event label) whose graded pairs also train `overall`, "
                             "weighing --graded-weight times the SemEval pairs; '' for none")
    parser.add_argument("--graded-weight", type=float, default=4.0,
                        help="how much the graded pairs weigh against the SemEval pairs in `overall` (4: the least"
                             " that keeps ECB+ dev Spearman at 0.90 with the second reader; docs/similarity.md)")
    parser.add_argument("--out", default=str(ROOT / ".cache" / "similarity_head.json"))
    parser.add_argument("--holdout-out", default=str(ROOT / ".cache" / "semeval_holdout.jsonl"))
    parser.add_argument("--repeats", type=int, default=10,
                        help="random groupings for the cross-validation of `overall` on all pairs (0: skip)")
    parser.add_argument("--signals-cache", metavar="DIR",
                        help="keep the scored signals here and reuse them (only while the signals do not change)")
    args = parser.parse_args()
    cache = Path(args.signals_cache) if args.signals_cache else None
    scored = signals_of(Path(args.data).read_text(encoding="utf-8").splitlines(), Path(args.data).name,
                        cache / "pairs.json" if cache else None)
    names = sorted(scored[0][1])
    x = np.array([[signals[n] for n in names] for _, signals, _ in scored], dtype=np.float64)
    groups = groups_of([record for record, _, _ in scored])
    languages = np.array([lang for _, _, lang in scored])
    test = held_out(groups, list(languages))
    folds = np.array([fold_of(g) for g in groups])
    graded_x, graded_y = np.zeros((0, len(names))), np.zeros(0)
    if args.graded:
        graded = signals_of([json.dumps(r) for r in graded_pairs_from_documents(Path(args.graded))], "graded",
                            cache / "graded.json" if cache else None)
        graded_x = np.array([[signals[n] for n in names] for _, signals, _ in graded], dtype=np.float64)
        graded_y = np.array([(float(record["grade"]) - 1.0) / 2.0 for record, _, _ in graded])
    head: dict = {"version": "semeval8-ecbplus-ridge-e5-3", "signals": names, "dimensions": {},
                  "trained_on": f"{Path(args.data).name}: {int((~test).sum())} pairs ({int(test.sum())} held out)"
                                + (f"; overall also {len(graded_y)} graded pairs of {Path(args.graded).parent.name}/"
                                   f"{Path(args.graded).name}" if len(graded_y) else ""),
                  "cv_pearson": {}, "holdout_pearson": {}, "holdout_pearson_overall_by_language_pair": {},
                  "dimensions_without_second_reader": {}, "holdout_pearson_without_second_reader": {}}
    for name in DIMENSIONS:
        y = np.array([(4.0 - float(record[name])) / 3.0 for record, _, _ in scored])
        extra_x, extra_y = (graded_x, graded_y) if name == "overall" else (graded_x[:0], graded_y[:0])
        train_x, train_y, train_folds = x[~test], y[~test], folds[~test]

        model, penalty, cv, fit_rows = fit_dimension(train_x, train_y, train_folds, extra_x, extra_y,
                                                     args.graded_weight)
        model |= {"signals": names}
        head["dimensions"][name] = model
        head["cv_pearson"][name] = cv[penalty]
        held = predict(model, x[test])
        head["holdout_pearson"][name] = pearson(held, y[test])
        if name == "overall":
            for pair in sorted(set(languages[test])):
                mask = languages[test] == pair
                head["holdout_pearson_overall_by_language_pair"][pair] = {
                    "pairs": int(mask.sum()), "pearson": pearson(held[mask], y[test][mask])}
            if len(graded_y):
                head["graded_fit_spearman_overall"] = round(spearman(predict(model, graded_x), graded_y), 4)
            if args.repeats:
                head["repeated_cv_overall"] = repeated_cv(
                    x, y, groups, languages,
                    lambda some_x, some_y, chosen=penalty, fit=fit_rows: fit(some_x, some_y, chosen), args.repeats)
                tfidf = np.array(tfidf_pair_cosines([(r.get("title1", "") + " " + r["text1"], r.get("title2", "") + " "
                                                      + r["text2"]) for r, _, _ in scored]))
                head["repeated_cv_overall"]["tfidf"] = {
                    "all": pearson(tfidf, y),
                    "by_language_pair": {pair: pearson(tfidf[languages == pair], y[languages == pair])
                                         for pair in sorted(set(languages))}}
                report = head["repeated_cv_overall"]
                print(f"overall cross-validated on all {len(y)} pairs, {args.repeats} groupings: {report['all']:.3f}"
                      f" (spread {report['spread']:.3f}; TF-IDF {report['tfidf']['all']:.3f})")
                for pair, value in report["by_language_pair"].items():
                    print(f"  {pair}: {value:.3f} (TF-IDF {report['tfidf']['by_language_pair'][pair]:.3f})")
        print(f"{name:10s} penalty {penalty:5.0f}  cv {cv[penalty]:.3f}  held out {head['holdout_pearson'][name]:.3f}")
        # The head `similar --quick` reads: the same fit without the second reader's signal.
        kept = [i for i, signal in enumerate(names) if signal not in SECOND_READER_SIGNALS]
        quick, quick_penalty, quick_cv, _ = fit_dimension(train_x[:, kept], train_y, train_folds, extra_x[:, kept],
                                                          extra_y, args.graded_weight)
        head["dimensions_without_second_reader"][name] = quick | {"signals": [names[i] for i in kept]}
        head["holdout_pearson_without_second_reader"][name] = pearson(predict(quick, x[test][:, kept]), y[test])
        print(f"{'':10s} without the second reader: penalty {quick_penalty:5.0f}  cv {quick_cv[quick_penalty]:.3f}"
              f"  held out {head['holdout_pearson_without_second_reader'][name]:.3f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(head, indent=1) + "\n", encoding="utf-8")
    with open(args.holdout_out, "w", encoding="utf-8") as handle:
        for (record, _, _), is_test in zip(scored, test, strict=True):
            if is_test:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"head in {args.out}; held-out pairs in {args.holdout_out}")
    return 0


def _digest(text: str) -> str:
    return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()


if __name__ == "__main__":
    sys.exit(main())
