"""Coverage over time: the bars' binning and stacking, and the chart on the home, story and entity pages."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from storyline.serve.app import create_app
from storyline.serve.coverage import MAX_BARS, coverage_chart


def test_bars_are_days_weeks_or_months_and_stack_by_language() -> None:
    rows = [("2023-03-03", "en", None), ("2023-03-03", "fr", None), ("2023-03-05", "en", None), (None, "de", None)]
    days = coverage_chart(rows)
    assert days["unit"] == "day" and len(days["bars"]) == 7  # three days shown within a week, not as walls
    assert days["undated"] == 1 and days["total"] == 4
    first = days["rows"][0]
    assert first["total"] == 2 and {s["group"] for s in first["segments"]} == {"en", "fr"}
    assert first["title"] == "2023-03-03: 2 articles (en 1, fr 1)"
    assert [b["label"] for b in days["rows"]] == ["2023-03-03", "2023-03-05"]
    assert days["bars"][0]["label"] == "2023-03-01" and all(b["w"] <= 40 for b in days["bars"])
    assert coverage_chart([("2015-10-02", "en", None), ("2018-11-11", "en", None)])["unit"] == "month"
    weeks = coverage_chart([("2023-01-02", "en", None), ("2023-06-30", "en", None)])
    assert weeks["unit"] == "week" and len(weeks["bars"]) <= MAX_BARS
    assert coverage_chart([(None, "en", None)])["bars"] == []


def test_small_groups_are_other_and_outlets_can_stack() -> None:
    rows = [("2023-03-03", lang, f"{lang}.example") for lang in ("en", "en", "fr", "de", "es", "it", "nl", "pl")]
    chart = coverage_chart(rows)
    assert [g["name"] for g in chart["groups"]][-1] == "other" and len(chart["groups"]) == 6
    by_outlet = coverage_chart(rows, by="outlet")
    assert by_outlet["by"] == "outlet" and by_outlet["groups"][0]["name"] == "en.example"


def test_the_pages_show_coverage_with_a_table_beside_it(fixture_db: Path) -> None:
    client = TestClient(create_app(str(fixture_db)), base_url="http://127.0.0.1")
    home = client.get("/").text
    assert '<figure class="coverage">' in home and "Coverage as a table" in home and "<rect" in home
    story = client.get("/stories/st-000002")
    assert story.status_code == 200 and "Coverage over time" in story.text and "<rect" in story.text
    assert "by outlet" in client.get("/stories/st-000002", params={"by": "outlet"}).text
    entity = client.get("/entities/Olaf Scholz")
    assert entity.status_code == 200 and '<figure class="coverage">' in entity.text
