"""Clean: remove scraping noise line by line and find the title and lead.

Scraped plain text has no markup left to tell prose from page furniture, so each
line is classified on its own features: boilerplate vocabulary (cookie notices,
paywalls, "read more"), the shape of photo captions and credits, breadcrumbs, URLs
and stray numbers. After a paywall or "related articles" marker in the second half
of a page, the rest is page furniture and is cut. Removed lines are kept in
``extras["removed"]`` with their reason, so a user can audit every decision;
captions are kept in ``extras["captions"]`` because their dates can help dating.
Text that was decoded with the wrong codec before it reached Storyline ("prÃ©sident",
"lâ€™AFP") is read as it was written (ftfy), and ``extras["encoding_repaired"]`` says so.
"""

from __future__ import annotations

import re

import ftfy

from storyline.article import Article
from storyline.errors import Skip
from storyline.stages.bounds import MAX_TEXT_CHARS

# Short UI lines: whole-line phrases (casefolded, trailing punctuation stripped).
_UI_LINES = {
    # en
    "read more", "read more:", "also read", "see also", "related", "related articles", "related stories",
    "next for you", "article summary", "advertisement", "share", "share this", "share this article",
    "skip to main content", "skip to content", "menu", "home", "subscribe", "sign in", "log in", "sign up",
    "comments", "print", "email", "more stories", "most read", "trending", "recommended", "watch",
    "listen", "top stories", "latest news", "follow us", "you may also like", "more from",
    # fr
    "lire aussi", "lire la suite", "à lire aussi", "voir aussi", "publicité", "partager", "s'abonner",
    "abonnez-vous", "se connecter", "sur le même sujet", "les plus lus",
    # de
    "weiterlesen", "mehr zum thema", "anzeige", "werbung", "teilen", "abonnieren", "lesen sie auch",
    "auch interessant", "zum inhalt springen",
    # es / it / nl
    "leer más", "lee también", "publicidad", "compartir", "suscríbete", "leggi anche", "pubblicità",
    "condividi", "lees meer", "lees ook", "advertentie", "delen",
}
# Vocabulary whose presence marks consent notices, paywalls and newsletter prompts.
_BOILERPLATE_TERMS = re.compile(
    r"\b(cookies?|privacy policy|terms of (use|service)|consent|newsletter|subscri(be|ption)|"
    r"registering|register (now|for free)|unlimited access|sign up|log ?in to|paywall|"
    r"all rights reserved|copyright|©|javascript|browser|click here|this page is not available|"
    r"page (no longer exists|not found)|error 404|politique de confidentialité|abonnement|"
    r"désabonner|datenschutz|einwilligung|política de privacidad|suscripción|informativa sulla privacy|"
    r"iscriviti|toestemming|privacybeleid|tous droits réservés|alle rechte vorbehalten)\b",
    re.IGNORECASE,
)
# Markers after which the rest of a page is furniture (paywall, related links, comments).
_TAIL_MARKERS = re.compile(
    r"^(continue reading|to continue reading|read the full|subscribe to (read|continue)|found in:|"
    r"next for you|related (articles|stories)|more (stories|from)|you may also like|comments?\b|"
    r"this page is not available|the page no longer exists|lire la suite|la suite est réservée|"
    r"weiterlesen mit|jetzt abonnieren)",
    re.IGNORECASE,
)
# A photo credit at the end of a line: "(AP Photo/Name)", "(courtesy)", "(Name/Agency)".
_CREDIT_END = re.compile(
    r"\((?:[^()]*/[^()]*|courtesy|file|illustrative|youtube|screenshot|screen capture|"
    r"afp|ap|reuters|getty images|epa|dpa|anadolu|photo[^()]*|"
    r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3})\)\s*$"
)
_CAPTION_START = re.compile(
    r"^(illustrative photo|file photo|photo|pictured|screen capture|screenshot|image|picture|"
    r"video|photo d'illustration|illustration|foto|bild)\b",
    re.IGNORECASE,
)
# "Alain Jocard, AFP | French President …" — credit, agency, pipe.
_CREDIT_PIPE = re.compile(r"^[\w .'’-]{2,60},\s*[A-Z][\w .&/-]{1,30}\s*\|")
_AGENCY = re.compile(r"\b(AFP|AP|Reuters|Getty|EPA|dpa|Anadolu|Flash90|TOI|Xinhua|Photo)\b")
_URL = re.compile(r"^\s*(https?://|www\.)\S+\s*$")
_STRAY = re.compile(r"^[\s\d.,:;|/#%+\-–—•·*()]*$")
_BREADCRUMB = re.compile(r"^[\w\s&'’-]{1,30}(\s[/>»›|]\s[\w\s&'’-]{1,30})+$")
_HANDLE = re.compile(r"(^|\s)@\w{2,}|\bon (twitter|facebook|instagram|x):", re.IGNORECASE)
_BIO = re.compile(
    r"^[A-Z][\w'’-]+(\s[A-Z][\w'’-]+){1,2}\s(writes|reports|is an? [\w\s-]{0,40}(correspondent|"
    r"reporter|journalist|writer|editor|contributor|columnist))\b"
)
_BULLET = re.compile(r"^\s*[•·▪◦●*-]\s+")
_SENTENCE_END = re.compile(r"[.!?…»”\"')\]]$")


