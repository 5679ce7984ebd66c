from datetime import date
from pathlib import Path

import pytest

from storyline.errors import NotFoundError, StorylineError
from storyline.link.events import OnlineEventClusterer
from storyline.link.stories import StoryLinker
from storyline.pipeline import Pipeline
from storyline.store.sqlite import SQLiteStore
from tests.conftest import ARTICLES


def test_store_roundtrip_keeps_every_field(tmp_path: Path, fresh_pipeline: Pipeline) -> None:
    db = tmp_path / "s.db"
    with SQLiteStore(db) as store:
        fresh_pipeline.ingest([str(ARTICLES / "fr_summit.txt")], store, progress=False)
        (article,) = list(store.iter_articles())
    assert article.id == "fr_summit"
    assert article.language == "fr"
    assert article.event_date.value is not None and article.event_date.value.isoformat() == "2023-03-03"
    assert {"Emmanuel Macron", "Olaf Scholz", "Berlin", "Ukraine"} <= {e.canonical for e in article.entities}
    assert article.embedding is not None and article.embedding.shape == (512,)
    assert article.dates and article.confidence["language"] > 0.5


def test_store_resumes_linker_state_so_ids_continue(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with SQLiteStore(db) as store:
        Pipeline().ingest([str(ARTICLES / "en_summit.txt")], store, progress=False)
    with SQLiteStore(db) as store:
        report = Pipeline().ingest([str(ARTICLES / "de_summit.txt"), str(ARTICLES / "en_quake.txt")], store,
                                   progress=False)
        events = store.events()
    assert report.events_created == 1
    assert [(e["event_id"], [a["id"] for a in e["articles"]]) for e in events] == [
        ("ev-000001", ["en_summit", "de_summit"]), ("ev-000002", ["en_quake"])]
    clusterer, linker = OnlineEventClusterer(), StoryLinker()
    with SQLiteStore(db) as store:
        store.load_linkers(clusterer, linker)
    assert clusterer.next_seq == 3 and set(clusterer.events) == {"ev-000001", "ev-000002"}


def test_store_same_content_is_stored_once(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    copy = tmp_path / "copy_of_summit.txt"
    copy.write_text((ARTICLES / "en_summit.txt").read_text())
    with SQLiteStore(db) as store:
        first = Pipeline().ingest([str(ARTICLES / "en_summit.txt")], store, progress=False)
        second = Pipeline().ingest([str(ARTICLES / "en_summit.txt"), str(copy)], store, progress=False)
        assert store.count_articles() == 1
    assert len(first.ingested) == 1 and len(second.duplicates) == 2


def test_store_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(StorylineError, match="storyline ingest"):
        SQLiteStore(tmp_path / "missing.db", create=False)
    not_db = tmp_path / "notes.db"
    not_db.write_text("this is not sqlite " * 100)
    with pytest.raises(StorylineError, match="not a Storyline database"):
        SQLiteStore(not_db)
    with SQLiteStore(tmp_path / "empty.db") as store, pytest.raises(NotFoundError):
        store.get_article("nope")


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    db = tmp_path / "filled.db"
    with SQLiteStore(db) as store:
        Pipeline().ingest([str(ARTICLES / "en_summit.txt"), str(ARTICLES / "en_quake.txt")], store, progress=False)
    return db


def _problems(db: Path) -> set[str]:
    with SQLiteStore(db) as store:
        return {r["check"] for r in store.check() if not r["ok"]}


def test_check_passes_on_a_healthy_file(filled: Path) -> None:
    assert _problems(filled) == set()


def test_check_finds_orphans_missing_index_rows_and_lost_events(filled: Path) -> None:
    with SQLiteStore(filled) as store:
        store.conn.execute("PRAGMA foreign_keys=OFF")
        store.conn.execute("DELETE FROM events WHERE event_id=?", (store.event_of("en_quake"),))
        store.conn.execute("INSERT INTO articles_fts (rowid, title, body, names) VALUES (99, 'x', 'y', 'z')")
        store.conn.execute("DELETE FROM event_articles WHERE article_id='en_summit'")
    assert _problems(filled) == {"rows pointing at missing articles or events", "search index",
                                 "every article in an event", "every event has articles"}


def _hold_fork_and_die(db: str, pid_file: str) -> None:
    """Take the writer lock, fork a child that lives on, and die holding the lock (as kill -9)."""
    import os
    import time

    with SQLiteStore(db).writer_lock():
        child = os.fork()
        if child == 0:
            time.sleep(60)
            os._exit(0)
        Path(pid_file).write_text(str(child))
        os._exit(0)  # no unlock, no close: only the OS lets go


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="forking is POSIX")
def test_a_process_forked_by_the_writer_does_not_hold_its_lock(tmp_path: Path) -> None:
    """An ingest killed while its worker processes live on must not keep the next ingest waiting."""
    import multiprocessing
    import os
    import signal
    import time

    db, pid_file = tmp_path / "forked.db", tmp_path / "child.pid"
    SQLiteStore(db).close()
    holder = multiprocessing.get_context("fork").Process(target=_hold_fork_and_die, args=(str(db), str(pid_file)))
    holder.start()
    deadline = time.monotonic() + 30
    while holder.is_alive() and time.monotonic() < deadline:  # not join(): the child keeps its pipe open
        time.sleep(0.05)
    child = int(pid_file.read_text())
    try:
        os.kill(child, 0)  # still alive
        with SQLiteStore(db) as other, other.writer_lock(wait=False):
            pass
    finally:
        os.kill(child, signal.SIGKILL)


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    import threading

    from storyline.stages.ingest import read_source

    db = tmp_path / "locked.db"
    with SQLiteStore(db) as holder, SQLiteStore(db) as other:
        with holder.writer_lock(), pytest.raises(StorylineError, match="E017"), other.writer_lock(wait=False):
            pass
        waited: list[bool] = []
        with holder.writer_lock():
            pipeline = Pipeline()
            pipeline.on_wait = lambda: waited.append(True)
            thread = threading.Thread(target=lambda: pipeline.ingest_records(
                read_source(ARTICLES / "en_quake.txt"), SQLiteStore(db)))
            thread.start()
            thread.join(timeout=1.0)
            assert thread.is_alive() and waited == [True]  # the second writer waits for the first
        thread.join(timeout=60)
        assert not thread.is_alive() and other.count_articles() == 1


def test_a_merge_moves_articles_keeps_the_old_id_and_is_listed_in_lineage(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from storyline.cli import main

    db = tmp_path / "merge.db"
    pipeline = Pipeline(clusterer=OnlineEventClusterer(merge_threshold=0.5))
    with SQLiteStore(db) as store:
        pipeline.clusterer.threshold, threshold = 1.01, pipeline.clusterer.threshold  # two events first
        pipeline.ingest([str(ARTICLES / "en_summit.txt")], store, progress=False)
        pipeline.ingest([str(ARTICLES / "fr_summit.txt")], store, progress=False)
        pipeline.clusterer.threshold = threshold
        pipeline.ingest([str(ARTICLES / "de_summit.txt")], store, progress=False)  # matches both
        (merge,) = store.lineage()
        listed = store.events()
        (retired,) = store.events([merge["event_id"]])
        assert all(check["ok"] for check in store.check())
        resumed = OnlineEventClusterer()  # what a run after a crash would start from
        store.load_linkers(resumed, StoryLinker())
    (merged,) = pipeline.clusterer.events.values()
    (restored,) = resumed.events.values()
    # the same order of reports (and so of members) as the run that merged: a resumed run decides alike
    assert restored.article_ids == merged.article_ids
    assert [m.to_json() for m in restored.members] == [m.to_json() for m in merged.members]
    assert merge["article_id"] == "de_summit" and merge["why"]["probability"] >= 0.5
    assert [e["event_id"] for e in listed] == [merge["into_event_id"]]
    assert sorted(a["id"] for a in listed[0]["articles"]) == ["de_summit", "en_summit", "fr_summit"]
    assert retired["merged_into"] == merge["into_event_id"] and retired["articles"] == []
    shown = CliRunner().invoke(main, ["events", "--lineage", "--db", str(db)])
    assert shown.exit_code == 0 and merge["event_id"] in shown.output and "de_summit" in shown.output


def test_a_closed_story_is_found_by_its_people_and_reopened(tmp_path: Path) -> None:
    """Stories close (memory stays flat) yet an undated report still reaches the old story
    through the store, which then holds it as open again."""
    db = tmp_path / "s.db"

    def pipeline() -> Pipeline:
        return Pipeline(linker=StoryLinker(window_days=30, close_after_days=30))

    undated = tmp_path / "undated.txt"
    undated.write_text("Macron and Scholz back more armoured vehicles for Ukraine\n\n"
                       "French President Emmanuel Macron and German Chancellor Olaf Scholz agreed in Berlin to send "
                       "more armoured vehicles to Ukraine, their offices said. Macron called the aid package vital; "
                       "Scholz said Germany and France would deliver it together.\n")
    later = tmp_path / "floods.txt"  # moves the clock on: every event and story above has closed
    later.write_text("Floods hit Valencia\n\nHeavy rain flooded Valencia on Monday, December 4, 2023, and the "
                     "regional government closed schools along the coast.\n")
    with SQLiteStore(db) as store:
        pipeline().ingest([str(ARTICLES / "en_summit.txt"), str(ARTICLES / "en_phone_call.txt"), str(later)],
                          store, progress=False)
        def story_of(article_id: str) -> str:
            return store.events([store.event_of(article_id)])[0]["story_id"]

        summit, phone_call = story_of("en_summit"), story_of("en_phone_call")
        assert [s.story_id for s in store.closed_stories({"Olaf Scholz"})] == [summit, phone_call]
        assert store.closed_stories({"Nobody Known"}) == []
        # undated: the most recently active first when a name is in many; dated: only stories in reach
        assert [s.story_id for s in store.closed_stories({"Olaf Scholz"}, limit=1)] == [phone_call]
        summit_story = store.closed_stories({"Olaf Scholz"})[0]
        assert summit_story.first_date is not None
        assert [s.story_id for s in store.closed_stories({"Olaf Scholz"}, summit_story.first_date, 1)] == [summit]
        assert store.closed_stories({"Olaf Scholz"}, date(1990, 1, 1), 30) == []
        pipeline().ingest([str(undated)], store, progress=False)
        assert story_of("undated") == summit
        assert [s.story_id for s in store.closed_stories({"Olaf Scholz"})] == [phone_call]  # summit: open again
        assert store.conn.execute("SELECT closed FROM stories WHERE story_id=?", (summit,)).fetchone()[0] == 0


def test_a_split_is_stored_with_its_lineage_and_the_reports_move(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from storyline.cli import main
    from storyline.pipeline import IngestReport
    from tests.link.test_events import _vector_articles

    model = {"features": ["cosine"], "bias": -10.0, "weights": {"cosine": 14.0}, "threshold": 0.4}
    pipeline = Pipeline(clusterer=OnlineEventClusterer(model=model, merge_threshold=None, min_cosine=-1.0))
    articles = _vector_articles([("a1", 0), ("a2", 2), ("a3", 4), ("bridge", 45),
                                 ("b1", 88), ("b2", 90), ("b3", 92), ("b4", 89)])
    with SQLiteStore(tmp_path / "s.db") as store:
        pipeline._link_and_store(articles, store, IngestReport())
        (split,) = store.lineage()
        assert (split["kind"], split["event_id"], split["into_event_id"]) == ("split", "ev-000001", "ev-000002")
        moved = set(split["why"]["moved"])
        assert {"b1", "b2", "b3", "b4"} <= moved and split["why"]["cross_probability"] < 0.3
        events = {e["event_id"]: {a["id"] for a in e["articles"]} for e in store.events()}
        assert events["ev-000002"] == moved and events["ev-000001"] == {a.id for a in articles} - moved
        assert all(check["ok"] for check in store.check())
        clusterer, linker = OnlineEventClusterer(model=model), StoryLinker()
        store.load_linkers(clusterer, linker)  # a later run resumes both, numbering after them
        assert set(clusterer.events) == {"ev-000001", "ev-000002"} and clusterer.next_seq == 3
    shown = CliRunner().invoke(main, ["events", "--lineage", "--db", str(tmp_path / "s.db")])
    assert shown.exit_code == 0 and "split" in shown.output and "groups of" in shown.output


def test_two_writers_through_a_symlink_take_one_lock(tmp_path: Path) -> None:
    """Regression: `link.db -> c1.db` took another lock file, and the second writer crashed with
    'UNIQUE constraint failed: events.seq', losing its articles."""
    real = tmp_path / "c1.db"
    link = tmp_path / "link.db"
    link.symlink_to(real)
    with SQLiteStore(real) as holder, SQLiteStore(link) as other, holder.writer_lock(), \
            pytest.raises(StorylineError, match="E017"), other.writer_lock(wait=False):
        pass


def test_two_ingest_processes_through_a_symlink_both_store_everything(tmp_path: Path) -> None:
    import subprocess
    import sys

    from storyline.synthetic import write_jsonl

    real, link = tmp_path / "c1.db", tmp_path / "link.db"
    link.symlink_to(real)
    first, second = write_jsonl(tmp_path / "a.jsonl", 30), write_jsonl(tmp_path / "b.jsonl", 30, seed=4)
    runs = [subprocess.Popen([sys.executable, "-m", "storyline.cli", "ingest", str(data), "--db", str(db),
                              "--no-ner", "--no-progress"], stderr=subprocess.PIPE, text=True)
            for data, db in ((first, real), (second, link))]
    for run in runs:
        _, said = run.communicate(timeout=600)
        assert run.returncode == 0, said
    with SQLiteStore(real) as store:
        assert store.count_articles() == 60
        assert all(r["ok"] for r in store.check())


def test_read_commands_leave_a_foreign_sqlite_file_byte_identical(tmp_path: Path) -> None:
    import hashlib
    import sqlite3

    from click.testing import CliRunner

    from storyline.cli import main

    other = tmp_path / "other_app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    for command in (["doctor"], ["events"], ["articles"], ["stories"], ["search", "x"], ["export"]):
        result = CliRunner().invoke(main, [*command, "--db", str(other)])
        assert result.exit_code == 1 and "E013" in result.output and "Traceback" not in result.output, command
    result = CliRunner().invoke(main, ["ingest", str(ARTICLES / "en_quake.txt"), "--db", str(other)])
    assert result.exit_code == 1 and "not a Storyline database" in result.output
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other_app.db"]  # no -wal, -shm or .lock left


def test_a_file_this_process_may_not_write_is_read_read_only(filled: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a read-only Storyline file was called 'not a Storyline database'. (Tests run as
    root, who may write anything, so the permission check is what is replaced.)"""
    import storyline.store.sqlite as backend

    monkeypatch.setattr(backend, "_writable", lambda path: False)
    with SQLiteStore(filled, create=False) as store:
        assert store.read_only and store.count_articles() == 2 and store.events()
        assert all(r["ok"] for r in store.check())
    with pytest.raises(StorylineError, match="E022"):
        SQLiteStore(filled)  # a writer is told it cannot write, before it reads anything


def test_stories_left_empty_by_merges_are_not_listed_and_doctor_notes_them(filled: Path) -> None:
    with SQLiteStore(filled) as store:
        stories = store.stories()
        assert len(stories) == 2
        ghost, kept = stories[0]["story_id"], stories[1]["events"][0]["event_id"]
        store.conn.execute("UPDATE events SET merged_into=? WHERE story_id=?", (kept, ghost))
        assert [s["story_id"] for s in store.stories()] == [stories[1]["story_id"]]
        assert store.counts()["stories"] == 1
        with pytest.raises(NotFoundError, match="List them with 'storyline stories'"):
            store.story(ghost)
        note = next(r for r in store.check() if r["check"] == "stories left empty by merges")
    assert note["ok"] and note["note"] and note["detail"].startswith("1 stories")


def test_a_read_only_file_in_a_folder_nobody_may_write_is_still_read(filled: Path, tmp_path: Path) -> None:
    """No -shm can be created beside it, which a WAL file needs even to be read: it is read as
    immutable instead of being called 'not a Storyline database'. An immutable folder stands in for
    one this user may not write (tests run as root); skipped where chattr cannot set it."""
    import shutil
    import subprocess

    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(filled, folder / "archive.db")
    (folder / "archive.db").chmod(0o444)
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        with SQLiteStore(folder / "archive.db", create=False) as store:
            assert store.read_only and store.count_articles() == 2 and len(store.events()) == 2
        with pytest.raises(StorylineError, match="E022"):
            SQLiteStore(folder / "archive.db")
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=False)


def test_memo_is_kept_until_any_connection_changes_the_database(tmp_path: Path) -> None:
    from storyline.stages.ingest import read_source

    db = tmp_path / "memo.db"
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with SQLiteStore(db) as reader, SQLiteStore(db) as writer:
        assert reader.memo("k", compute) == 1 and reader.memo("k", compute) == 1  # no change: kept
        Pipeline().ingest_records(read_source(ARTICLES / "en_quake.txt"), writer)
        assert reader.memo("k", compute) == 2  # another connection committed
        assert writer.memo("k", compute) == 3 and writer.memo("k", compute) == 3
        writer.conn.execute("UPDATE events SET title = 'edited'")
        writer.conn.commit()
        assert writer.memo("k", compute) == 4  # its own write too
