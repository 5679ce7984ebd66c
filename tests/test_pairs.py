"""Batch pair scoring (streaming, malformed lines) and `storyline eval similarity`, on fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyline.cli import main
from storyline.compare import DIMENSIONS
from storyline.pairs import PairLine, evaluate, graded_pairs_from_documents, read_pairs, score_pairs
from storyline.pipeline import Pipeline
from tests.conftest import ARTICLES


def _text(name: str) -> str:
    return (ARTICLES / f"{name}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = [json.dumps({"pair_id": "p1", "text1": _text("en_summit"), "text2": _text("fr_summit"), "lang2": "fr"}),
             "{not json",
             json.dumps({"pair_id": "p3", "text1": _text("en_summit")}),
             json.dumps({"pair_id": "p4", "text1": _text("en_summit"), "text2": _text("en_quake")}),
             json.dumps({"pair_id": "p5", "text1": _text("de_summit"), "text2": _text("en_phone_call"),
                         "title1": "Macron und Scholz in Berlin", "published2": "2023-06-20"})]
    path = tmp_path_factory.mktemp("pairs") / "pairs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_similar_pairs_cli_scores_in_order_and_reports_bad_lines(pairs_file: Path) -> None:
    result = CliRunner().invoke(main, ["similar", "--pairs", str(pairs_file), "--no-progress"])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["pair_id"] for o in out] == ["p1", "p4", "p5"]
    assert all(set(DIMENSIONS) | {"same_event", "pair_id"} == set(o) for o in out)
    assert out[0]["same_event"] > out[1]["same_event"]
    assert "line 2" in result.stderr and "line 3" in result.stderr and "text2" in result.stderr
    assert "2 line(s) could not be scored" in result.stderr


def test_similar_pairs_quick_skips_the_second_reader(pairs_file: Path) -> None:
    quick = CliRunner().invoke(main, ["similar", "--pairs", str(pairs_file), "--quick", "--no-progress",
                                      "--format", "json"])
    assert quick.exit_code == 0, quick.output
    out = [json.loads(line) for line in quick.stdout.splitlines()]
    assert [o["pair_id"] for o in out] == ["p1", "p4", "p5"]
    assert all("opening_e5_cosine" not in o["explanation"]["signals"] for o in out)
    assert out[0]["same_event"] > out[1]["same_event"]


def test_scoring_streams_a_chunk_at_a_time(pairs_file: Path) -> None:
    pulled: list[int] = []

    def lines():  # type: ignore[no-untyped-def]
        for number, line in enumerate(pairs_file.read_text().splitlines() * 3, start=1):
            pulled.append(number)
            yield line

    scored = score_pairs(read_pairs(lines(), "x"), Pipeline(), chunk=2)
    first, _ = next(scored)
    assert first.pair_id == "p1"
    assert len(pulled) < 15  # the first results come before the whole input is read


@pytest.mark.slow
def test_worker_processes_give_the_scores_of_one_process(pairs_file: Path) -> None:
    """`similar --pairs` enriches on worker processes (and reads each opening there); the names
    learnt across articles are resolved here in input order, so nothing may differ. A text that is
    all furniture is read raw at its place in the order, as in one process."""
    from storyline.engines import ProcessEngine

    furniture = json.dumps({"pair_id": "p6", "text1": "Accept cookies\nPrivacy policy\nSubscribe",
                            "text2": _text("en_quake")})
    lines = [*pairs_file.read_text().splitlines(), furniture] * 2

    def scores(engine: ProcessEngine | None) -> list[tuple]:
        return [(item.pair_id, result["dimensions"], result["same_event"], result["explanation"]["signals"])
                for item, result in score_pairs(read_pairs(lines, "x"), Pipeline(), engine=engine)]

    alone = scores(None)
    with ProcessEngine(workers=2, min_records=1, chunk_size=2) as engine:
        together = scores(engine)
        assert engine.used_workers
    assert [row[0] for row in alone] == ["p1", "p4", "p5", "p6"] * 2
    assert together == alone
    assert "opening_e5_cosine" in alone[0][3]


def test_similar_two_files_and_two_ids(tmp_path: Path) -> None:
    runner = CliRunner()
    files = runner.invoke(main, ["similar", str(ARTICLES / "en_summit.txt"), str(ARTICLES / "de_summit.txt"),
                                 "--format", "json"])
    assert files.exit_code == 0, files.output
    result = json.loads(files.stdout)
    assert result["same_event"] > 0.5 and "Olaf Scholz" in result["explanation"]["shared_entities"]
    db = tmp_path / "s.db"
    assert runner.invoke(main, ["ingest", str(ARTICLES), "--db", str(db)]).exit_code == 0
    ids = runner.invoke(main, ["similar", "en_summit", "en_quake", "--db", str(db)])
    assert ids.exit_code == 0 and "same event:" in ids.output and "geography" in ids.output
    missing = runner.invoke(main, ["similar", "en_summit", "nope", "--db", str(db)])
    assert missing.exit_code == 1 and "nope" in missing.output and "Traceback" not in missing.output


def test_graded_pairs_from_documents(tmp_path: Path) -> None:
    docs = [{"id": "a1", "text": "x", "topic": 1, "cluster": "A"},
            {"id": "a2", "text": "y", "topic": 1, "cluster": "A"},
            {"id": "b1", "text": "z", "topic": 1, "cluster": "B"},
            {"id": "c1", "text": "w", "topic": 2, "cluster": "C"}]
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in docs))
    grades = {p["pair_id"]: p["grade"] for p in graded_pairs_from_documents(path)}
    assert grades["a1|a2"] == 3 and grades["a1|b1"] == 2 and grades["a2|b1"] == 2
    assert sum(1 for g in grades.values() if g == 1) == 2  # as many other-topic pairs as same-topic ones


def test_evaluate_against_hand_made_scores() -> None:
    def scored(grade: int, overall: float, same: float, langs: tuple[str, str]):  # type: ignore[no-untyped-def]
        from storyline.article import Article

        a, b = (Article(id=i, source="t", raw_text="", language=lang) for i, lang in zip("ab", langs, strict=True))
        return PairLine(1, record={"grade": grade}, a=a, b=b), {"dimensions": {"overall": overall},
                                                                "same_event": same}

    report = evaluate([scored(3, 0.9, 0.8, ("en", "en")), scored(3, 0.8, 0.7, ("en", "fr")),
                       scored(2, 0.5, 0.75, ("en", "en")), scored(1, 0.1, 0.0, ("fr", "en"))])
    assert report["pairs"] == 4
    # ranks 4,3,2,1 against 3.5,3.5,2,1: cov 4.5, variances 5 and 4.5 → 4.5 / sqrt(22.5)
    assert report["total"]["spearman_overall"] == pytest.approx(4.5 / 22.5 ** 0.5, abs=1e-4)
    assert report["total"]["roc_auc_same_event"] == pytest.approx(0.5)  # 0.8 > 0.75 but 0.7 < 0.75
    assert set(report["by_language_pair"]) == {"en-en", "en-fr"}


def test_eval_similarity_cli_on_documents(tmp_path: Path) -> None:
    docs = [{"id": n, "lang": n[:2], "title": "", "text": _text(n), "topic": 1 if "quake" not in n else 2,
             "cluster": "summit" if "summit" in n else n} for n in
            ("en_summit", "fr_summit", "de_summit", "en_phone_call", "en_quake")]
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in docs))
    result = CliRunner().invoke(main, ["eval", "similarity", "--data", str(path), "--format", "json", "--no-progress"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["total"]["roc_auc_same_event"] == 1.0  # the three summit reports beat the phone call
    assert "de-en" in report["by_language_pair"] and report["total"]["spearman_overall"] > 0.5


def test_evaluate_scores_each_dimension_beside_tfidf() -> None:
    """SemEval-style records (seven gold dimensions, 1 = very similar): every dimension is scored
    with the sign flipped, and the TF-IDF cosine of the texts stands beside it."""
    from storyline.article import Article

    texts = [("Earthquake in Norcia kills twelve", "Earthquake in Norcia: twelve dead"),
             ("Storm floods Venice lagoon", "Venice lagoon flooded by storm surge"),
             ("Election results in Poland", "Football cup final in Madrid"),
             ("Parliament passes budget", "Chess champion wins again")]
    items = []
    for number, ((one, two), gold) in enumerate(zip(texts, (1.0, 1.5, 3.5, 4.0), strict=True), start=1):
        record = {"text1": one, "text2": two, "overall": gold} | {name: gold for name in DIMENSIONS}
        a, b = Article(id=f"{number}a", source="t", raw_text=one, language="en"), \
            Article(id=f"{number}b", source="t", raw_text=two, language="en")
        similarity = (4.0 - gold) / 3.0
        items.append((PairLine(number, record=record, a=a, b=b),
                      {"dimensions": dict.fromkeys(DIMENSIONS, similarity), "same_event": similarity}))
    report = evaluate(items, similar_high=False, failed=1)
    total = report["total"]
    assert report["failed"] == 1 and report["pairs"] == 4
    assert set(total["pearson_by_dimension"]) == set(DIMENSIONS)
    assert total["pearson_by_dimension"]["geography"] == pytest.approx(1.0)  # a perfect scorer
    assert total["pearson_overall"] == pytest.approx(1.0)
    assert 0.5 < total["tfidf_pearson_overall"] < 1.0  # shared words track the gold, not perfectly
    assert total["tfidf_pearson_by_dimension"]["tone"] == total["tfidf_pearson_overall"]


def test_eval_similarity_cli_prints_seven_dimensions_and_the_baseline(tmp_path: Path) -> None:
    gold = {"geography": 1.0, "entities": 1.0, "time": 1.0, "narrative": 1.5, "overall": 1.0, "style": 2.0,
            "tone": 1.5}
    far = dict.fromkeys(gold, 4.0)
    lines = [{"pair_id": "same", "text1": _text("en_summit"), "text2": _text("fr_summit"), **gold},
             {"pair_id": "topic", "text1": _text("en_summit"), "text2": _text("en_phone_call"),
              **dict.fromkeys(gold, 2.5)},
             {"pair_id": "other", "text1": _text("en_summit"), "text2": _text("en_quake"), **far},
             {"pair_id": "broken", "text1": _text("en_summit"), **far}]
    path = tmp_path / "semeval.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    table = CliRunner().invoke(main, ["eval", "similarity", "--data", str(path), "--gold-similar-low",
                                      "--no-progress"])
    assert table.exit_code == 0, table.output
    assert "3 graded pairs, 1 could not be scored" in table.output and "missing or empty text2" in table.output
    assert "tf-idf" in table.output and "Pearson geography" in table.output and "Pearson tone" in table.output
    report = json.loads(CliRunner().invoke(main, ["eval", "similarity", "--data", str(path), "--gold-similar-low",
                                                  "--no-progress", "--format", "json"]).stdout)
    assert report["failed"] == 1 and report["total"]["pearson_overall"] > 0.9  # same > topic > other


def test_pairs_are_scored_in_this_process_on_a_machine_with_one_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """`similar --pairs` and `eval similarity` run on the engine `ingest` picks by default."""
    import storyline.engines as engines
    from storyline.commands.common import run_engine

    monkeypatch.setattr(engines, "available_cores", lambda: 1)
    with run_engine("processes", None, None) as engine:
        assert engine is None
    monkeypatch.setattr(engines, "available_cores", lambda: 2)
    with run_engine("processes", None, None) as engine:
        assert isinstance(engine, engines.ProcessEngine) and engine.workers == 2
