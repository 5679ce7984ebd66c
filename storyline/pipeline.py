"""The pipeline: per-article stages, then the online linkers, then the store.

``ingest → clean → language → entities → dates → embed → link → store``.
Per-article stages are small callables ``Article -> Article`` that declare what
they need and set; :func:`check_stages` verifies the order when the pipeline is
built. A stage that cannot process one input raises :class:`Skip`; the loop
records it and goes on.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from storyline.article import Article
from storyline.errors import Skip, StorylineError
from storyline.link.events import OnlineEventClusterer
from storyline.link.stories import StoryLink, StoryLinker
from storyline.stages.clean import clean
from storyline.stages.crawl import Validators, WebReader
from storyline.stages.dates import DateResolver
from storyline.stages.embed import ArticleEmbedder
from storyline.stages.entities import NER_MAX_CHARS, EntityRecognizer
from storyline.stages.ingest import DEFAULT_MAX_BYTES, IngestFailure, failure_of, iter_paths, read_from, read_source
from storyline.stages.language import identify_language
from storyline.stages.web import WebClient, WebSettings
from storyline.store.base import Store

if TYPE_CHECKING:
    from storyline.engines import DaskEngine

#: Fields ingest sets before any stage runs.
INGESTED = ("id", "source", "raw_text", "url", "outlet", "published")


class Stage(Protocol):
    """A per-article step. Optional attributes say where it may run (:func:`split_for_workers`):
    ``stateless = True`` when its output depends on the article alone, or a ``worker_part()``
    method giving the part that does, for a stage that also learns across articles."""

    needs: tuple[str, ...]
    sets: tuple[str, ...]

    def __call__(self, article: Article) -> Article: ...


def stage(*, needs: tuple[str, ...], sets: tuple[str, ...]) -> Callable[[Callable[[Article], Article]], Stage]:
    """Declare what a plain function stage needs and sets (a plain function is stateless)."""

    def wrap(func: Callable[[Article], Article]) -> Stage:
        func.needs = needs  # type: ignore[attr-defined]
        func.sets = sets  # type: ignore[attr-defined]
        func.stateless = True  # type: ignore[attr-defined]
        return func  # type: ignore[return-value]

    return wrap


clean_stage = stage(needs=("raw_text",), sets=("title", "text", "lead"))(clean)
language_stage = stage(needs=("text",), sets=("language",))(identify_language)


def default_stages(*, use_ner: bool = True, ner_chars: int | None = None) -> list[Stage]:
    """The enrichment stages; ``ner_chars`` bounds what the NER model reads of each article
    (None: all of it)."""
    recognizer = EntityRecognizer(use_ner=use_ner, ner_chars=NER_MAX_CHARS if ner_chars is None else ner_chars)
    return [clean_stage, language_stage, recognizer, DateResolver()]


def check_stages(stages: Iterable[Stage], available: Iterable[str] = INGESTED) -> None:
    """Fail at build time when a stage needs a field no earlier stage sets."""
    have = set(available)
    order = [getattr(s, "__name__", type(s).__name__) for s in stages]
    for current in stages:
        for needed in current.needs:
            if needed not in have:
                name = getattr(current, "__name__", type(current).__name__)
                raise StorylineError("E030", stage=name, field=needed, order=" → ".join(order))
        have.update(current.sets)


def split_for_workers(stages: list[Stage]) -> tuple[list[Stage], list[Stage]]:
    """The stages other processes may run (in order), and those that must then run here, in input
    order, because they learn across articles (the entity stage's names seen earlier).

    Running the worker stages elsewhere and the rest here gives the same articles as running all
    of them here, provided no worker stage needs what a stage left for here sets.
    """
    workers: list[Stage] = []
    here: list[Stage] = []
    for current in stages:
        if getattr(current, "stateless", False):
            left_here = {field for kept in here for field in kept.sets}
            if left_here & set(current.needs):
                raise StorylineError("E030", stage=_stage_name(current), field=sorted(left_here)[0],
                                     order=" → ".join(_stage_name(s) for s in stages))
            workers.append(current)
        else:
            part = getattr(current, "worker_part", None)
            if part is not None:
                workers.append(part())
            here.append(current)
    return workers, here


def _stage_name(current: object) -> str:
    return getattr(current, "__name__", type(current).__name__)


@dataclass(slots=True)
class IngestReport:
    """What an ingest run did: the summary printed at its end."""

    ingested: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    failures: list[IngestFailure] = field(default_factory=list)
    events_created: int = 0
    web: dict[str, int] = field(default_factory=dict)  # feeds, sitemaps, pages fetched, unchanged...
    stopped: bool = False  # asked to stop (Ctrl-C, SIGTERM): what was read is stored, the rest is not read
    corrected: list[str] = field(default_factory=list)  # corrections the clusterer had undone, applied again
    alerts: list[dict[str, Any]] = field(default_factory=list)  # watches the new articles' events matched
    alert_error: str | None = None  # checking the watches failed: the articles are stored all the same

    def to_json(self) -> dict[str, Any]:
        return {
            "ingested": len(self.ingested),
            "duplicates": len(self.duplicates),
            "failed": len(self.failures),
            "events_created": self.events_created,
            **({"web": self.web} if self.web else {}),
            **({"stopped": True} if self.stopped else {}),
            **({"corrected": self.corrected} if self.corrected else {}),
            **({"alerts": self.alerts} if self.alerts else {}),
            **({"alert_error": self.alert_error} if self.alert_error else {}),
            "failures": [{"source": f.source, "line": f.line, "code": f.code, "reason": f.reason}
                         for f in self.failures],
        }


def _reapply_corrections(store: Store, report: IngestReport) -> None:
    """People's corrections hold whatever the clusterer did in this run (:func:`storyline.corrections.reapply`)."""
    if not report.ingested:
        return
    try:
        from storyline.corrections import reapply

        report.corrected = reapply(store)
    except Exception as exc:  # the articles are stored; say so, and how to apply the corrections
        report.corrected = [f"applying the corrections again failed ({type(exc).__name__}: {exc});"
                            " run 'storyline correct reapply'"]


def _raise_alerts(store: Store, report: IngestReport) -> None:
    """Check the watches against the events this run's articles are in (:mod:`storyline.alerts`).
    A failure here is reported, never raised: the articles are stored."""
    if not report.ingested:
        return
    try:
        from storyline.alerts import check

        if store.conn.execute("SELECT 1 FROM watches LIMIT 1").fetchone() is None:
            return
        touched = {event for event in (store.event_of(a) for a in report.ingested) if event}
        report.alerts = check(store, event_ids=touched)
    except Exception as exc:  # alerts must not cost an ingest
        report.alert_error = f"checking the watches failed ({type(exc).__name__}: {exc}); run 'storyline alerts check'"


class Pipeline:
    """Enrich articles and link them into events and stories.

    Articles are enriched as they are read and linked in time order within a window
    of ``order_window`` articles: a folder or a backfill arrives in file order, not
    in the order things happened, and the clusterer closes events by event date.
    Within a window the order is by event date (undated articles last, each group
    in arrival order), so the same input always gives the same IDs. No event closes
    inside a window, only after its last article: an undated article, linked at the
    window's end, could otherwise never join the events of that window (ECB+ train
    BCubed 0.83 -> 0.93-0.94 in file, shuffled and reversed order; docs/evaluation.md).
    With a window of one this is the stream's behaviour: events close as the clock moves.
    """

    def __init__(self, stages: list[Stage] | None = None, embedder: ArticleEmbedder | None = None,
                 clusterer: OnlineEventClusterer | None = None, linker: StoryLinker | None = None,
                 batch_size: int = 16, order_window: int = 1000) -> None:
        self.stages = stages if stages is not None else default_stages()
        check_stages(self.stages)
        self.embedder = embedder or ArticleEmbedder()
        self.clusterer = clusterer or OnlineEventClusterer()
        self.linker = linker or StoryLinker()
        self.batch_size = batch_size
        self.order_window = order_window
        self.wait_for_writer = True
        self.on_wait: Callable[[], None] | None = None

    def enrich(self, article: Article) -> Article:
        """Run the per-article stages (raises Skip for an unusable article)."""
        for current in self.stages:
            article = current(article)
        return article

    def ingest(self, paths: Iterable[str], store: Store, *, progress: bool | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES, engine: DaskEngine | None = None,
               web: WebSettings | None = None, stop: threading.Event | None = None) -> IngestReport:
        """Read, enrich, link and store everything under ``paths`` (files, folders, '-', URLs of
        pages, feeds and sitemaps; the per-article stages on ``engine``'s workers when given).

        When ``stop`` is set (a signal), nothing more is read; what was read is stored.
        """
        sources = list(iter_paths(paths))
        show = progress if progress is not None else sys.stderr.isatty()
        report = IngestReport()
        bar = _progress(show)
        reader = _web_reader(store, web or WebSettings(max_bytes=max_bytes))

        def records() -> Iterator[Article | IngestFailure]:
            for number, item in enumerate(sources, start=1):
                for record in read_source(item, max_bytes=max_bytes, web=reader):
                    yield record  # a record read is handed on, even when a stop came while reading it
                    bar.update(1)  # records read: articles and failures, whatever file they are in
                    bar.set_postfix(sources=f"{number}/{len(sources)}", stored=len(report.ingested),
                                    failed=len(report.failures), fetched=reader.client.requests, refresh=False)
                    if stop is not None and stop.is_set():
                        report.stopped = True
                        return

        try:
            self.ingest_records(records(), store, report=report, engine=engine)
            if not report.stopped:  # every entry of these listings is stored: next time, ask "changed?"
                store.remember_listings([(url, v.etag, v.last_modified) for url, v in reader.finished])
            report.web = {name: count for name, count in sorted(reader.stats.items()) if count}
            if reader.client.requests:
                report.web["requests"] = reader.client.requests
            return report
        finally:
            reader.close()
            bar.close()

    def ingest_records(self, records: Iterable[Article | IngestFailure], store: Store, *,
                       report: IngestReport | None = None, engine: DaskEngine | None = None) -> IngestReport:
        """Enrich, link and store already-read records (files, an HTTP body...).

        Holds the store's writer lock for the run; ``wait_for_writer`` says whether to wait
        for another ingest to finish (the CLI) or to fail at once (the web server).
        """
        with store.writer_lock(wait=self.wait_for_writer, on_wait=self.on_wait):
            report = self._ingest_locked(records, store, report if report is not None else IngestReport(), engine)
            _reapply_corrections(store, report)
            _raise_alerts(store, report)
            return report

    def _ingest_locked(self, records: Iterable[Article | IngestFailure], store: Store,
                       report: IngestReport, engine: DaskEngine | None = None) -> IngestReport:
        store.load_linkers(self.clusterer, self.linker)
        batch: list[Article] = []
        pending: set[str] = set()
        if engine is None:
            pairs: Iterable[tuple[Article | IngestFailure, Article | IngestFailure | None]] = (
                (record, None) for record in records)
            here = self.stages
        else:
            workers, here = split_for_workers(self.stages)
            pairs = engine.enrich(records, workers)
        for position, (record, enriched) in enumerate(pairs, start=1):
            self._take(record, store, report, batch, pending, enriched, here)
            # Windows are cut by input position, not by the count of new articles, so a re-run
            # after a crash (which skips what was stored) links the rest in exactly the same order.
            if position % self.order_window == 0:
                self._flush(batch, store, report)
                batch, pending = [], set()
        self._flush(batch, store, report)
        return report

    def _take(self, record: Article | IngestFailure, store: Store, report: IngestReport,
              batch: list[Article], pending: set[str], enriched: Article | IngestFailure | None = None,
              stages: list[Stage] | None = None) -> None:
        """Enrich one record into ``batch``, or record why not (failure, duplicate).

        ``enriched`` is what workers made of the record, when they ran the first stages;
        ``stages`` are the ones left to run here, in input order.
        """
        if isinstance(record, IngestFailure):
            report.failures.append(record)
            return
        try:
            self._take_article(record, store, report, batch, pending, enriched, stages)
        except Exception as exc:  # e.g. the store refusing one lookup
            report.failures.append(failure_of(record, exc))

    def _take_article(self, record: Article, store: Store, report: IngestReport, batch: list[Article],
                      pending: set[str], enriched: Article | IngestFailure | None,
                      stages: list[Stage] | None) -> None:
        digest = record.content_hash
        if digest in pending:
            report.duplicates.append(record.source)
            return
        if store.has_content(digest):
            report.duplicates.append(record.source)
            stored = store.article_by_hash(digest)
            store.remember_duplicate_urls(record.extras.get("fetched_urls") or [], stored.id)
            self._replay(stored)
            return
        if isinstance(enriched, IngestFailure):  # a stage on a worker could not use it
            report.failures.append(enriched)
            return
        article = enriched if enriched is not None else record
        try:
            for current in stages if stages is not None else self.stages:
                article = current(article)
        except Skip as skip:
            report.failures.append(IngestFailure(read_from(record), skip.code, skip.args[0], record.extras.get("line")))
            return
        except Exception as exc:  # one article must not stop the run
            report.failures.append(failure_of(record, exc))
            return
        batch.append(article)
        pending.add(digest)

    def _replay(self, stored: Article) -> None:
        """Let stages that learn across articles learn from one stored in an earlier run."""
        for current in self.stages:
            replay = getattr(current, "replay", None)
            if replay is not None:
                replay(stored)

    def _flush(self, window: list[Article], store: Store, report: IngestReport) -> None:
        """Embed, order by event date, link and store a window of enriched articles."""
        embedded: list[Article] = []
        for start in range(0, len(window), self.batch_size):
            embedded += self._embed(window[start:start + self.batch_size], report)
        ordered = sorted(embedded, key=_time_key)
        for start in range(0, len(ordered), self.batch_size):
            self._link_and_store(ordered[start:start + self.batch_size], store, report)
        self._close_quiet(store)

    def _close_quiet(self, store: Store) -> None:
        """After a window: close the events quiet before the clock, and store that, in a transaction
        of its own. Also after a window of duplicates only: a run resumed after dying between a
        window's last batch and this closing must close here too, as the run that died would have.
        A split the closing makes is recorded on the newest stored article, in both cases the same."""
        if self.clusterer.clock == self.clusterer.closed_at:
            return
        splits = self.clusterer.close_quiet(store.newest_article_id() or "")
        for split in splits:  # the new event stays in its story
            self.linker.add_event(split.event)
        store.save_closing(splits, self.clusterer, self.linker)

    def _embed(self, batch: list[Article], report: IngestReport) -> list[Article]:
        """Embed a batch; an article the model refuses is reported and left out."""
        failed = self.embedder.embed_each(batch)
        report.failures.extend(failure_of(article, exc) for article, exc in failed)
        refused = {id(article) for article, _ in failed}
        return [article for article in batch if id(article) not in refused]

    def _link_and_store(self, batch: list[Article], store: Store, report: IngestReport) -> None:
        """Link and store a batch in one transaction. When that fails, the linkers go back to what
        the store last committed and the batch is redone one article at a time, so one article the
        clusterer or the store cannot take is reported and the others are stored."""
        given_ids = [article.id for article in batch]
        try:
            self._link_batch(batch, store, report)
            return
        except Exception:  # redone article by article below
            store.load_linkers(self.clusterer, self.linker)
        for article, given in zip(batch, given_ids, strict=True):
            article.id = given
            try:
                self._link_batch([article], store, report)
            except Exception as exc:
                store.load_linkers(self.clusterer, self.linker)
                report.failures.append(failure_of(article, exc))

    def _link_batch(self, batch: list[Article], store: Store, report: IngestReport) -> None:
        items = []
        taken: set[str] = set()
        created = 0
        for article in batch:
            article.id = store.free_id(article.id, article.content_hash)
            if article.id in taken:
                article.id = f"{article.id}-{article.content_hash[:8]}"
            taken.add(article.id)
            assignment = self.clusterer.learn_one(article, close_quiet=False)  # closed after the window
            event = self.clusterer.events[assignment.final_event_id]
            story_link: StoryLink | None = None
            if assignment.created:
                story_link = self.linker.learn_one(event)
                created += 1
            elif event.story_id:
                self.linker.update(event.story_id, event.members[-1])  # the article's profile
            for split in assignment.splits:  # the new event stays in its story
                self.linker.add_event(split.event)
            items.append((article, assignment, event, story_link))
        store.save_batch(items, self.clusterer, self.linker)
        report.events_created += created  # counted once the batch is stored, not before
        report.ingested.extend(article.id for article, *_ in items)


def _time_key(article: Article) -> tuple[int, str]:
    """Dated articles first, by event date; sorted() keeps arrival order among equals."""
    when = article.event_date.value or article.published.value
    return (0, when.isoformat()) if when else (1, "")


def _web_reader(store: Store, settings: WebSettings) -> WebReader:
    """What reads this run's URLs, feeds and sitemaps, knowing what the store already holds."""

    def validators(url: str) -> Validators | None:
        last = store.listing_validators(url)
        return Validators(*last) if last else None

    return WebReader(WebClient(settings), known=store.knows_url, validators=validators)


def _progress(show: bool) -> Any:
    """Counts records (articles and failures): a file may hold one article or a million."""
    from tqdm import tqdm

    return tqdm(unit="article", disable=not show, file=sys.stderr, desc="ingest")
