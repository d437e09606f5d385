"""Open days, excursions and QR codes, through the bot as applicants and staff use it:
registering in two taps, the waiting list and its promotion, the two reminders, the staff's
changes and cancellations told once, check-in by a scanned entry code, deep links opening a
card and counting their poster's source, and every personal datum gone with «delete my
data» and after the retention period."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import zxingcpp
from aiogram import Bot, Dispatcher
from PIL import Image

from bot.config import Settings
from bot.delivery.sender import OutboxSender
from bot.domain.catalog import Event
from bot.services.events import EventService
from db.database import Database
from tests.client import UserClient, buttons
from tests.conftest import FixedClock
from tests.recording import RecordingSession

ADMIN = 1  # ADMIN_IDS in the settings fixture
# The clock fixture: 2026-11-26 05:00 UTC, 12:00 in Norilsk.
START = datetime(2026, 12, 5, 11, 0)  # local time, as the catalogue writes it


def labels(message: dict[str, Any]) -> list[str]:
    return [text for text, _ in buttons(message)]


def event_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "ntpts-open-day",
        "title": {"ru": "День открытых дверей", "en": "Open day"},
        "kind": "open_day",
        "college": "ntpts",
        "specialties": ["22.02.08"],
        "place": {"ru": "Норильск, актовый зал", "en": "Norilsk, assembly hall"},
        "start": START,
        "end": START + timedelta(hours=2),
        "seats": 1,
        "audience": ["grade9", "grade11", "parents"],
        "bring": {"ru": "Паспорт", "en": "A passport"},
        "source": "Приказ колледжа № 1 от 01.11.2026",
    }
    data.update(changes)
    return data


async def add_event(dp: Dispatcher, **changes: Any) -> Event:
    service: EventService = dp["events"]
    event = Event.model_validate(event_data(**changes))
    catalog, problems = await service.save_event(event, "test")
    assert catalog is not None, problems
    return event


def person(dp: Dispatcher, bot: Bot, user_id: int, language: str = "en") -> UserClient:
    return UserClient(dp, bot, user_id=user_id, language_code=language)


def sender(dp: Dispatcher) -> OutboxSender:
    found: OutboxSender = dp["sender"]
    found.private_interval = found.group_interval = 0
    return found


async def deliver(dp: Dispatcher, bot: Bot) -> None:
    """What the outbox owes now, delivered; the session then holds only that."""
    session = bot.session
    assert isinstance(session, RecordingSession)
    session.clear()
    await sender(dp).drain(bot)


async def open_event(user: UserClient, title: str = "05.12 · Open day") -> dict[str, Any]:
    [menu] = await user.send("/start")
    [events] = await user.click("📅 Open days and events", menu)
    [card] = await user.click(title, events)
    return card


async def register_first_time(
    user: UserClient, name: str = "Иванова Анна", phone: str = "+79131112233"
) -> dict[str, Any]:
    """Register, the first time: the consent, the name, the phone shared with the button."""
    card = await open_event(user)
    [consent] = await user.click("📝 Register", card)
    assert "registration for events" in consent["text"]
    [ask_name] = await user.click("✅ I agree", consent)
    assert "Your name and surname" in ask_name["text"]
    [ask_phone] = await user.send(name)
    assert ask_phone["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    replies = await user.send_contact(phone)
    return replies[-1]


def sent_to(user: UserClient, method: str) -> list[dict[str, Any]]:
    """What the bot sent the user (as the session recorded it), with the message ids."""
    return [
        {**call.params, "message_id": call.result["message_id"]}
        for call in user.session.calls
        if call.method == method and call.params["chat_id"] == user.user["id"] and call.result
    ]


def photos_to(user: UserClient) -> list[dict[str, Any]]:
    return sent_to(user, "sendPhoto")


def messages_to(user: UserClient) -> list[dict[str, Any]]:
    return sent_to(user, "sendMessage")


def decode(png: bytes) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return str(found.text)


def start_payload(url: str) -> str:
    parsed = urlparse(url)
    assert parsed.scheme == "https" and parsed.netloc == "t.me"
    return parse_qs(parsed.query)["start"][0]


def entry_code(user: UserClient) -> str:
    """The payload of the last entry code sent to the user (read from the QR image)."""
    photo = photos_to(user)[-1]["photo"]
    return start_payload(decode(photo.data))


# --- registering ------------------------------------------------------------------------------


async def test_registering_gives_a_seat_and_a_personal_qr_code_and_then_takes_two_taps(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await add_event(dp, seats=5)
    await add_event(dp, id="excursion", title={"ru": "Экскурсия", "en": "Excursion"},
                    kind="excursion", start=START + timedelta(days=1),
                    end=START + timedelta(days=1, hours=3))  # fmt: skip
    user = person(dp, bot, 2001)
    done = await register_first_time(user)
    assert "You are registered" in done["text"] and "Open day" in done["text"]
    [photo] = photos_to(user)
    assert "entry code" in photo["caption"]
    payload = entry_code(user)
    assert payload.startswith("in_")
    row = await db.fetchone("SELECT full_name, phone, status FROM event_registrations")
    assert tuple(row) == ("Иванова Анна", "+79131112233", "seated")  # type: ignore[arg-type]
    assert await db.fetchval("SELECT version FROM event_consents WHERE user_id = 2001")

    # The second time: «📝 Register» and «✅ Yes, register me», with what was given before.
    card = await open_event(user, "06.12 · Excursion")
    [confirm] = await user.click("📝 Register", card)
    assert "Иванова Анна" in confirm["text"] and "+7 913 111-22-33" in confirm["text"]
    [done] = await user.click("✅ Yes, register me", confirm)
    assert "You are registered" in done["text"] and "Excursion" in done["text"]
    assert len(photos_to(user)) == 2

    [mine] = await user.click("📋 My registrations", photos_to(user)[-1])  # fmt: skip
    assert mine["text"].count("You are registered.") == 2


async def test_seats_run_out_the_waiting_list_and_a_cancellation_promotes_the_first_in_line(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    await add_event(dp, seats=1)
    first, second, third = (person(dp, bot, n) for n in (2001, 2002, 2003))
    await register_first_time(first, "Иванова Анна")
    waiting = await register_first_time(second, "Петров Илья")
    assert "All seats of" in waiting["text"] and "number 1" in waiting["text"]
    assert photos_to(second) == []  # no seat, no entry code
    waiting = await register_first_time(third, "Сидорова Мария")
    assert "number 2" in waiting["text"]

    card = await open_event(first)
    [ask] = await first.click("❌ Cancel my registration", card)
    [mine] = await first.click("Yes, cancel it", ask)
    assert "You are not registered for any event." in mine["text"]

    await deliver(dp, bot)
    [offer] = messages_to(second)
    assert "A seat is free at" in offer["text"] and "Please confirm by" in offer["text"]
    assert "06:00" not in offer["text"]  # 12 hours from now, in Norilsk time: 27 Nov, 00:00
    assert messages_to(third) == []
    [done] = await second.click("✅ I will come", offer)
    assert "You are registered" in done["text"]
    assert len(photos_to(second)) == 1
    statuses = await db.fetchall("SELECT user_id, status FROM event_registrations ORDER BY id")
    assert [tuple(r) for r in statuses] == [(2002, "seated"), (2003, "waiting")]


async def test_an_offer_not_confirmed_in_12_hours_goes_to_the_next_in_line(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    await add_event(dp, seats=1)
    first, second, third = (person(dp, bot, n) for n in (2001, 2002, 2003))
    for user, name in ((first, "Иванова Анна"), (second, "Петров Илья"),
                       (third, "Сидорова Мария")):  # fmt: skip
        await register_first_time(user, name)
    card = await open_event(first)
    [ask] = await first.click("❌ Cancel my registration", card)
    await first.click("Yes, cancel it", ask)
    await deliver(dp, bot)
    [offer] = messages_to(second)

    clock.current += timedelta(hours=11, minutes=59)
    await dp["events"].tick()
    assert await db.fetchval("SELECT status FROM event_registrations WHERE user_id = 2002") == (
        "offered"
    )
    clock.current += timedelta(minutes=2)  # 00:01 in Norilsk
    await dp["events"].tick()
    await deliver(dp, bot)
    assert "did not confirm the seat" in messages_to(second)[-1]["text"]
    # The next offer is made in the quiet hours: its 12 hours start when they end, at 08:00.
    assert messages_to(third) == []
    clock.current = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    await deliver(dp, bot)
    [next_offer] = messages_to(third)
    assert "A seat is free at" in next_offer["text"]
    assert "Fri, 27 November 2026, 20:00" in next_offer["text"]
    await second.click("✅ I will come", offer)
    assert "This offer has expired" in second.answers()[-1]["text"]
    offered = await db.fetchval("SELECT user_id FROM event_registrations WHERE status = 'offered'")
    assert offered == 2003


# --- reminders --------------------------------------------------------------------------------


async def test_a_seat_is_reminded_the_day_before_and_2_hours_before(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    await add_event(dp, seats=5)
    user = person(dp, bot, 2001)
    await register_first_time(user)
    await dp["events"].tick()
    await dp["events"].tick()  # planning twice adds nothing
    await deliver(dp, bot)
    assert [m for m in messages_to(user) if "🔔" in m["text"]] == []

    day_before = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # 10:00 in Norilsk, the day before
    clock.current = day_before - timedelta(minutes=1)
    await deliver(dp, bot)
    assert [m for m in messages_to(user) if "🔔" in m["text"]] == []
    clock.current = day_before
    await deliver(dp, bot)
    [tomorrow] = [m for m in messages_to(user) if "🔔" in m["text"]]
    assert "Tomorrow: 🚪 <b>Open day</b>" in tomorrow["text"]
    assert "A passport" in tomorrow["text"]
    assert "🎫 My entry code" in labels(tomorrow)

    clock.current = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 09:00, two hours before 11:00
    await dp["events"].tick()
    await deliver(dp, bot)
    [soon] = [m for m in messages_to(user) if "🔔" in m["text"]]
    assert "In 2 hours: 🚪 <b>Open day</b>" in soon["text"]
    clock.current += timedelta(hours=3)
    await dp["events"].tick()
    await deliver(dp, bot)
    assert messages_to(user) == []
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'event_reminder'") == 2


async def test_a_reminder_due_in_the_quiet_hours_waits_for_the_morning(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    """An excursion at 09:30: its «2 hours before» falls at 07:30, in the quiet hours (until
    08:00): it goes at 08:00, still before the start."""
    start = datetime(2026, 12, 5, 9, 30)
    await add_event(dp, seats=5, start=start, end=start + timedelta(hours=2))
    user = person(dp, bot, 2001)
    await register_first_time(user)
    await dp["events"].tick()
    clock.current = datetime(2026, 12, 5, 0, 30, tzinfo=UTC)  # 07:30 in Norilsk
    await deliver(dp, bot)
    assert [m for m in messages_to(user) if "In 2 hours" in m["text"]] == []
    clock.current = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # 08:00
    await deliver(dp, bot)
    assert len([m for m in messages_to(user) if "In 2 hours" in m["text"]]) == 1


# --- staff: changes and cancellations ---------------------------------------------------------


async def test_the_staffs_list_of_events_is_paged(dp: Dispatcher, bot: Bot) -> None:
    for n in range(23):
        await add_event(dp, id=f"ntpts-open-day-{n}", start=START + timedelta(days=n),
                        end=START + timedelta(days=n, hours=2))  # fmt: skip
    admin = person(dp, bot, ADMIN)
    [panel] = await admin.send("/staff")
    [events] = await admin.click("📅 Events", panel)
    titles: list[str] = []
    for page in (1, 2, 3):
        assert f"page {page} of 3" in events["text"]
        titles += [label for label in labels(events) if label.endswith("Open day")]
        if page < 3:
            [events] = await admin.click("▶️", events)
    assert len(titles) == len(set(titles)) == 23  # every event, once, soonest first
    assert titles[0] == "05.12 · Open day"
    assert "➕ New event" in labels(events)


async def test_when_staff_cancel_an_event_everyone_registered_is_told_once(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await add_event(dp, seats=1)
    seated, waiting = person(dp, bot, 2001), person(dp, bot, 2002)
    await register_first_time(seated, "Иванова Анна")
    await register_first_time(waiting, "Петров Илья")
    admin = person(dp, bot, ADMIN)
    [panel] = await admin.send("/staff")
    [events] = await admin.click("📅 Events", panel)
    [card] = await admin.click("05.12 · Open day", events)
    assert "Seats taken: 1; offered: 0; waiting: 1" in card["text"]
    [ask] = await admin.click("❌ Cancel the event", card)
    [card] = await admin.click("❌ Yes, cancel it", ask)
    assert "Cancelled." in card["text"]
    await dp["events"].tick()  # the job finds nothing new to tell
    await deliver(dp, bot)
    for user in (seated, waiting):
        [notice] = messages_to(user)
        assert "Cancelled: 🚪 <b>Open day</b>" in notice["text"]
    await dp["events"].tick()
    await deliver(dp, bot)
    assert messages_to(seated) == messages_to(waiting) == []  # told once
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'event_reminder'") == 0
    [menu] = await seated.send("/start")
    [listing] = await seated.click("📅 Open days and events", menu)
    assert "No events are announced yet" in listing["text"]


async def test_a_change_of_time_and_place_is_told_once_with_what_holds_now(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    await add_event(dp, seats=5)
    user = person(dp, bot, 2001)
    await register_first_time(user)
    await add_event(dp, seats=5, start=START + timedelta(hours=1), end=START + timedelta(hours=3))
    await add_event(dp, seats=5, start=START + timedelta(hours=1), end=START + timedelta(hours=3),
                    place={"ru": "Норильск, ауд. 12", "en": "Norilsk, room 12"})  # fmt: skip
    await add_event(dp, seats=10, start=START + timedelta(hours=1), end=START + timedelta(hours=3),
                    place={"ru": "Норильск, ауд. 12", "en": "Norilsk, room 12"})  # fmt: skip
    clock.current += timedelta(minutes=5)
    await dp["events"].tick()
    await deliver(dp, bot)
    [notice] = messages_to(user)
    assert "has changed" in notice["text"]
    assert "12:00–14:00" in notice["text"] and "Norilsk, room 12" in notice["text"]
    await dp["events"].tick()
    await deliver(dp, bot)
    assert messages_to(user) == []  # told once


async def test_staff_create_an_event_in_the_editor_and_applicants_see_it_on_the_card(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    admin = person(dp, bot, ADMIN)
    [panel] = await admin.send("/staff")
    [events] = await admin.click("📅 Events", panel)
    [editor] = await admin.click("➕ New event", events)
    assert await admin.click("💾 Save", editor) == []  # refused: no title yet
    assert "title" in admin.answers()[-1]["text"]
    await admin.click("✏️ Title", editor)
    [editor] = await admin.send("Профпроба «Сварщик»")
    await admin.click("✏️ Title (en)", editor)
    [editor] = await admin.send("Career test: welder")
    [kinds] = await admin.click("Kind", editor)
    [editor] = await admin.click("Career test (профпроба)", kinds)
    [colleges] = await admin.click("College", editor)
    [editor] = await admin.click("Norilsk Technical School", colleges)
    [specs] = await admin.click("Specialties", editor)
    [specs] = await admin.click("22.02.08 · Metallurgy", specs)
    [editor] = await admin.click("✅ Done", specs)
    await admin.click("✏️ Start", editor)
    [hint] = await admin.send("завтра")
    assert "DD.MM.YYYY HH:MM" in hint["text"]
    [editor] = await admin.send("10.12.2026 15:00")
    assert "Thu, 10 December 2026, 17:00" in editor["text"]  # two hours by default
    await admin.click("✏️ Seats", editor)
    [editor] = await admin.send("12")
    [card] = await admin.click("💾 Save", editor)
    assert "Career test: welder" in card["text"] and "12 of 12 free" in card["text"]
    assert "start=ev_20261210-1" in card["text"]

    applicant = person(dp, bot, 2001)
    [menu] = await applicant.send("/start")
    [specialties] = await applicant.click("🎓 Specialties", menu)
    [spec_card] = await applicant.click("22.02.08 · Metallurgy", specialties)
    assert "Upcoming events" in spec_card["text"] and "Career test: welder" in spec_card["text"]
    [listing] = await applicant.click("📅 Events (1)", spec_card)
    [event_card] = await applicant.click("10.12 · Career test: welder", listing)
    assert "📝 Register" in labels(event_card)


async def test_staff_of_one_college_see_and_change_only_its_events(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await add_event(dp)
    await add_event(dp, id="taimyr-day", college="taimyr",
                    title={"ru": "День в Дудинке", "en": "Dudinka day"})  # fmt: skip
    await db.execute(
        "INSERT INTO staff (user_id, college_id, granted_by, granted_at) "
        "VALUES (7, 'taimyr', 1, ?)",
        (datetime.now(UTC).isoformat(),),
    )
    member = person(dp, bot, 7)
    [panel] = await member.send("/staff")
    [events] = await member.click("📅 Events", panel)
    assert labels(events)[0] == "05.12 · Dudinka day"
    assert "05.12 · Open day" not in labels(events)
    await member.click_data("se:cancel_yes:ntpts-open-day:0:0", events)
    assert "not of your college" in member.answers()[-1]["text"]
    assert dp["catalogs"] and not (await dp["catalogs"].current()).event("ntpts-open-day").cancelled


# --- check-in ---------------------------------------------------------------------------------


async def test_check_in_by_scanning_the_entry_code(dp: Dispatcher, bot: Bot, db: Database) -> None:
    await add_event(dp, seats=5)
    user = person(dp, bot, 2001)
    await register_first_time(user)
    code = entry_code(user)

    stranger = person(dp, bot, 2002)
    [refused] = await stranger.send(f"/start {code}")
    assert "personal entry code" in refused["text"]
    [own] = await user.send(f"/start {code}")
    assert "This is your entry code" in own["text"]
    assert await db.fetchval("SELECT attended_at FROM event_registrations") is None

    admin = person(dp, bot, ADMIN)
    [marked] = await admin.send(f"/start {code}")
    assert "<b>Иванова Анна</b> came: marked." in marked["text"]
    assert await db.fetchval("SELECT attended_by FROM event_registrations") == ADMIN
    [again] = await admin.send(f"/start {code}")
    assert "was marked already" in again["text"]
    [people] = await admin.click("👥 People", again)
    assert "✅ came" in people["text"]
    [people] = await admin.click("✅ 1. Иванова Анна", people)  # a tap unmarks
    assert await db.fetchval("SELECT attended_at FROM event_registrations") is None
    [people] = await admin.click("☐ 1. Иванова Анна", people)
    assert await db.fetchval("SELECT attended_by FROM event_registrations") == ADMIN


async def test_staff_export_the_registered_and_the_waiting_list_to_excel(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    import openpyxl

    await add_event(dp, seats=1)
    await register_first_time(person(dp, bot, 2001), "Иванова Анна")
    await register_first_time(person(dp, bot, 2002), "Петров Илья", "+79130000001")
    admin = person(dp, bot, ADMIN)
    [panel] = await admin.send("/staff")
    [events] = await admin.click("📅 Events", panel)
    [card] = await admin.click("05.12 · Open day", events)
    await admin.click("📗 Excel", card)
    [document] = admin.session.of("sendDocument")
    sheet = openpyxl.load_workbook(io.BytesIO(document["document"].data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["No.", "Status", "Name", "Phone"]
    assert rows[1][1:4] == ["seat", "Иванова Анна", "+79131112233"]
    assert rows[2][1:4] == ["waiting list", "Петров Илья", "+79130000001"]
    assert sheet["D2"].data_type == "s"  # a phone stays text, never a formula
    assert await db.fetchval("SELECT action FROM audit_log") == "export:event"


# --- deep links, posters, sources -------------------------------------------------------------


async def test_a_posters_qr_code_opens_the_card_for_a_new_user_and_counts_its_source(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    admin = person(dp, bot, ADMIN)
    [panel] = await admin.send("/staff")
    [events] = await admin.click("📅 Events", panel)
    [posters] = await admin.click("🖨 Posters with a QR code", events)
    [specialties] = await admin.click("🎓 A specialty", posters)
    [ask_label] = await admin.click("22.02.08 · Metallurgy", specialties)
    assert "label" in ask_label["text"]
    await admin.send("школа 37")
    png, pdf = admin.session.of("sendDocument")
    assert png["document"].filename.endswith(".png") and pdf["document"].data[:5] == b"%PDF-"
    image = Image.open(io.BytesIO(png["document"].data))
    assert image.size[0] / image.size[1] == pytest.approx(210 / 297, rel=0.01)  # A4
    url = decode(png["document"].data)
    assert url.startswith("https://t.me/metall_bot?start=")
    payload = start_payload(url)
    assert payload == "sp_220208_s1" and len(payload) <= 64

    newcomer = person(dp, bot, 2001)
    [card] = await newcomer.send(f"/start {payload}")
    assert "22.02.08" in card["text"] and "📝 Apply" in labels(card)
    assert await db.fetchval("SELECT source_id FROM users WHERE id = 2001") == 1
    # Someone who knew the bot before is not a new user of the poster.
    old = person(dp, bot, 2002)
    await old.send("/start")
    await db.execute("UPDATE users SET first_seen = '2026-01-01T00:00:00+00:00' WHERE id = 2002")
    await old.send(f"/start {payload}")
    assert await db.fetchval("SELECT source_id FROM users WHERE id = 2002") is None

    [reports] = await admin.send("/reports")
    [stats] = await admin.click("📊 Statistics", reports)
    assert "школа 37: 1 new user, 0 applications" in stats["text"]


async def test_links_of_a_college_an_event_and_the_menu_open_them(dp: Dispatcher, bot: Bot) -> None:
    await add_event(dp)
    user = person(dp, bot, 2001)
    [college] = await user.send("/start co_taimyr")
    assert "Taimyr College" in college["text"]
    [event] = await user.send("/start ev_ntpts-open-day")
    assert "Open day" in event["text"] and "📝 Register" in labels(event)
    [menu] = await user.send("/start go")
    assert "Choose a section" in menu["text"]
    [gone] = await user.send("/start ev_no-such-event")
    assert "no longer in the bot" in gone["text"]
    [plain] = await user.send("/start something-else")
    assert "Choose a section" in plain["text"]


# --- personal data ----------------------------------------------------------------------------


async def test_delete_my_data_erases_registrations_and_the_consent_and_frees_the_seat(
    dp: Dispatcher, bot: Bot, db: Database, settings: Settings
) -> None:
    await add_event(dp, seats=1)
    leaving, waiting = person(dp, bot, 2001), person(dp, bot, 2002)
    await register_first_time(leaving, "Зюзюкина Снежана", "+79135557799")
    await register_first_time(waiting, "Петров Илья")
    [ask] = await leaving.send("/delete_my_data")
    [done] = await leaving.click("Yes, delete everything", ask)
    assert "deleted" in done["text"]
    assert await db.fetchval("SELECT count(*) FROM event_registrations WHERE user_id = 2001") == 0
    assert await db.fetchval("SELECT count(*) FROM event_consents WHERE user_id = 2001") == 0
    await dp["events"].tick()  # the seat goes to the next in line
    await deliver(dp, bot)
    assert "A seat is free at" in messages_to(waiting)[-1]["text"]
    await db.close()
    files = [settings.database_path, Path(f"{settings.database_path}-wal")]
    raw = b"".join(p.read_bytes() for p in files if p.exists())
    for secret in ("Зюзюкина", "Снежана", "79135557799"):
        assert secret.encode() not in raw, secret
    await db.connect()


async def test_registrations_are_erased_after_the_retention_period_after_the_event(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock, settings: Settings
) -> None:
    await add_event(dp, seats=5)
    await register_first_time(person(dp, bot, 2001))
    end = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)  # 13:00 in Norilsk
    clock.current = end + timedelta(days=settings.retention_days) - timedelta(minutes=1)
    await dp["retention"].run()
    assert await db.fetchval("SELECT count(*) FROM event_registrations") == 1
    clock.current += timedelta(minutes=2)
    await dp["retention"].run()
    assert await db.fetchval("SELECT count(*) FROM event_registrations") == 0
    assert await db.fetchval("SELECT count(*) FROM event_consents") == 0
    assert (
        await db.fetchval("SELECT value FROM counters WHERE name = 'event_registrations_erased'")
        == 1
    )


async def test_going_back_to_an_older_catalogue_version_keeps_the_events(dp: Dispatcher) -> None:
    """Staff add events in the bot, not in a file: going back to a version made before an
    event was added must not drop the event people may have registered for."""
    catalogs = dp["catalogs"]
    before, _ = await catalogs.current_version()
    event = await add_event(dp)
    back = await catalogs.older(before, None)
    assert back is not None and back.catalog is not None, back
    assert back.catalog.event(event.id) is not None
    assert not [change for change in back.changes if event.id in str(change)]
