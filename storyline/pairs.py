"""Article pairs: batch scoring (``storyline similar --pairs``) and ``storyline eval similarity``.

Batch input is JSONL, one pair a line: ``pair_id``, ``text1``, ``text2`` and optional
``title1/2``, ``lang1/2``, ``url1/2``, ``published1/2``. It is read and scored in small
chunks, so memory stays flat however long the file; a malformed line is reported
with its number and the rest is scored.

Evaluation takes either such pairs with a gold grade, or documents with an event
label and a topic (ECB+, MEANTIME), from which graded pairs are built: same event
(3), same topic but another event (2), another topic (1, sampled as many as grade 2).
"""

from __future__ import annotations

import json
import random
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storyline.article import Article
from storyline.baselines import tfidf_pair_cosines
from storyline.compare import DIMENSIONS, compare_articles
from storyline.errors import Skip
from storyline.metrics import pearson, roc_auc, spearman
from storyline.pipeline import Pipeline, split_for_workers
from storyline.stages.clean import KEEP_RAW_TEXT
from storyline.stages.embed import ArticleEmbedder, UniversalSentenceEncoder
from storyline.stages.ingest import IngestFailure, article_from_record, load_json_line, unexpected
from storyline.stages.second_reader import OpeningReader

if TYPE_CHECKING:
    from storyline.engines import ProcessEngine

GOLD_FIELDS = ("grade", "gold", "label", "score", "overall")
#: Enriched articles remembered while scoring (bounded: memory stays flat on any file).
CACHE_SIZE = 2048


@dataclass(slots=True)
class PairLine:
    """One line of a pairs file: the two articles, or why the line cannot be scored."""

    number: int
    pair_id: Any = None
    a: Article | None = None
    b: Article | None = None
    record: dict[str, Any] | None = None
    error: str | None = None


def read_pairs(lines: Iterable[str], name: str) -> Iterator[PairLine]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = load_json_line(line)
        except ValueError as exc:
            yield PairLine(number, error=f"{name} line {number}: not valid JSON ({exc})")
            continue
        if not isinstance(record, dict):
            yield PairLine(number, error=f"{name} line {number}: expected a JSON object")
            continue
        missing = [k for k in ("text1", "text2") if not isinstance(record.get(k), str) or not record[k].strip()]
        if missing:
            yield PairLine(number, pair_id=record.get("pair_id"),
                           error=f"{name} line {number}: missing or empty {', '.join(missing)}")
            continue
        try:
            sides = [article_from_record({"text": record[f"text{side}"], "title": record.get(f"title{side}"),
                                          "lang": record.get(f"lang{side}"), "url": record.get(f"url{side}"),
                                          "published": record.get(f"published{side}"),
                                          "id": f"{record.get('pair_id', number)}:{side}"},
                                         source=f"{name}:{number}:{side}") for side in ("1", "2")]
        except Exception as exc:  # one line must not stop the batch
            yield PairLine(number, pair_id=record.get("pair_id"), error=unexpected(f"{name}", exc, number).reason)
            continue
        yield PairLine(number, pair_id=record.get("pair_id", number), a=sides[0], b=sides[1], record=record)


def score_pairs(pair_lines: Iterable[PairLine], pipeline: Pipeline, *, engine: ProcessEngine | None = None,
                second_reader: bool = True, chunk: int = 16, cache_size: int = CACHE_SIZE,
                on_error: Callable[[str], None] | None = None,
                on_done: Callable[[int], None] | None = None) -> Iterator[tuple[PairLine, dict[str, Any]]]:
    """Enrich and compare pairs, ``chunk`` at a time (embedding in batches), in input order
    (``second_reader=False``: without multilingual-e5, as ``similar --quick``).

    With ``engine``, what depends on each article alone (cleaning, language, the NER model, dates,
    both readers) runs on its worker processes, :data:`WINDOW` pairs at a time; the names learnt
    across articles are then resolved here, in input order, so the scores are those of one process."""
    seen: OrderedDict[tuple[Any, ...], Article] = OrderedDict()  # the same article in many pairs: enrich once
    if engine is not None:
        cache_size = max(cache_size, 2 * WINDOW)  # a window's articles wait here until their pairs are scored

    def remember(key: tuple[Any, ...], done: Article) -> Article:
        seen[key] = done
        if len(seen) > cache_size:
            seen.popitem(last=False)
        return done

    def enriched(article: Article) -> Article:
        key = _key(article)
        if key in seen:
            seen.move_to_end(key)
            return seen[key]
        return remember(key, _enrich_here(article, pipeline))

    if engine is not None:
        pair_lines = _enriched_ahead(pair_lines, pipeline, engine, seen, remember, second_reader)
    batch: list[PairLine] = []
    for item in pair_lines:
        if item.error is None:
            try:
                item.a, item.b = enriched(item.a), enriched(item.b)  # type: ignore[arg-type]
            except Skip as skip:
                item.error = f"line {item.number}: {skip.args[0]}"
            except Exception as exc:  # one pair must not stop the batch
                item.error = unexpected(f"line {item.number}", exc).reason
        if item.error is not None:
            if on_error:
                on_error(item.error)
            continue
        batch.append(item)
        if len(batch) >= chunk:
            yield from _score(batch, pipeline, on_done, on_error, second_reader)
            batch = []
    yield from _score(batch, pipeline, on_done, on_error, second_reader)


