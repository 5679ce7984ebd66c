"""Values read from the database, kept until it changes.

A listing that reads every event's members, or an event page's headline and sources, costs
more than a search; a reader asks for the same ones again and again between two commits of an
ingest. A :class:`Memo` keeps them until its ``stamp`` says the database changed. A store keeps
one for its own connection; a web server shares one between its request threads, over a stamp
every thread can compare (measured: with one memo per thread, 40 threads and a commit a second,
listings were read again on almost every request).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any

#: Values kept at most (then all are dropped): the events of a big database, in a few languages.
MAX_ENTRIES = 50_000


class Memo:
    """``compute()`` results by key, dropped whenever ``stamp()`` returns another value (a stamp of
    None: nothing is kept). Safe across threads; callers must not change what they get."""

    def __init__(self, stamp: Callable[[], Hashable | None]) -> None:
        self._stamp = stamp
        self._lock = threading.Lock()
        self._values: dict[Hashable, Any] = {}
        self._at: Hashable | None = None

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        return self.get_many([key], lambda missing: {key: compute()})[key]

    def get_many(self, keys: Iterable[Hashable], compute: Callable[[list[Hashable]], dict[Hashable, Any]]
                 ) -> dict[Hashable, Any]:
        """The values of ``keys``; ``compute(missing)`` gives those not kept, in one call.

        The stamp is read before computing, so a value is never kept under a stamp older than what
        it was read from (a commit meanwhile makes the next reader compute again)."""
        keys = list(keys)
        stamp = self._stamp()
        if stamp is None:
            return compute(keys)
        with self._lock:
            if stamp != self._at:
                self._values.clear()
                self._at = stamp
            found = {k: self._values[k] for k in keys if k in self._values}
        missing = [k for k in keys if k not in found]
        if missing:
            computed = compute(missing)
            found.update(computed)
            with self._lock:
                if self._at == stamp:
                    if len(self._values) + len(computed) > MAX_ENTRIES:
                        self._values.clear()
                    self._values.update(computed)
        return found

    def close(self) -> None:
        """Forget every value and close what the stamp reads from (a connection of its own, for a
        server's memo; a stamp read anew may repeat an old one)."""
        with self._lock:
            self._values.clear()
            self._at = None
        close = getattr(self._stamp, "close", None)
        if close is not None:
            close()
