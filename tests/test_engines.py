"""Engines: per-article stages on worker processes or Dask, the same events as the single-process path."""

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storyline.article import Article
from storyline.engines import DaskEngine, ProcessEngine, enrich_partition
from storyline.errors import StorylineError
from storyline.pipeline import Pipeline, default_stages, split_for_workers
from storyline.stages.dates import DateResolver
from storyline.stages.entities import EntityRecognizer, NamedEntitySpans
from storyline.store.sqlite import SQLiteStore

needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="Dask is an optional dependency: pip install 'storyline[dask]'")

FIXTURES = Path(__file__).parent / "fixtures" / "articles"


def test_split_moves_stateless_stages_and_the_ner_model_to_workers() -> None:
    workers, here = split_for_workers(default_stages())
    names = [getattr(s, "__name__", type(s).__name__) for s in workers]
    assert names == ["clean", "identify_language", "NamedEntitySpans", "DateResolver"]
    assert [type(s) for s in here] == [EntityRecognizer]


def test_split_refuses_a_worker_stage_that_needs_what_stays_here() -> None:
    class NeedsEntities(DateResolver):
        needs = ("entities",)

    with pytest.raises(StorylineError, match="needs 'entities'"):
        split_for_workers([*default_stages(), NeedsEntities()])


def test_worker_part_then_resolution_equals_the_whole_stage(fixture_articles) -> None:
    """Spans computed elsewhere and resolved here give the entities the whole stage gives."""
    for article in fixture_articles.values():
        whole = EntityRecognizer()(_copy(article))
        split = EntityRecognizer()(NamedEntitySpans()(_copy(article)))
        assert split.entities == whole.entities and split.entities
        assert "ner_spans" not in split.extras  # consumed, not stored


def test_enrich_partition_turns_an_unusable_article_into_a_failure() -> None:
    workers, _ = split_for_workers(default_stages(use_ner=False))
    good = Article(id="a", source="a.txt", raw_text=(FIXTURES / "en_quake.txt").read_text(encoding="utf-8"))
    empty = Article(id="b", source="b.txt", raw_text="Accept cookies")
    out = enrich_partition([good, empty], workers)
    assert isinstance(out[0], Article) and out[0].language == "en"
    assert out[1].source == "b.txt" and out[1].code == "E006"


def test_enrich_partition_reports_an_unexpected_error_and_keeps_the_rest() -> None:
    """A stage that raises on one article, alone or in a batch (``many``), fails that article only."""

    class Fragile:
        needs, sets, stateless = ("text",), (), True

        def __call__(self, article: Article) -> Article:
            if "BOOM" in article.text:
                raise RuntimeError("a stage bug")
            return article

        def many(self, articles: list[Article]) -> list[Article]:
            return [self(a) for a in articles]

    workers, _ = split_for_workers(default_stages(use_ner=False))
    text = (FIXTURES / "en_quake.txt").read_text(encoding="utf-8")
    articles = [Article(id=n, source=f"{n}.txt", raw_text=text + extra) for n, extra in
                (("a", ""), ("b", "\nBOOM went the stage."), ("c", "\nA third report."))]
    out = enrich_partition(articles, [*workers, Fragile()])
    assert [type(r).__name__ for r in out] == ["Article", "IngestFailure", "Article"]
    assert out[1].code == "E090" and "RuntimeError: a stage bug" in out[1].reason


def _copy(article: Article) -> Article:
    import copy

    fresh = copy.deepcopy(article)
    fresh.entities = []
    fresh.extras.pop("lead_entities", None)
    return fresh


def _inputs(tmp_path: Path) -> Path:
    """The fixtures, one of them twice, and a file with no article in it."""
    folder = tmp_path / "in"
    shutil.copytree(FIXTURES, folder)
    shutil.copy(FIXTURES / "en_summit.txt", folder / "zz_copy_of_summit.txt")
    (folder / "cookies.txt").write_text("Accept cookies\n", encoding="utf-8")
    return folder


def _stored(db: Path) -> dict:
    with SQLiteStore(db, create=False) as store:
        return {"events": store.events(), "stories": store.stories(),
                "articles": [(a.id, a.language, [(e.canonical, e.type, e.count) for e in a.entities],
                              a.event_date.value, store.event_of(a.id)) for a in store.iter_articles()]}


def _ingest(folder: Path, db: Path, engine: DaskEngine | ProcessEngine | None) -> dict:
    pipeline = Pipeline(order_window=3)  # several windows, so order across partitions matters
    with SQLiteStore(db) as store:
        report = pipeline.ingest([str(folder)], store, engine=engine, progress=False)
    return report.to_json()


@pytest.fixture(scope="module")
def single_process(tmp_path_factory) -> tuple[Path, dict, dict]:
    tmp = tmp_path_factory.mktemp("single")
    folder = _inputs(tmp)
    report = _ingest(folder, tmp / "single.db", None)
    return folder, report, _stored(tmp / "single.db")


