"""A broadcast's progress message counts each outcome while it runs, including failures, and
the final report comes once, when nothing is waiting any more."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Dispatcher

from bot.services.broadcasts import PROGRESS_GRACE, BroadcastMonitor
from db.broadcasts import BroadcastRepository
from db.database import Database
from tests.client import UserClient
from tests.conftest import FixedClock
from tests.helpers import apply, choose, person, sender_of, start_broadcast

TEXT = "Open doors on Saturday"


def counts(text: str) -> dict[str, str]:
    lines = text.splitlines()
    return {
        label: next(line.split(": ", 1)[1] for line in lines if line.startswith(label))
        for label in ("✅ Delivered", "🚫 Blocked the bot", "⚠️ Failed", "⏳ Waiting")
    }


async def test_progress_counts_delivered_blocked_failed_and_waiting_until_the_end(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    for user_id, name in zip(
        (3001, 3002, 3003, 3004, 3005),
        ("Агеева", "Белова", "Волкова", "Гусева", "Данилова"),
        strict=True,
    ):
        await apply(person(dp, bot, user_id), f"{name} Анна Сергеевна")
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    sender = sender_of(dp)
    await sender.drain(bot)  # the staff posts go first
    kinds = await start_broadcast(admin, TEXT)
    replies = await choose(admin, kinds, "📌 Applicants with a status", "submitted")
    [progress] = await admin.click("✅ Send to 5", replies[-1])
    assert counts(progress["text"]) == {
        "✅ Delivered": "0", "🚫 Blocked the bot": "0", "⚠️ Failed": "0", "⏳ Waiting": "5",
    }  # fmt: skip

    session = admin.session
    session.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    session.fail_next("sendMessage", 400, "Bad Request: chat not found")
    session.fail_next("sendMessage", 400, "Bad Request: chat not found")
    session.fail_next("sendMessage", 502, "Bad Gateway")
    await sender.drain(bot)
    monitor: BroadcastMonitor = dp["broadcast_monitor"]
    session.clear()
    assert await monitor.tick(bot) == 0  # one is still waiting for its retry
    [edit] = session.of("editMessageText")
    assert edit["message_id"] == progress["message_id"] and edit["chat_id"] == 1
    assert "is being sent" in edit["text"]
    assert counts(edit["text"]) == {
        "✅ Delivered": "1", "🚫 Blocked the bot": "1", "⚠️ Failed": "2", "⏳ Waiting": "1",
    }  # fmt: skip
    assert session.of("sendMessage") == []  # no final report yet
    session.clear()
    assert await monitor.tick(bot) == 0
    assert session.of("editMessageText") == []  # nothing changed: no edit

    clock.current += timedelta(minutes=1)
    await sender.drain(bot)
    assert await monitor.tick(bot) == 1
    # The final report is a new message (the author is notified); the progress message goes.
    [report] = [m for m in session.of("sendMessage") if m["chat_id"] == 1]
    final = report["text"]
    assert "is finished" in final
    assert counts(final) == {
        "✅ Delivered": "2", "🚫 Blocked the bot": "1", "⚠️ Failed": "2", "⏳ Waiting": "0",
    }  # fmt: skip
    assert [d["message_id"] for d in session.of("deleteMessage")] == [progress["message_id"]]
    delivered = [
        c.params["chat_id"]
        for c in session.calls
        if c.method == "sendMessage"
        and c.params.get("text", "").endswith(TEXT)
        and c.result is not None
    ]
    assert len(delivered) == 1  # only the retried one in this round
    assert await monitor.tick(bot) == 0  # reported once
    rows = await db.fetchall(
        "SELECT status, count(*) AS n FROM outbox WHERE kind = 'broadcast' GROUP BY status"
    )
    assert {r["status"]: r["n"] for r in rows} == {"sent": 2, "blocked": 1, "failed": 2}


async def test_a_broadcast_delivered_before_its_progress_message_is_reported_once_it_is_there(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    """The author's progress message waits for the chat's turn after the preview; a small
    broadcast may be delivered first. It is reported when the message is there, not finished
    unseen (the author would watch «being sent…» for ever)."""
    for user_id in (1, 3001, 3002):  # the author (an administrator) reads English
        await person(dp, bot, user_id).send("/start")
    repo = BroadcastRepository(db)
    broadcast_id = await repo.create(
        author_id=1, text=TEXT, photo_file_id=None, segment={"kind": "all", "value": ""},
        recipients=[3001, 3002], now=clock.now(),
    )  # fmt: skip
    await sender_of(dp).drain(bot)
    monitor: BroadcastMonitor = dp["broadcast_monitor"]
    session = bot.session
    session.clear()  # type: ignore[attr-defined]
    assert await monitor.tick(bot) == 0
    assert session.of("sendMessage") == []  # type: ignore[attr-defined]
    progress = await bot.send_message(1, "📣 …")
    await repo.set_progress_message(broadcast_id, 1, progress.message_id)
    assert await monitor.tick(bot) == 1
    [report] = session.of("sendMessage")[1:]  # type: ignore[attr-defined]
    assert report["chat_id"] == 1 and "is finished" in report["text"]
    assert counts(report["text"])["✅ Delivered"] == "2"
    [deleted] = session.of("deleteMessage")  # type: ignore[attr-defined]
    assert deleted["message_id"] == progress.message_id


async def test_without_a_progress_message_the_author_still_gets_the_report(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    for user_id in (1, 3001):
        await person(dp, bot, user_id).send("/start")
    repo = BroadcastRepository(db)
    await repo.create(
        author_id=1, text=TEXT, photo_file_id=None, segment={"kind": "all", "value": ""},
        recipients=[3001], now=clock.now(),
    )  # fmt: skip
    await sender_of(dp).drain(bot)
    monitor: BroadcastMonitor = dp["broadcast_monitor"]
    clock.current += PROGRESS_GRACE + timedelta(seconds=1)  # the progress message never came
    bot.session.clear()  # type: ignore[attr-defined]
    assert await monitor.tick(bot) == 1
    [report] = bot.session.of("sendMessage")  # type: ignore[attr-defined]
    assert report["chat_id"] == 1 and "is finished" in report["text"]
