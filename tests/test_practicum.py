"""Students and practicum: registration, staff import, «my practicum», reminders end to end
in-process, opt-out, quiet hours and late delivery."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot, Dispatcher

from bot.services.reminders import ReminderService
from db.database import Database
from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.helpers import LINE, register, sender_of

TZ = ZoneInfo("Asia/Krasnoyarsk")


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


async def test_a_student_registers_and_sees_no_dates_yet(english_user: UserClient) -> None:
    screen = await register(english_user, "  мп-25-1 ")
    assert "Registered" in screen["text"]
    assert "Group МП-25-1" in screen["text"]
    assert "has not listed the group МП-25-1 yet" in screen["text"]


async def test_a_bad_group_gets_a_hint(english_user: UserClient) -> None:
    [menu] = await english_user.send("/start")
    [consent] = await english_user.click("👷 I am a student", menu)
    [colleges] = await english_user.click("✅ I agree", consent)
    await english_user.click("Norilsk Technical School", colleges)
    [hint] = await english_user.send("<script>")
    assert "1–20 letters" in hint["text"]
    [hint] = await english_user.send_sticker()
    assert "as text" in hint["text"]


async def test_staff_add_a_period_and_the_student_sees_it(
    dp: Dispatcher, bot: Bot, english_user: UserClient
) -> None:
    await register(english_user)
    admin = UserClient(dp, bot, user_id=1, language_code="en")  # ADMIN_IDS=1 in the fixture
    [done] = await admin.send(f"/practicum_add {LINE}")
    assert "Imported work placement periods: 1" in done["text"]
    [menu] = await english_user.send("/start")
    [screen] = await english_user.click("👷 I am a student", menu)
    assert "Надеждинский завод" in screen["text"]
    assert "Report due: 25 June 2027" in screen["text"]


async def test_a_bad_line_is_refused_with_its_problem_and_nothing_is_saved(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    bad = LINE.replace("20.06.2027", "31.06.2027")
    [reply] = await admin.send(f"/practicum_add {bad}")
    assert "Nothing was imported" in reply["text"]
    assert "line 2" in reply["text"]
    assert await db.fetchval("SELECT count(*) FROM practicum_periods") == 0


async def test_only_administrators_add_periods(english_user: UserClient, db: Database) -> None:
    [reply] = await english_user.send(f"/practicum_add {LINE}")
    assert "for the admission staff" in reply["text"]
    [reply] = await english_user.send_document("periods.csv", "text/csv", unique="csv")
    assert "🎓 Specialties" in labels(reply)  # an ordinary user's file gets the usual hint
    assert await db.fetchval("SELECT count(*) FROM practicum_periods") == 0


async def test_the_student_is_reminded_on_time_and_can_switch_it_off(
    dp: Dispatcher, bot: Bot, english_user: UserClient, clock: FixedClock, db: Database
) -> None:
    await register(english_user)
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    clock.current = at(date(2027, 4, 1), 12)
    await admin.send(f"/practicum_add {LINE}")  # plans the reminders right away
    service: ReminderService = dp["reminder_service"]
    assert await service.plan_now() == 0  # planning again adds nothing
    sender = sender_of(dp)
    assert await sender.drain(bot) == 2  # the news: the group is listed, and its dates

    clock.current = at(date(2027, 5, 5), 9)
    english_user.session.clear()
    assert await sender.drain(bot) == 0  # not yet: 10:00 local
    clock.current = at(date(2027, 5, 5), 10)
    await sender.drain(bot)
    [reminder] = english_user.session.of("sendMessage")
    assert reminder["chat_id"] == 1002
    assert "work placement starts on 12 May 2027: Надеждинский завод" in reminder["text"]
    assert "🔕 Reminder settings" in labels(reminder)

    [menu] = await english_user.send("/start")
    [settings] = await english_user.click("🔔 Reminders", menu)
    [settings] = await english_user.click("🔔 Work placement dates and reports", settings)
    assert "🔕 Work placement dates and reports" in labels(settings)
    clock.current = at(date(2027, 5, 11), 10)
    english_user.session.clear()
    await sender.drain(bot)
    assert english_user.session.of("sendMessage") == []  # switched off: dropped at send time
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE status = 'dropped'") == 1


async def test_a_reminder_due_at_night_after_downtime_waits_for_the_morning(
    dp: Dispatcher, bot: Bot, english_user: UserClient, clock: FixedClock, db: Database
) -> None:
    await register(english_user)
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    clock.current = at(date(2027, 4, 1), 12)
    await admin.send(f"/practicum_add {LINE}")
    sender = sender_of(dp)
    await sender.drain(bot)  # the news of the load
    clock.current = at(date(2027, 5, 4), 23)  # the bot was down; the 10:00 reminder is overdue
    clock.current = at(date(2027, 5, 5), 23)
    english_user.session.clear()
    await sender.drain(bot)
    assert english_user.session.of("sendMessage") == []
    due = await db.fetchval("SELECT min(due_at) FROM outbox WHERE status = 'pending'")
    assert datetime.fromisoformat(due) == at(date(2027, 5, 6), 8)
    clock.current = at(date(2027, 5, 6), 8)
    await sender.drain(bot)
    [late] = english_user.session.of("sendMessage")
    assert "work placement starts on 12 May 2027" in late["text"]


async def test_a_reminder_whose_day_passed_is_dropped_with_a_log_line(
    dp: Dispatcher, bot: Bot, english_user: UserClient, clock: FixedClock, db: Database,
    caplog: Any,
) -> None:  # fmt: skip
    await register(english_user)
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    clock.current = at(date(2027, 4, 1), 12)
    await admin.send(f"/practicum_add {LINE}")
    await sender_of(dp).drain(bot)  # the news of the load
    clock.current = at(date(2027, 7, 1), 10)  # down for months: everything has passed
    english_user.session.clear()
    with caplog.at_level("INFO", logger="bot.delivery.sender"):
        await sender_of(dp).drain(bot)
    assert english_user.session.of("sendMessage") == []
    assert "deadline passed" in caplog.text
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'") == 0


async def test_remind_me_on_a_card_plans_the_opening_reminder(
    dp: Dispatcher, bot: Bot, english_user: UserClient, clock: FixedClock
) -> None:
    clock.current = at(date(2027, 5, 1), 12)
    [menu] = await english_user.send("/start")
    [listing] = await english_user.click("🎓 Specialties", menu)
    [card] = await english_user.click("22.02.08 · Metallurgy", listing)
    [card] = await english_user.click("🔔 Remind me when admission opens", card)
    assert "🔕 Do not remind me" in labels(card)
    assert "20 June 2027" in english_user.answers()[-1]["text"]
    await dp["reminder_service"].plan_now()
    clock.current = at(date(2027, 6, 13), 10)
    english_user.session.clear()
    await sender_of(dp).drain(bot)
    [reminder] = english_user.session.of("sendMessage")
    # The rules give the latest day only: no college has given its own date yet.
    assert "Admission opens no later than 20 June 2027" in reminder["text"]
    assert "📝 Apply" in labels(reminder)
    clock.current += timedelta(days=6)
    english_user.session.clear()
    await sender_of(dp).drain(bot)
    assert (
        "Admission opens no later than 20 June 2027"
        in (english_user.session.of("sendMessage")[0]["text"])
    )
    clock.current += timedelta(days=1)
    english_user.session.clear()
    await sender_of(dp).drain(bot)
    assert (
        "Today is the latest day admission may open"
        in (english_user.session.of("sendMessage")[0]["text"])
    )


async def test_a_file_is_parsed_in_a_worker_thread_while_the_bot_goes_on(
    dp: Dispatcher, bot: Bot, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a workbook takes CPU time: meanwhile other updates must be served. The parser
    is replaced by one that waits for a coroutine of the event loop to run: on the loop's
    own thread it would wait in vain (and say so), in a worker thread it sees it run."""
    import handlers.staff.practicum as module

    real = module.parse_upload
    loop = asyncio.get_running_loop()
    seen: dict[str, object] = {}

    def parse(*args: Any, **kwargs: Any) -> Any:
        seen["thread"] = threading.current_thread()
        others_ran = threading.Event()

        async def another_update() -> None:
            others_ran.set()

        asyncio.run_coroutine_threadsafe(another_update(), loop)
        seen["loop_went_on"] = others_ran.wait(timeout=10)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "parse_upload", parse)
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    [done] = await admin.send(f"/practicum_add {LINE}")
    assert "Imported work placement periods: 1" in done["text"]
    assert seen["thread"] is not threading.main_thread()
    assert seen["loop_went_on"] is True
