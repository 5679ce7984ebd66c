"""How much wording two texts share, without a corpus: words and character 4-grams weighted by rarity.

TF-IDF needs the collection's document frequencies; ``storyline similar`` compares two articles
with no collection behind them. The weight of a word is instead its rarity in the language
(:func:`storyline.link.profile.rarity`: 7 − its Zipf frequency, so "the" weighs 0 and an unknown
name 7). Character 4-grams of the words carry the same weights: they match inflected forms
("Wahlen"/"Wahl") and names and numbers written the same across languages ("Erdoğan", "2020"),
which is most of what two articles in different languages share on the surface.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from storyline.link.profile import rarity
from storyline.metrics import sparse_cosine

_WORD = re.compile(r"[^\W_]{2,}")
GRAM = 4


def word_cosine(text_a: str, language_a: str | None, text_b: str, language_b: str | None) -> float:
    """Cosine of rarity-weighted word counts (words as written, lowercased)."""
    return sparse_cosine(_word_weights(text_a, language_a), _word_weights(text_b, language_b))


def gram_cosine(text_a: str, language_a: str | None, text_b: str, language_b: str | None) -> float:
    """Cosine of rarity-weighted character 4-grams of the words (``" wahl"``, ``"ahle"``, ...)."""
    return sparse_cosine(_gram_weights(text_a, language_a), _gram_weights(text_b, language_b))


@lru_cache(maxsize=1024)
def _word_weights(text: str, language: str | None) -> dict[str, float]:
    counts = Counter(word.lower() for word in _WORD.findall(text))
    return {word: (1.0 + math.log(n)) * rarity(word, language) for word, n in counts.items()}


@lru_cache(maxsize=1024)
def _gram_weights(text: str, language: str | None) -> dict[str, float]:
    grams: Counter[str] = Counter()
    for word, weight in _word_weights(text, language).items():
        padded = f" {word} "
        for i in range(max(1, len(padded) - GRAM + 1)):
            grams[padded[i:i + GRAM]] += weight
    return dict(grams)
