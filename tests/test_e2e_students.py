"""End to end over HTTP: the staff load a college's groups, one student registers by buttons
and gets the calendar file, another types a near miss and is offered the right group, and a
question to the work placement staff is answered with «✍️ Answer»."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest

from bot.emulator import FakeBotAPI
from tests.e2e import BotProcess

ADMIN = 9200


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


async def test_students_register_get_the_calendar_and_ask_the_practicum_staff(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    admin = fake.user(ADMIN, "Ольга", language_code="en")
    process = BotProcess(fake, tmp_path, ADMIN_IDS=str(ADMIN))
    await process.start()
    try:
        start = date.today() + timedelta(days=30)
        end, report = start + timedelta(days=20), start + timedelta(days=25)
        fmt = "%d.%m.%Y"
        admin.send("/practicum_groups ntpts; 22.02.08; МП-26-1, МП-26-2")
        assert "Imported groups: 2" in (await admin.wait_reply())["text"]
        admin.send(
            f"/practicum_add ntpts; МП-26-1; 22.02.08; {start:{fmt}}; {end:{fmt}}; "
            f"Надеждинский завод; Иванов И. И.; {report:{fmt}}; проходная № 3; 08:00; "
            "мастер Петров; паспорт"
        )
        assert "Imported work placement periods: 1" in (await admin.wait_reply())["text"]

        # By buttons: college, then group; the specialty follows.
        anna = fake.user(701, "Anna", language_code="en")
        anna.send("/start")
        menu = await anna.wait_reply()
        anna.click("👷 I am a student", menu)
        consent = await anna.wait_reply()
        assert "Consent to the processing of personal data (students)" in consent["text"]
        anna.click("✅ I agree", consent)
        colleges = await anna.wait_reply()
        anna.click("Norilsk Technical School", colleges)
        groups = await anna.wait_reply()
        assert anna.buttons(groups)[:2] == ["МП-26-1", "МП-26-2"]
        anna.click("МП-26-1", groups)
        screen = await anna.wait_reply()
        assert "Registered" in screen["text"] and "22.02.08 · Metallurgy" in screen["text"]
        assert "Where to go on the first day: проходная № 3" in screen["text"]

        anna.click("📅 Add to my calendar (.ics)", screen)
        sent = await anna.wait_reply()
        data = fake.files[sent["document"]["file_id"]].content
        assert data is not None
        calendar = icalendar.Calendar.from_ical(data)
        [period] = [e for e in calendar.walk("VEVENT") if "period" in str(e["uid"])]
        assert period.decoded("dtstart") == start
        assert len(period.walk("VALARM")) == 3

        # Typed with a Latin M and a space: offered, not taken.
        ivan = fake.user(702, "Ivan", language_code="en")
        ivan.send("/start")
        menu = await ivan.wait_reply()
        ivan.click("👷 I am a student", menu)
        ivan.click("✅ I agree", await ivan.wait_reply())
        ivan.click("Norilsk Technical School", await ivan.wait_reply())
        await ivan.wait_reply()
        ivan.send("MП 26-2")
        question = await ivan.wait_reply()
        assert "Did you mean МП-26-2?" in question["text"]
        ivan.click("✅ МП-26-2", question)
        assert "Group МП-26-2" in (await ivan.wait_reply())["text"]

        # A question to the college's practicum staff, answered with «✍️ Answer».
        mark = fake.mark()
        anna.click("❓ Ask the work placement staff", screen)
        await anna.wait_reply()
        anna.send("Where is gate 3?")
        assert "work placement staff" in (await anna.wait_reply())["text"]
        relay = await admin.wait_reply(after=mark, timeout=30)
        assert "About the work placement" in relay["text"]
        admin.click("✍️ Answer", relay)
        assert "type the answer" in (await admin.wait_reply())["text"]
        mark = fake.mark()
        admin.send("From Oktyabrskaya street.")
        answer = await anna.wait_reply(after=mark, timeout=30)
        assert "Answer of the work placement staff" in answer["text"]
        assert "Oktyabrskaya" in answer["text"]
        assert "Traceback" not in process.log()
    finally:
        await process.kill()
