"""Admission reminders end to end in-process: planned from what applicants did, delivered at
``REMINDER_HOUR`` on their mornings, and re-checked when they are sent.

A reminder sits in the outbox for weeks; by its morning the original may have been received,
the medical certificate sent, the correction made, the application withdrawn or the kind
switched off. The sender must then send nothing (the row is ``dropped``), which is what
these tests check, kind by kind, next to the reminder that still goes out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot, Dispatcher
from aiogram.utils.i18n import I18n

from bot.app import build_dispatcher
from bot.config import Settings
from db.database import Database
from tests.client import UserClient, labels
from tests.conftest import TOKEN, FixedClock
from tests.helpers import (
    LINE,
    fill_form,
    open_card,
    publish_enrollment_order,
    register,
    sender_of,
    submit,
)

TZ = ZoneInfo("Asia/Krasnoyarsk")
APPLICANT = 3001
POWER = "13.02.07 · Power supply"  # needs a medical certificate


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


AUG_8, AUG_14, AUG_15, AUG_16 = (date(2027, 8, d) for d in (8, 14, 15, 16))


async def reminders_at(
    dp: Dispatcher, bot: Bot, clock: FixedClock, moment: datetime, chat_id: int = APPLICANT
) -> list[str]:
    """Move the clock, let the sender deliver what is due; the reminders (🔔) the chat got."""
    clock.current = moment
    session = bot.session
    before = len(session.calls)  # type: ignore[attr-defined]
    await sender_of(dp).drain(bot)
    return [
        c.params["text"]
        for c in session.calls[before:]  # type: ignore[attr-defined]
        if c.method == "sendMessage"
        and c.params.get("chat_id") == chat_id
        and c.params.get("text", "").startswith("🔔")
    ]


def only(texts: list[str], fragment: str) -> list[str]:
    return [t for t in texts if fragment in t]


async def statuses(db: Database, topic: str, chat_id: int = APPLICANT) -> list[str]:
    rows = await db.fetchall(
        "SELECT status FROM outbox WHERE kind = 'reminder' AND chat_id = ? "
        "AND json_extract(payload, '$.topic') = ? ORDER BY due_at",
        (chat_id, topic),
    )
    return [r["status"] for r in rows]


async def applied(
    dp: Dispatcher, bot: Bot, specialties: tuple[str, ...] = ("22.02.08 · Metallurgy",)
) -> UserClient:
    """An applicant who submitted on 26 November 2026, and the reminders planned then (with an
    enrollment order published for 16 August 2027)."""
    await publish_enrollment_order(dp)
    user = UserClient(dp, bot, user_id=APPLICANT, language_code="en")
    await submit(user, await fill_form(user, specialties=specialties))
    await dp["reminder_service"].plan_now()
    await sender_of(dp).drain(bot)  # the staff post
    return user


async def my_application(user: UserClient) -> dict[str, Any]:
    [menu] = await user.send("/start")
    [mine] = await user.click("📄 My application", menu)
    return mine


async def switch_off(user: UserClient, label: str) -> None:
    [menu] = await user.send("/start")
    [screen] = await user.click("🔔 Reminders", menu)
    [screen] = await user.click(f"🔔 {label}", screen)
    assert f"🔕 {label}" in labels(screen)


# --- originals -----------------------------------------------------------------------------------


async def test_the_originals_reminder_stops_once_the_college_received_the_original(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    await applied(dp, bot)
    assert await reminders_at(dp, bot, clock, at(AUG_8, 9, 59)) == []
    [reminder] = await reminders_at(dp, bot, clock, at(AUG_8, 10))
    assert "bring the original of your education certificate to the college by 15 August 2027" in (
        reminder
    )
    # The staff mark the original received; the reminders already queued must not go out.
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    await admin.click("📜 Original received", await open_card(admin))
    assert await reminders_at(dp, bot, clock, at(AUG_14, 10)) == []
    assert only(await reminders_at(dp, bot, clock, at(AUG_15, 10)), "original") == []
    assert await statuses(db, "originals") == ["sent", "dropped", "dropped"]


async def test_the_originals_reminder_comes_on_each_of_its_mornings(
    dp: Dispatcher, bot: Bot, clock: FixedClock
) -> None:
    await applied(dp, bot)
    texts = {
        day: only(await reminders_at(dp, bot, clock, at(day, 10)), "bring the original")
        for day in (AUG_8, AUG_14, AUG_15)
    }
    assert [len(t) for t in texts.values()] == [1, 1, 1]
    assert "to the college by 15 August 2027," in texts[AUG_8][0]
    assert "to the college tomorrow," in texts[AUG_14][0]
    assert "to the college today," in texts[AUG_15][0]


# --- medical certificate -------------------------------------------------------------------------


async def test_the_medical_reminder_stops_once_the_applicant_sends_the_certificate(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    user = await applied(dp, bot, (POWER,))
    sent = await reminders_at(dp, bot, clock, at(AUG_8, 10))
    assert len(only(sent, "requires a medical certificate")) == 1
    assert len(only(sent, "bring the original")) == 1
    [kinds] = await user.click("📎 Add a document", await my_application(user))
    await user.click("⬜ Medical certificate (form 086/u)", kinds)
    [received] = await user.send_document("086.pdf", unique="med")
    await user.click("✅ Done", received)
    sent = await reminders_at(dp, bot, clock, at(AUG_14, 10))
    assert only(sent, "medical") == [] and len(only(sent, "bring the original")) == 1
    assert await statuses(db, "medical") == ["sent", "dropped", "pending"]


async def test_the_medical_reminder_stops_once_the_staff_mark_it_received(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    await applied(dp, bot, (POWER,))
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    await admin.click("🩺 Medical received", await open_card(admin))
    sent = await reminders_at(dp, bot, clock, at(AUG_8, 10))
    assert only(sent, "medical") == [] and len(only(sent, "bring the original")) == 1
    assert (await statuses(db, "medical"))[0] == "dropped"


# --- enrollment and withdrawal -------------------------------------------------------------------


async def test_the_enrollment_order_reminder_comes_the_day_before_and_on_the_day(
    dp: Dispatcher, bot: Bot, clock: FixedClock
) -> None:
    await applied(dp, bot)
    before = only(await reminders_at(dp, bot, clock, at(AUG_15, 10)), "enrollment order")
    on_the_day = only(await reminders_at(dp, bot, clock, at(AUG_16, 10)), "enrollment order")
    assert before == ["🔔 The enrollment order is published tomorrow."]
    assert on_the_day == ["🔔 The enrollment order is published today."]


async def test_a_withdrawn_application_gets_none_of_the_reminders_still_queued(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    user = await applied(dp, bot, (POWER,))
    [question] = await user.click("↩️ Withdraw", await my_application(user))
    await user.click("Yes, withdraw", question)
    for day in (AUG_8, AUG_14, AUG_15, AUG_16):
        assert await reminders_at(dp, bot, clock, at(day, 10)) == [], day
    for topic in ("originals", "medical", "enrollment"):
        assert set(await statuses(db, topic)) == {"dropped"}, topic


# --- corrections ---------------------------------------------------------------------------------


async def ask_to_correct(dp: Dispatcher, bot: Bot, comment: str) -> None:
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    await admin.click("✏️ Ask to correct", await open_card(admin))
    await admin.send(comment)
    await dp["reminder_service"].plan_now()


async def test_the_correction_reminder_stops_once_the_applicant_corrected(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    user = await applied(dp, bot)
    await ask_to_correct(dp, bot, "Фото паспорта размыто")
    nov_28, nov_30 = date(2026, 11, 28), date(2026, 11, 30)
    [reminder] = await reminders_at(dp, bot, clock, at(nov_28, 10))
    assert "M-2027-0001 still needs a correction" in reminder
    [kinds] = await user.click("📎 Add a document", await my_application(user))
    await user.click("Passport (main page)", kinds)
    [received] = await user.send_photo("sharp")
    [mine] = await user.click("✅ Done", received)
    assert "Status: <b>needs correction</b>" in mine["text"]  # until sent for review
    [mine] = await user.click("📤 Send for review", mine)
    assert "Status: <b>submitted</b>" in mine["text"]
    assert await reminders_at(dp, bot, clock, at(nov_30, 10)) == []
    assert await statuses(db, "correction") == ["sent", "dropped", "pending"]


async def test_an_old_correction_request_is_not_reminded_after_a_new_one(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    await applied(dp, bot)
    await ask_to_correct(dp, bot, "Фото паспорта размыто")
    clock.current = at(date(2026, 11, 27), 12)
    # A day later an administrator cancels the request and writes a new one: reminders count
    # from it, once a day.
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    [panel] = await admin.send("/staff")
    [queue] = await admin.click("needs correction (1)", panel)
    [card] = await admin.click(labels(queue)[0], queue)
    await admin.click("↩️ Cancel «needs correction»", card)
    [card] = (await admin.send("Запрос был неполным"))[-1:]
    await admin.click("✏️ Ask to correct", card)
    await admin.send("Фото паспорта размыто, и фото аттестата тоже")
    await dp["reminder_service"].plan_now()
    sent = {}
    for day in (28, 29, 30):
        sent[day] = await reminders_at(dp, bot, clock, at(date(2026, 11, day), 10))
    assert sent == {28: [], 29: [sent[29][0]], 30: []}
    assert "still needs a correction" in sent[29][0]


# --- unfinished forms and «remind me» ---------------------------------------------------------


async def test_an_unfinished_form_is_reminded_of_the_end_of_acceptance_until_it_is_submitted(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    user = UserClient(dp, bot, user_id=APPLICANT, language_code="en")
    await fill_form(user)  # consent given, the form left at the review
    await dp["reminder_service"].plan_now()
    [reminder] = await reminders_at(dp, bot, clock, at(AUG_8, 10))
    assert "Admission ends on 15 August 2027. Your application is not submitted yet." in reminder
    await submit(user, user.last_with_keyboard())
    assert only(await reminders_at(dp, bot, clock, at(AUG_14, 10)), "Admission ends") == []
    assert await statuses(db, "acceptance_end") == ["sent", "dropped", "pending"]


async def test_the_opening_reminder_stops_once_the_person_has_applied(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    user = UserClient(dp, bot, user_id=APPLICANT, language_code="en")
    [menu] = await user.send("/start")
    [listing] = await user.click("🎓 Specialties", menu)
    [card] = await user.click("22.02.08 · Metallurgy", listing)
    await user.click("🔔 Remind me when admission opens", card)
    await dp["reminder_service"].plan_now()
    await submit(user, await fill_form(user))
    assert await reminders_at(dp, bot, clock, at(date(2027, 6, 13), 10)) == []
    assert (await statuses(db, "opening"))[0] == "dropped"


# --- switching a kind off -----------------------------------------------------------------------


async def test_switching_off_documents_stops_originals_and_medical_but_not_deadlines(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    user = await applied(dp, bot, (POWER,))
    await switch_off(user, "Documents: original, medical certificate, corrections")
    await dp["reminder_service"].plan_now()  # planning again adds none of them back
    assert await reminders_at(dp, bot, clock, at(AUG_8, 10)) == []
    assert await reminders_at(dp, bot, clock, at(AUG_15, 10)) == [
        "🔔 The enrollment order is published tomorrow."
    ]
    assert set(await statuses(db, "originals")) == {"dropped"}
    assert set(await statuses(db, "medical")) == {"dropped"}


async def test_switching_off_deadlines_stops_the_enrollment_reminder_but_not_documents(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    user = await applied(dp, bot)
    await switch_off(user, "Admission deadlines")
    await dp["reminder_service"].plan_now()
    sent = await reminders_at(dp, bot, clock, at(AUG_15, 10))
    assert only(sent, "enrollment") == [] and len(only(sent, "bring the original")) == 1
    assert await reminders_at(dp, bot, clock, at(AUG_16, 10)) == []
    assert set(await statuses(db, "enrollment")) == {"dropped"}


async def test_switching_off_deadlines_stops_the_end_of_acceptance_reminder(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    user = UserClient(dp, bot, user_id=APPLICANT, language_code="en")
    await fill_form(user)
    await dp["reminder_service"].plan_now()
    await switch_off(user, "Admission deadlines")
    for day in (AUG_8, AUG_14, AUG_15):
        assert await reminders_at(dp, bot, clock, at(day, 10)) == []
    assert set(await statuses(db, "acceptance_end")) == {"dropped"}


async def test_switching_off_the_opening_stops_it(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    user = UserClient(dp, bot, user_id=APPLICANT, language_code="en")
    [menu] = await user.send("/start")
    [listing] = await user.click("🎓 Specialties", menu)
    [card] = await user.click("22.02.08 · Metallurgy", listing)
    await user.click("🔔 Remind me when admission opens", card)
    await dp["reminder_service"].plan_now()
    await switch_off(user, "Start of admission (specialties you follow)")
    await dp["reminder_service"].plan_now()
    for day in (13, 19, 20):
        assert await reminders_at(dp, bot, clock, at(date(2027, 6, day), 10)) == []
    assert set(await statuses(db, "opening")) == {"dropped"}


# --- REMINDER_HOUR -------------------------------------------------------------------------------


@pytest.fixture
def evening_dp(tmp_path: Path, db: Database, i18n: I18n, clock: FixedClock) -> Dispatcher:
    settings = Settings(
        bot_token=TOKEN,
        database_path=tmp_path / "bot.sqlite3",
        admin_ids="1",
        reminder_hour=17,
        _env_file=None,
    )
    return build_dispatcher(settings=settings, db=db, i18n=i18n, clock=clock)


async def test_reminders_go_out_at_reminder_hour_when_it_is_not_10(
    evening_dp: Dispatcher, bot: Bot, clock: FixedClock
) -> None:
    await applied(evening_dp, bot)
    assert await reminders_at(evening_dp, bot, clock, at(AUG_8, 10)) == []
    assert await reminders_at(evening_dp, bot, clock, at(AUG_8, 16, 59)) == []
    [reminder] = await reminders_at(evening_dp, bot, clock, at(AUG_8, 17))
    assert "bring the original" in reminder
    user = UserClient(evening_dp, bot, user_id=APPLICANT, language_code="en")
    [menu] = await user.send("/start")
    [screen] = await user.click("🔔 Reminders", menu)
    assert "They come at 17:00 Norilsk time" in screen["text"]


# --- after downtime ------------------------------------------------------------------------------


async def test_after_downtime_only_the_latest_queued_reminder_of_an_event_goes_out(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    # Planned in November; the bot is down from 7 to 15 August 11:00. The three originals
    # reminders are all in the outbox and all past due: one message, not three «today»s.
    await applied(dp, bot)
    sent = await reminders_at(dp, bot, clock, at(AUG_15, 11))
    assert len(only(sent, "bring the original")) == 1
    assert "to the college today," in only(sent, "bring the original")[0]
    assert await statuses(db, "originals") == ["dropped", "dropped", "sent"]


async def test_a_reminder_a_day_late_still_goes_out_when_no_later_one_is_due(
    dp: Dispatcher, bot: Bot, clock: FixedClock
) -> None:
    await applied(dp, bot)
    sent = await reminders_at(dp, bot, clock, at(date(2027, 8, 13), 20))  # down since the 8th
    assert len(only(sent, "bring the original")) == 1
    assert "by 15 August 2027" in sent[0]  # a deadline


# --- practicum -----------------------------------------------------------------------------------


async def test_a_student_who_moved_to_another_group_gets_no_practicum_reminder_of_the_old_one(
    dp: Dispatcher, bot: Bot, clock: FixedClock, db: Database
) -> None:
    student = UserClient(dp, bot, user_id=APPLICANT, language_code="en")
    await register(student, "МП-25-1")
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    clock.current = at(date(2027, 4, 1), 12)
    await admin.send(f"/practicum_add {LINE}")
    [reminder] = await reminders_at(dp, bot, clock, at(date(2027, 5, 5), 10))
    assert "work placement starts on 12 May 2027" in reminder
    [menu] = await student.send("/start")
    [screen] = await student.click("👷 I am a student", menu)
    [colleges] = await student.click("✏️ Change group", screen)
    await student.click("Norilsk Technical School", colleges)
    [question] = await student.send("МП-25-2")  # a group the college has not listed
    [warning] = await student.click("No, my group is МП-25-2", question)
    [specialties] = await student.click("Register with МП-25-2 anyway", warning)
    [screen] = await student.click("22.02.08 · Metallurgy", specialties)
    assert "Group МП-25-2" in screen["text"]
    assert await reminders_at(dp, bot, clock, at(date(2027, 5, 11), 10)) == []
    assert (await statuses(db, "practicum_start"))[:2] == ["sent", "dropped"]
