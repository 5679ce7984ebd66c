"""A throw-away PostgreSQL server for the store tests, started from Debian's ``postgresql``
package (``.ci/run`` installs it). Elsewhere the PostgreSQL tests skip and say why, unless
``STORYLINE_REQUIRE_POSTGRES=1`` (CI), where a server that cannot start is a failure.
``STORYLINE_TEST_POSTGRES=postgresql://...`` uses a server you run instead (it must allow
creating databases)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _unavailable(reason: str) -> None:
    if os.environ.get("STORYLINE_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here but {reason}")
    pytest.skip(f"no PostgreSQL server for the tests: {reason} (apt-get install postgresql, or set "
                "STORYLINE_TEST_POSTGRES=postgresql://...)")


def _server_binaries() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or where the installed PostgreSQL says (Debian keeps
    them out of PATH and ``pg_config --bindir`` names the folder)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    if shutil.which("pg_config"):
        folder = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        if folder and Path(folder, "initdb").exists():
            return Path(folder)
    return None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a server (without a database name) whose user may create databases."""
    given = os.environ.get("STORYLINE_TEST_POSTGRES")
    if given:
        yield given.rsplit("/", 1)[0]
        return
    pytest.importorskip("psycopg", reason="the PostgreSQL driver is not installed: pip install 'storyline[postgres]'")
    binaries = _server_binaries()
    if binaries is None:
        _unavailable("the server binaries (initdb, pg_ctl) are not installed")
    # Not under pytest's temp root: that is private to this user, and the server may run as another.
    folder = Path(tempfile.mkdtemp(prefix="storyline-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: use the package's postgres user
        if shutil.which("runuser") is None:
            _unavailable("running as root and runuser is missing")
        shutil.chown(folder, user="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = folder / "data"
    init = subprocess.run([*run_as, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "storyline"],
                          capture_output=True, text=True)
    if init.returncode != 0:
        _unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
    start = subprocess.run([*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w",
                            "-o", f"-h 127.0.0.1 -p {port} -k {folder}", "start"], capture_output=True, text=True)
    if start.returncode != 0:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        _unavailable(f"the server did not start: {(start.stderr + log).strip()[-300:]}")
    try:
        yield f"postgresql://storyline@127.0.0.1:{port}"
    finally:
        subprocess.run([*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the test server (dropped afterwards)."""
    import psycopg

    name = f"storyline_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{postgres_server}/{name}"
    finally:
        with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