#: Pairs read ahead and enriched on the workers at a time (their articles stay in the cache).
WINDOW = 256


def _key(article: Article) -> tuple[Any, ...]:
    return (article.content_hash, article.extras.get("given_title"), article.extras.get("given_language"),
            article.published.value)


def _enrich_here(article: Article, pipeline: Pipeline) -> Article:
    try:
        return pipeline.enrich(article)
    except Skip as skip:
        if skip.code != "E006":
            raise
        article.extras[KEEP_RAW_TEXT] = True  # cleaning left nothing: compare what the text says
        return pipeline.enrich(article)


class _Embedding:
    """Both USE vectors of an article, as a worker stage (they depend on the article alone). Its
    encoder runs one thread: with the default two, two workers on two cores ran slower than one."""

    needs = ("title", "lead")
    sets = ("embedding", "title_embedding")
    stateless = True

    def __init__(self) -> None:
        self._embedder: ArticleEmbedder | None = None

    @property
    def embedder(self) -> ArticleEmbedder:
        if self._embedder is None:  # loaded where it runs, on the worker
            self._embedder = ArticleEmbedder(UniversalSentenceEncoder(threads=1))
        return self._embedder

    def __call__(self, article: Article) -> Article:
        return self.embedder.embed_many([article])[0]

    def many(self, articles: list[Article]) -> list[Article]:
        return self.embedder.embed_many(articles)


def _enriched_ahead(pair_lines: Iterable[PairLine], pipeline: Pipeline, engine: ProcessEngine,
                    seen: OrderedDict[tuple[Any, ...], Article],
                    remember: Callable[[tuple[Any, ...], Article], Article],
                    second_reader: bool = True) -> Iterator[PairLine]:
    """The pair lines as given, each window's new articles enriched first: their per-article
    stages on the engine's workers, then the stages that learn across articles here, in order of
    first appearance (as the one-process path meets them). An article the workers could not
    enrich is left to the one-process path, which reports it or reads it raw."""
    workers, here = split_for_workers(pipeline.stages)
    workers = [*workers, _Embedding(), *([OpeningReader()] if second_reader else [])]
    lines = iter(pair_lines)
    while window := list(islice(lines, WINDOW)):
        todo: dict[tuple[Any, ...], Article] = {}
        for item in window:
            for side in (item.a, item.b) if item.error is None else ():
                key = _key(side)  # type: ignore[arg-type]
                if key not in seen and key not in todo:
                    todo[key] = side  # type: ignore[assignment]
        for key, (record, done) in zip(todo, engine.enrich(list(todo.values()), workers), strict=True):
            try:
                if isinstance(done, IngestFailure):
                    if done.code == "E006":  # all furniture: read raw here, at its place in the order
                        remember(key, _enrich_here(record, pipeline))  # type: ignore[arg-type]
                    continue
                for current in here:
                    done = current(done)
                remember(key, done)
            except Exception:  # the one-process path meets it again and reports it
                continue
        yield from window


def _score(batch: list[PairLine], pipeline: Pipeline, on_done: Callable[[int], None] | None,
           on_error: Callable[[str], None] | None,
           second_reader: bool = True) -> Iterator[tuple[PairLine, dict[str, Any]]]:
    if not batch:
        return
    sides = [side for item in batch for side in (item.a, item.b) if side is not None]
    todo = {id(side): side for side in sides if side.embedding is None}
    for side, _ in pipeline.embedder.embed_each(list(todo.values())):
        side.embedding = None  # its pairs fail in compare_articles and are reported below
    for item in batch:
        try:
            result = compare_articles(item.a, item.b, second_reader=second_reader)  # type: ignore[arg-type]
        except Exception as exc:  # one pair must not stop the batch
            if on_error:
                on_error(unexpected(f"line {item.number}", exc).reason)
            continue
        yield item, result
    if on_done:
        on_done(len(batch))


def output_line(item: PairLine, result: dict[str, Any]) -> dict[str, Any]:
    return {"pair_id": item.pair_id, **result["dimensions"], "same_event": result["same_event"]}


