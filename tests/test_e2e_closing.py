"""End to end over HTTP: the staff's daily digest from the real bot process, its scheduler and
its sender, to an administrator through the Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app import prepare_database
from bot.emulator import FakeBotAPI
from db.applications import ApplicationData, ApplicationRepository
from tests.e2e import BotProcess

STAFF = 9200


def zone_at_noon(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now: the digest (DIGEST_HOUR=8) is due at
    start whenever the test runs."""
    offset = (12 - now.hour) % 24
    if offset > 14:
        offset -= 24
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT-{offset}" if offset > 0 else f"Etc/GMT+{-offset}"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


async def test_the_daily_digest_reaches_the_administrator_from_the_running_bot(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    db = await prepare_database(tmp_path / "bot.sqlite3")
    try:
        data = ApplicationData(
            full_name="Орлова Вера", birth_date=datetime(2001, 1, 1).date(),
            phone="+79135550101", email=None, education_base=11,
            average_score=Decimal("4.5"), specialties=("22.02.08",), dormitory=False,
            channel="bot", minor=False,
        )  # fmt: skip
        await ApplicationRepository(db).submit(
            user_id=801, campaign_year=2027, data=data, documents=[], now=now, notices=[]
        )
    finally:
        await db.close()
    staff = fake.user(STAFF, "Ольга", language_code="ru", started=True)
    process = BotProcess(
        fake, tmp_path, ADMIN_IDS=str(STAFF), DIGEST_HOUR="8", TIMEZONE=zone_at_noon(now)
    )
    await process.start()
    try:
        await fake.wait_for(
            lambda: any("Сводка" in m.get("text", "") for m in staff.messages()),
            timeout=60,
            what="the digest",
        )
        [digest] = [m for m in staff.messages() if "Сводка" in m.get("text", "")]
        assert "Новых заявлений за сутки: 1" in digest["text"]
        assert "(все колледжи)" in digest["text"]
        assert "Орлова" not in digest["text"]  # counts, never names
        assert "Traceback" not in process.log()
    finally:
        await process.kill()
