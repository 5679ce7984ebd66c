"""Where the per-article stages run: here (the default) or on a Dask cluster.

A backfill spends nine tenths of its time in per-article work (the NER model above all),
which depends on each article alone and so can run anywhere. Linking cannot: an article's
event depends on every article before it. :class:`DaskEngine` therefore sends partitions
of articles to Dask workers for the stages :func:`storyline.pipeline.split_for_workers`
marks as movable, and gives the results back **in input order**, so the pipeline links and
stores them exactly as the single-process path would: the same input gives the same events.

Dask, not home-made multiprocessing: the same code runs on a laptop (a ``LocalCluster`` of
worker processes) and on a cluster (``--scheduler tcp://HOST:8786``), with Dask's dashboard,
retries and worker management.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from storyline.article import Article
from storyline.errors import Skip, StorylineError
from storyline.stages.ingest import IngestFailure, failure_of, read_from

if TYPE_CHECKING:
    from storyline.pipeline import Stage

Record = Article | IngestFailure


def enrich_partition(articles: list[Article], stages: Sequence[Stage]) -> list[Article | IngestFailure]:
    """Run ``stages`` on each article (on a worker), stage by stage over the partition so a stage
    with a ``many`` method (the NER model: ``nlp.pipe``) gets the whole batch; an article a stage
    cannot use becomes an :class:`IngestFailure`, as it would in the single-process path."""
    results: list[Article | IngestFailure] = list(articles)
    for current in stages:
        alive = [i for i, item in enumerate(results) if isinstance(item, Article)]
        many = getattr(current, "many", None)
        if many is not None:
            try:
                for i, article in zip(alive, many([results[i] for i in alive]), strict=True):
                    results[i] = article
                continue
            except Exception:  # one article broke the batch: run the stage on each alone, below
                pass
        for i in alive:
            article = results[i]
            assert isinstance(article, Article)
            try:
                results[i] = current(article)
            except Skip as skip:
                results[i] = IngestFailure(read_from(article), skip.code, skip.args[0], article.extras.get("line"))
            except Exception as exc:  # one article must not stop the partition
                results[i] = failure_of(article, exc)
    return results


class DaskEngine:
    """Run movable per-article stages on Dask workers; yield results in input order.

    Args:
        scheduler: address of a running scheduler (``tcp://HOST:8786``); None starts a
            ``LocalCluster`` of worker processes on this machine, closed with the engine.
        workers: worker processes of the local cluster (default: one per core).
        partition_size: articles per task: large enough to amortise a task's overhead,
            small enough that results stream back steadily.
        in_flight: partitions submitted ahead of the one being consumed (bounds memory;
            default: two per worker thread).
        connect_timeout: seconds to wait for ``scheduler``.
    """

    def __init__(self, scheduler: str | None = None, *, workers: int | None = None, partition_size: int = 32,
                 in_flight: int | None = None, connect_timeout: float = 20) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise StorylineError("E040") from None
        self.partition_size = partition_size
        self._cluster: Any = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError) as error:
                raise StorylineError("E041", scheduler=scheduler, reason=str(error)) from None
        else:
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self.client = Client(self._cluster)
        threads = sum(self.client.nthreads().values()) or 1
        self.in_flight = in_flight or 2 * threads

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    @property
    def description(self) -> str:
        workers = self.client.scheduler_info().get("workers", {})
        return f"Dask at {self.client.scheduler.address}, {len(workers)} workers"

    def enrich(self, records: Iterable[Record], stages: Sequence[Stage]) -> Iterator[tuple[Record, Record]]:
        """(record, what the stages made of it) for every record, in input order. A record that
        is already a failure (unreadable input) is paired with itself."""
        pending: deque[tuple[list[Record], Any]] = deque()
        chunk: list[Record] = []
        for record in records:
            chunk.append(record)
            if len(chunk) == self.partition_size:
                pending.append((chunk, self._submit(chunk, stages)))
                chunk = []
                if len(pending) >= self.in_flight:
                    yield from _paired(*pending.popleft())
        if chunk:
            pending.append((chunk, self._submit(chunk, stages)))
        while pending:
            yield from _paired(*pending.popleft())

    def _submit(self, chunk: list[Record], stages: Sequence[Stage]) -> Any:
        articles = [r for r in chunk if isinstance(r, Article)]
        return self.client.submit(enrich_partition, articles, list(stages), pure=False)


def _paired(chunk: list[Record], future: Any) -> Iterator[tuple[Record, Record]]:
    try:
        results = iter(future.result())
    except Exception as exc:  # the task itself failed (a worker died): each of its articles is reported
        results = iter([failure_of(r, exc) for r in chunk if isinstance(r, Article)])
    for record in chunk:
        yield record, (next(results) if isinstance(record, Article) else record)
