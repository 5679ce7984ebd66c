"""Property tests: the text stages take any input without crashing and never invent text."""

from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.errors import Skip
from storyline.stages.clean import clean
from storyline.stages.dates import DateResolver, find_expressions
from tests.conftest import make_article

LINES = st.lists(
    st.one_of(
        st.text(max_size=120),
        st.sampled_from(["Read more", "120", "https://x.example/a", "On Sunday, 11 November 2018, they met.",
                         "Photo of a jet. (Jane Doe/Agency)", "Continue reading by registering", "vendredi",
                         "the 100th anniversary of the end of World War I", "mid-September", "May 40, 2018"]),
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(LINES)
def test_clean_never_crashes_and_only_removes_whole_lines(lines: list[str]) -> None:
    raw = "\n".join(lines)
    try:
        article = clean(make_article(raw))
    except Skip:
        return
    source_lines = {" ".join(line.split()) for line in raw.replace("\r", "\n").split("\n")}
    for paragraph in article.text.split("\n\n"):
        assert paragraph in source_lines
    assert article.title == "" or any(article.title in line for line in source_lines)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["en", "fr", "de", "es", "it", "nl", "pl", None]))
def test_dates_never_crash_on_any_text(text: str, language: str | None) -> None:
    find_expressions(text, language)
    article = make_article(text)
    article.text = text
    article.lead = text[:100]
    article.language = language
    DateResolver()(article)
