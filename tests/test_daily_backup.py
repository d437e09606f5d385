"""The daily backup with ``BACKUP_DIR``: scheduled at ``BACKUP_HOUR`` Norilsk time, a checked
copy with the data in it, the ``BACKUP_KEEP`` newest kept, and a failure logged, never fatal."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.utils.i18n import I18n
from apscheduler.triggers.cron import CronTrigger

from bot.app import Workers, build_dispatcher, daily_backup
from bot.config import Settings
from db.database import Database
from tests.conftest import FixedClock


def with_backups(settings: Settings, directory: Path | None, **more: object) -> Settings:
    return settings.model_copy(update={"backup_dir": directory, **more})


@pytest.mark.parametrize("hour", [3, 23])
async def test_the_daily_backup_is_scheduled_at_backup_hour_in_norilsk(
    settings: Settings, db: Database, i18n: I18n, clock: FixedClock, bot: Bot, tmp_path: Path,
    hour: int,
) -> None:  # fmt: skip
    configured = with_backups(settings, tmp_path / "backups", backup_hour=hour)
    workers = Workers(
        build_dispatcher(settings=configured, db=db, i18n=i18n, clock=clock), configured
    )
    await workers.start(bot)
    try:
        assert workers.scheduler is not None
        job = workers.scheduler.get_job("backup")
        assert job is not None and job.func is daily_backup and job.args == (configured,)
        assert isinstance(job.trigger, CronTrigger)
        fields = {f.name: str(f) for f in job.trigger.fields}
        assert (fields["hour"], fields["minute"], fields["day"]) == (str(hour), "0", "*")
        assert str(job.trigger.timezone) == "Asia/Krasnoyarsk"
        local = job.next_run_time.astimezone(configured.tz)
        assert (local.hour, local.minute) == (hour, 0)
    finally:
        await workers.stop()


async def test_without_backup_dir_there_is_no_daily_backup(
    settings: Settings, db: Database, i18n: I18n, clock: FixedClock, bot: Bot
) -> None:
    configured = with_backups(settings, None)
    workers = Workers(
        build_dispatcher(settings=configured, db=db, i18n=i18n, clock=clock), configured
    )
    await workers.start(bot)
    try:
        assert workers.scheduler is not None
        assert workers.scheduler.get_job("backup") is None
        assert workers.scheduler.get_job("plan-reminders") is not None
    finally:
        await workers.stop()


async def test_the_daily_backup_is_a_checked_copy_and_keeps_the_newest(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    await db.execute(
        "INSERT INTO counters (name, value) VALUES ('backup_probe', 42) "
        "ON CONFLICT (name) DO UPDATE SET value = 42"
    )
    directory = tmp_path / "backups"
    directory.mkdir()
    for old in ("bot-20200101-030000", "bot-20200102-030000", "bot-20200103-030000"):
        (directory / f"{old}.sqlite3").write_bytes(b"old")
    (directory / "notes.txt").write_text("not a backup")
    await daily_backup(with_backups(settings, directory, backup_keep=2))
    names = sorted(p.name for p in directory.iterdir())
    today = datetime.now(settings.tz).strftime("%Y%m%d")
    assert len(names) == 3 and names[0] == "bot-20200103-030000.sqlite3"
    assert names[1].startswith(f"bot-{today}-") and names[2] == "notes.txt"
    with sqlite3.connect(directory / names[1]) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute(
            "SELECT value FROM counters WHERE name = 'backup_probe'"
        ).fetchone() == (42,)
    copy.close()


async def test_a_failing_daily_backup_is_logged_and_the_bot_goes_on(
    settings: Settings, db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        await daily_backup(with_backups(settings, blocked))
    assert "the daily backup failed" in caplog.text
    assert await db.fetchval("SELECT 1") == 1