# -- evaluation --------------------------------------------------------------------------------------
def graded_pairs_from_documents(path: Path, label: str = "cluster", seed: int = 0) -> Iterator[dict[str, Any]]:
    """Pairs file records built from gold documents: same event 3, same topic 2, other topic 1."""
    docs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(seed)
    by_topic: dict[Any, list[int]] = defaultdict(list)
    for i, doc in enumerate(docs):
        by_topic[doc.get("topic")].append(i)
    within = [(i, j) for members in by_topic.values() for i, j in combinations(members, 2)]
    topic_pairs = sum(1 for i, j in within if docs[i].get(label) != docs[j].get(label))
    possible = len(docs) * (len(docs) - 1) // 2 - len(within)
    wanted = min(topic_pairs, possible)
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < wanted:
        i, j = sorted(rng.sample(range(len(docs)), 2))
        if docs[i].get("topic") != docs[j].get("topic"):
            chosen.add((i, j))
    across = sorted(chosen)
    for i, j in within + across:
        a, b = docs[i], docs[j]
        grade = 3 if a.get(label) == b.get(label) else 2 if a.get("topic") == b.get("topic") else 1
        yield {"pair_id": f"{a['id']}|{b['id']}", "text1": a["text"], "text2": b["text"], "title1": a.get("title"),
               "title2": b.get("title"), "lang1": a.get("lang"), "lang2": b.get("lang"),
               "published1": a.get("date"), "published2": b.get("date"), "grade": grade}


def is_document_file(path: Path) -> bool:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                first = json.loads(line)
                return isinstance(first, dict) and "text" in first and "text1" not in first
    return False


def gold_of(record: dict[str, Any], field: str | None) -> float | None:
    for name in ([field] if field else GOLD_FIELDS):
        value = record.get(name)
        if _is_number(value):
            return float(value)
    return None


def evaluate(scored: Iterable[tuple[PairLine, dict[str, Any]]], *, gold_field: str | None = None,
             similar_high: bool = True, failed: int = 0) -> dict[str, Any]:
    """Pearson and Spearman of ``overall`` against the gold grade, and ROC-AUC of ``same_event``
    for the most similar grade against the next (same event vs same topic), per language pair.

    Where the records carry gold for the seven dimensions (SemEval-2022 Task 8), each dimension's
    Pearson too. Beside every figure, the TF-IDF cosine of the two texts (fitted on the file's
    texts) against the same gold: the baseline a user would try first."""
    rows: list[dict[str, Any]] = []
    sign = 1.0 if similar_high else -1.0
    for item, result in scored:
        record = item.record or {}
        gold = gold_of(record, gold_field)
        if gold is None:
            continue
        languages = "-".join(sorted((item.a.language or "und", item.b.language or "und")))  # type: ignore[union-attr]
        rows.append({"languages": languages, "gold": sign * gold, "overall": result["dimensions"]["overall"],
                     "same_event": result["same_event"], "predicted": result["dimensions"],
                     "gold_dimensions": {name: sign * float(record[name]) for name in DIMENSIONS
                                         if _is_number(record.get(name))},
                     "texts": (_text_of(record, "1"), _text_of(record, "2"))})
    for row, cosine in zip(rows, tfidf_pair_cosines([row.pop("texts") for row in rows]), strict=True):
        row["tfidf"] = cosine
    report: dict[str, Any] = {"pairs": len(rows), "failed": failed, "total": _scores(rows), "by_language_pair": {}}
    for pair in sorted({r["languages"] for r in rows}):
        report["by_language_pair"][pair] = _scores([r for r in rows if r["languages"] == pair])
    report["dimensions"] = list(DIMENSIONS)
    return report


def _scores(rows: list[dict[str, Any]]) -> dict[str, Any]:
    grades = sorted({r["gold"] for r in rows}, reverse=True)
    gold, overall, tfidf = [r["gold"] for r in rows], [r["overall"] for r in rows], [r["tfidf"] for r in rows]
    out: dict[str, Any] = {"pairs": len(rows), "pearson_overall": _round(pearson(overall, gold)),
                           "spearman_overall": _round(spearman(overall, gold)),
                           "tfidf_pearson_overall": _round(pearson(tfidf, gold)),
                           "tfidf_spearman_overall": _round(spearman(tfidf, gold))}
    graded = [name for name in DIMENSIONS if rows and all(name in r["gold_dimensions"] for r in rows)]
    if graded:
        out["pearson_by_dimension"] = {
            name: _round(pearson([r["predicted"][name] for r in rows], [r["gold_dimensions"][name] for r in rows]))
            for name in graded}
        out["tfidf_pearson_by_dimension"] = {
            name: _round(pearson(tfidf, [r["gold_dimensions"][name] for r in rows])) for name in graded}
    if len(grades) >= 2:
        top, next_ = grades[0], grades[1]
        hard = [r for r in rows if r["gold"] in (top, next_)]
        out["roc_auc_same_event"] = _round(roc_auc([r["same_event"] for r in hard],
                                                   [int(r["gold"] == top) for r in hard]))
        out["same_event_pairs"] = sum(1 for r in hard if r["gold"] == top)
        out["same_topic_pairs"] = sum(1 for r in hard if r["gold"] == next_)
    return out


def _text_of(record: dict[str, Any], side: str) -> str:
    return f"{record.get(f'title{side}') or ''} {record.get(f'text{side}') or ''}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _round(value: float) -> float | None:
    return None if value != value else round(value, 4)  # NaN → null in JSON
