"""What Telegram accepted is never sent again by the same process, even while the database
cannot be written (another connection holds its write lock): only the write is retried."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from aiogram import Bot, Dispatcher

from bot.config import Settings
from bot.services.broadcasts import BroadcastMonitor
from db.database import Database
from tests.client import UserClient
from tests.conftest import FixedClock
from tests.helpers import fill_form, sender_of, submit, write_lock

STAFF_CHAT = 1  # ADMIN_IDS=1 in the tests' settings: the staff posts go there


@pytest.fixture
async def impatient(db: Database) -> Database:
    """The bot's connection gives up on a held lock after 50 ms instead of 5 s ("database is
    locked"): the same failure, sooner."""
    await db.fetchall("PRAGMA busy_timeout=50")
    return db


async def status_of(db: Database, kind: str) -> str:
    return str(await db.fetchval("SELECT status FROM outbox WHERE kind = ?", (kind,)))


def sent_to(user: UserClient, chat_id: int) -> list[tuple[str, Any]]:
    return [
        (c.method, c.params.get("text") or c.params.get("caption"))
        for c in user.session.calls
        if c.params.get("chat_id") == chat_id and c.result is not None
    ]


async def test_a_relayed_question_reaches_the_staff_once_while_the_database_is_locked(
    dp: Dispatcher, bot: Bot, user: UserClient, impatient: Database, settings: Settings,
    clock: FixedClock,
) -> None:  # fmt: skip
    number = await dp["questions"].ask(
        user.user["id"], "text", "Когда вступительные?", None, clock.now(), [STAFF_CHAT],
        max_open=5,
    )  # fmt: skip
    sender = sender_of(dp)
    with write_lock(settings.database_path):
        for _ in range(3):  # the sender's loop comes back every second
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await sender.drain(bot)
        assert await status_of(impatient, "question") == "pending"
    assert await sender.drain(bot) == 1  # the lock is gone: the write goes through
    relays = [text for _method, text in sent_to(user, STAFF_CHAT) if f"#Q{number}" in text]
    assert len(relays) == 1, relays
    assert await status_of(impatient, "question") == "sent"
    assert await sender.drain(bot) == 0


async def test_every_part_of_an_application_post_is_sent_once_while_the_database_is_locked(
    dp: Dispatcher, bot: Bot, english_user: UserClient, impatient: Database, settings: Settings
) -> None:
    await submit(english_user, await fill_form(english_user))
    english_user.session.clear()
    sender = sender_of(dp)
    with write_lock(settings.database_path):
        for _ in range(3):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await sender.drain(bot)
        # The summary went out; recording that (the part done) failed: nothing more is sent,
        # the summary is not sent again.
        assert [m for m, _text in sent_to(english_user, STAFF_CHAT)] == ["sendMessage"]
    assert await sender.drain(bot) == 1
    calls = sent_to(english_user, STAFF_CHAT)
    assert [m for m, _text in calls] == ["sendMessage", "sendPhoto", "sendPhoto", "sendPhoto"]
    assert len({text for _m, text in calls}) == 4  # four different parts, none twice
    assert await status_of(impatient, "staff_application") == "sent"


async def test_with_several_chats_at_once_a_pass_ends_only_when_every_call_has(
    dp: Dispatcher, bot: Bot, user: UserClient, impatient: Database, settings: Settings,
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """With several calls in flight: one chat's failed write must not end the pass while another
    chat's call is in flight, or the next pass reads that row as pending and sends it again."""
    await dp["questions"].ask(
        user.user["id"], "text", "Общежитие есть?", None, clock.now(), [STAFF_CHAT, 2],
        max_open=5,
    )  # fmt: skip
    sender = sender_of(dp)
    sender.window.limit = 2
    first_write_failed, go_on = asyncio.Event(), asyncio.Event()
    real_mark_sent, real_request = sender.outbox.mark_sent, user.session.make_request

    async def mark_sent(*args: Any) -> None:
        try:
            await real_mark_sent(*args)
        finally:
            first_write_failed.set()

    async def make_request(bot: Bot, method: Any, **kwargs: Any) -> Any:
        if getattr(method, "chat_id", None) == 2:
            await go_on.wait()  # a slow answer from Telegram for chat 2
        return await real_request(bot, method, **kwargs)

    monkeypatch.setattr(sender.outbox, "mark_sent", mark_sent)
    monkeypatch.setattr(user.session, "make_request", make_request)
    with write_lock(settings.database_path):
        first = asyncio.create_task(sender.drain(bot))
        await asyncio.wait_for(first_write_failed.wait(), 10)  # chat 1: accepted, not recorded
        await asyncio.sleep(0.05)
        assert not first.done()  # chat 2's call is still in flight
        go_on.set()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await first
    await sender.drain(bot)
    for chat in (STAFF_CHAT, 2):
        assert len(sent_to(user, chat)) == 1, chat
    assert await impatient.fetchval("SELECT count(*) FROM outbox WHERE status = 'sent'") == 2


async def test_the_progress_message_of_a_broadcast_is_recorded_though_the_database_was_busy(
    dp: Dispatcher, bot: Bot, impatient: Database, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    await UserClient(dp, bot, user_id=3001, language_code="en").send("/start")
    repo = dp["broadcasts"]
    real = repo.set_progress_message
    attempts = 0

    async def first_one_locked(*args: Any) -> None:
        nonlocal attempts
        attempts += 1
        if attempts > 1:
            return await real(*args)
        with write_lock(settings.database_path):
            return await real(*args)

    monkeypatch.setattr(repo, "set_progress_message", first_one_locked)
    monkeypatch.setattr("bot.delivery.accepted.PAUSE_SECONDS", 0)
    [panel] = await admin.send("/staff")
    await admin.click("📣 Broadcast", panel)
    [english] = await admin.send("Open doors on Saturday")
    [kinds] = await admin.click("No English version", english)
    await admin.click("👥 All users", kinds)
    replies = await admin.click("✅ Send to 2", admin.last_with_keyboard())
    progress = [r for r in replies if "is being sent" in r.get("text", "")]
    assert len(progress) == 1, replies
    assert attempts == 2
    recorded = await impatient.fetchone(
        "SELECT progress_chat_id, progress_message_id FROM broadcasts"
    )
    assert recorded is not None and tuple(recorded) == (1, progress[0]["message_id"])
    assert not [r for r in replies if "went wrong" in r.get("text", "")]


async def test_a_progress_edit_is_made_once_while_the_database_is_locked(
    dp: Dispatcher, bot: Bot, impatient: Database, settings: Settings
) -> None:
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    await UserClient(dp, bot, user_id=3001, language_code="en").send("/start")
    [panel] = await admin.send("/staff")
    await admin.click("📣 Broadcast", panel)
    [english] = await admin.send("Open doors on Saturday")
    [kinds] = await admin.click("No English version", english)
    await admin.click("👥 All users", kinds)
    await admin.click("✅ Send to 2", admin.last_with_keyboard())
    await sender_of(dp).drain(bot)
    monitor: BroadcastMonitor = dp["broadcast_monitor"]
    with write_lock(settings.database_path):
        for _ in range(3):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await monitor.tick(bot)
    assert await monitor.tick(bot) == 1
    # The final report went out once, though the database refused to record it three times.
    reports = [m for m in admin.session.of("sendMessage") if "is finished" in m["text"]]
    assert len(reports) == 1, reports
    assert len(admin.session.of("deleteMessage")) == 1
    assert not [e for e in admin.session.of("editMessageText") if "is finished" in e["text"]]
