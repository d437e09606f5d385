"""Two webhook workers with REDIS_URL on one SQLite database: one dialogue across both, one
leader running the scheduler and the sender, and a failover when the leader dies."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.emulator import FakeBotAPI
from tests.e2e import BotProcess

URL = "https://bot.example.ru/telegram/webhook"
SECRET = "s3cret-token-for-tests-0123456789"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def workers(
    fake: FakeBotAPI, tmp_path: Path, redis_url: str
) -> AsyncIterator[list[BotProcess]]:
    processes = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        process = BotProcess(
            fake, folder, DATABASE_PATH=str(tmp_path / "bot.sqlite3"), REDIS_URL=redis_url,
            WEBHOOK_URL=URL, WEBHOOK_SECRET=SECRET, LEADER_TTL="2",
        )  # fmt: skip
        await process.start()
        processes.append(process)
    try:
        yield processes
    finally:
        for process in processes:
            if process.process and process.process.returncode is None:
                await process.kill()


async def post(worker: BotProcess, update: dict[str, Any]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{worker.http_port()}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as response,
    ):
        return response.status


async def health(worker: BotProcess) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{worker.http_port()}/healthz") as response,
    ):
        return json.loads(await response.text())


async def leaders(workers: list[BotProcess], wait: float = 15) -> list[BotProcess]:
    """The workers running the scheduler, once exactly one does (else what there is)."""
    found: list[BotProcess] = []
    for _ in range(int(wait / 0.25)):
        found = [w for w in workers if (await health(w))["scheduler"] is True]
        if len(found) == 1:
            return found
        await asyncio.sleep(0.25)
    return found


async def test_a_dialogue_goes_on_across_workers_and_one_leads(
    fake: FakeBotAPI, workers: list[BotProcess]
) -> None:
    a, b = workers
    [leader] = await leaders(workers)
    standby = b if leader is a else a
    assert (await health(standby))["scheduler"] == "standby"
    user = fake.user(701, "Аня", language_code="en")
    user.send("/start")
    mark = fake.mark()
    assert await post(a, fake.take_updates()[0]) == 200
    [menu] = fake.events_since(701, mark)
    user.click("📝 Apply", menu.message)
    mark = fake.mark()
    assert await post(b, fake.take_updates()[0]) == 200  # the other worker
    [consent] = fake.events_since(701, mark)
    assert "Consent to the processing of personal data" in consent.message["text"]
    user.click("✅ I agree", consent.message)
    mark = fake.mark()
    assert await post(a, fake.take_updates()[0]) == 200
    events = fake.events_since(701, mark)
    assert any("Your full name" in e.message.get("text", "") for e in events), events
    user.send("Иванова Анна")
    mark = fake.mark()
    assert await post(b, fake.take_updates()[0]) == 200  # the name reaches the other worker
    events = fake.events_since(701, mark)
    assert any("Date of birth" in e.message.get("text", "") for e in events), events


async def test_the_other_worker_takes_over_when_the_leader_dies(
    workers: list[BotProcess],
) -> None:
    [leader] = await leaders(workers)
    other = workers[1] if leader is workers[0] else workers[0]
    await leader.kill()
    assert await leaders([other]) == [other]
    report = await health(other)
    assert report["ok"] is True and report["sender"] is True


async def test_a_double_click_on_two_workers_counts_once(
    fake: FakeBotAPI, workers: list[BotProcess], tmp_path: Path
) -> None:
    a, b = workers
    user = fake.user(702, "Борис", language_code="en")
    user.send("/start")
    mark = fake.mark()
    await post(a, fake.take_updates()[0])
    [menu] = fake.events_since(702, mark)
    user.click("📝 Apply", menu.message)
    mark = fake.mark()
    await post(b, fake.take_updates()[0])
    [consent] = fake.events_since(702, mark)
    user.click("✅ I agree", consent.message)
    user.click("✅ I agree", consent.message)  # the second press a moment later
    first, second = fake.take_updates()
    statuses = await asyncio.gather(post(a, first), post(b, second))
    assert statuses == [200, 200]
    conn = sqlite3.connect(tmp_path / "bot.sqlite3")
    try:
        assert conn.execute("SELECT count(*) FROM consents WHERE user_id = 702").fetchone() == (1,)
    finally:
        conn.close()


async def test_health_fails_when_redis_goes_down(fake: FakeBotAPI, tmp_path: Path) -> None:
    """With Redis down every worker stands by and nobody sends: /healthz must not say OK."""
    from tests.redis_server import RedisServer

    server = RedisServer(tmp_path)
    server.start()
    worker = BotProcess(
        fake, tmp_path, REDIS_URL=server.url, WEBHOOK_URL=URL, WEBHOOK_SECRET=SECRET,
        LEADER_TTL="2",
    )  # fmt: skip
    try:
        await worker.start()
        assert await leaders([worker]) == [worker]
        report = await health(worker)
        assert report["ok"] is True and report["redis"] is True, report
        server.stop()
        for _ in range(60):  # the leader stands by within 2/3 of LEADER_TTL
            report = await health(worker)
            if not report["ok"] and report["scheduler"] == "standby":
                break
            await asyncio.sleep(0.25)
        assert report["ok"] is False and report["redis"] is False, report
        assert "redis unreachable" in report["problems"]
    finally:
        server.stop()
        if worker.process and worker.process.returncode is None:
            await worker.kill()
