"""One memo shared by a server's threads: kept until anyone commits, never older than what it read."""

from __future__ import annotations

import threading
from pathlib import Path

from storyline.pipeline import Pipeline
from storyline.stages.ingest import read_source
from storyline.store.memo import Memo
from storyline.store.sqlite import SQLiteStore
from tests.conftest import ARTICLES


def test_stores_sharing_a_memo_read_once_per_change_whoever_writes(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with SQLiteStore(db) as writer:
        Pipeline().ingest_records(read_source(ARTICLES / "en_quake.txt"), writer)
        memo = Memo(writer.shared_stamp())
        reads: list[str] = []

        def titles(store: SQLiteStore) -> list[str]:
            return store.memo("titles", lambda: reads.append("read") or [e["title"] for e in store.events()])

        def request() -> None:  # a server's request thread: a store of its own, the memo shared
            with SQLiteStore(db, create=False) as store:
                store.share_memo(memo)
                titles(store)

        threads = [threading.Thread(target=request) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert 1 <= len(reads) <= 3  # at most one read per thread arriving before the first kept it
        readers = [SQLiteStore(db, create=False) for _ in range(2)]
        for reader in readers:
            reader.share_memo(memo)
        before = len(reads)
        assert titles(readers[0]) == titles(readers[1]) and len(reads) == before
        writer.conn.execute("UPDATE events SET title = 'edited'")  # another connection commits
        titles(readers[1])
        assert len(reads) == before + 1
        memo.close()  # a server stopping: nothing kept, the stamp opened again on the next read
        titles(readers[0])
        assert len(reads) == before + 2
        for reader in readers:
            reader.close()


def test_events_come_from_the_memo_until_the_database_changes(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    with SQLiteStore(db) as writer, SQLiteStore(db, create=False) as reader:
        Pipeline().ingest_records(read_source(ARTICLES / "en_quake.txt"), writer)
        first = reader.events()
        event_id = first[0]["event_id"]
        again = reader.events([event_id])
        assert again == first and again[0] is not first[0]  # a copy: a caller adding keys changes no one else
        again[0]["sources"] = "added by a caller"
        assert "sources" not in reader.event(event_id)
        writer.conn.execute("UPDATE events SET merged_into = NULL, closed = 1")
        assert reader.event(event_id)["closed"] is True


def test_a_memo_without_a_stamp_keeps_nothing() -> None:
    memo = Memo(lambda: None)
    calls: list[int] = []
    assert [memo.get("k", lambda: calls.append(1) or len(calls)) for _ in range(3)] == [1, 2, 3]
