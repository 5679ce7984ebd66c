"""Corpus-free lexical overlap: rarity-weighted words and character 4-grams."""

from __future__ import annotations

import pytest

from storyline.text_overlap import gram_cosine, word_cosine


def test_identical_and_empty_texts() -> None:
    text = "Erdoğan met Putin in Sochi on Friday."
    assert word_cosine(text, "en", text, "en") == pytest.approx(1.0)
    assert gram_cosine(text, "en", text, "en") == pytest.approx(1.0)
    assert word_cosine("", "en", text, "en") == 0.0 and gram_cosine(text, "en", "...", "en") == 0.0


def test_rare_words_count_more_than_common_ones() -> None:
    base = "The minister said the talks in Sochi were over"
    names = word_cosine(base, "en", "Sochi talks collapse", "en")
    grammar = word_cosine(base, "en", "The minister said that it was over", "en")
    assert names > grammar  # sharing "Sochi" and "talks" says more than sharing "the ... said ... over"


def test_grams_match_inflections_and_names_across_languages() -> None:
    german, english = "Die Wahlen in Polen: Tusk gewinnt 2023", "Poland's elections: Tusk wins in 2023"
    assert word_cosine("Wahlen in Polen", "de", "Wahl in Polen", "de") < gram_cosine(
        "Wahlen in Polen", "de", "Wahl in Polen", "de")
    assert gram_cosine(german, "de", english, "en") > gram_cosine(german, "de", "Rain over Madrid", "en")
    assert gram_cosine(german, "de", english, "en") > 0.2  # "Tusk", "2023", "pole..." are shared
