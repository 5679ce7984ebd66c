"""Where the per-article stages run: this process, worker processes of this machine, or Dask.

A backfill spends nine tenths of its time in per-article work (the NER model above all),
which depends on each article alone and so can run anywhere. Linking cannot: an article's
event depends on every article before it. An engine therefore sends chunks of articles to
workers for the stages :func:`storyline.pipeline.split_for_workers` marks as movable, and
gives the results back **in input order**, so the pipeline links and stores them exactly as
the single-process path would: the same input gives the same events.

:class:`ProcessEngine` (``storyline ingest``'s default on a machine with several cores) uses
worker processes of this machine; :class:`DaskEngine` a Dask cluster, for a backfill on many
machines (``--scheduler tcp://HOST:8786``), with Dask's dashboard, retries and worker management.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from itertools import chain, islice
from pathlib import Path
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
        return _in_input_order(_chunks(iter(records), self.partition_size), lambda c: self._submit(c, stages),
                               lambda chunk, future: (chunk, future), self.in_flight)

    def worker_peaks_mb(self) -> list[float]:
        """Each worker's high-water mark of resident memory (Linux workers; none elsewhere)."""
        peaks = self.client.run(proc_memory_mb, "self", "status", "VmHWM:").values()
        return [mb for mb in peaks if mb is not None]

    def _submit(self, chunk: list[Record], stages: Sequence[Stage]) -> Any:
        articles = [r for r in chunk if isinstance(r, Article)]
        return self.client.submit(enrich_partition, articles, list(stages), pure=False)


def _paired(chunk: list[Record], future: Any) -> Iterator[tuple[Record, Record]]:
    """Each record of ``chunk`` beside its result (``future``: a Dask or concurrent future, or
    the results themselves)."""
    try:
        results = iter(future if isinstance(future, list) else future.result())
    except Exception as exc:  # the task itself failed (a worker died): each of its articles is reported
        results = iter([failure_of(r, exc) for r in chunk if isinstance(r, Article)])
    for record in chunk:
        yield record, (next(results) if isinstance(record, Article) else record)


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system says, else the count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def proc_memory_mb(pid: int | str, table: str, field: str) -> float | None:
    """A memory figure of a process from Linux's /proc (``status`` VmHWM: peak resident;
    ``smaps_rollup`` Pss: resident with shared pages split among the processes sharing them)."""
    try:
        lines = Path(f"/proc/{pid}/{table}").read_text().splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) / 1024 for line in lines if line.startswith(field)), None)


