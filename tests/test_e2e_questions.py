"""End to end over HTTP: questions to the admission office through its Telegram group, the
way Telegram delivers group messages to a bot in privacy mode, and a staff member who never
started the bot."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.emulator import FakeBotAPI, FakeUser
from tests.e2e import BotProcess

STAFF = 9100
GROUP = -1009876543210


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


async def ask(asker: FakeUser, text: str) -> dict[str, Any]:
    """From /start to a sent question; returns the bot's confirmation."""
    asker.send("/start")
    menu = await asker.wait_reply()
    asker.click("❓ Questions and contacts", menu)
    contacts = await asker.wait_reply()
    asker.click("✍️ Ask the admission office", contacts)
    await asker.wait_reply()
    asker.send(text)
    return await asker.wait_reply()


async def test_a_question_goes_to_the_admission_group_and_a_reply_there_reaches_the_asker(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    group = fake.group(GROUP, "Приёмная комиссия")
    staff = fake.user(STAFF, "Ольга", language_code="ru")  # in the group, never wrote to the bot
    process = BotProcess(fake, tmp_path, ADMIN_IDS=str(STAFF), ADMISSION_CHAT_ID=str(GROUP))
    await process.start()
    try:
        asker = fake.user(901, "Vera", language_code="en")
        mark = fake.mark()
        sent = await ask(asker, "Is there a dormitory for students from Dudinka?")
        assert "Question №1 is sent" in sent["text"]
        relay = await group.wait_reply(after=mark, timeout=30)
        assert relay["text"].startswith("#Q1 · ") and "Dudinka" in relay["text"]

        # Staff talk among themselves: a bot in privacy mode does not even get it.
        group.send(staff, "Коллеги, кто знает про общежитие?")
        assert [m["text"] for m in group.unseen] == ["Коллеги, кто знает про общежитие?"]

        mark = fake.mark()
        group.reply(staff, relay, "Да, общежитие есть, заселение с 25 августа.")
        answer = await asker.wait_reply(after=mark, timeout=30)
        assert "question №1" in answer["text"] and "25 августа" in answer["text"]
        confirmation = await group.wait_reply(after=mark)
        assert "№1" in confirmation["text"]
        assert staff.messages() == []  # everything happened in the group
    finally:
        await process.kill()


async def test_a_staff_member_who_never_started_the_bot_is_unreachable_not_retried(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    """Without an admission group, questions go to the administrators in private. One who never
    pressed Start gets nothing: Telegram answers 403, and the sender records the chat as
    unreachable instead of retrying (a 400 «chat not found» would have been a failure)."""
    fake.expect_rejections("Forbidden: bot can't initiate conversation with a user")
    staff = fake.user(STAFF, "Ольга", language_code="ru")
    process = BotProcess(fake, tmp_path, ADMIN_IDS=str(STAFF))
    await process.start()
    try:
        asker = fake.user(902, "Ivan", language_code="en")
        sent = await ask(asker, "When do you start accepting documents?")
        assert "Question №1 is sent" in sent["text"]

        db = tmp_path / "bot.sqlite3"

        def relay_outcome() -> tuple[str, str] | None:
            with sqlite3.connect(db) as conn:
                row = conn.execute(
                    "SELECT status, last_error FROM outbox WHERE kind = 'question'"
                ).fetchone()
            return row if row is not None and row[0] != "pending" else None

        outcome = None
        for _ in range(300):  # the bot writes it after Telegram's answer: poll the file
            if (outcome := relay_outcome()) is not None:
                break
            await asyncio.sleep(0.1)
        assert outcome is not None, process.log()
        status, error = outcome
        assert status == "blocked" and "can't initiate conversation" in error
        assert staff.messages() == []
        assert [r.error_code for r in fake.rejected] == [403]
        assert "Traceback" not in process.log()
    finally:
        await process.kill()
