"""Retention without Telegram (bot/services/retention.py): which purge falls on which day,
two purges of one day each warned, done and reported apart, the exact log lines (counts,
never names), and the processed update ids forgotten after Telegram's two days of
redelivery."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.catalog import default_catalog_bytes, parse_catalog
from bot.services.catalog import CatalogService
from bot.services.retention import Due, RetentionService, schedule
from db.catalog import CatalogRepository
from db.database import Database
from db.retention import RetentionRepository
from tests.conftest import FixedClock
from tests.helpers import add

LAST_DAY_2027 = date(2027, 11, 25)  # the 2027 campaign's last day (extra acceptance)


def service(db: Database, clock: FixedClock, enrolled_days: int | None) -> RetentionService:
    return RetentionService(
        RetentionRepository(db),
        CatalogService(CatalogRepository(db)),
        clock,
        retention_days=90,
        enrolled_days=enrolled_days,
        staff_chats=[1, 2],
    )


def test_each_campaign_is_purged_retention_days_after_its_last_day() -> None:
    catalog, problems = parse_catalog(default_catalog_bytes())
    assert catalog is not None, problems
    assert schedule(catalog.campaigns, 90, None) == [
        Due(2026, False, date(2026, 11, 25) + timedelta(days=90)),
        Due(2027, False, LAST_DAY_2027 + timedelta(days=90)),
    ]
    assert schedule(catalog.campaigns, 90, 365) == [
        Due(2026, False, date(2026, 11, 25) + timedelta(days=90)),
        Due(2026, True, date(2026, 11, 25) + timedelta(days=365)),
        Due(2027, False, LAST_DAY_2027 + timedelta(days=90)),
        Due(2027, True, LAST_DAY_2027 + timedelta(days=365)),
    ]
    due = Due(2027, True, date(2028, 2, 23))
    assert (due.warn_day, due.key) == (date(2028, 2, 16), "2027:enrolled")
    assert Due(2027, False, date(2028, 2, 23)).key == "2027:others"


async def outbox(db: Database, kind: str) -> list[tuple[str, int, dict[str, object]]]:
    rows = await db.fetchall(
        "SELECT dedup_key, chat_id, payload FROM outbox WHERE kind = ? ORDER BY id", (kind,)
    )
    return [(r["dedup_key"], r["chat_id"], json.loads(r["payload"])) for r in rows]


@pytest.fixture
async def three(db: Database) -> None:
    """Two applicants of 2027 not enrolled, one enrolled."""
    await add(db, 301, "4.50")
    await add(db, 302, "4.10", status="rejected")
    await add(db, 303, "4.80", status="enrolled")


async def test_two_purges_on_one_day_are_warned_apart(
    db: Database, clock: FixedClock, three: None
) -> None:
    retention = service(db, clock, enrolled_days=90)
    clock.set_local_date(date(2028, 2, 15))
    await retention.run()
    assert await outbox(db, "retention_warning") == []
    clock.set_local_date(date(2028, 2, 16))
    assert await retention.run() == 0
    warnings = await outbox(db, "retention_warning")
    assert [(key, chat, p["enrolled"], p["count"]) for key, chat, p in warnings] == [
        ("retention-warning:2027:others:1", 1, False, 2),
        ("retention-warning:2027:others:2", 2, False, 2),
        ("retention-warning:2027:enrolled:1", 1, True, 1),
        ("retention-warning:2027:enrolled:2", 2, True, 1),
    ]
    assert {p["day"] for _, _, p in warnings} == {"2028-02-23"}
    assert {p["year"] for _, _, p in warnings} == {2027}
    await retention.run()
    assert len(await outbox(db, "retention_warning")) == 4  # once


async def test_two_purges_on_one_day_are_done_and_reported_apart(
    db: Database, clock: FixedClock, three: None, caplog: pytest.LogCaptureFixture
) -> None:
    retention = service(db, clock, enrolled_days=90)
    clock.set_local_date(date(2028, 2, 23))
    with caplog.at_level(logging.INFO, logger="bot.services.retention"):
        assert await retention.run() == 3
    assert await db.fetchval("SELECT count(*) FROM applications") == 0
    assert [r.getMessage() for r in caplog.records] == [
        "retention: campaign 2027: erased 2 not enrolled application(s)",
        "retention: campaign 2027: erased 1 enrolled application(s)",
    ]
    reports = await outbox(db, "retention_done")
    assert [(key, chat, p["enrolled"], p["count"]) for key, chat, p in reports] == [
        ("retention-done:2027:others:2028-02-23:1", 1, False, 2),
        ("retention-done:2027:others:2028-02-23:2", 2, False, 2),
        ("retention-done:2027:enrolled:2028-02-23:1", 1, True, 1),
        ("retention-done:2027:enrolled:2028-02-23:2", 2, True, 1),
    ]
    assert await retention.run() == 0
    assert len(await outbox(db, "retention_done")) == 4


async def test_enrolled_students_without_a_rule_are_neither_warned_nor_erased(
    db: Database, clock: FixedClock, three: None
) -> None:
    retention = service(db, clock, enrolled_days=None)
    clock.set_local_date(date(2028, 2, 16))
    await retention.run()
    assert [p["enrolled"] for _, _, p in await outbox(db, "retention_warning")] == [False, False]
    clock.set_local_date(date(2030, 1, 1))
    assert await retention.run() == 2
    assert await db.fetchval("SELECT user_id FROM applications") == 303


async def test_old_questions_are_erased_with_a_line_that_counts_them(
    db: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    asked = datetime(2026, 11, 1, 5, tzinfo=UTC)
    for user_id in (501, 502):
        await db.execute(
            "INSERT INTO questions (user_id, asked_at, content_type, text) "
            "VALUES (?, ?, 'text', 'Можно ли с котом?')",
            (user_id, asked.isoformat()),
        )
    clock.current = asked + timedelta(days=90, hours=1)
    with caplog.at_level(logging.INFO, logger="bot.services.retention"):
        await service(db, clock, None).run()
    assert await db.fetchval("SELECT count(*) FROM questions") == 0
    assert [r.getMessage() for r in caplog.records] == [
        "retention: erased 2 question(s) older than 90 days"
    ]


async def test_processed_updates_are_forgotten_after_two_days(
    db: Database, clock: FixedClock
) -> None:
    now = clock.now()
    for update_id, age in ((1, timedelta(days=3)), (2, timedelta(days=2, hours=12)),
                           (3, timedelta(days=1, hours=23)), (4, timedelta(0))):  # fmt: skip
        await db.execute(
            "INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?)",
            (update_id, (now - age).astimezone(UTC).isoformat()),
        )
    await service(db, clock, None).run()
    kept = await db.fetchall("SELECT update_id FROM processed_updates ORDER BY update_id")
    assert [r[0] for r in kept] == [3, 4]


async def test_the_scheduled_run_erases_and_a_failing_one_is_logged(
    db: Database, clock: FixedClock, three: None, caplog: pytest.LogCaptureFixture
) -> None:
    retention = service(db, clock, None)
    await retention.wait_idle()  # nothing running yet: returns at once
    clock.set_local_date(date(2028, 2, 23))
    with caplog.at_level(logging.ERROR, logger="bot.services.retention"):
        await retention.scheduled()
        await retention.wait_idle()
        assert caplog.records == []
        assert await db.fetchval("SELECT count(*) FROM applications") == 1  # the enrolled one

        async def broken() -> int:
            raise RuntimeError("database is locked")

        retention.run = broken  # type: ignore[method-assign]
        await retention.scheduled()  # logged, not raised: the next run tries again
    assert [r.getMessage() for r in caplog.records] == ["retention run failed"]
