"""Run ``storyline serve`` in a child process on a free local port (tests, benchmarks, scripts)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(db: str | Path, *, ready_path: str = "/api/health", timeout: float = 120.0) -> Iterator[str]:
    """Start a server over ``db``, wait until ``ready_path`` answers, yield its base URL, stop it."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "storyline.cli", "serve", "--db", str(db), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(base + ready_path, timeout=timeout):
                    break
            except OSError:
                if process.poll() is not None:
                    said = process.stderr.read() if process.stderr else ""
                    raise RuntimeError(f"storyline serve exited: {said}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"storyline serve did not answer on {base} within {timeout} s") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if process.stderr:
            process.stderr.close()
