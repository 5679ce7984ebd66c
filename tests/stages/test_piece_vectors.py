"""The subword vectors the trained NER pipelines read (storyline.stages.piece_vectors)."""

from __future__ import annotations

import numpy as np
import pytest

from storyline.stages.piece_vectors import PIECE_DIM, piece_embed, shared_table


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_a_word_is_the_mean_of_its_subwords_and_no_word_is_out_of_vocabulary() -> None:
    table = shared_table()
    vectors = table.vectors(["Rundschau", "Rundschau", "Zgorzelec", "東京", ""])
    assert vectors.shape == (5, PIECE_DIM) and np.isfinite(vectors).all()
    assert np.array_equal(vectors[0], vectors[1])
    pieces = table.pieces("Rundschau")
    assert len(pieces) == 2  # "▁Rund" "schau"
    rows = [table.table[i].astype(np.float32) * table.scale[i % table.chunks] + table.low[i % table.chunks]
            for i in pieces]
    assert np.allclose(vectors[0], np.mean(rows, axis=0), atol=1e-5)
    assert table.vectors([]).shape == (0, PIECE_DIM)


def test_a_name_written_in_two_languages_lands_near_itself() -> None:
    """What the NER pipelines gain from these vectors: a place or person learnt in one spelling
    is close to its other spellings, and further from a common word."""
    berlin, berlin_es, haus, putin, putin_ru = shared_table().vectors(["Berlin", "Berlín", "Haus", "Putin", "Путин"])
    assert _cosine(berlin, berlin_es) > _cosine(berlin, haus) + 0.3
    assert _cosine(putin, putin_ru) > _cosine(putin, haus) + 0.3


def test_the_embedding_layer_gives_one_row_of_its_width_per_token() -> None:
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("de")
    docs = [nlp("Angela Merkel besucht Paris."), nlp("")]
    layer = piece_embed(width=32, attrs=["NORM", "PREFIX", "SUFFIX", "SHAPE"], rows=[100, 50, 50, 50])
    layer.initialize(X=docs)
    rows = layer.predict(docs)
    assert [r.shape for r in rows] == [(len(docs[0]), 32), (0, 32)]
