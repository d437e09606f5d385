"""Webhook mode, /healthz and /metrics: the real bot process, the fake Bot API, real HTTP."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import FakeBotAPI
from bot.metrics import Metrics
from bot.web import Parts, build_web_app
from db.database import Database
from db.meta import MetaRepository
from tests.e2e import BotProcess

URL = "https://bot.example.ru/telegram/webhook"
SECRET = "s3cret-token-for-tests-0123456789"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def webhook_bot(fake: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(fake, tmp_path, WEBHOOK_URL=URL, WEBHOOK_SECRET=SECRET)
    await process.start()
    try:
        yield process
    finally:
        if process.process and process.process.returncode is None:
            await process.kill()


async def post(
    bot: BotProcess, update: dict[str, Any], secret: str | None = SECRET
) -> aiohttp.ClientResponse:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"http://127.0.0.1:{bot.http_port()}/telegram/webhook", json=update, headers=headers
        )
        await response.read()
        return response


async def get(bot: BotProcess, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{bot.http_port()}{path}") as response,
    ):
        return response.status, await response.text()


async def test_the_webhook_is_set_with_a_secret_and_serves_updates(
    fake: FakeBotAPI, webhook_bot: BotProcess
) -> None:
    assert fake.webhook_url == URL
    [call] = fake.calls("setWebhook")
    assert call["secret_token"] == SECRET
    user = fake.user(601, "Аня", language_code="ru")
    user.send("/start")
    [update] = fake.take_updates()
    mark = fake.mark()
    response = await post(webhook_bot, update)
    assert response.status == 200
    # Answered only after processing: the reply is already there.
    [reply] = fake.events_since(601, mark)
    assert "Здравствуйте" in reply.message["text"]


async def test_a_request_without_the_secret_is_refused_and_not_processed(
    fake: FakeBotAPI, webhook_bot: BotProcess
) -> None:
    user = fake.user(602, "Борис", language_code="ru")
    user.send("/start")
    [update] = fake.take_updates()
    mark = fake.mark()
    assert (await post(webhook_bot, update, secret=None)).status == 401
    assert (await post(webhook_bot, update, secret="wrong-secret-0123456789")).status == 401
    assert (await post(webhook_bot, {"update_id": "x"})).status == 400
    await asyncio.sleep(0.2)
    assert fake.events_since(602, mark) == []


async def test_an_update_delivered_twice_is_processed_once(
    fake: FakeBotAPI, webhook_bot: BotProcess
) -> None:
    user = fake.user(603, "Вера", language_code="ru")
    user.send("/start")
    [update] = fake.take_updates()
    mark = fake.mark()
    assert (await post(webhook_bot, update)).status == 200
    assert (await post(webhook_bot, update)).status == 200  # Telegram missed our 200
    assert len(fake.events_since(603, mark)) == 1


async def test_sigterm_lets_the_update_in_hand_finish(
    fake: FakeBotAPI, webhook_bot: BotProcess
) -> None:
    user = fake.user(604, "Глеб", language_code="ru")
    user.send("/start")
    [update] = fake.take_updates()
    fake.delay("sendMessage", 1.5)
    request = asyncio.create_task(post(webhook_bot, update))
    await fake.wait_for(lambda: bool(fake.calls("sendMessage")), timeout=10, what="the reply")
    assert webhook_bot.process is not None
    webhook_bot.process.send_signal(signal.SIGTERM)
    response = await request
    assert response.status == 200
    assert await webhook_bot.stop() == 0
    assert "stopping: no new updates" in webhook_bot.log()


async def test_health_and_metrics_of_a_running_bot(
    fake: FakeBotAPI, webhook_bot: BotProcess
) -> None:
    user = fake.user(605, "Дина", language_code="ru")
    user.send("/start")
    [update] = fake.take_updates()
    await post(webhook_bot, update)
    status, body = await get(webhook_bot, "/healthz")
    report = json.loads(body)
    assert status == 200, report
    assert report["ok"] is True and report["database"] is True
    assert report["scheduler"] is True and report["sender"] is True
    assert report["last_update_at"] is not None and report["outbox_backlog"] == 0
    status, text = await get(webhook_bot, "/metrics")
    assert status == 200
    assert 'bot_updates_total{type="message"} 1.0' in text
    assert 'bot_handler_seconds_count{type="message"} 1.0' in text
    assert "bot_telegram_429_total 0.0" in text
    assert "bot_outbox_backlog 0.0" in text


async def test_the_polling_bot_serves_health_too(fake: FakeBotAPI, tmp_path: Path) -> None:
    process = BotProcess(fake, tmp_path)
    await process.start()
    try:
        status, body = await get(process, "/healthz")
        assert status == 200 and json.loads(body)["ok"] is True
    finally:
        await process.stop()


# --- the health check's verdicts, in process ------------------------------------------------


class StoppedClock(Clock):
    def now(self) -> datetime:
        return datetime(2026, 11, 26, 5, 0, tzinfo=UTC)


async def health_of(db: Database, **running: bool | None) -> tuple[int, dict[str, Any]]:
    parts = Parts(
        meta=MetaRepository(db),
        metrics=Metrics(),
        clock=StoppedClock(ZoneInfo(Settings.model_fields["timezone"].default)),
        scheduler_running=lambda: running.get("scheduler", True),
        sender_running=lambda: running.get("sender", True),
    )
    async with TestClient(TestServer(build_web_app(parts))) as client:
        response = await client.get("/healthz")
        return response.status, await response.json()


async def test_health_names_what_is_wrong(db: Database) -> None:
    assert (await health_of(db))[0] == 200
    status, report = await health_of(db, scheduler=False)
    assert status == 503 and report["problems"] == ["scheduler not running"]
    status, report = await health_of(db, scheduler=None, sender=None)
    assert status == 200 and report["scheduler"] == "standby"  # another process runs them
    await db.execute(
        "INSERT INTO outbox (dedup_key, chat_id, kind, due_at, created_at) "
        "VALUES ('k', 1, 'status', '2026-11-26T03:00:00+00:00', '2026-11-26T03:00:00+00:00')"
    )
    status, report = await health_of(db)
    assert status == 503 and report["problems"] == ["outbox stuck: a message is 7200 s overdue"]
    await db.close()
    status, report = await health_of(db)
    assert status == 503 and report["problems"][0].startswith("database unreachable")


# --- the secret check, in process ---------------------------------------------------------


async def raw_post(client: TestClient, secret_header: bytes) -> int:
    """A POST whose secret header is raw bytes (aiohttp's client only sends text), and the
    status of the answer."""
    assert client.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    person = {"id": 5, "is_bot": False, "first_name": "Аня"}
    message = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "from": person}
    body = json.dumps({"update_id": 1, "message": {**message, "text": "/start"}}).encode()
    writer.write(
        b"POST /telegram/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nX-Telegram-Bot-Api-Secret-Token: " + secret_header
        + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


@pytest.mark.parametrize(
    "header",
    [b"\xff\xfe\xfd", SECRET.encode()[:-1] + b"\xd0", b"\xe9t\xe9", SECRET.encode() + b"\x80"],
)
async def test_a_secret_header_that_is_not_utf8_is_refused_with_401(
    db: Database, dp: Any, bot: Any, header: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    parts = Parts(
        meta=MetaRepository(db),
        metrics=Metrics(),
        clock=StoppedClock(ZoneInfo(Settings.model_fields["timezone"].default)),
        scheduler_running=lambda: True,
        sender_running=lambda: True,
    )
    app = build_web_app(parts, dp=dp, bot=bot, webhook_path="/telegram/webhook", secret=SECRET)
    async with TestClient(TestServer(app)) as client:
        assert await raw_post(client, header) == 401
        assert await raw_post(client, SECRET.encode()) == 200  # the right one still works
    assert "Traceback" not in caplog.text and "Error handling request" not in caplog.text
