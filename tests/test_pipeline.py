import pytest

from storyline.errors import StorylineError
from storyline.pipeline import check_stages, clean_stage, default_stages, language_stage
from storyline.stages.dates import DateResolver


def test_pipeline_default_order_is_valid() -> None:
    check_stages(default_stages(use_ner=False))


def test_pipeline_rejects_a_stage_before_what_it_needs() -> None:
    with pytest.raises(StorylineError, match="needs 'text'"):
        check_stages([DateResolver(), clean_stage, language_stage])


def _stage_failing_on(word: str):  # type: ignore[no-untyped-def]
    from storyline.pipeline import stage

    @stage(needs=("text",), sets=())
    def fragile(article):  # type: ignore[no-untyped-def]
        if word in article.text:
            raise RuntimeError("a stage bug")
        return article

    return fragile


def _jsonl(path, texts):  # type: ignore[no-untyped-def]
    import json

    path.write_text("".join(json.dumps({"id": f"n{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    return path


TEXTS = [f"Flooding closed {n} roads in Lyon on Monday, March 6, 2023, officials said." for n in range(2, 7)]


def test_an_unexpected_error_in_a_stage_is_reported_with_its_line_and_the_rest_stored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storyline.pipeline import Pipeline
    from storyline.store.sqlite import SQLiteStore

    data = _jsonl(tmp_path / "news.jsonl", [*TEXTS[:2], TEXTS[2] + " BOOM", *TEXTS[3:]])
    stages = [*default_stages(use_ner=False), _stage_failing_on("BOOM")]
    with SQLiteStore(tmp_path / "s.db") as store:
        report = Pipeline(stages=stages).ingest([str(data)], store, progress=False)
        stored = store.count_articles()
    (failure,) = report.failures
    assert failure.code == "E090" and failure.line == 3 and failure.source == str(data)
    assert "RuntimeError: a stage bug" in failure.reason and "This is a bug" in failure.reason
    assert stored == 4 and len(report.ingested) == 4


def test_an_article_the_store_refuses_is_reported_and_its_batch_stored(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from storyline.pipeline import Pipeline
    from storyline.store.sqlite import SQLiteStore

    data = _jsonl(tmp_path / "news.jsonl", TEXTS)
    original = SQLiteStore._insert_article

    def refusing(self, article):  # type: ignore[no-untyped-def]
        if article.id == "n3":
            raise OSError("disk said no")
        original(self, article)

    monkeypatch.setattr(SQLiteStore, "_insert_article", refusing)
    with SQLiteStore(tmp_path / "s.db") as store:
        report = Pipeline(stages=default_stages(use_ner=False)).ingest([str(data)], store, progress=False)
        ids = sorted(a.id for a in store.iter_articles())
        checks = store.check()
        events = store.events()
    assert [(f.code, f.line) for f in report.failures] == [("E090", 4)]
    assert ids == ["n0", "n1", "n2", "n4"] and sorted(report.ingested) == ids
    assert all(c["ok"] for c in checks), checks
    assert sorted(a["id"] for e in events for a in e["articles"]) == ids  # the linkers forgot n3 too
