"""Language identification with lingua (models ship in the wheel; no download)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from storyline.article import Article


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import LanguageDetectorBuilder

    # Low-accuracy mode reads trigrams only: it loads in 0.6 s and 66 MB, where the full models of all 75
    # languages took 14 s and 900 MB on the first article, holding the GIL (a web server stopped answering
    # meanwhile). On every shared set with a language it gives the same language on all 3,138 documents:
    # MEANTIME in four languages, ECB+ dev, 1,500 GoogleNews headlines, SemEval-8's 1,316 texts in seven
    # languages, the seeds (docs/evaluation.md). Its known weakness is text under ~120 characters.
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def detect_language(text: str) -> tuple[str | None, float]:
    """ISO 639-1 code and confidence of the text's language (None when undecidable)."""
    # 1,500 characters decide a document's language as surely as 3,000 (ECB+, MEANTIME in four languages
    # and the seeds: all right either way) in less than half the time: lingua's cost grows with the text.
    sample = text[:1500]
    if not sample.strip():
        return None, 0.0
    values = _detector().compute_language_confidence_values(sample)
    if not values:
        return None, 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), float(best.value)


def identify_language(article: Article) -> Article:
    """Set ``language``; a language given in the input wins but is checked and noted."""
    detected, confidence = detect_language(f"{article.title}\n{article.text}")
    given = article.extras.get("given_language")
    if isinstance(given, str) and given:
        article.language = given
        article.language_confidence = 1.0 if given == detected else 0.6
        if detected and given != detected:
            article.extras["detected_language"] = detected
    else:
        article.language = detected
        article.language_confidence = confidence
    article.confidence["language"] = round(article.language_confidence, 2)
    return article
