from datetime import date

import pytest

from storyline.article import Article, DatedValue
from storyline.stages.dates import DateResolver, find_expressions, resolve


def _resolve(text: str, language: str, published: date | None = None, captions: list[str] | None = None) -> Article:
    article = Article(id="d", source="test", raw_text=text, title="", text=text, lead=text.split("\n")[0],
                      language=language)
    if published:
        article.published = DatedValue(value=published, precision="day", confidence=1.0, basis="given")
    if captions:
        article.extras["captions"] = captions
    return DateResolver()(article)


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("The vote was held on November 11, 2018 in Paris.", "en", date(2018, 11, 11)),
    ("Le vote a eu lieu le 11 novembre 2018 à Paris.", "fr", date(2018, 11, 11)),
    ("Die Abstimmung fand am 11. November 2018 statt.", "de", date(2018, 11, 11)),
    ("La votación se celebró el 11 de noviembre de 2018.", "es", date(2018, 11, 11)),
    ("Published 2018-11-11 by the agency.", "en", date(2018, 11, 11)),
])
def test_dates_explicit_in_several_languages(text: str, language: str, expected: date) -> None:
    article = _resolve(text, language)
    assert [d.value for d in article.dates if d.kind == "explicit"] == [expected]


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("The two leaders met on Sunday in Paris.", "en", date(2018, 11, 11)),  # published Tuesday 13th
    ("Les deux dirigeants ont discuté vendredi au téléphone.", "fr", date(2018, 11, 9)),
    ("Die beiden trafen sich gestern in Berlin.", "de", date(2018, 11, 12)),
    ("The minister last Monday accused the government.", "en", date(2018, 11, 12)),
])
def test_dates_relative_resolve_against_publication(text: str, language: str, expected: date) -> None:
    article = _resolve(text, language, published=date(2018, 11, 13))
    assert article.dates[0].value == expected
    assert article.event_date.value == expected


def test_dates_part_of_month_and_month_only() -> None:
    article = _resolve("The plane was downed in mid-September and talks resumed in October.", "en",
                       published=date(2018, 11, 13))
    values = {d.text: (d.value, d.precision) for d in article.dates}
    assert values["mid-September"] == (date(2018, 9, 15), "month")
    assert values["in October"] == (date(2018, 10, 15), "month")


def test_dates_anniversary_estimates_publication_when_none_is_given() -> None:
    article = _resolve("Leaders gathered on Sunday to mark the 100th anniversary of the end of World War I.", "en")
    assert article.published.value == date(2018, 11, 11)
    assert "estimated" in article.published.basis
    assert article.published.confidence < 0.8
    assert article.event_date.value == date(2018, 11, 11)


def test_dates_caption_date_is_a_fallback_for_publication() -> None:
    article = _resolve("The leaders met in Paris on Friday.", "en",
                       captions=["Jane Doe, AFP | The leaders shake hands on October 2, 2015"])
    assert article.published.value == date(2015, 10, 2)
    assert "caption" in article.published.basis
    assert article.event_date.value == date(2015, 10, 2)  # that Friday


def test_dates_unknown_without_any_anchor_and_weekday_kept() -> None:
    article = _resolve("Le Premier ministre a discuté vendredi avec le président russe.", "fr")
    assert article.published.value is None
    assert article.event_date.value is None
    assert article.extras["event_weekday"] == 4


def test_dates_ignore_false_friends_and_absurd_years() -> None:
    found = find_expressions("We may now see four S-300 batteries. In year 0 or 9999 nothing happened.", "en")
    assert [f.text for f in found] == []


def test_dates_background_years_are_not_the_event_date() -> None:
    article = _resolve("The war, which began in 2011, escalated on Friday.", "en", published=date(2015, 10, 2))
    assert article.event_date.value == date(2015, 10, 2)


def test_resolve_needs_a_reference_for_relative_expressions() -> None:
    (item,) = find_expressions("They spoke yesterday.", "en")
    assert resolve(item, None) is None
    resolved = resolve(item, date(2020, 1, 2))
    assert resolved is not None and resolved.value == date(2020, 1, 1)


