"""Capacity: updates per second the bot handles in webhook mode, one process on SQLite, and
two workers sharing Redis; against a bare aiohttp handler measured in the same run.

    python bench/updates.py [--updates 600] [--concurrency 20]

Each update is a real one: /start from a new user (a database write for the user, a menu
sent), then «🎓 Specialties» (a callback, an edited message). The fake Bot API answers at once,
so the figure is the bot's own cost. The Redis part needs ``redis-server`` on PATH.
The last line holds the figures as key=value.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator import FakeBotAPI  # noqa: E402

URL = "https://bench.example/telegram/webhook"
SECRET = "bench-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis(binary: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return subprocess.Popen([binary, *options], cwd=folder, stdout=subprocess.DEVNULL)


async def wait_http(port: int, path: str = "/healthz", wait: float = 30) -> None:
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


def start_bot(fake: FakeBotAPI, folder: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))},
        "BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.base_url,
        "DATABASE_PATH": str(folder / "bot.sqlite3"),
        "WEBHOOK_URL": URL,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    log = (folder / f"bot-{port}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=folder, env=environment, stdout=log, stderr=log
    )


async def drive(
    fake: FakeBotAPI, ports: list[int], updates: int, concurrency: int, first_user: int
) -> float:
    """Send ``updates`` updates (pairs: /start, then a button) round-robin; updates/s."""
    users = updates // 2
    slots = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:

        async def post(port: int, update: dict[str, Any]) -> None:
            async with session.post(
                f"http://127.0.0.1:{port}/telegram/webhook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            ) as response:
                if response.status != 200:
                    raise RuntimeError(f"webhook answered {response.status}")

        async def one_user(index: int) -> None:
            async with slots:
                port = ports[index % len(ports)]
                user = fake.user(first_user + index, f"U{index}", language_code="en")
                mark = fake.mark()
                user.send("/start")
                [update] = fake.take_updates_of(user.id)
                await post(port, update)
                [menu] = fake.events_since(user.id, mark)
                user.click("🎓 Specialties", menu.message)
                [update] = fake.take_updates_of(user.id)
                await post(ports[(index + 1) % len(ports)], update)

        started = time.perf_counter()
        await asyncio.gather(*(one_user(i) for i in range(users)))
        return users * 2 / (time.perf_counter() - started)


async def baseline(updates: int, concurrency: int) -> float:
    """The same HTTP traffic to a handler that only parses the JSON and answers 200."""

    async def handler(request: web.Request) -> web.Response:
        await request.json()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/telegram/webhook", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    slots = asyncio.Semaphore(concurrency)
    body = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/start",
                                        "chat": {"id": 1, "type": "private"}}}  # fmt: skip
    try:
        async with aiohttp.ClientSession() as session:

            async def post() -> None:
                async with (
                    slots,
                    session.post(
                        f"http://127.0.0.1:{port}/telegram/webhook", json=body
                    ) as response,
                ):
                    await response.read()

            started = time.perf_counter()
            await asyncio.gather(*(post() for _ in range(updates)))
            return updates / (time.perf_counter() - started)
    finally:
        await runner.cleanup()


async def measure(
    run: Callable[[FakeBotAPI, Path], Awaitable[float]],
) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotAPI() as fake:
            return await run(fake, Path(tmp))


async def main(updates: int, concurrency: int) -> None:
    base = await baseline(updates, concurrency)
    print(f"baseline (bare aiohttp handler): {base:.0f} requests/s", flush=True)

    async def one(fake: FakeBotAPI, folder: Path) -> float:
        port = free_port()
        process = start_bot(fake, folder, port)
        try:
            await wait_http(port)
            await drive(fake, [port], 40, concurrency, 1)  # warm up
            return await drive(fake, [port], updates, concurrency, 100_000)
        finally:
            process.terminate()
            process.wait(30)

    single = await measure(one)
    print(f"one process, SQLite: {single:.0f} updates/s", flush=True)

    redis_binary = shutil.which("redis-server")
    pair = 0.0
    if redis_binary is not None:

        async def two(fake: FakeBotAPI, folder: Path) -> float:
            redis_port = free_port()
            redis = start_redis(redis_binary, redis_port, folder)
            ports = [free_port(), free_port()]
            url = f"redis://127.0.0.1:{redis_port}/0"
            processes = []
            try:
                for port in ports:
                    (folder / str(port)).mkdir()
                    processes.append(
                        start_bot(fake, folder / str(port), port, REDIS_URL=url,
                                  DATABASE_PATH=str(folder / "bot.sqlite3"))
                    )  # fmt: skip
                    await wait_http(port)
                await drive(fake, ports, 40, concurrency, 1)
                return await drive(fake, ports, updates, concurrency, 100_000)
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    process.wait(30)
                redis.terminate()
                redis.wait(10)

        pair = await measure(two)
        print(f"two workers, Redis + SQLite: {pair:.0f} updates/s", flush=True)
    else:
        print("redis-server not found: the Redis figure is left out", flush=True)
    print(
        f"baseline_rps={base:.0f} one_process_ups={single:.0f} "
        f"one_process_vs_baseline={single / base:.3f} two_workers_redis_ups={pair:.0f} "
        f"two_workers_vs_one={pair / single:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.updates, args.concurrency))
