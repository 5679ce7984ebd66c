"""Copies inside an event: reprints by shared word runs, translations by multilingual embeddings, one
outlet's reports as one source; and a planted reprint ingested beside the fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from storyline.link.copies import Report, event_independence, independence, shingles
from storyline.pipeline import Pipeline
from storyline.store.sqlite import SQLiteStore
from tests.conftest import ARTICLES

STORY = ("The port of Antwerp was shut on Monday after dock workers walked out over pay. Unions said the strike "
         "would last three days. Ships queued off the coast as the city council called for talks. Shipping "
         "firms warned of delays across Europe.")


def _report(id_: str, text: str, *, language: str = "en", outlet: str | None = None, published: str | None = None,
            vector: list[float] | None = None, seq: int = 0) -> Report:
    embedding = None if vector is None else np.array(vector, dtype=np.float32) / np.linalg.norm(vector)
    return Report(id=id_, language=language, outlet=outlet, text=text, embedding=embedding, published=published,
                  seq=seq)


def test_a_light_edit_is_a_reprint_of_the_earlier_report() -> None:
    original = _report("a", STORY, outlet="wire.example", published="2024-03-04", seq=2)
    edited = _report("b", "Antwerp port strike. " + STORY.replace("Unions said", "Union leaders said"),
                     outlet="daily.example", published="2024-03-05", seq=1)
    own = _report("c", "Dock workers in Antwerp told our reporter they had not had a raise in four years, and that "
                       "the walkout was a last resort after months of failed talks with port employers.",
                  outlet="gazette.example", published="2024-03-05", seq=3)
    found = independence([edited, own, original])
    assert found["earliest"] == "a" and found["reports"] == 3 and found["outlets"] == 3
    assert found["independent_sources"] == 2
    assert found["copies"] == [{"id": "b", "copy_of": "a", "kind": "reprint", "similarity": found["copies"][0]
                                ["similarity"]}] and found["copies"][0]["similarity"] > 0.8


def test_translations_by_embedding_and_one_outlet_as_one_source() -> None:
    english = _report("en", STORY, vector=[1.0, 0.1, 0.0], published="2024-03-04")
    french = _report("fr", "Le port d'Anvers a été fermé lundi après une grève des dockers. " * 3, language="fr",
                     vector=[1.0, 0.15, 0.02], published="2024-03-04", seq=1)
    other = _report("de", "Ein ganz anderer Bericht über die Lage der Häfen in Europa und die Löhne. " * 3,
                    language="de", vector=[0.2, 1.0, 0.3], published="2024-03-05", seq=2)
    found = independence([english, french, other])
    assert [(c["id"], c["kind"]) for c in found["copies"]] == [("fr", "translation")]
    assert found["independent_sources"] == 2
    twice = independence([_report("x1", "First report on the strike by our desk. " * 4, outlet="same.example"),
                          _report("x2", "A second, different piece on the talks and the queue of ships. " * 4,
                                  outlet="same.example", seq=1)])
    assert twice["independent_sources"] == 1 and twice["outlets"] == 1 and twice["copies"] == []


def test_shingles_are_stable_and_need_five_words() -> None:
    assert shingles("One two three four five six") == shingles("one TWO three four five six")
    assert len(shingles("One two three four five six")) == 2 and len(shingles("short")) == 1


def test_a_planted_reprint_under_another_outlet_does_not_count_as_a_source(tmp_path: Path) -> None:
    """Ingested with the fixtures (the reprint arrives with the others, as a feed delivers it)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ARTICLES, corpus)
    lines = (ARTICLES / "en_summit.txt").read_text(encoding="utf-8").splitlines()
    body = "\n".join(lines[3:])  # past the URL, the menu and the headline
    (corpus / "zz_reprint.jsonl").write_text(json.dumps({
        "id": "reprint", "title": "Macron, Scholz meet in Berlin (wire)", "url": "https://aggregator.example.net/a/1",
        "published": "2023-03-03", "text": body.replace("agree on", "settle") + " Reprinted from the wire."}))
    with SQLiteStore(tmp_path / "planted.db") as store:
        Pipeline().ingest([str(corpus)], store, progress=False)
        event = store.event_of("en_summit")
        assert store.event_of("reprint") == event
        found = event_independence(store, event)
    copy = next(c for c in found["copies"] if c["id"] == "reprint")
    assert copy["copy_of"] == "en_summit" and copy["kind"] == "reprint" and copy["similarity"] > 0.8
    assert found["independent_sources"] == found["reports"] - len(found["copies"]) < found["reports"]


def _independence_by_brute_force(reports: list[Report]) -> list[tuple[str, str, str]]:
    """Each report against every earlier one (the definition): (copy, original, kind)."""
    from storyline.link.copies import copy_kind
    ordered = sorted(reports, key=lambda r: (r.published or "9999", r.seq))
    marks = [shingles(r.text) for r in ordered]
    copies = []
    for j, later in enumerate(ordered):
        found = [(kind == "reprint", strength, ordered[i].id, kind) for i in range(j)
                 for kind, strength in [copy_kind(ordered[i], later, marks[i], marks[j]) or ("", 0.0)] if kind]
        if found:
            copies.append((later.id, max(found)[2], max(found)[3]))
    return copies


def test_comparing_only_likely_pairs_finds_the_copies_every_pair_finds() -> None:
    rng = np.random.default_rng(7)
    words = [f"w{n}" for n in range(400)]
    for trial in range(30):
        originals = [" ".join(rng.choice(words, int(rng.integers(3, 120)))) for _ in range(int(rng.integers(1, 6)))]
        topics = rng.normal(size=(len(originals), 16))
        reports = []
        for n in range(int(rng.integers(1, 60))):
            source = int(rng.integers(len(originals)))
            tokens = originals[source].split()
            cut = int(rng.integers(0, max(1, len(tokens) // 2 + 1)))  # a light edit, a cut, or a rewrite
            text = " ".join(tokens[cut:] + list(rng.choice(words, int(rng.integers(0, 40)))))
            vector = topics[source] + rng.normal(scale=float(rng.choice([0.05, 0.4, 1.0])), size=16)
            reports.append(_report(f"r{n}", text, language=str(rng.choice(["en", "fr", "de"])),
                                   vector=list(vector), published=f"2024-03-{1 + int(rng.integers(9)):02d}", seq=n))
        found = [(c["id"], c["copy_of"], c["kind"]) for c in independence(reports)["copies"]]
        assert found == _independence_by_brute_force(reports), trial
