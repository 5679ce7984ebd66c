"""`storyline bench` runs the real pipeline on generated articles and reports every stage."""

import json
from pathlib import Path

from click.testing import CliRunner

from storyline.article import Article, DatedValue
from storyline.bench import run
from storyline.cli import main
from tests.conftest import ARTICLES


def test_bench_times_every_stage_and_stores_everything() -> None:
    result = run(12, words=120, use_ner=False)
    assert result["articles"] == 12 and result["articles_per_second"] > 0
    assert {"read", "clean", "identify_language", "EntityRecognizer", "DateResolver", "embed",
            "link + store"} == set(result["stages"])
    assert result["bound_by"] == max(result["stages"], key=lambda s: result["stages"][s]["seconds"])
    assert 1 <= result["events"] <= 12 and result["peak_rss_mb"] > 50


def test_bench_cli_json_for_several_sizes() -> None:
    outcome = CliRunner().invoke(main, ["bench", "--n", "5", "--n", "10", "--words", "80", "--no-ner",
                                        "--format", "json", "--no-progress"])
    assert outcome.exit_code == 0, outcome.output
    assert [r["articles"] for r in json.loads(outcome.stdout)] == [5, 10]


def test_bench_linking_replays_the_pool_later_and_reports_a_curve() -> None:
    from storyline.bench import run_linking

    result = run_linking(30, pool=10, words=80, use_ner=False)
    assert result["articles"] == 30 and result["pool"] == 10
    assert sum(point["articles"] for point in result["curve"]) == 30
    assert result["curve"][-1]["up_to"] == 30
    assert result["events"] >= 3  # each replay, 100 weeks later, opens events of its own
    assert result["ms_per_article"]["linking"] > 0 and result["ms_per_article"]["storing"] > 0
    assert result["linking_articles_per_second"] > result["articles_per_second"]
    outcome = CliRunner().invoke(main, ["bench", "--linking", "--n", "12", "--words", "80", "--no-ner",
                                        "--no-progress"])
    assert outcome.exit_code == 0, outcome.output
    assert "articles linked and stored" in outcome.output and "open events" in outcome.output


def test_bench_floor_times_the_pipeline_beside_its_models_alone(tmp_path: Path) -> None:
    data = _fixture_jsonl(tmp_path)
    result = CliRunner().invoke(main, ["bench", "--floor", str(data), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["articles"] == report["stored"] == 5
    assert set(report["floor"]["ms_per_article"]) == {"language", "ner", "dates", "embed"}
    assert report["floor"]["seconds"] > 0 and report["pipeline"]["seconds"] > 0 and report["ratio"] > 0
    assert report["pipeline"]["processes"] == 1  # five articles: too few to start workers, as in ingest
    assert report["processes"] >= 1 and len(report["peak_rss_mb_per_process"]) == 1
    table = CliRunner().invoke(main, ["bench", "--floor", str(data), "--n", "2"])
    assert table.exit_code == 0 and "2 articles: the pipeline" in table.output and "floor / pipeline" in table.output


def test_bench_linking_data_replays_real_articles_past_their_own_span(tmp_path: Path) -> None:
    from datetime import date

    from storyline.bench import replay_shift, run_linking

    data = _fixture_jsonl(tmp_path)
    result = run_linking(10, pool=5, use_ner=False, data=data)
    assert result["articles"] == 10 and result["pool"] == 5
    assert result["events"] >= 2 * 2  # each pass opens its own events: nothing joins across passes
    outcome = CliRunner().invoke(main, ["bench", "--linking-data", str(data), "--n", "6", "--no-ner",
                                        "--no-progress"])
    assert outcome.exit_code == 0, outcome.output
    assert "6 articles linked and stored" in outcome.output

    pool = [Article(id=str(year), source="test", raw_text="", event_date=DatedValue(value=date(year, 1, 1)))
            for year in (2010, 2015)]
    shift = replay_shift(pool)
    assert shift.days % 7 == 0 and shift.days > (date(2015, 1, 1) - date(2010, 1, 1)).days + 364
    assert replay_shift([]).days == 700


def _fixture_jsonl(tmp_path: Path) -> Path:
    """The fixture articles as one JSONL file of real text."""
    data = tmp_path / "real.jsonl"
    data.write_text("".join(json.dumps({"id": p.stem, "text": p.read_text()}) + "\n"
                            for p in sorted(ARTICLES.glob("*.txt"))))
    return data
