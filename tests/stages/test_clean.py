import pytest

from storyline.errors import Skip
from storyline.stages.clean import classify_line, clean
from tests.conftest import ARTICLES, make_article

NOISE = [
    ("Skip to main content", "ui"),
    ("read more:", "ui"),
    ("Also read", "ui"),
    ("Lire aussi", "ui"),
    ("https://www.example.com/news/2019/01/01/story", "url"),
    ("120", "stray"),
    ("Russia / Mideast", "breadcrumb"),
    ("Illustrative photo of an Israeli F-15 fighter jet. (Tsahi Ben-Ami/Flash90)", "caption"),
    ("Foreign Minister at a news conference in Moscow, August 30, 2018. (AP Photo/Some Photographer)", "caption"),
    ("Jane Doe, AFP | The president shakes hands with his counterpart on October 2, 2015", "caption"),
    ("The website uses cookies and similar technologies to track browsing behavior. By using our site, "
     "you agree to these terms.", "notice"),
    ("Abonnez-vous à notre newsletter pour recevoir toute l'actualité.", "paywall"),
]


@pytest.mark.parametrize(("line", "reason"), NOISE)
def test_clean_classifies_noise_lines(line: str, reason: str) -> None:
    assert classify_line(line) == reason


@pytest.mark.parametrize("line", [
    "The talks between the two leaders in Paris turned out to be successful, according to officials.",
    "the French leader said during a session of the Parliamentary Assembly of the Council of Europe (PACE).",
    "UN resolution",
    "Netanyahu, Putin hold ‘important’ talks in Paris amid Syria tensions",
])
def test_clean_keeps_prose_headlines_and_acronyms(line: str) -> None:
    assert classify_line(line) is None


def test_clean_fixture_removes_noise_and_keeps_prose_whole() -> None:
    raw = (ARTICLES / "en_summit.txt").read_text()
    article = clean(make_article(raw))
    assert article.title == "Macron and Scholz meet in Berlin to discuss Ukraine aid"
    for noise in ["Skip to main content", "Read more", "cookies", "Jane Doe/Example Press", "https://"]:
        assert noise not in article.text
    prose = [line for line in raw.splitlines() if line.startswith(("French President", "The meeting", "Officials"))]
    for line in prose:
        assert line in article.text  # kept whole, not trimmed
    assert article.extras["captions"] and "March 3, 2023" in article.extras["captions"][0]
    assert article.lead.startswith("French President Emmanuel Macron met")


def test_clean_cuts_page_furniture_after_a_paywall_marker() -> None:
    prose = "\n".join(f"Paragraph {i} of the article tells what happened in some detail, at length." for i in range(8))
    raw = ("Headline of the story\n" + prose + "\nContinue reading this article by registering at no cost\n"
           "• Archived articles\n• Exclusive events\nFound in: World\nJane Smith writes on politics for the Daily.\n")
    article = clean(make_article(raw))
    assert "Archived" not in article.text and "Jane Smith" not in article.text
    assert article.text.count("Paragraph") == 8


def test_clean_keeps_a_one_line_article_whose_line_is_its_title() -> None:
    article = make_article("Police say a climber who watched his brother fall is devastated.")
    article.extras["given_title"] = "Police say a climber who watched his brother fall is devastated."
    cleaned = clean(article)
    assert cleaned.text == cleaned.title == "Police say a climber who watched his brother fall is devastated."


def test_clean_raises_skip_when_nothing_is_left() -> None:
    with pytest.raises(Skip):
        clean(make_article("Skip to main content\nRead more\n12\n"))


def test_clean_does_not_mutate_raw_text() -> None:
    raw = (ARTICLES / "fr_summit.txt").read_text()
    article = clean(make_article(raw))
    assert article.raw_text == raw
    assert "Lire aussi" not in article.text and "newsletter" not in article.text


def test_clean_keeps_a_headline_whose_body_is_all_furniture() -> None:
    """A feed item whose snippet is a caption, or nothing but its own title, is news: stored with its
    headline as text, text confidence 0 (issue: headline-only items were rejected with E006)."""
    for raw in ("Image caption Trains at a platform (Reuters)", "Strike halts trains across Belgium"):
        article = make_article(raw)
        article.extras["given_title"] = "Strike halts trains across Belgium"
        cleaned = clean(article)
        assert cleaned.text == cleaned.title == "Strike halts trains across Belgium"
        assert cleaned.extras["headline_only"] and cleaned.confidence["text"] == 0.0
    with pytest.raises(Skip):
        clean(make_article("Accept cookies\nPrivacy policy"))  # no headline at all: nothing to keep


def test_clean_reads_mojibake_as_it_was_written() -> None:
    """UTF-8 decoded as Windows-1252 before it reached Storyline ("prÃ©sident") is repaired, title
    included, and says so; the raw text keeps what arrived."""
    written = ("Le président Emmanuel Macron a reçu à l’Élysée le chancelier allemand, venu de München.\n"
               "Les deux dirigeants ont évoqué la guerre en Ukraine et les échanges économiques.")
    garbled = written.encode("utf-8").decode("cp1252", errors="replace")
    assert "prÃ©sident" in garbled
    article = make_article(garbled)
    article.extras["given_title"] = "Macron reÃ§oit le chancelier"
    cleaned = clean(article)
    assert cleaned.text == written.replace("\n", "\n\n")
    assert cleaned.title == "Macron reçoit le chancelier"
    assert cleaned.extras["encoding_repaired"] is True
    assert cleaned.raw_text == garbled


@pytest.mark.parametrize("text", [
    "Der Bundeskanzler sprach in München über die Gespräche mit Frankreich und »neue Wege«.",
    "Президент России Владимир Путин провёл переговоры в Москве.",
    "東京都の知事は記者会見で新しい政策を発表した。",
    "Il a payé 2 € ; « Ã » est une lettre du portugais archaïque, dit-il.",
])
def test_clean_leaves_correct_text_in_any_script_alone(text: str) -> None:
    cleaned = clean(make_article(text))
    assert cleaned.text == text
    assert "encoding_repaired" not in cleaned.extras
