"""A generator of hostile inputs: what an attacker or an unlucky scrape sends Storyline.

Each case says what must come of it: ``stored`` (and how many articles), or the failure code
and line. The tests in ``tests/test_hostile.py`` run it through ``storyline ingest``,
``similar --pairs`` and the HTTP API and check that nothing stops a run, every bad record is
reported where it is, and every good one is stored exactly once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

GOOD = "{what} in {city} on Monday, March 6, 2023, officials said. Rescue teams worked through the night."


def good(city: str, what: str = "Flooding closed roads and schools") -> str:
    return GOOD.format(city=city, what=what)


@dataclass
class Expected:
    """What a file must yield: articles stored, and failures as (line or None, code)."""

    stored: int = 0
    failures: list[tuple[int | None, str]] = field(default_factory=list)


def jsonl_lines() -> list[tuple[str, str | None]]:
    """Hostile JSONL lines (the raw line, and the failure code it must give or None: stored)."""
    deep = "[" * 100_000 + "]" * 100_000
    return [
        (json.dumps({"id": "surrogate-text", "text": good("Lyon") + " \ud800 end"}), None),
        (json.dumps({"id": "surrogate-title", "title": "Flood \udfff", "text": good("Nantes")}), None),
        (json.dumps({"id": "surrogate-\ud83d-id", "text": good("Rennes")}), None),
        (json.dumps({"id": "surrogate-url", "url": "https://example.org/\udc80", "text": good("Brest")}), None),
        (json.dumps({"id": "nul", "title": "Nul\u0000title", "text": good("Tours").replace(" ", "\u0000 ", 3)}), None),
        (json.dumps({"id": "controls", "text": good("Dijon") + "".join(chr(c) for c in range(1, 32))}), None),
        (json.dumps({"id": "bad-ipv6-url", "url": "http://[::1", "text": good("Angers")}), None),
        (json.dumps({"id": "slashes/and?query#frag &amp; space", "text": good("Metz")}), None),
        (json.dumps({"id": 12345, "text": good("Nancy"), "published": 1e308}), None),
        ('{"text": ' + deep + "}", "E004"),
        ("[" * 5000, "E004"),
        (json.dumps({"id": "text-not-string", "text": {"nested": "dict"}}), "E005"),
        (json.dumps([1, 2, 3]), "E005"),
        (json.dumps({"id": "only-boilerplate", "text": "Accept cookies\nSubscribe to our newsletter"}), "E006"),
        (json.dumps({"id": "headline-only", "title": "Strike halts trains across Belgium",
                     "text": "Image caption Trains at a platform (Reuters)"}), None),
    ]


def write_corpus(folder: Path) -> dict[str, Expected]:
    """Write the hostile files into ``folder`` (made here); what each must yield, by file name
    (the name as Storyline reports it)."""
    folder.mkdir(parents=True)
    expected: dict[str, Expected] = {}

    def put(name: str | bytes, data: bytes | str, outcome: Expected) -> None:
        path = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else name.encode())
        with open(path, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        shown = (name.decode("utf-8", "replace") if isinstance(name, bytes) else name)
        expected[shown] = outcome

    lines = jsonl_lines()
    put("hostile.jsonl", "\n".join(line for line, _ in lines) + "\n",
        Expected(stored=sum(1 for _, code in lines if code is None),
                 failures=[(number, code) for number, (_, code) in enumerate(lines, start=1) if code]))
    put("ipv6-first-line.txt", "http://[::1\n" + good("Bruges") + "\n", Expected(stored=1))
    put(b"caf\xe9-latin1-name.txt", good("Lille") + "\n", Expected(stored=1))
    for name, text in (("ja-1.txt", "東京で大きな地震が発生しました。気象庁によると、マグニチュードは7.0でした。\n"
                                    "被害の状況を確認しています。\n"),
                       ("ja-2.txt", "東京で地震が発生し、マグニチュードは7.0でした。\n"
                                    "気象庁が被害を確認しています。\n"),
                       ("zh.txt", "北京市政府周一宣布，新的地铁线路将于明年开通。\n"
                                  "官员表示，这条线路将连接市中心和机场。\n")):
        put(name, text, Expected(stored=1))
    put("ko.txt", "서울에서 큰 지진이 발생했습니다. 기상청에 따르면 규모는 5.0이었습니다.\n", Expected(stored=1))
    put("ar.txt", "وقع زلزال بقوة 6.1 درجة يوم الاثنين قبالة سواحل تركيا، بحسب ما أعلنت السلطات.\n", Expected(stored=1))
    put("ru.txt", "Землетрясение магнитудой 6,1 произошло в понедельник у побережья Камчатки.\n", Expected(stored=1))
    sentence = ("On Monday, March 6, 2023, Vladimir Putin met Emmanuel Macron in Paris; on 7 March 2023 and on "
                "2023-03-08 they met again. ")
    put("dates-2mb.txt", "Leaders meet in Paris\n\n" + (sentence * 40 + "\n") * 420, Expected(stored=1))
    attributes = " ".join(f'data-a{i}="{i}"' for i in range(200_000))
    put("attributes.html", f"<html><head><title>Storm in Graz</title></head><body><p {attributes}>"
        f"{good('Graz', 'A storm brought down trees')}</p></body></html>", Expected(stored=1))
    put("nul-bytes.txt", b"\x00" * 50 + b"binary", Expected(failures=[(None, "E003")]))
    put("only-cookies.txt", "We use cookies. Accept all cookies\nPrivacy policy\n", Expected(failures=[(None, "E006")]))
    os.symlink(".", folder / "loop")  # a folder linking to itself is read once
    return expected
