"""When handling an update fails: the user gets an apology, the failure is logged with the
update's id and counted in /metrics, the webhook answers 200 (Telegram does not deliver it
again), and nothing the user submitted is lost."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from aiogram.utils.i18n import I18n
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_dispatcher
from bot.config import Settings
from bot.web import Parts, build_web_app
from db.database import Database
from db.fsm_storage import SQLiteStorage
from db.meta import MetaRepository
from tests.client import UserClient
from tests.conftest import FixedClock
from tests.helpers import fill_form, write_lock
from tests.recording import RecordingSession

PATH = "/telegram/webhook"
SECRET = "s3cret-token-for-tests-0123456789"
APOLOGY = ("Sorry, something went wrong on our side", "Извините! Что-то пошло не так")
update_ids = iter(range(500_000, 600_000))


def start_update(user_id: int = 801) -> dict[str, Any]:
    sender = {"id": user_id, "is_bot": False, "first_name": "Аня", "language_code": "en"}
    return {
        "update_id": next(update_ids),
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Аня"},
            "from": sender,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def webhook_client(dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock) -> TestClient:
    parts = Parts(
        meta=MetaRepository(db),
        metrics=dp["metrics"],
        clock=clock,
        scheduler_running=lambda: True,
        sender_running=lambda: True,
    )
    app = build_web_app(parts, dp=dp, bot=bot, webhook_path=PATH, secret=SECRET)
    return TestClient(TestServer(app))


@pytest.fixture
async def webhook(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> AsyncIterator[TestClient]:
    async with await webhook_client(dp, bot, db, clock) as client:
        yield client


async def post(client: TestClient, update: dict[str, Any]) -> int:
    response = await client.post(
        PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    return response.status


def texts_to(bot: Bot, chat_id: int) -> list[str]:
    session = bot.session
    assert isinstance(session, RecordingSession)
    return [
        c.params["text"]
        for c in session.calls
        if c.method == "sendMessage" and c.params["chat_id"] == chat_id and c.result is not None
    ]


async def metric(client: TestClient, line_start: str) -> str:
    text = await (await client.get("/metrics")).text()
    return next((line for line in text.splitlines() if line.startswith(line_start)), "")


async def test_a_failed_handler_apologises_logs_the_update_and_counts_it(
    webhook: TestClient, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    session = bot.session
    assert isinstance(session, RecordingSession)
    session.fail_next("sendMessage", 400, "Bad Request: message is too long")  # the menu
    update = start_update()
    with caplog.at_level(logging.ERROR):
        assert await post(webhook, update) == 200  # processed: Telegram does not resend it
    [apology] = texts_to(bot, 801)
    assert apology.startswith(APOLOGY)
    assert f"update {update['update_id']} (message) failed" in caplog.text
    assert await metric(webhook, "bot_handler_errors_total{") == (
        'bot_handler_errors_total{type="message"} 1.0'
    )
    assert await post(webhook, update) == 200  # delivered again all the same: not re-run
    assert len(texts_to(bot, 801)) == 1


class StateUnavailable(SQLiteStorage):
    """Dialogue state that cannot be read once (as RedisStorage while Redis restarts)."""

    failures = 1

    async def get_state(self, key: StorageKey) -> str | None:
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return await super().get_state(key)


async def test_a_failure_before_the_handler_is_counted_too(
    settings: Settings, db: Database, i18n: I18n, clock: FixedClock, bot: Bot
) -> None:
    dp = build_dispatcher(
        settings=settings, db=db, i18n=i18n, clock=clock, storage=StateUnavailable(db)
    )
    async with await webhook_client(dp, bot, db, clock) as client:
        assert await post(client, start_update(802)) == 200
        [apology] = texts_to(bot, 802)
        assert apology.startswith(APOLOGY)
        assert await metric(client, "bot_handler_errors_total{") == (
            'bot_handler_errors_total{type="message"} 1.0'
        )


async def test_an_update_processed_while_the_database_was_busy_is_not_processed_twice(
    webhook: TestClient, bot: Bot, db: Database, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The replies went out; only recording the update id failed. A 500 would make Telegram
    deliver the update again, and the user would get every reply twice."""
    await db.fetchall("PRAGMA busy_timeout=50")
    real = MetaRepository.mark_processed

    async def mark_processed_locked(self: MetaRepository, *args: Any) -> None:
        with write_lock(settings.database_path):
            await real(self, *args)

    monkeypatch.setattr(MetaRepository, "mark_processed", mark_processed_locked)
    update = start_update(803)
    assert await post(webhook, update) == 200
    assert len(texts_to(bot, 803)) == 1
    monkeypatch.setattr(MetaRepository, "mark_processed", real)
    assert await post(webhook, update) == 200  # our 200 was lost: Telegram sends it again
    assert len(texts_to(bot, 803)) == 1


async def test_a_submitted_application_survives_a_reply_that_fails(
    english_user: UserClient, db: Database
) -> None:
    """The application is stored before anything that can fail: here the screen after Submit
    and even the apology fail (Telegram is down), and the applicant finds it all the same."""
    review = await fill_form(english_user)
    session = english_user.session
    session.fail_next("editMessageText", 502, "Bad Gateway")
    session.fail_next("sendMessage", 502, "Bad Gateway")  # the apology
    await english_user.click_data("af:submit:", review)
    assert await db.fetchval("SELECT count(*) FROM applications") == 1
    assert await db.fetchval("SELECT number FROM applications") == "М-2027-0001"
    # Pressing Submit again (no answer came) does not make a second one; it says so.
    await english_user.click_data("af:submit:", review)
    assert english_user.answers()[-1]["text"] == "Your application has already been submitted."
    assert await db.fetchval("SELECT count(*) FROM applications") == 1
    [menu] = await english_user.send("/start")
    [mine] = await english_user.click("📄 My application", menu)
    assert "Application M-2027-0001" in mine["text"]
