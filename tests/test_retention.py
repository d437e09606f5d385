"""Personal data is erased when its retention period ends (152-ФЗ): a summary for the staff
a week before, the erasure, a report after; nothing personal left in the database file."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from aiogram import Bot, Dispatcher

from bot.config import Settings
from bot.services.catalog import CatalogService
from bot.services.retention import RetentionService
from db.catalog import CatalogRepository
from db.database import Database
from db.retention import RetentionRepository
from tests.client import UserClient
from tests.conftest import FixedClock
from tests.helpers import database_bytes, fill_form, sender_of, submit

# The 2027 campaign's last day is 25 November 2027; 90 days later is 23 February 2028.
PURGE_DAY = date(2028, 2, 23)
WARN_DAY = date(2028, 2, 16)


@pytest.fixture
async def two_applicants(dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock) -> None:
    """Zotova (not enrolled) and Kuznetsov (enrolled), both of the 2027 campaign; the admin
    reads English."""
    await UserClient(dp, bot, user_id=1, language_code="en").send("/start")
    zotova = UserClient(dp, bot, user_id=3001, language_code="en")
    await submit(zotova, await fill_form(zotova, name="Зотова Вера Павловна"))
    kuznetsov = UserClient(dp, bot, user_id=3002, language_code="en")
    await submit(kuznetsov, await fill_form(kuznetsov, name="Кузнецов Олег Ильич"))
    await db.execute("UPDATE applications SET status = 'enrolled' WHERE user_id = 3002")
    await sender_of(dp).drain(bot)


def service(dp: Dispatcher, db: Database, clock: FixedClock, enrolled_days: int | None):
    return RetentionService(
        RetentionRepository(db),
        CatalogService(CatalogRepository(db)),
        clock,
        retention_days=90,
        enrolled_days=enrolled_days,
        staff_chats=[1],
    )


async def test_staff_are_warned_a_week_before_once(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock, two_applicants: None
) -> None:
    retention: RetentionService = dp["retention"]
    clock.set_local_date(date(2028, 2, 15))
    await retention.run()
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'retention_warning'") == 0
    clock.set_local_date(WARN_DAY)
    await retention.run()
    await retention.run()
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'retention_warning'") == 1
    await sender_of(dp).drain(bot)
    [warning] = [c for c in bot.session.calls if "will be erased" in c.params.get("text", "")]
    assert warning.params["chat_id"] == 1
    assert "1 application of someone not enrolled of the admission 2027" in warning.params["text"]
    assert await db.fetchval("SELECT count(*) FROM applications") == 2  # nothing erased yet


async def test_applicants_not_enrolled_are_erased_on_the_day(
    dp: Dispatcher,
    bot: Bot,
    db: Database,
    clock: FixedClock,
    settings: Settings,
    two_applicants: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert "Зотова".encode() in database_bytes(settings.database_path)
    clock.set_local_date(PURGE_DAY)
    with caplog.at_level(logging.INFO):
        assert await dp["retention"].run() == 1
    assert await db.fetchval("SELECT user_id FROM applications") == 3002  # enrolled: kept
    assert await db.fetchval("SELECT count(*) FROM consents WHERE user_id = 3001") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE chat_id = 1 AND kind <> "
                             "'retention_done' AND status = 'pending'") == 0  # fmt: skip
    raw = database_bytes(settings.database_path)
    assert "Зотова".encode() not in raw and "Вера Павловна".encode() not in raw
    assert "Кузнецов".encode() in raw
    assert "erased 1 not enrolled application" in caplog.text
    assert "Зотова" not in caplog.text
    # Running again erases nothing more and reports once.
    assert await dp["retention"].run() == 0
    await sender_of(dp).drain(bot)
    reports = [c for c in bot.session.calls if "Personal data erased" in c.params.get("text", "")]
    assert (
        len(reports) == 1 and "1 application of someone not enrolled" in (reports[0].params["text"])
    )
    assert await db.fetchval("SELECT value FROM counters WHERE name = 'retention_erased'") == 1


async def test_enrolled_students_follow_the_colleges_rule(
    dp: Dispatcher, db: Database, clock: FixedClock, settings: Settings, two_applicants: None
) -> None:
    clock.set_local_date(PURGE_DAY)
    assert await service(dp, db, clock, enrolled_days=None).run() == 1
    assert await db.fetchval("SELECT count(*) FROM applications") == 1  # kept: no rule set
    keep_three_years = service(dp, db, clock, enrolled_days=3 * 365 + 1)  # to 25 Nov 2030
    clock.set_local_date(date(2030, 11, 24))
    assert await keep_three_years.run() == 0
    clock.set_local_date(date(2030, 11, 25))
    assert await keep_three_years.run() == 1
    assert await db.fetchval("SELECT count(*) FROM applications") == 0
    assert "Кузнецов".encode() not in database_bytes(settings.database_path)


async def test_old_questions_are_erased(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock, settings: Settings
) -> None:
    asker = UserClient(dp, bot, user_id=3003, language_code="en")
    [menu] = await asker.send("/start")
    [contacts] = await asker.click("❓ Questions and contacts", menu)
    await asker.click("✍️ Ask the admission office", contacts)
    await asker.send("Можно ли заселиться с котом Барсиком?")
    assert await db.fetchval("SELECT count(*) FROM questions") == 1
    clock.current = clock.current.replace(year=2027, month=2, day=23)
    await dp["retention"].run()
    assert await db.fetchval("SELECT count(*) FROM questions") == 1  # 89 days: kept
    clock.current = clock.current.replace(day=25)
    await dp["retention"].run()
    assert await db.fetchval("SELECT count(*) FROM questions") == 0
    assert "Барсиком".encode() not in database_bytes(settings.database_path)
