"""A real ``redis-server`` for the tests: started on a free port in a temporary directory.

The tests need the server binary (Debian package ``redis-server``, which ``.ci/run``
installs); they start their own instance and never rely on a system service. Without the
binary they fail, naming the package: CI must not skip them silently.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

START_TIMEOUT = 15.0  # seconds for the server to answer PING
# Local only, no persistence, in the foreground (the fixture stops it).
SERVER_OPTIONS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def command(port: int, *words: str) -> bytes:
    """Send one command in Redis's inline protocol; return the first line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(" ".join(words).encode() + b"\r\n")
        answer = b""
        while not answer.endswith(b"\r\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.strip()


class RedisServer:
    """One ``redis-server`` process without persistence (``--save '' --appendonly no``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "redis-server is not installed; the Redis tests need a real server: "
                "apt-get install redis-server (.ci/run does it)",
                pytrace=False,
            )
        for _ in range(3):  # the free port may be taken between the probe and the bind
            self.port = _free_port()
            log_path = self.directory / f"redis-{self.port}.log"
            with log_path.open("wb") as log_file:
                self._process = subprocess.Popen(
                    [
                        binary,
                        "--port",
                        str(self.port),
                        *SERVER_OPTIONS,
                        "--dir",
                        str(self.directory),
                    ],
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_ready():
                return
            self.stop()
        pytest.fail(f"redis-server did not start: {log_path.read_text(errors='replace')}")

    def _wait_ready(self) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            with contextlib.suppress(OSError):
                if command(self.port, "PING") == b"+PONG":
                    return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


def flush(url: str) -> None:
    """Empty the server at ``url`` (every database)."""
    port = urlsplit(url).port
    assert port is not None
    assert command(port, "FLUSHALL") == b"+OK"


@contextlib.asynccontextmanager
async def redis_client(url: str) -> AsyncIterator[Redis]:
    """A client of its own (as another process would have), closed on exit."""
    client = Redis.from_url(url)
    try:
        yield client
    finally:
        await client.aclose()
