"""``storyline eval clustering`` scores what ``storyline ingest`` stores: the same events as ingest +
export on the same file, and the TF-IDF baseline beside them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from storyline.baselines import average_linkage, tfidf_clusters, tfidf_matrix
from storyline.cli import main
from storyline.evaluate import split_by_label
from tests.conftest import ARTICLES

GOLD = {"en_summit": "summit", "fr_summit": "summit", "de_summit": "summit", "en_quake": "quake",
        "en_phone_call": "call"}


@pytest.fixture(scope="module")
def gold_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gold") / "gold.jsonl"
    path.write_text("".join(json.dumps({"id": name, "lang": name[:2], "date": None, "title": "",
                                        "text": (ARTICLES / f"{name}.txt").read_text(), "cluster": cluster}) + "\n"
                            for name, cluster in GOLD.items()))
    return path


def test_eval_clustering_scores_exactly_the_events_ingest_stores(gold_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    evaluated = runner.invoke(main, ["eval", "clustering", "--data", str(gold_file), "--db", str(tmp_path / "e.db"),
                                     "--format", "json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert runner.invoke(main, ["ingest", str(gold_file), "--db", str(tmp_path / "i.db")]).exit_code == 0
    exported = runner.invoke(main, ["export", "--db", str(tmp_path / "i.db")])
    by_ingest = {row["id"]: row["event_id"] for row in map(json.loads, exported.output.splitlines())}
    by_eval = runner.invoke(main, ["export", "--db", str(tmp_path / "e.db")])
    assert {row["id"]: row["event_id"] for row in map(json.loads, by_eval.output.splitlines())} == by_ingest
    report = json.loads(evaluated.output)
    assert report["articles"] == 5 and report["gold_events"] == 3
    assert report["predicted_events"] == len(set(by_ingest.values()))
    assert report["total"]["bcubed"]["f1"] == 1.0  # the three summit reports in three languages, one event
    assert set(report["by_language"]) == {"en", "fr", "de"}
    assert report["baseline"]["name"].startswith("TF-IDF") and 0 < report["baseline"]["total"]["bcubed"]["f1"] <= 1


def test_eval_clustering_table_and_clear_errors(gold_file: Path, tmp_path: Path) -> None:
    table = CliRunner().invoke(main, ["eval", "clustering", "--data", str(gold_file)])
    assert table.exit_code == 0 and "TF-IDF baseline" in table.output and "Storyline" in table.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "text": "no label here"}\n')
    result = CliRunner().invoke(main, ["eval", "clustering", "--data", str(broken)])
    assert result.exit_code == 1 and "line 1 needs an 'id' and a 'cluster' field" in result.output
    assert "Traceback" not in result.output


def test_tfidf_baseline_groups_by_shared_rare_words() -> None:
    texts = ["earthquake hits Lima, hundreds of houses destroyed", "Lima earthquake destroyed hundreds of houses",
             "parliament votes on the budget in Oslo", "Oslo parliament budget vote delayed"]
    labels = tfidf_clusters(texts, cut=0.8)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2]
    assert np.allclose(np.linalg.norm(tfidf_matrix(texts), axis=1), 1.0)


def test_average_linkage_by_hand() -> None:
    # 0 and 1 are 0.1 apart, 2 is 0.5 from 0 and 0.7 from 1 (average 0.6 from {0, 1}), 3 is far from all.
    distance = np.array([[0, .1, .5, .9], [.1, 0, .7, .9], [.5, .7, 0, .9], [.9, .9, .9, 0]])
    assert len(set(average_linkage(distance, 0.55))) == 3  # {0,1} {2} {3}: the average 0.6 is past the cut
    groups = average_linkage(distance, 0.65)
    assert groups[0] == groups[1] == groups[2] != groups[3]


def test_split_by_label_deals_stories_by_size_and_keeps_every_line(tmp_path: Path) -> None:
    sizes = {"a": 5, "b": 4, "c": 3, "d": 2, "e": 1}
    rows = [{"id": f"{label}{n}", "cluster": label, "text": "x"} for label, size in sizes.items() for n in range(size)]
    gold = tmp_path / "feeds" / "dev.jsonl"
    gold.parent.mkdir()
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    fit, holdout = split_by_label(gold, tmp_path / "out")
    assert (fit.name, holdout.name) == ("feeds-dev-fit.jsonl", "feeds-dev-holdout.jsonl")
    fit_labels = {json.loads(line)["cluster"] for line in fit.read_text().splitlines()}
    holdout_labels = {json.loads(line)["cluster"] for line in holdout.read_text().splitlines()}
    assert fit_labels == {"a", "c", "e"} and holdout_labels == {"b", "d"}  # ranked by size, dealt alternately
    assert len(fit.read_text().splitlines()) + len(holdout.read_text().splitlines()) == len(rows)
    assert split_by_label(gold, tmp_path / "again")[0].read_text() == fit.read_text()  # the same split every time