@needs_dask
def test_local_cluster_gives_the_same_events_as_one_process(single_process, tmp_path) -> None:
    folder, report, stored = single_process
    with DaskEngine(workers=2, partition_size=2) as engine:
        assert len(engine.client.scheduler_info()["workers"]) == 2
        dask_report = _ingest(folder, tmp_path / "dask.db", engine)
    assert dask_report == report
    assert report["ingested"] == 5 and report["duplicates"] == 1 and report["failed"] == 1
    assert _stored(tmp_path / "dask.db") == stored


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@needs_dask
def test_a_real_scheduler_with_two_worker_processes(single_process, tmp_path) -> None:
    folder, report, stored = single_process
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = [str(Path(sys.executable).with_name("dask"))]  # the CLI that installs with distributed
    logs = tmp_path / "logs.txt"
    with logs.open("w") as log:
        scheduler = subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                      "--no-dashboard"], stdout=log, stderr=log)
        worker = subprocess.Popen([*dask, "worker", address, "--nworkers", "2", "--nthreads", "1",
                                   "--no-dashboard", "--host", "127.0.0.1"], stdout=log, stderr=log)
        try:
            with DaskEngine(address, partition_size=2) as engine:
                engine.client.wait_for_workers(2, timeout=120)
                assert engine._cluster is None  # nothing started here
                dask_report = _ingest(folder, tmp_path / "remote.db", engine)
        finally:
            for process in (worker, scheduler):
                process.terminate()
                process.wait(timeout=60)
    assert dask_report == report
    assert _stored(tmp_path / "remote.db") == stored


@needs_dask
def test_an_unreachable_scheduler_is_a_clear_error() -> None:
    started = time.monotonic()
    with pytest.raises(StorylineError, match="Cannot reach the Dask scheduler"):
        DaskEngine(f"tcp://127.0.0.1:{_free_port()}", connect_timeout=2)
    assert time.monotonic() - started < 30


def test_worker_processes_give_the_same_events_as_one_process(single_process, tmp_path) -> None:
    folder, report, stored = single_process
    with ProcessEngine(2, chunk_size=2, min_records=1) as engine:
        processes = _ingest(folder, tmp_path / "processes.db", engine)
        assert engine.used_workers and len(engine.worker_peaks_mb()) == 2
    assert processes == report
    assert _stored(tmp_path / "processes.db") == stored


def test_a_short_run_starts_no_worker(single_process, tmp_path) -> None:
    """Fewer records than ``min_records``: enriched here, no start-up cost, the same result."""
    folder, report, stored = single_process
    with ProcessEngine(2, min_records=1000) as engine:
        assert _ingest(folder, tmp_path / "short.db", engine) == report
        assert not engine.used_workers
    assert _stored(tmp_path / "short.db") == stored


def test_once_the_workers_run_a_short_run_goes_to_them_too() -> None:
    """`similar --pairs` hands the engine one window of articles at a time; the last is short."""
    workers, _ = split_for_workers(default_stages(use_ner=False))
    text = (FIXTURES / "en_quake.txt").read_text(encoding="utf-8")
    articles = [Article(id=str(n), source=f"{n}.txt", raw_text=f"{text}\nReport {n}.") for n in range(6)]
    with ProcessEngine(2, chunk_size=2, min_records=4) as engine:
        first = list(engine.enrich(articles[:4], [*workers, _WhereRun()]))
        assert engine.used_workers
        last = list(engine.enrich(articles[4:], [*workers, _WhereRun()]))
    assert all(result.extras["pid"] != os.getpid() for _, result in first + last)


class _WhereRun:
    """A stage noting the process it ran in."""

    needs, sets, stateless = ("text",), (), True

    def __call__(self, article: Article) -> Article:
        article.extras["pid"] = os.getpid()
        return article


class _DiesInAWorker:
    """A stage whose process dies (as one killed for memory would) on the article saying DIE."""

    needs, sets, stateless = ("text",), (), True

    def __init__(self) -> None:
        self.parent = os.getpid()

    def __call__(self, article: Article) -> Article:
        if "DIE" in article.text and os.getpid() != self.parent:
            os._exit(1)
        return article


def test_a_worker_that_dies_loses_nothing() -> None:
    """Its chunk, and every one after it, is enriched here instead."""
    workers, _ = split_for_workers(default_stages(use_ner=False))
    text = (FIXTURES / "en_quake.txt").read_text(encoding="utf-8")
    articles = [Article(id=str(n), source=f"{n}.txt", raw_text=f"{text}\nReport {n}." + ("\nDIE" if n == 3 else ""))
                for n in range(8)]
    with ProcessEngine(2, chunk_size=2, min_records=1) as engine:
        out = list(engine.enrich(articles, [*workers, _DiesInAWorker()]))
    assert [record.id for record, _ in out] == [str(n) for n in range(8)]
    assert all(isinstance(result, Article) and result.language == "en" for _, result in out)


def test_cli_engine_options_go_with_their_engine(tmp_path) -> None:
    from click.testing import CliRunner

    from storyline.cli import main

    db = str(tmp_path / "x.db")
    result = CliRunner().invoke(main, ["ingest", str(FIXTURES), "--db", db, "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "--scheduler goes with --engine dask" in result.output
    result = CliRunner().invoke(main, ["ingest", str(FIXTURES), "--db", db, "--engine", "local", "--workers", "2"])
    assert result.exit_code == 2 and "--workers goes with --engine auto, processes or dask" in result.output
    assert not (tmp_path / "x.db").exists()


def test_ner_spans_in_a_batch_equal_one_at_a_time(fixture_articles) -> None:
    import copy

    articles = [copy.deepcopy(a) for a in fixture_articles.values()]
    one = [NamedEntitySpans()(copy.deepcopy(a)).extras["ner_spans"] for a in articles]
    many = [a.extras["ner_spans"] for a in NamedEntitySpans().many(articles)]
    assert many == one and any(one)