def child_pids(pid: int) -> list[int]:
    """A process's children, from Linux's /proc (empty elsewhere): an ingest's workers."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


_WORKER_STAGES: list[Any] = []
#: Workers yield the CPU to anything more urgent on the machine (``storyline serve`` answering
#: searches while a backfill runs); alone, they run as fast as at the default priority.
WORKER_NICENESS = 10


def _start_worker(stages: list[Any], parent: int) -> None:
    """In each worker process, once: keep the stages, one BLAS thread (the workers are the
    parallelism), leave Ctrl-C to the parent, which stores what was read, and die with the
    parent: a worker outliving a killed ingest would hold its files (and the writer lock)."""
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's "stop reading" handler, when forked
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: killed when the parent dies
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(1)
    if hasattr(os, "nice"):  # POSIX
        with suppress(OSError):  # a system that refuses: full priority
            os.nice(WORKER_NICENESS)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - a core dependency
        pass
    _WORKER_STAGES[:] = stages


def _enrich_here(articles: list[Article]) -> list[Article | IngestFailure]:
    return enrich_partition(articles, _WORKER_STAGES)


class ProcessEngine:
    """Run movable per-article stages on worker processes of this machine; yield results in
    input order (the same events as one process).

    Args:
        workers: worker processes (default: one per core this process may use).
        chunk_size: articles per task: ``nlp.pipe`` gets a batch, results stream back steadily.
        in_flight: chunks submitted ahead of the one being consumed (bounds memory).
        min_records: a run of fewer records is enriched here: starting workers (each loads the
            models) would cost more than it saves. Once they run, every run goes to them.
    """

    def __init__(self, workers: int | None = None, *, chunk_size: int = 32, in_flight: int | None = None,
                 min_records: int = 96) -> None:
        self.workers = max(1, workers or available_cores())
        self.chunk_size = chunk_size
        self.in_flight = in_flight or 2 * self.workers
        self.min_records = min_records
        self._pool: Any = None
        self.used_workers = False  # whether a run started them (a short one does not)

    def __enter__(self) -> ProcessEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def description(self) -> str:
        return f"{self.workers} worker processes"

    def worker_peaks_mb(self) -> list[float]:
        """Each running worker's high-water mark of resident memory (Linux; empty elsewhere or
        before the workers start), for the benchmarks' memory figures."""
        return [mb for pid in self.worker_pids() if (mb := proc_memory_mb(pid, "status", "VmHWM:")) is not None]

    def worker_pids(self) -> list[int]:
        return [process.pid for process in list(getattr(self._pool, "_processes", {}).values())]

    def enrich(self, records: Iterable[Record], stages: Sequence[Stage]) -> Iterator[tuple[Record, Record]]:
        """(record, what the stages made of it) for every record, in input order. A record that
        is already a failure (unreadable input) is paired with itself."""
        stream = iter(records)
        first = list(islice(stream, self.min_records))
        if len(first) < self.min_records and self._pool is None:  # a short run: no start-up (unless done)
            yield from _paired(first, enrich_partition([r for r in first if isinstance(r, Article)], stages))
            return
        yield from _in_input_order(_chunks(chain(first, stream), self.chunk_size), lambda c: self._submit(c, stages),
                                   lambda chunk, result: self._collected(chunk, result, stages), self.in_flight)

    def _submit(self, chunk: list[Record], stages: Sequence[Stage]) -> Any:
        from concurrent.futures.process import BrokenProcessPool

        articles = [r for r in chunk if isinstance(r, Article)]
        if self._pool is None:
            self._pool = self._start(stages)
        try:
            return self._pool.submit(_enrich_here, articles)
        except BrokenProcessPool:  # a worker died earlier: the rest is enriched here
            return enrich_partition(articles, stages)

    def _start(self, stages: Sequence[Stage]) -> Any:
        import multiprocessing
        import sys
        from concurrent.futures import ProcessPoolExecutor

        # On Linux "fork": workers start at once with what this process imported, and a script that
        # calls the pipeline needs no ``if __name__ == "__main__"`` guard ("spawn" would run it again
        # in each worker). The executor forks them all before starting its own thread. Elsewhere
        # "spawn", where forking is unsafe (macOS) or absent (Windows).
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        self.used_workers = True
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context(method),
                                   initializer=_start_worker, initargs=(list(stages), os.getpid()))

    @staticmethod
    def _collected(chunk: list[Record], result: Any, stages: Sequence[Stage]
                   ) -> tuple[list[Record], list[Record]]:
        """A chunk's results; when its worker died (killed, out of memory), enriched here instead,
        so nothing read is lost."""
        if isinstance(result, list):
            return chunk, result
        from concurrent.futures.process import BrokenProcessPool

        try:
            return chunk, result.result()
        except BrokenProcessPool:
            return chunk, enrich_partition([r for r in chunk if isinstance(r, Article)], stages)


def _in_input_order(chunks: Iterator[list[Record]], submit: Callable[[list[Record]], Any],
                    collect: Callable[[list[Record], Any], tuple[list[Record], Any]], in_flight: int
                    ) -> Iterator[tuple[Record, Record]]:
    """Submit chunks, at most ``in_flight`` ahead of the one consumed (memory stays bounded),
    and yield each record beside its result in input order."""
    pending: deque[tuple[list[Record], Any]] = deque()
    for chunk in chunks:
        pending.append((chunk, submit(chunk)))
        if len(pending) >= in_flight:
            yield from _paired(*collect(*pending.popleft()))
    while pending:
        yield from _paired(*collect(*pending.popleft()))


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while chunk := list(islice(records, size)):
        yield chunk
