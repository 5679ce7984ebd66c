"""`storyline serve` (web UI and HTTP API) and `storyline doctor` (is the database sound?)."""

from __future__ import annotations

import os

import click

from storyline.commands.common import (
    FORMAT,
    db_option,
    emit,
    friendly,
    open_db,
)


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on. Beyond localhost, ingest needs a token.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="File holding the secret that POST /api/ingest must send as 'Authorization: Bearer TOKEN' "
                   "(default: $STORYLINE_TOKEN). Not an argument: others on the machine can read arguments.")
@click.option("--token-reads", is_flag=True,
              help="Require the token for reads too (API and pages; /api/health and the API docs stay open). "
                   "Browsers cannot send it: for a server used by API clients only.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="A host name or address clients use to reach this server (repeatable). Writes addressed to "
                   "any other name are refused (DNS rebinding); localhost, --host and this machine's name are "
                   "always allowed.")
@click.option("--ingest-queue", default=4, show_default=True, type=click.IntRange(0, 1000),
              help="Ingest requests that may wait while one writes; past that, 503 at once, so reads keep "
                   "answering.")
@click.option("--max-body", default=5_000_000, show_default=True, help="Largest request body accepted, in bytes.")
@friendly
def serve(db: str, host: str, port: int, token_file: str | None, token_reads: bool, allow_hosts: tuple[str, ...],
          ingest_queue: int, max_body: int) -> None:
    """Run the web UI and the HTTP API (OpenAPI docs at /docs).

    \b
    Pages: / (latest stories), /stories/ID, /events/ID, /entities/NAME, /search
    API:   /api/articles, /api/events, /api/stories, /api/timeline, /api/search,
           /api/similar?a=ID&b=ID, POST /api/ingest (JSON object, array or JSONL)

    \b
    Beyond this machine, with a token:
      head -c 24 /dev/urandom | base64 > token.txt
      storyline serve --host 0.0.0.0 --token-file token.txt --allow-host news.example.org
    """
    import socket

    import uvicorn

    from storyline.serve import create_app, is_loopback
    from storyline.serve.guard import LOOPBACK_NAMES

    token = _read_token(token_file)
    if token_reads and not token:
        raise click.UsageError("--token-reads needs a token: --token-file FILE or $STORYLINE_TOKEN.")
    hosts = [*LOOPBACK_NAMES, host, socket.gethostname(), socket.getfqdn(), *allow_hosts]
    app = create_app(db, token=token, require_token=not is_loopback(host), max_body=max_body,
                     token_reads=token_reads, allowed_hosts=hosts, ingest_queue=ingest_queue)
    if not is_loopback(host) and not token:
        click.echo("Listening beyond localhost without a token: POST /api/ingest is disabled.", err=True)
    click.echo(f"Storyline on http://{host}:{port}/ (API docs at /docs) over {db}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _read_token(token_file: str | None) -> str | None:
    """The server's token, from the file or $STORYLINE_TOKEN (surrounding white space dropped)."""
    if token_file is None:
        return os.environ.get("STORYLINE_TOKEN", "").strip() or None
    with open(token_file, encoding="utf-8") as handle:
        token = handle.read().strip()
    if not token:
        raise click.UsageError(f"{token_file} is empty; put the token in it.")
    return token


@click.command()
@db_option
@FORMAT
@friendly
def doctor(db: str, fmt: str) -> None:
    """Check the database: SQLite integrity, orphan rows, search index, events and stories.

    Exits with status 1 when a check fails. Read-only: it changes nothing.
    """
    with open_db(db) as store:
        results = store.check()
    emit(fmt, {"db": db, "ok": all(r["ok"] for r in results), "checks": results}, ["check", "status", "detail"],
          lambda: [[r["check"], "PROBLEM" if not r["ok"] else "note" if r.get("note") else "ok", r["detail"]]
                   for r in results])
    if not all(r["ok"] for r in results):
        raise SystemExit(1)
