"""Generated news: many short reports of made-up events, for tests that need volume (crash safety,
load). Deterministic for a seed. Not a quality benchmark: the events are easy to tell apart."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

CITIES = ["Lyon", "Porto", "Gdansk", "Leipzig", "Bologna", "Utrecht", "Seville", "Graz", "Brno", "Tampere",
          "Aarhus", "Cluj", "Ghent", "Malaga", "Turin", "Basel", "Nantes", "Krakow", "Bergen", "Split"]
PEOPLE = ["Anna Keller", "Marc Dubois", "Luis Ortega", "Eva Novak", "Piet de Vries", "Sofia Rossi", "Jan Kowalski",
          "Ines Moreau", "Tomas Berg", "Clara Weiss", "Hugo Lambert", "Nina Petrova", "Omar Haddad", "Lea Fischer"]
KINDS = [("fire", "A fire broke out in a warehouse in {city}", "firefighters"),
         ("flood", "Flooding closed roads and schools in {city}", "rescue teams"),
         ("strike", "Transport workers went on strike in {city}", "union leaders"),
         ("summit", "Regional leaders met for a summit in {city}", "delegates"),
         ("protest", "Thousands protested against rising rents in {city}", "organisers"),
         ("storm", "A storm brought down trees and power lines in {city}", "engineers")]
FILLER = ["Officials said more details would follow.", "Residents described a tense day.",
          "The authorities asked people to stay informed.", "Local media reported the news first.",
          "Witnesses spoke of a long night.", "The mayor thanked everyone involved."]


def generate(n_articles: int, *, reports_per_event: int = 5, seed: int = 3) -> list[dict[str, object]]:
    """``n_articles`` JSONL records (``id``, ``title``, ``text``, ``published``, ``event``)."""
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    records = []
    n_events = max(1, n_articles // reports_per_event)
    for event in range(n_events):
        kind, headline, actors = KINDS[event % len(KINDS)]
        city = CITIES[(event // len(KINDS)) % len(CITIES)]
        day = start + timedelta(days=3 * event + rng.randrange(2))
        person = PEOPLE[event % len(PEOPLE)]
        count = 10 + (event * 7) % 90
        for report in range(reports_per_event):
            if len(records) >= n_articles:
                break
            lead = (f"{headline.format(city=city)} on {day:%A, %B} {day.day}, {day.year}, and {count} {actors} "
                    f"were involved, {person} said.")
            body = " ".join(rng.sample(FILLER, 3))
            records.append({"id": f"e{event:05d}-r{report}", "title": headline.format(city=city),
                            "text": f"{lead}\n{body} Report {report + 1} of the {kind} in {city}.",
                            "published": day.isoformat(), "event": event})
    rng.shuffle(records)
    return records


def write_jsonl(path: Path, n_articles: int, **kwargs: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in generate(n_articles, **kwargs)), encoding="utf-8")
    return path
