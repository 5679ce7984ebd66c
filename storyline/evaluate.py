"""Quality measurement on gold data: ``storyline eval clustering``.

:func:`evaluate_ingest` is what the command runs: exactly ``storyline ingest`` of the gold
file (the same ``Pipeline.ingest``, defaults, window ordering and cleaning) into a store, then
the stored events scored against the file's gold labels, with the TF-IDF baseline of
:mod:`storyline.baselines` on the same documents beside it. Gold files are JSONL with
``id``, ``lang``, ``date`` (may be null), ``title``, ``text`` and a gold label (``cluster``
by default).

:func:`evaluate_clustering` feeds already-enriched articles to a clusterer directly; the
training script (``eval/train_pair_model.py``) uses it to sweep thresholds without enriching
again. Its figures are not the product's: the ones reported come from :func:`evaluate_ingest`.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from storyline.article import Article
from storyline.errors import Skip
from storyline.link.events import OnlineEventClusterer
from storyline.metrics import bcubed, pairwise
from storyline.pipeline import Pipeline
from storyline.stages.ingest import article_from_record, load_json_line
from storyline.store.base import Store


def load_gold(path: str | Path, label: str = "cluster", *, keep_dates: bool = True) -> list[Article]:
    """Articles from a gold JSONL file, each with its gold label in ``extras['gold']``.

    ``keep_dates=False`` hides the given publication dates (to learn from content alone).
    """
    articles = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            if not keep_dates:
                record.pop("date", None)
                record.pop("published", None)
            article = article_from_record(record, source=f"{path}:{number}")
            article.extras["gold"] = record.get(label)
            article.extras["topic"] = record.get("topic")
            articles.append(article)
    return articles


def enrich_all(articles: list[Article], pipeline: Pipeline, *, batch_size: int = 32,
               progress: Callable[[int], None] | None = None) -> list[Article]:
    """Run the per-article stages and the embedder; articles that fail are dropped."""
    done: list[Article] = []
    for start in range(0, len(articles), batch_size):
        batch = []
        for article in articles[start:start + batch_size]:
            try:
                batch.append(pipeline.enrich(article))
            except Skip:
                continue
        pipeline.embedder.embed_many(batch)
        done.extend(batch)
        if progress:
            progress(len(batch))
    return done


def stream_order(articles: Iterable[Article]) -> list[Article]:
    """Date order when every article has a published date, else the given order."""
    articles = list(articles)
    if articles and all(a.published.value and a.published.confidence >= 0.8 for a in articles):
        return sorted(articles, key=lambda a: a.published.value)  # type: ignore[arg-type,return-value]
    return articles


def evaluate_clustering(articles: list[Article], clusterer: OnlineEventClusterer) -> dict[str, Any]:
    """BCubed and pairwise scores per language and in total, and the clustering speed."""
    ordered = stream_order(articles)
    started = time.perf_counter()
    predicted: dict[str, str] = {}  # each article's event, as merges and splits move them
    reports: dict[str, set[str]] = defaultdict(set)
    for article in ordered:
        assignment = clusterer.learn_one(article)
        predicted[article.id] = assignment.event_id
        reports[assignment.event_id].add(article.id)
        for merge in assignment.merges:
            for article_id in reports.pop(merge.event_id, set()):
                predicted[article_id] = merge.into_event_id
                reports[merge.into_event_id].add(article_id)
        for split in assignment.splits:
            for article_id in split.moved:
                reports[predicted[article_id]].discard(article_id)
                predicted[article_id] = split.new_event_id
                reports[split.new_event_id].add(article_id)
    elapsed = time.perf_counter() - started
    gold = {a.id: a.extras["gold"] for a in ordered}
    given = [a for a in ordered if a.extras.get("given_language")]
    return _scores(gold, predicted, {a.id: a.language or "und" for a in ordered}) | {
        "articles": len(ordered),
        # The identified language agrees with the one the gold file gives (language_confidence is
        # 1.0 exactly then; see stages/language.py).
        "language_id_accuracy": _share([a.language_confidence == 1.0 for a in given]),
        "articles_per_second": round(len(ordered) / elapsed, 1) if elapsed else None,
    }


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def read_gold(path: str | Path, label: str) -> list[dict[str, Any]]:
    """The gold file's records (``id`` as a string); ValueError naming the line when one is not a
    JSON object with an ``id`` and the label."""
    records = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = load_json_line(line)
            if not isinstance(record, dict) or record.get("id") is None or record.get(label) is None:
                raise ValueError(f"line {number} needs an 'id' and a {label!r} field")
            records.append(record | {"id": str(record["id"])})
    return records


def evaluate_ingest(path: str | Path, label: str, pipeline: Pipeline, store: Store, *, progress: bool = False,
                    baseline: str | None = None) -> dict[str, Any]:
    """Ingest ``path`` into ``store`` as ``storyline ingest`` does, then score the stored events
    against the gold labels (BCubed and pairwise, per language and in total)."""
    records = read_gold(path, label)
    started = time.perf_counter()
    ingest = pipeline.ingest([str(path)], store, progress=progress)
    elapsed = time.perf_counter() - started
    stored = {row["id"]: row["event_id"] for row in store.export_rows()}
    languages = {a.id: (a.language, a.language_confidence, a.extras.get("given_language"))
                 for a in store.iter_articles()}
    scored = [r for r in records if r["id"] in stored]
    gold = {r["id"]: r[label] for r in scored}
    predicted = {r["id"]: stored[r["id"]] for r in scored}
    report = _scores(gold, predicted, {i: languages[i][0] or "und" for i in gold})
    given = [languages[i] for i in gold if languages[i][2]]
    report |= {
        "ingest": {k: v for k, v in ingest.to_json().items() if k != "failures"},
        "not_scored": len(records) - len(scored),  # failed, or duplicates of a stored text
        "language_id_accuracy": _share([confidence == 1.0 for _, confidence, _ in given]),
        "articles_per_second": round(len(records) / elapsed, 1) if elapsed else None,
    }
    if baseline == "tfidf":
        from storyline.baselines import TFIDF_DISTANCE, tfidf_clusters

        labels = tfidf_clusters([f"{r.get('title') or ''}\n{r.get('text') or ''}" for r in scored])
        report["baseline"] = {"name": f"TF-IDF + average linkage, cut at cosine distance {TFIDF_DISTANCE}",
                              **_scores(gold, {r["id"]: f"b{c}" for r, c in zip(scored, labels, strict=True)},
                                        {i: languages[i][0] or "und" for i in gold})}
    return report


def _scores(gold: dict[str, Any], predicted: dict[str, str], language: dict[str, str]) -> dict[str, Any]:
    members: dict[Any, set[str]] = defaultdict(set)
    for article_id, gold_label in gold.items():
        members[gold_label].add(predicted[article_id])
    sizes = Counter(gold.values())
    by_language: dict[str, list[str]] = defaultdict(list)
    for article_id in gold:
        by_language[language[article_id]].append(article_id)
    report: dict[str, Any] = {
        "articles": len(gold),
        "gold_events": len(sizes),
        "predicted_events": len(set(predicted.values())),
        # Of the gold events with two or more articles, the share whose articles all landed in one
        # event (MEANTIME: all language versions of one article together).
        "gold_events_kept_whole": _share([len(events) == 1 for g, events in members.items() if sizes[g] > 1]),
        "total": {"bcubed": bcubed(gold, predicted), "pairwise": pairwise(gold, predicted)},
        "by_language": {},
    }
    if len(by_language) > 1:
        for lang, ids in sorted(by_language.items()):
            sub_gold, sub_pred = {i: gold[i] for i in ids}, {i: predicted[i] for i in ids}
            report["by_language"][lang] = {"articles": len(ids), "bcubed": bcubed(sub_gold, sub_pred),
                                           "pairwise": pairwise(sub_gold, sub_pred)}
    return report


def split_by_label(path: str | Path, out_dir: str | Path, label: str = "cluster") -> tuple[Path, Path]:
    """Write a gold file's two halves by gold label, ``<folder>-<stem>-fit.jsonl`` and ``…-holdout.jsonl``:
    labels ranked by size and dealt alternately, so both halves hold big and small stories alike.

    Why: a set the shipped model is trained on (GoogleNews dev) must keep a part it never sees, to
    be measured on; the same split every time, with no random seed to pick.
    """
    rows = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    labels = [json.loads(line).get(label) for line in rows]
    sizes = Counter(str(value) for value in labels)
    ranked = sorted(sizes, key=lambda value: (-sizes[value], value))
    fit = set(ranked[0::2])
    out, stem = Path(out_dir), f"{Path(path).parent.name}-{Path(path).stem}"
    out.mkdir(parents=True, exist_ok=True)
    halves = out / f"{stem}-fit.jsonl", out / f"{stem}-holdout.jsonl"
    for half, keep in zip(halves, (True, False), strict=True):
        half.write_text("".join(f"{line}\n" for line, value in zip(rows, labels, strict=True)
                                if (str(value) in fit) == keep), encoding="utf-8")
    return halves
