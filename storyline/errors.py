"""Every user-facing message in one place, each with a code.

Stages raise :class:`Skip` for one bad input (the pipeline records it and goes on);
everything else a user can cause raises :class:`StorylineError`, which the CLI turns
into a clean message with no traceback.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "E001": "Path not found: {path}. Give a file, a folder, an http(s) URL, or '-' for standard input.",
    "E002": "Cannot decode {path} as text: {detail}. Save it as UTF-8 (or UTF-16/Latin-1).",
    "E003": "{path} looks binary ({detail}); Storyline reads text, HTML and JSONL.",
    "E004": "{path} line {line}: not valid JSON ({detail}).",
    "E005": "{path} line {line}: a JSONL article needs 'text' or 'html' (got keys: {detail}).",
    "E006": "{path}: no article text left after removing boilerplate.",
    "E007": "{path} is empty.",
    "E008": "{path} is larger than {detail} bytes; split it or raise --max-bytes.",
    "E009": "Cannot read {path}: {detail}. Check that it exists and that you may read it.",
    "E010": "No article with id {id!r} in {db}. List ids with 'storyline articles'.",
    "E011": "No entity matching {name!r} in {db}. Entities known: try 'storyline articles'.",
    "E012": "The database {db} does not exist yet. Run 'storyline ingest PATH' first.",
    "E013": "{db} is not a Storyline database ({detail}). Pass another --db file.",
    "E014": "Unknown format {fmt!r}; use one of: {choices}.",
    "E015": "No {kind} with id {id!r} in {db}. List them with 'storyline {command}'.",
    "E016": "Bad filter: {detail}.",
    "E017": "Another ingest is writing to {db}; try again when it has finished.",
    "E018": "Cannot connect to PostgreSQL at {db}: {detail}. Check the URL, that the server runs, and that"
            " the database exists (createdb NAME).",
    "E019": "--db {db} needs the PostgreSQL driver: pip install 'storyline[postgres]' (psycopg).",
    "E020": "The embedding model {name!r} is not available: {detail}.",
    "E021": "The NER model for {lang!r} failed to load: {detail}.",
    "E023": "{path} line {line}: not a gold NER sentence ({detail}). Each line must be"
            " {{\"tokens\": [...], \"tags\": [...]}} with IOB2 tags (B-PER, I-PER, O, ...).",
    "E030": "Stage {stage!r} needs {field!r}, which no earlier stage sets. Order: {order}.",
    "E022": "{db} is read-only: Storyline can read it but not add to it. Fix its permissions, or copy it to a"
            " place you may write to.",
    "E040": "--engine dask needs Dask: pip install 'storyline[dask]' (or 'dask[distributed]').",
    "E041": "Cannot reach the Dask scheduler at {scheduler}: {reason}. Start one with 'dask scheduler'"
            " and workers with 'dask worker {scheduler}', or leave out --scheduler for a local cluster.",
    "E050": "{path}: the server answered HTTP {status}{detail}.",
    "E051": "{path}: cannot fetch ({detail}). Check the address and the network; it is tried again on the"
            " next run.",
    "E052": "{path}: robots.txt of {host} does not let Storyline fetch this page; it was left alone.",
    "E053": "{path}: not a feed or sitemap Storyline can read ({detail}).",
    "E054": "{path}: the page is {detail}, not an article (HTML or text).",
    "E060": "Cannot save this watch: {detail}.",
    "E061": "No watch named {name!r} in {db}. List them with 'storyline alerts watches'.",
    "E062": "Cannot make this correction: {detail}.",
    "E063": "No correction number {seq} in {db}. List them with 'storyline correct list'.",
    "E090": "{path}{where}: unexpected error ({detail}). This is a bug in Storyline: please report it with this "
            "message. The record was not stored; the rest of the run went on.",
}


class StorylineError(Exception):
    """An error the user can fix; its message says how."""

    def __init__(self, code: str, **details: object) -> None:
        self.code = code
        self.details = details
        super().__init__(f"[{code}] " + MESSAGES[code].format(**details))


class Skip(Exception):
    """Raised by a stage for one input it cannot process; the run goes on."""

    def __init__(self, code: str, **details: object) -> None:
        self.code = code
        self.details = details
        super().__init__(f"[{code}] " + MESSAGES[code].format(**details))


class NotFoundError(StorylineError):
    """A requested article, event or entity is not in the store."""
