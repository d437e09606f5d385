"""The real bot process (``python -m bot``) against the fake Bot API, for end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from bot.emulator import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent


class BotProcess:
    """Starts, stops and kills ``python -m bot`` pointed at a fake Bot API server."""

    def __init__(self, fake: FakeBotAPI, workdir: Path, **env: str) -> None:
        self.fake = fake
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))},
            "BOT_TOKEN": fake.token,
            "TELEGRAM_API_URL": fake.base_url,
            "DATABASE_PATH": str(workdir / "bot.sqlite3"),
            "LOG_LEVEL": "DEBUG",
            "WEBHOOK_PORT": "0",  # any free port: /healthz and /metrics, see http_port()
            # The fake enforces no flood limits here, and a test answers at once: a person's
            # interval of 1 s would only make every step wait (tests/test_pacing.py checks it).
            "SEND_CHAT_INTERVAL": "0.05",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self, wait_seconds: float = 90) -> None:
        """Start the bot; return once it polls (or, in webhook mode, has set its webhook)."""
        if self.env.get("WEBHOOK_URL"):
            url = self.env["WEBHOOK_URL"]
            self.fake.webhook_url = ""
            await self._start_until(lambda: self.fake.webhook_url == url, wait_seconds, "webhook")
            return
        polls_before = len(self.fake.calls("getUpdates"))
        await self._start_until(
            lambda: len(self.fake.calls("getUpdates")) > polls_before, wait_seconds, "polling"
        )

    async def _start_until(self, ready: Callable[[], bool], wait_seconds: float, what: str) -> None:
        log = self.log_path.open("ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=self.workdir, env=self.env,
                stdout=log, stderr=log,
            )  # fmt: skip
        finally:
            log.close()
        self.starts += 1
        try:
            await self.fake.wait_for(
                lambda: ready() or self._exited(),
                timeout=wait_seconds,
                what=f"the bot to start {what}",
            )
        except TimeoutError:
            if self.process.returncode is None:  # never leave it running into the next test
                self.process.kill()
                await self.process.wait()
            raise AssertionError(f"the bot did not start {what}:\n{self.log()}") from None
        if self._exited():
            raise AssertionError(f"the bot exited at start:\n{self.log()}")

    def _exited(self) -> bool:
        return self.process is not None and self.process.returncode is not None

    async def stop(self, sig: signal.Signals = signal.SIGTERM, wait_seconds: float = 30) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        try:
            return await asyncio.wait_for(self.process.wait(), wait_seconds)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"the bot did not stop on {sig.name}:\n{self.log()}") from None

    async def kill(self) -> None:
        """``kill -9``: no shutdown code runs."""
        await self.stop(signal.SIGKILL)

    async def restart(self) -> None:
        await self.kill()
        await self.start()

    def http_port(self) -> int:
        """The port of the bot's HTTP server, from its log line."""
        import re

        match = re.search(r"HTTP server on [\d.]+:(\d+)", self.log())
        assert match, self.log()
        return int(match.group(1))

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""
