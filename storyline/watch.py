"""Continuous ingest: read the same sources again and again, and take only what is new.

``storyline watch`` is a loop of ordinary ingest runs (a *round* every ``--every``): feeds
and sitemaps are asked "changed since?" (a 304 costs nothing), pages already stored are not
fetched, and in a watched folder only files that are new or changed since the last round
are read. A source that is down is reported in its round and tried again in the next.

Stopping is cooperative: Ctrl-C or SIGTERM sets an event the ingest checks between
records, so the window in hand is linked and stored before the process exits, and the
next run stores exactly what this one had not (a second signal stops at once).
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyline.pipeline import IngestReport, Pipeline
from storyline.stages.ingest import IngestFailure, iter_paths
from storyline.stages.web import WebSettings, is_web_address
from storyline.store.base import Store

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m)?\s*(?:(\d+(?:\.\d+)?)\s*s?)?\s*$",
                       re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds in "90", "30s", "10m", "1h30m"; ValueError for anything else."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration: write 90, 30s, 10m or 1h30m")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C or SIGTERM (finish the window, store it, stop); a second
    signal stops at once. Outside the main thread (a test, a server) no handler is installed."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass
class Watcher:
    """Rounds of ingest over ``sources`` (folders, files, URLs of feeds, sitemaps and pages)."""

    pipeline: Pipeline
    store: Store
    sources: list[str]
    web: WebSettings = field(default_factory=WebSettings)
    _files: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (mtime_ns, size) when read

    def round(self, stop: threading.Event | None = None) -> IngestReport:
        """One ingest of what is new; a file read in a stopped round is read again next time."""
        inputs, seen, failures = self._new_inputs()
        if not inputs:
            report = IngestReport(failures=failures)
        else:
            report = self.pipeline.ingest(inputs, self.store, progress=False, web=self.web, stop=stop)
            report.failures[:0] = failures
        if not report.stopped:
            self._files.update(seen)
        return report

    def run(self, every: float, *, rounds: int | None = None, stop: threading.Event | None = None,
            on_round: Callable[[int, IngestReport], None] | None = None) -> int:
        """Rounds every ``every`` seconds until ``stop`` is set or ``rounds`` are done; the rounds run."""
        stop = stop or threading.Event()
        done = 0
        while not stop.is_set():
            report = self.round(stop)
            done += 1
            if on_round is not None:
                on_round(done, report)
            if report.stopped or (rounds is not None and done >= rounds):
                break
            stop.wait(every)
        return done

    def _new_inputs(self) -> tuple[list[str], dict[str, tuple[int, int]], list[IngestFailure]]:
        """URLs every round; files only when new or changed since they were last read."""
        inputs: list[str] = []
        seen: dict[str, tuple[int, int]] = {}
        failures: list[IngestFailure] = []
        for item in iter_paths(self.sources):
            if isinstance(item, IngestFailure):
                failures.append(item)
            elif is_web_address(item):
                inputs.append(str(item))
            elif isinstance(item, Path):
                try:
                    status = item.stat()
                except OSError:  # gone since it was listed: nothing to read
                    continue
                signature = (status.st_mtime_ns, status.st_size)
                if self._files.get(str(item)) != signature:
                    inputs.append(str(item))
                    seen[str(item)] = signature
            else:  # a path that does not exist (yet): reported by the ingest, looked for again next round
                inputs.append(str(item))
        return inputs, seen, failures
