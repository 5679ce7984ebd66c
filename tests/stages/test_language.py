import pytest

from storyline.stages.language import detect_language, identify_language
from tests.conftest import make_article


@pytest.mark.parametrize(("text", "expected"), [
    ("The president met the chancellor in Berlin on Friday to discuss military aid.", "en"),
    ("Le président a rencontré le chancelier vendredi à Berlin pour discuter de l'aide militaire.", "fr"),
    ("Der Präsident hat den Bundeskanzler am Freitag in Berlin getroffen, um über Hilfe zu sprechen.", "de"),
    ("El presidente se reunió con el canciller el viernes en Berlín para hablar de la ayuda militar.", "es"),
])
def test_language_detects_common_languages(text: str, expected: str) -> None:
    language, confidence = detect_language(text)
    assert language == expected
    assert confidence > 0.5


def test_language_given_language_wins_but_disagreement_is_noted() -> None:
    article = make_article("x", language="de")
    article.text = "The president met the chancellor in Berlin on Friday to discuss military aid."
    identify_language(article)
    assert article.language == "de"
    assert article.extras["detected_language"] == "en"
    assert article.language_confidence < 1.0
