"""Generated news: reports of made-up events, for runs that need volume (benchmarks, crash and load
tests). Deterministic for a seed. Not a quality benchmark.

Each event has names of its own (a made-up organisation and district, besides a city and a person
from short lists), as real events do: with only the short lists, every event's reports looked alike
to every other's, which measured the linker against a stream no newsroom sees."""

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


def generate(n_articles: int, *, reports_per_event: int = 5, seed: int = 3,
             words: int = 0) -> list[dict[str, object]]:
    """``n_articles`` JSONL records (``id``, ``title``, ``text``, ``published``, ``event``); with
    ``words``, each body is padded with background paragraphs to about that many words."""
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    records = []
    n_events = max(1, n_articles // reports_per_event)
    for event in range(n_events):
        kind, headline, actors = KINDS[event % len(KINDS)]
        city = CITIES[event % len(CITIES)]  # events close in time happen in different cities
        day = start + timedelta(days=3 * event + rng.randrange(2))
        person = PEOPLE[event % len(PEOPLE)]
        count = 10 + (event * 7) % 90
        district, organisation = _name(rng), f"{_name(rng)} {rng.choice(BODIES)}"
        topic = [_name(rng).lower() for _ in range(12)]  # what this event's own reporting talks about
        for report in range(reports_per_event):
            if len(records) >= n_articles:
                break
            lead = (f"{headline.format(city=city)} on {day:%A, %B} {day.day}, {day.year}, and {count} {actors} "
                    f"were involved in the {district} district, {person} of the {organisation} said.")
            body = " ".join(rng.sample(FILLER, 3))
            text = f"{lead}\n{body} Report {report + 1} of the {kind} in {city}."
            while len(text.split()) < words:
                text += "\n" + _background(rng, city, kind, topic, person)
            records.append({"id": f"e{event:05d}-r{report}", "title": headline.format(city=city), "text": text,
                            "published": day.isoformat(), "event": event})
    rng.shuffle(records)
    return records


BODIES = ["Foundation", "Council", "Institute", "Association", "Agency", "Group"]
SYLLABLES = ["ka", "lo", "mer", "ta", "vin", "dor", "sa", "bel", "ri", "no", "gal", "te", "mun", "zo", "har", "pe"]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


BACKGROUND = ["The city council met on {weekday} to review the budget for public transport and housing.",
              "Earlier this year, {person} warned that {city} needed more investment in its infrastructure.",
              "According to the regional statistics office, {n} percent of households were affected last winter.",
              "Critics said the response to the {kind} had been slow, while supporters praised the volunteers.",
              "Schools in the area reopened after {n} days, and local businesses reported heavy losses.",
              "The national government promised to send additional funds, although no amount was announced.",
              "Experts from the university of {city} said similar events could become more frequent.",
              "Opposition leaders called for an inquiry, and {person} agreed to answer questions next week."]


def _background(rng: random.Random, city: str, kind: str, topic: list[str], person: str) -> str:
    """A paragraph of plausible background (what makes real articles long), half of it in the
    event's own words."""
    sentences = [sentence.format(city=city, kind=kind, person=person, n=rng.randrange(2, 60),
                                 weekday=rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday"]))
                 for sentence in rng.sample(BACKGROUND, 2)]
    sentences += [f"The {a} and the {b} of {city} were discussed, with {c} and {d} in mind."
                  for a, b, c, d in (rng.sample(topic, 4) for _ in range(2))]
    return " ".join(sentences)


def write_jsonl(path: Path, n_articles: int, **kwargs: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in generate(n_articles, **kwargs)), encoding="utf-8")
    return path
