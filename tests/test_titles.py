"""Event titles and story labels people read: never a dateline, the headline the reports agree on."""

from __future__ import annotations

from storyline.titles import event_title, is_dateline, lead_phrase, story_label


def test_datelines_are_told_from_headlines() -> None:
    for dateline in ("September 15, 2013 11: 26 pm", "Updated: November 11, 2011 20: 09 IST", "MONDAY, MAY 23, 2005",
                     "11 / 28 / 05", "Posted 12 / 19 / 2005 3: 36 PM", "Mis à jour le mardi 3 mars 2015", "", None):
        assert is_dateline(dateline), dateline
    for headline in ("Apple launches 3G iPhone", "Theresa May resigns", "Friday prayers held in Mecca",
                     "Ellen DeGeneres to host 2014 Oscars"):
        assert not is_dateline(headline), headline


def test_the_event_title_is_the_headline_the_reports_agree_on() -> None:
    titles = [("September 15, 2013 11: 26 pm", "en"), ("Climber dies on Mount Cook", "en"),
              ("British climber dies in New Zealand fall", "en"), ("British climber killed in New Zealand", "en"),
              ("Un alpiniste britannique meurt en Nouvelle-Zélande", "fr")]
    assert event_title(titles) == "British climber dies in New Zealand fall"
    assert event_title(titles, language="fr") == "Un alpiniste britannique meurt en Nouvelle-Zélande"
    assert event_title(titles, language="de") == "British climber dies in New Zealand fall"  # none in German
    assert event_title([("Friday, November 11, 2011", "en")], fallback="Navy captures pirates") == \
        "Navy captures pirates"


def test_lead_phrase_and_story_label() -> None:
    assert lead_phrase("The Indian navy captured 23 pirates. Officials said more.") == \
        "The Indian navy captured 23 pirates."
    assert lead_phrase(" ".join(["word"] * 20), words=3) == "word word word…"
    events = [{"title": "Small follow-up", "articles": [1], "date": "2020-01-02"},
              {"title": "Big summit in Paris", "articles": [1, 2, 3], "date": "2020-01-01"},
              {"title": "MONDAY, MAY 23, 2005", "articles": [1, 2, 3, 4], "date": None}]
    assert story_label(events, "Macron · Paris") == "Big summit in Paris"
    assert story_label([], "Macron · Paris") == "Macron · Paris"


def test_without_a_reader_language_the_title_is_in_the_language_most_reports_are_in() -> None:
    titles = [("Apple presenta el iPhone", "es"), ("Apple introduces the iPhone", "en"),
              ("Apple unveils iPhone and Apple TV", "en"), ("Apple presenta iPhone e Apple TV", "it")]
    assert event_title(titles).startswith("Apple") and dict(titles)[event_title(titles)] == "en"
    tie = [("Apple presenta el iPhone", "es"), ("Apple introduces the iPhone", "en")]
    assert event_title(tie) == "Apple presenta el iPhone"  # the first report's language


def _agreement_by_brute_force(titles: list[tuple[str, str]], language: str) -> dict[int, float]:
    """Every headline in ``language`` against every other, one pair at a time (the definition)."""
    import re

    from storyline.titles import DATELINE_WORDS
    words = [set(re.findall(r"[^\W\d_]{3,}", t.lower())) - DATELINE_WORDS for t, _ in titles]
    return {i: sum(len(words[i] & w) / len(words[i] | w) for j, w in enumerate(words) if j != i and words[i] | w)
            for i, (_, lang) in enumerate(titles) if lang == language}


def test_grouping_identical_headlines_heads_the_event_as_comparing_every_pair_does() -> None:
    import random

    vocabulary = ["strike", "port", "union", "ships", "talks", "workers", "city", "council", "pay", "delays",
                  "europe", "antwerp", "grève"]
    for seed in range(200):
        rng = random.Random(seed)
        distinct = [" ".join(rng.sample(vocabulary, rng.randint(1, 5))) for _ in range(rng.randint(1, 12))]
        titles = [(rng.choice(distinct).title(), rng.choice(["en", "en", "fr"])) for _ in range(rng.randint(1, 40))]
        language = max({lang for _, lang in titles}, key=[lang for _, lang in titles].count)
        chosen = event_title(titles, language=language)
        reference = _agreement_by_brute_force(titles, language)
        best = max(reference.values())
        first_best = min(i for i, a in reference.items() if a > best - 1e-9)
        assert chosen == titles[first_best][0], seed  # the best agreed headline, ties to the earliest report


def test_a_big_event_is_headed_from_its_most_common_headlines() -> None:
    from storyline.titles import MOST_COMMON_TITLES
    letters = "abcdefghijklmnopqrstuvwxyz"
    one_offs = [(f"{letters[n % 26] * 3}{letters[n // 26] * 3} strike", "en") for n in range(MOST_COMMON_TITLES * 2)]
    wire = [("Dock workers strike in Antwerp port", "en")] * 30 + [("Antwerp dock strike goes on", "en")] * 5
    assert event_title(one_offs + wire) == "Dock workers strike in Antwerp port"
