"""`storyline bench` runs the real pipeline on generated articles and reports every stage."""

import json

from click.testing import CliRunner

from storyline.bench import run
from storyline.cli import main


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