def clean(article: Article) -> Article:
    """Fill ``title``, ``text`` and ``lead`` from ``raw_text``; record what was removed."""
    raw = article.raw_text
    if len(raw) > MAX_TEXT_CHARS:
        raw = raw[:MAX_TEXT_CHARS]
        article.extras["cut_at_chars"] = MAX_TEXT_CHARS
    raw = repair_encoding(article, raw)
    lines = [" ".join(line.split()) for line in raw.replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    total_chars = sum(len(line) for line in lines) or 1
    kept: list[str] = []
    removed: list[tuple[str, str]] = []
    captions: list[str] = []
    seen: set[str] = set()
    chars_so_far = 0
    after_paywall = False
    for index, line in enumerate(lines):
        chars_so_far += len(line)
        reason = classify_line(line, position=index, after_paywall=after_paywall)
        if reason is None and line.casefold() in seen:
            reason = "duplicate"
        if reason == "tail" and chars_so_far / total_chars < 0.5:
            reason = "ui"  # a marker near the top is a widget, not the end of the article
        if reason is None:
            kept.append(line)
            seen.add(line.casefold())
            continue
        removed.append((line, reason))
        if reason == "caption":
            captions.append(line)
        if reason in {"paywall", "tail"}:
            after_paywall = True
    given_title = article.extras.get("given_title")
    if not kept and article.extras.get(KEEP_RAW_TEXT):
        kept = lines  # to compare an article, what it says matters more than what it looks like
    title, body = _split_title(kept, given_title)
    headline = title or (given_title.strip() if isinstance(given_title, str) else "")
    headline_only = not body and bool(headline)
    if headline_only:
        # A headline with no body left (a feed item whose snippet was "image caption…", a wire flash)
        # is still news: its title is its text, and the confidences say there was no body.
        title, body = headline, [headline]
        article.extras["headline_only"] = True
    if not body:
        raise Skip("E006", path=article.source)
    article.title = title
    article.text = "\n\n".join(body)
    article.lead = _lead(body)
    article.extras["removed"] = removed
    article.extras["captions"] = captions
    article.confidence["title"] = 0.9 if given_title or (kept and _is_headline(kept[0])) else 0.4
    article.confidence["text"] = 0.0 if headline_only else round(min(1.0, 0.5 + sum(len(p) for p in body) / 4000), 2)
    return article


#: Set in ``Article.extras`` to keep every line when cleaning would leave none (``similar``
#: compares such an article by its raw text instead of failing).
KEEP_RAW_TEXT = "keep_raw_text"


def repair_encoding(article: Article, raw: str) -> str:
    """``raw`` as written when an earlier step decoded its UTF-8 as Windows-1252 or Latin-1
    (mojibake: "MÃ¼nchen" for "München"), so names, dates and words are read, not their debris.

    The given title is repaired too; ``raw_text`` keeps what arrived. ftfy changes a text only
    when the mis-decoding is the likelier reading (correct text in any script stays as it is)."""
    repaired = ftfy.fix_encoding(raw)
    title = article.extras.get("given_title")
    if isinstance(title, str):
        fixed_title = ftfy.fix_encoding(title)
        if fixed_title != title:
            article.extras["given_title"] = fixed_title
            article.extras["encoding_repaired"] = True
    if repaired != raw:
        article.extras["encoding_repaired"] = True
    return repaired


def classify_line(line: str, *, position: int = 0, after_paywall: bool = False) -> str | None:
    """Why a line is noise ('ui', 'url', 'caption', 'paywall', …), or None for prose."""
    folded = line.casefold().strip(" :.!›»>")
    words = line.split()
    if _URL.match(line):
        return "url"
    if _STRAY.match(line):
        return "stray"
    if folded in _UI_LINES or line.casefold().strip() in _UI_LINES:
        return "ui"
    if _TAIL_MARKERS.match(line.strip()):
        return "tail"
    if after_paywall and (_BULLET.match(line) or len(words) <= 12):
        return "paywall"
    if _BIO.match(line) or _HANDLE.search(line):
        return "bio" if after_paywall or _BIO.match(line) else "social"
    if _BOILERPLATE_TERMS.search(line):
        hits = len(_BOILERPLATE_TERMS.findall(line))
        if len(words) <= 25 or hits >= 2:
            return "paywall" if re.search(r"regist|subscri|abonn|access", line, re.I) else "notice"
    if _is_caption(line):
        return "caption"
    if _BREADCRUMB.match(line) and len(words) <= 8 and not _SENTENCE_END.search(line):
        return "breadcrumb"
    return None


def _is_caption(line: str) -> bool:
    if _CREDIT_PIPE.match(line) and _AGENCY.search(line.split("|", 1)[0]):
        return True
    if _CAPTION_START.match(line) and len(line.split()) <= 40:
        return True
    match = _CREDIT_END.search(line)
    if not match:
        return False
    inner = match.group(0)
    # "(PACE)" after a spelled-out name is an acronym in prose, not a credit.
    if re.fullmatch(r"\([A-Z]{2,6}\)\s*", inner) and not _AGENCY.search(inner):
        return False
    return len(line.split()) <= 60


def _is_headline(line: str) -> bool:
    return len(line.split()) <= 25 and not line.rstrip().endswith((".", ":", ";"))


def _split_title(kept: list[str], given_title: object) -> tuple[str, list[str]]:
    if not kept:
        return "", []
    if isinstance(given_title, str) and given_title.strip():
        title = given_title.strip()
        body = [line for line in kept if line.casefold() != title.casefold()]
        return title, body
    if _is_headline(kept[0]) and len(kept) > 1:
        return kept[0], kept[1:]
    first_sentence = re.split(r"(?<=[.!?])\s", kept[0], maxsplit=1)[0]
    return first_sentence[:200], kept


def _lead(paragraphs: list[str], min_words: int = 60) -> str:
    """The first paragraphs, up to ``min_words``: where news states what happened."""
    lead: list[str] = []
    count = 0
    for paragraph in paragraphs:
        lead.append(paragraph)
        count += len(paragraph.split())
        if count >= min_words:
            break
    return "\n".join(lead)
