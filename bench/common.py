"""What the benchmarks share: the emulator at a round trip, a bot set up like the running one,
the real bot process in webhook mode, and the figures (percentiles, memory).

The scripts in bench/ import this module as ``common`` (their own folder is first on
``sys.path`` when run as ``python bench/NAME.py``).
"""

from __future__ import annotations

import asyncio
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiogram import Bot  # noqa: E402
from aiogram.client.default import DefaultBotProperties  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiogram.enums import ParseMode  # noqa: E402

from bot.delivery.pacing import Pacer, PacingMiddleware  # noqa: E402
from bot.delivery.retry import RetryMiddleware  # noqa: E402
from bot.emulator import DEFAULT_TOKEN, FakeBotAPI, TelegramLimits  # noqa: E402

WEBHOOK_URL = "https://bench.example/telegram/webhook"
WEBHOOK_SECRET = "bench-secret-0123456789abcdef"


def network(rtt: float, seed: int = 1, *, flood_limits: bool = True) -> TelegramLimits:
    """The emulator as Telegram behaves from far away: every call answered after ``rtt``
    seconds; with ``flood_limits``, 30 messages a second per bot and 1 per chat, edits counted
    (else limits no one can reach, so only the round trip remains)."""
    per_bot, per_chat = (30, 1) if flood_limits else (1_000_000, 1_000_000)
    return TelegramLimits(
        per_bot_per_second=per_bot,
        per_chat_per_second=per_chat,
        latency=(rtt, rtt),
        seed=seed,
        count_edits=True,
        every_call=True,
    )


def make_bot(base_url: str, pacer: Pacer | None = None) -> Bot:
    """An aiogram bot on the emulator at ``base_url``; with ``pacer``, its calls are paced and
    retried as the running bot's replies are (``bot.app.build_bot``)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    if pacer is not None:
        session.middleware(RetryMiddleware())
        session.middleware(PacingMiddleware(pacer))
    return Bot(
        DEFAULT_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_http(port: int, path: str = "/healthz", wait: float = 60) -> None:
    deadline = time.monotonic() + wait
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                    if response.status in (200, 503):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


def start_bot(
    fake: FakeBotAPI, folder: Path, port: int, *command: str, **env: str
) -> subprocess.Popen[bytes]:
    """The real bot (``python -m bot``, or ``command``) in webhook mode on ``port``, talking
    to ``fake``; its log in ``folder``."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))},
        "BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "DATABASE_PATH": str(folder / "bot.sqlite3"),
        "WEBHOOK_URL": WEBHOOK_URL,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WEBHOOK_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    log = (folder / f"bot-{port}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, *(command or ("-m", "bot"))],
        cwd=folder,
        env=environment,
        stdout=log,
        stderr=log,
    )


async def post_update(session: aiohttp.ClientSession, port: int, update: dict[str, Any]) -> None:
    """Deliver ``update`` to the webhook on ``port`` as Telegram does."""
    async with session.post(
        f"http://127.0.0.1:{port}/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    ) as response:
        if response.status != 200:
            raise RuntimeError(f"webhook answered {response.status}")


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid`` in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
