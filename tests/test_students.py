"""Students, second pass: the right group every time (buttons, a typed near miss, an unknown
group warned and later attached), the specialties a college teaches, the work placement as a
calendar file re-sent on a change, the first morning, a question to the college's work placement
staff, leaving, the purge, and the consent first."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from aiogram import Bot, Dispatcher
from aiogram.types import BufferedInputFile

from bot.domain.groups import clean_group, group_key, match_group
from bot.domain.students import STUDENT_CONSENT_VERSION, student_consent_version
from db.database import Database
from db.reminders import StudentGroup
from tests.client import UserClient, buttons
from tests.conftest import FixedClock
from tests.helpers import join, person, relayed, reply_to, sender_of, shipped_catalog

TZ = ZoneInfo("Asia/Krasnoyarsk")
PERIOD = (
    "ntpts; МП-26-1; 22.02.08; 12.05.2027; 20.06.2027; Надеждинский завод; Иванов И. И.; 25.06.2027"
)
# With the first day's fields: where to go, the time, whom to ask for, what to bring.
SCHEDULE = f"{PERIOD}; проходная № 3; 08:00; мастер Петров; паспорт и спецодежду"


def labels(message: dict[str, Any]) -> list[str]:
    return [text for text, _ in buttons(message)]


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


def sent_to(user: UserClient, method: str) -> list[dict[str, Any]]:
    """What the bot sent to this user (the recording session is the whole bot's)."""
    return [call for call in user.session.of(method) if call.get("chat_id") == user.user["id"]]


def admin_of(dp: Dispatcher, bot: Bot) -> UserClient:
    return UserClient(dp, bot, user_id=1, language_code="en")  # ADMIN_IDS=1


async def to_groups(user: UserClient, college: str = "Norilsk Technical School") -> dict[str, Any]:
    [menu] = await user.send("/start")
    [consent] = await user.click("👷 I am a student", menu)
    [colleges] = await user.click("✅ I agree", consent)
    [groups] = await user.click(college, colleges)
    return groups


async def load_groups(dp: Dispatcher, bot: Bot, line: str) -> dict[str, Any]:
    [reply] = await admin_of(dp, bot).send(f"/practicum_groups {line}")
    return reply


def calendar_of(message: dict[str, Any]) -> icalendar.Calendar:
    document = message["document"]
    assert isinstance(document, BufferedInputFile)
    assert document.filename.endswith(".ics")
    return icalendar.Calendar.from_ical(document.data)


# --- matching, pure -----------------------------------------------------------------------


def test_spellings_of_one_group_share_a_key() -> None:
    for spelling in ("МП-26-1", "мп 26-1", "MП-26-1", "МП–26–1", " мп_26 1 ", "МП261"):
        assert group_key(spelling) == group_key("МП-26-1"), spelling
    assert group_key("МП-26-2") != group_key("МП-26-1")
    assert clean_group("  мп   26–1 ") == "МП 26-1"
    assert clean_group("<script>") is None


def test_a_near_miss_is_suggested_never_taken() -> None:
    groups = [
        StudentGroup(1, "ntpts", "МП-26-1", "22.02.08"),
        StudentGroup(2, "ntpts", "ЭС-26-1", "13.02.07"),
    ]
    assert match_group("мп-26-1", groups).exact == groups[0]
    found = match_group("MП 26-1", groups)  # a Latin M and a space
    assert found.exact is None and found.suggestions == [groups[0]]
    assert match_group("МП-26-", groups).suggestions == [groups[0]]  # one character away
    assert match_group("ТМ-30-9", groups).suggestions == []


# --- registration -------------------------------------------------------------------------


async def test_registration_by_buttons_the_specialty_follows_from_the_group(
    dp: Dispatcher, bot: Bot, english_user: UserClient, db: Database
) -> None:
    reply = await load_groups(dp, bot, "ntpts; 22.02.08; МП-26-1, МП-26-2")
    assert "Imported groups: 2" in reply["text"]
    groups = await to_groups(english_user)
    assert labels(groups)[:2] == ["МП-26-1", "МП-26-2"]
    [screen] = await english_user.click("МП-26-2", groups)
    assert "Registered" in screen["text"]
    assert "Group МП-26-2 · Norilsk Technical School" in screen["text"]
    assert "22.02.08 · Metallurgy" in screen["text"]
    assert "has not listed" not in screen["text"]
    row = await db.fetchone("SELECT * FROM students WHERE user_id = 1002")
    assert (row["group_name"], row["specialty_code"]) == ("МП-26-2", "22.02.08")
    assert row["consent_version"] == student_consent_version(shipped_catalog())


async def test_a_typed_near_miss_is_offered_as_did_you_mean(
    dp: Dispatcher, bot: Bot, english_user: UserClient, db: Database
) -> None:
    await load_groups(dp, bot, "ntpts; 22.02.08; МП-26-1")
    await to_groups(english_user)
    [question] = await english_user.send("MП 26-1")  # a Latin M, a space instead of a dash
    assert "Did you mean МП-26-1?" in question["text"]
    assert labels(question) == ["✅ МП-26-1", "No, my group is MП 26-1"]
    assert await db.fetchval("SELECT count(*) FROM students") == 0  # nothing silently
    [screen] = await english_user.click("✅ МП-26-1", question)
    assert "Registered" in screen["text"] and "Group МП-26-1" in screen["text"]
    assert await db.fetchval("SELECT group_name FROM students WHERE user_id = 1002") == "МП-26-1"


async def test_the_group_typed_exactly_registers_at_once(
    dp: Dispatcher, bot: Bot, english_user: UserClient
) -> None:
    await load_groups(dp, bot, "ntpts; 22.02.08; МП-26-1")
    await to_groups(english_user)
    [screen] = await english_user.send("мп-26-1")
    assert "Registered" in screen["text"] and "Group МП-26-1" in screen["text"]


async def test_an_unknown_group_is_warned_then_attached_when_the_staff_load_it(
    dp: Dispatcher, bot: Bot, english_user: UserClient, db: Database, clock: FixedClock
) -> None:
    clock.current = at(date(2027, 4, 1), 12)
    await load_groups(dp, bot, "ntpts; 22.02.08; МП-26-1")
    await to_groups(english_user)
    [warning] = await english_user.send("тм 26 7")
    assert "has not listed a group ТМ 26 7" in warning["text"]
    assert "no work placement dates or reminders will reach you" in warning["text"]
    [specialties] = await english_user.click("Register with ТМ 26 7 anyway", warning)
    [screen] = await english_user.click("22.02.08 · Metallurgy", specialties)
    assert "⚠️ Your college has not listed the group ТМ 26 7 yet" in screen["text"]

    admin = admin_of(dp, bot)
    [overview] = await admin.send("/practicum")
    assert "Groups students typed that no list has" in overview["text"]
    assert "Norilsk Technical School · ТМ 26 7: 1 student" in overview["text"]

    reply = await load_groups(dp, bot, "ntpts; 22.02.08; ТМ-26-7")
    assert "1 student who had typed one of these groups is attached" in reply["text"]
    assert await db.fetchval("SELECT group_name FROM students WHERE user_id = 1002") == "ТМ-26-7"
    english_user.session.clear()
    await sender_of(dp).drain(bot)
    [news] = sent_to(english_user, "sendMessage")
    assert "The college has listed your group ТМ-26-7" in news["text"]
    [overview] = await admin.send("/practicum")
    assert "Groups students typed" not in overview["text"]


async def test_no_my_group_is_asks_once_more_with_the_warning(
    dp: Dispatcher, bot: Bot, english_user: UserClient
) -> None:
    await load_groups(dp, bot, "ntpts; 22.02.08; МП-26-1")
    await to_groups(english_user)
    [question] = await english_user.send("МП-26-2")
    assert "Did you mean МП-26-1?" in question["text"]
    [warning] = await english_user.click("No, my group is МП-26-2", question)
    assert "has not listed a group МП-26-2" in warning["text"]
    [specialties] = await english_user.click("Register with МП-26-2 anyway", warning)
    assert "your specialty?" in specialties["text"]


async def test_a_college_offers_only_the_specialties_the_catalogue_places_there(
    english_user: UserClient,
) -> None:
    """Таймырский колледж: no specialty is placed there yet; 22.02.08 (the Norilsk school's)
    is never offered; those whose college is not known are apart and marked."""
    await to_groups(english_user, "Taimyr College")
    [warning] = await english_user.send("ЭС-26-1")
    [specialties] = await english_user.click("Register with ЭС-26-1 anyway", warning)
    assert "specialties taught at this college is being confirmed" in specialties["text"]
    assert "Where 13 specialties are taught is being confirmed" in specialties["text"]
    offered = labels(specialties)
    assert not any("22.02.08" in label for label in offered)
    assert all(label.startswith("📍❔") for label in offered[:-1])
    assert len(offered) == 13 + 1  # and «Back»

    await to_groups(english_user)  # the Norilsk school: its own first, the unknown ones after
    [warning] = await english_user.send("ЭС-26-1")
    [specialties] = await english_user.click("Register with ЭС-26-1 anyway", warning)
    assert labels(specialties)[0] == "22.02.08 · Metallurgy"
    assert labels(specialties)[1].startswith("📍❔")


async def test_the_staff_cannot_put_a_specialty_where_the_catalogue_says_it_is_not(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    reply = await load_groups(dp, bot, "taimyr; 22.02.08; МП-26-1")
    assert "Nothing was imported" in reply["text"]
    assert "places 22.02.08 at ntpts, not at taimyr" in reply["text"]
    assert await db.fetchval("SELECT count(*) FROM student_groups") == 0


# --- the calendar -------------------------------------------------------------------------


async def schedule(dp: Dispatcher, bot: Bot, line: str = SCHEDULE) -> dict[str, Any]:
    [reply] = await admin_of(dp, bot).send(f"/practicum_add {line}")
    return reply


async def test_the_calendar_file_parses_back_with_events_dates_and_alarms(
    dp: Dispatcher, bot: Bot, english_user: UserClient, clock: FixedClock
) -> None:
    clock.current = at(date(2027, 4, 1), 12)
    await load_groups(dp, bot, "ntpts; 22.02.08; МП-26-1")
    groups = await to_groups(english_user)
    await english_user.click("МП-26-1", groups)
    assert "Imported work placement periods: 1" in (await schedule(dp, bot))["text"]
    [menu] = await english_user.send("/start")
    [screen] = await english_user.click("👷 I am a student", menu)
    assert "🚪 Where to go on the first day: проходная № 3" in screen["text"]
    assert "🎒 Bring: паспорт и спецодежду" in screen["text"]
    english_user.session.clear()
    await english_user.click("📅 Add to my calendar (.ics)", screen)
    [sent] = sent_to(english_user, "sendDocument")
    calendar = calendar_of(sent)

    events = {str(e["uid"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    assert set(events) == {"practicum-1-period", "practicum-1-report", "practicum-1-meeting"}
    period = events["practicum-1-period"]
    assert period.decoded("dtstart") == date(2027, 5, 12)
    assert period.decoded("dtend") == date(2027, 6, 21)  # the last day included
    assert "Надеждинский завод" in str(period["location"])
    assert "Иванов И. И." in str(period["description"])
    assert "25 June 2027" in str(period["description"])
    assert events["practicum-1-report"].decoded("dtstart") == date(2027, 6, 25)
    meeting = events["practicum-1-meeting"].decoded("dtstart")
    assert meeting == datetime(2027, 5, 12, 8, 0, tzinfo=TZ)
    assert str(meeting.tzinfo) == "Asia/Krasnoyarsk"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Krasnoyarsk"]
    # The alarms are the bot's reminders: 10:00 in Norilsk, 7 and 1 days before and the day.
    rings = [a.decoded("trigger") for a in period.walk("VALARM")]
    assert [r.astimezone(TZ) for r in rings] == [
        datetime(2027, 5, 5, 10, tzinfo=TZ),
        datetime(2027, 5, 11, 10, tzinfo=TZ),
        datetime(2027, 5, 12, 10, tzinfo=TZ),
    ]
    report_rings = [
        a.decoded("trigger").astimezone(TZ) for a in events["practicum-1-report"].walk("VALARM")
    ]
    assert report_rings == [
        datetime(2027, 6, 22, 10, tzinfo=TZ),
        datetime(2027, 6, 24, 10, tzinfo=TZ),
    ]


async def test_a_changed_period_is_sent_again_with_a_new_file_that_updates_the_events(
    dp: Dispatcher, bot: Bot, english_user: UserClient, clock: FixedClock
) -> None:
    clock.current = at(date(2027, 4, 1), 12)
    await schedule(dp, bot)  # the group comes with its periods
    groups = await to_groups(english_user)
    await english_user.click("МП-26-1", groups)
    sender = sender_of(dp)
    await sender.drain(bot)
    english_user.session.clear()
    assert "Imported work placement periods: 1" in (await schedule(dp, bot))["text"]
    await sender.drain(bot)
    assert sent_to(english_user, "sendMessage") == []  # the same data: no news

    changed = SCHEDULE.replace("проходная № 3", "проходная № 5").replace("08:00", "07:30")
    reply = await schedule(dp, bot, changed)
    assert "Changed for 1 group" in reply["text"]
    await sender.drain(bot)
    [news] = sent_to(english_user, "sendMessage")
    assert "Your work placement dates are updated" in news["text"]
    assert "проходная № 5" in news["text"] and "07:30" in news["text"]
    [file] = sent_to(english_user, "sendDocument")
    events = {str(e["uid"]): e for e in calendar_of(file).walk("VEVENT")}
    meeting = events["practicum-1-meeting@metallurgy-cluster-bot"]
    assert int(meeting["sequence"]) == 1  # the same event, a newer version of it
    assert meeting.decoded("dtstart") == datetime(2027, 5, 12, 7, 30, tzinfo=TZ)


async def test_a_newer_change_makes_the_older_news_unnecessary(
    dp: Dispatcher, bot: Bot, english_user: UserClient, clock: FixedClock
) -> None:
    clock.current = at(date(2027, 4, 1), 12)
    await schedule(dp, bot)
    groups = await to_groups(english_user)
    await english_user.click("МП-26-1", groups)
    await schedule(dp, bot, SCHEDULE.replace("08:00", "07:30"))
    await schedule(dp, bot, SCHEDULE.replace("08:00", "09:00"))
    english_user.session.clear()
    await sender_of(dp).drain(bot)
    [news] = sent_to(english_user, "sendMessage")
    assert "09:00" in news["text"]


async def first_morning(
    dp: Dispatcher, bot: Bot, student: UserClient, clock: FixedClock, line: str
) -> dict[str, Any]:
    """The period of ``line`` loaded, ``student`` in its group: the first morning's message."""
    clock.current = at(date(2027, 4, 1), 12)
    await schedule(dp, bot, line)
    groups = await to_groups(student)
    await student.click("МП-26-1", groups)
    await dp["reminder_service"].plan_now()
    sender = sender_of(dp)
    await sender.drain(bot)
    clock.current = at(date(2027, 5, 11), 10)
    await sender.drain(bot)  # the reminders of the week and of the day before
    clock.current = at(date(2027, 5, 12), 10)
    student.session.clear()
    await sender.drain(bot)
    [morning] = sent_to(student, "sendMessage")
    return morning


async def test_the_first_morning_says_where_when_whom_and_what_to_bring(
    dp: Dispatcher, bot: Bot, english_user: UserClient, clock: FixedClock
) -> None:
    morning = await first_morning(dp, bot, english_user, clock, SCHEDULE)
    assert "Your work placement starts today" in morning["text"]
    assert "Where: Надеждинский завод, проходная № 3" in morning["text"]
    assert "When: 08:00" in morning["text"]
    assert "Ask for: мастер Петров" in morning["text"]
    assert "Bring: паспорт и спецодежду" in morning["text"]


async def test_first_day_fields_not_given_are_to_be_confirmed(
    dp: Dispatcher, bot: Bot, english_user: UserClient, clock: FixedClock
) -> None:
    morning = await first_morning(dp, bot, english_user, clock, PERIOD)
    assert "When: to be confirmed" in morning["text"]
    assert "Bring: to be confirmed" in morning["text"]


# --- a question to the practicum staff ----------------------------------------------------


async def test_a_question_to_the_practicum_staff_reaches_the_college_and_is_answered(
    dp: Dispatcher, bot: Bot, english_user: UserClient, db: Database
) -> None:

    admin = admin_of(dp, bot)
    ntpts, taimyr = person(dp, bot, 2001), person(dp, bot, 2002)
    await join(admin, ntpts, "Norilsk Technical School")
    await join(admin, taimyr, "Taimyr College")
    await load_groups(dp, bot, "ntpts; 22.02.08; МП-26-1")
    groups = await to_groups(english_user)
    [screen] = await english_user.click("МП-26-1", groups)
    [prompt] = await english_user.click("❓ Ask the work placement staff", screen)
    assert "work placement staff of Norilsk Technical School" in prompt["text"]
    [sent] = await english_user.send("Where is gate 3?")
    assert "sent to the college's work placement staff" in sent["text"]
    assert await db.fetchval("SELECT college_id FROM questions") == "ntpts"

    [relay] = await relayed(dp, bot, 2001)  # the college's staff member gets it
    assert "About the work placement" in relay["text"] and "Where is gate 3?" in relay["text"]
    assert await relayed(dp, bot, 2002) == []

    [panel] = await taimyr.send("/staff")  # another college's staff never see it
    assert "❓ Question (1)" not in labels(panel)
    [panel] = await ntpts.send("/staff")
    assert "❓ Question (1)" in labels(panel)

    await reply_to(ntpts, relay, "Ворота 3 — со стороны улицы Октябрьской.")
    english_user.session.clear()
    await sender_of(dp).drain(bot)
    [answer] = sent_to(english_user, "sendMessage")
    assert "Answer of the work placement staff to your question №1" in answer["text"]
    assert "Октябрьской" in answer["text"]


# --- leaving, the purge, the consent ------------------------------------------------------


async def test_leaving_removes_the_registration_in_one_step(
    dp: Dispatcher, bot: Bot, english_user: UserClient, db: Database, clock: FixedClock
) -> None:
    clock.current = at(date(2027, 4, 1), 12)
    await schedule(dp, bot)
    groups = await to_groups(english_user)
    [screen] = await english_user.click("МП-26-1", groups)
    await dp["reminder_service"].plan_now()
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE chat_id = 1002") > 0
    [confirm] = await english_user.click("🚪 I have graduated or left", screen)
    [done] = await english_user.click("🚪 Yes, remove my registration", confirm)
    assert "Your registration is removed" in done["text"]
    assert await db.fetchval("SELECT count(*) FROM students") == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE chat_id = 1002") == 0


async def test_groups_whose_practicum_ended_are_purged_with_their_registrations(
    dp: Dispatcher, bot: Bot, english_user: UserClient, db: Database, clock: FixedClock
) -> None:
    clock.current = at(date(2027, 4, 1), 12)
    await schedule(dp, bot)
    await load_groups(dp, bot, "ntpts; 22.02.08; МП-27-1")  # no period yet: waits for them
    groups = await to_groups(english_user)
    await english_user.click("МП-26-1", groups)
    other = UserClient(dp, bot, user_id=1003, language_code="en")
    await to_groups(other)
    [warning] = await other.send("ТМ-99-9")  # a group nobody will list
    [specialties] = await other.click("Register with ТМ-99-9 anyway", warning)
    await other.click("22.02.08 · Metallurgy", specialties)
    assert await db.fetchval("SELECT count(*) FROM students") == 2

    retention = dp["retention"]
    days = dp["settings"].retention_days
    clock.current = at(date(2027, 6, 25) + timedelta(days=days), 12)  # the last day kept
    await retention.run()
    # The unknown group's registration is older than the retention period: gone.
    assert [r[0] for r in await db.fetchall("SELECT user_id FROM students")] == [1002]
    clock.current += timedelta(days=1)
    await retention.run()
    assert await db.fetchval("SELECT count(*) FROM students") == 0
    assert await db.fetchval("SELECT count(*) FROM practicum_periods") == 0
    assert [r[0] for r in await db.fetchall("SELECT name FROM student_groups")] == ["МП-27-1"]


async def test_the_consent_comes_first_and_declining_stores_nothing(
    dp: Dispatcher, bot: Bot, english_user: UserClient, db: Database
) -> None:
    [menu] = await english_user.send("/start")
    [consent] = await english_user.click("👷 I am a student", menu)
    assert "Consent to the processing of personal data (students)" in consent["text"]
    assert f"Version {STUDENT_CONSENT_VERSION}" in consent["text"]
    assert "Under 18" in consent["text"]
    [declined] = await english_user.click("✖️ No, thanks", consent)
    assert "Nothing is stored" in declined["text"]
    assert await db.fetchval("SELECT count(*) FROM students") == 0


async def test_a_registration_under_an_older_consent_is_asked_again(
    dp: Dispatcher, bot: Bot, english_user: UserClient, db: Database
) -> None:
    await db.execute(
        "INSERT INTO students (user_id, college_id, specialty_code, group_name, registered_at) "
        "VALUES (1002, 'ntpts', '22.02.08', 'МП-26-1', '2026-11-01T00:00:00+00:00')"
    )
    [menu] = await english_user.send("/start")
    [consent] = await english_user.click("👷 I am a student", menu)
    assert "Consent to the processing" in consent["text"]
    [screen] = await english_user.click("✅ I agree", consent)
    assert "My work placement" in screen["text"] and "Group МП-26-1" in screen["text"]
    version = await db.fetchval("SELECT consent_version FROM students")
    assert version == student_consent_version(shipped_catalog())
