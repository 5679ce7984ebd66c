"""Property tests: the text stages take any input without crashing and never invent text."""

import ftfy
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.errors import Skip
from storyline.stages.clean import clean
from storyline.stages.dates import DateResolver, find_expressions
from storyline.stages.ingest import IngestFailure, read_source
from tests.conftest import make_article

LINES = st.lists(
    st.one_of(
        st.text(max_size=120),
        st.sampled_from(["Read more", "120", "https://x.example/a", "On Sunday, 11 November 2018, they met.",
                         "Photo of a jet. (Jane Doe/Agency)", "Continue reading by registering", "vendredi",
                         "the 100th anniversary of the end of World War I", "mid-September", "May 40, 2018",
                         "Le prÃ©sident a dÃ©clarÃ© Ã  lâ€™AFP"]),
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
    if article.extras.get("encoding_repaired"):  # mojibake is read as written, then classified
        raw = ftfy.fix_encoding(raw)
    source_lines = [" ".join(line.split()) for line in raw.replace("\r", "\n").split("\n")]
    position = 0
    for paragraph in article.text.split("\n\n"):  # kept lines, in their original order
        assert paragraph in source_lines[position:]
        position = source_lines.index(paragraph, position) + 1
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


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=600), st.text(max_size=400).map(lambda t: t.encode("utf-8")),
                 st.text(max_size=200).map(lambda t: t.encode("utf-16")),
                 st.sampled_from([b"<html><body><p>x", b'{"text": 1}', b"\xef\xbb\xbf", b"\x00" * 10,
                                  b"<" * 500, b'{"text": "a"}\n{'])))
def test_reading_any_bytes_gives_articles_or_failures(tmp_path_factory, data: bytes) -> None:  # type: ignore[no-untyped-def]
    for suffix in (".txt", ".html", ".jsonl"):
        path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
        path.write_bytes(data)
        for record in read_source(path):
            assert isinstance(record, IngestFailure) or record.raw_text


def test_a_file_of_a_byte_order_mark_and_nul_characters_is_reported_empty(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "nul.txt"
    path.write_bytes(b"\xfe\xff\x00\x00")  # found by the test above: UTF-16 of one NUL character
    [record] = list(read_source(path))
    assert isinstance(record, IngestFailure) and record.code == "E007"