def test_an_anniversary_counts_from_what_it_is_of_not_from_its_own_year() -> None:
    founded = _resolve("Fans marked the 50th anniversary of the club founded in 1953.", "en")
    assert [d.value for d in founded.dates if d.kind == "anniversary"] == [date(2003, 1, 1)]
    # Seen in ECB+: read as 2003 + 50, this made an obituary's "yesterday" December 31, 2052.
    celebration = _resolve("She attended the 50th anniversary celebration in 2003. She died yesterday.", "en")
    assert not [d for d in celebration.dates if d.kind == "anniversary"]
    assert celebration.published.value is None or celebration.published.value.year <= 2003


def test_a_publication_date_is_never_estimated_after_today() -> None:
    from datetime import timedelta

    later = date.today() + timedelta(days=400)
    text = f"The summit is planned for {later:%B} {later.day}, {later.year}. On Monday, ministers met."
    article = _resolve(text, "en")
    assert any(d.value == later for d in article.dates)  # the schedule is still a date mention
    assert article.published.value is None or article.published.value <= date.today() + timedelta(days=1)


def test_dates_weekday_against_a_month_only_estimate_is_not_a_day() -> None:
    """With only "December 2008" to estimate the publication from, "Monday" could be any Monday near
    it (the 2013 ECB+ heist report that recalls a 2008 raid): it must not become December 1st."""
    article = _resolve("Thieves rammed a car into a Paris jeweller on Monday.\n"
                       "The store had already been robbed in December 2008.", "en")
    assert article.published.precision == "month"
    monday = next(d for d in article.dates if d.kind == "weekday")
    assert monday.precision == "month"
    assert article.event_date.precision != "day"


def test_dates_weekday_against_a_day_estimate_is_still_a_day() -> None:
    article = _resolve("Thieves rammed a car into a Paris jeweller on Monday.\n"
                       "The store had already been robbed on December 4, 2008.", "en")
    assert article.event_date.value == date(2008, 12, 1) and article.event_date.precision == "day"


def test_dates_an_obituary_is_not_dated_by_the_birth_date() -> None:
    """The latest full date in an obituary is often the birth date; a year it names decades later
    shows the text was written after it, so the birth date is neither publication nor event."""
    article = _resolve("The pin-up model died on Thursday. She was born on April 22, 1923 in Nashville.\n"
                       "She found religion in 1959 and gave her last interview in 1998.", "en")
    assert article.published.precision == "year" and article.published.value == date(1998, 1, 1)
    assert "1923" in article.published.basis
    assert article.event_date.precision != "day"


def test_dates_a_later_year_close_to_the_latest_date_keeps_it() -> None:
    """A sentence ending in 2010, named in a 2005 report, is no sign the report is later."""
    article = _resolve("The mob boss died in prison on Monday, December 19, 2005.\n"
                       "He was due for release in 2010.", "en")
    assert article.published.value == date(2005, 12, 19) and article.published.precision == "day"
    assert article.event_date.value == date(2005, 12, 19)


@pytest.mark.parametrize(("value", "precision", "confidence", "shown"), [
    (date(2015, 10, 2), "day", 0.9, "2015-10-02"),
    (date(2015, 10, 2), "day", 0.5, "≈ 2015-10-02"),
    (date(2016, 10, 1), "month", 0.9, "Oct 2016"),
    (date(2008, 1, 1), "year", 0.4, "≈ 2008"),  # was shown as 2008-01-01
    (None, "unknown", 0.0, "unknown"),
])
def test_dates_are_shown_as_exact_as_they_are(value, precision, confidence, shown) -> None:  # type: ignore[no-untyped-def]
    dated = DatedValue(value=value, precision=precision, confidence=confidence, basis="test")
    assert dated.display() == shown
    assert dated.to_json()["estimated"] == (value is not None and confidence < 0.8)
