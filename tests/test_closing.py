"""The campaign's closing steps: ranking lists published to the applicants (their place and the
budget line; numbers only in the list; a second publication tells only those whose place
changed), the enrolment order (pre-filled, confirmed once, the enrolled congratulated, the
others told what remains), and the staff's daily digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiogram import Bot, Dispatcher

from bot.domain.catalog import default_catalog_bytes
from bot.domain.closing import moved, preselected
from db.applications import ApplicationRepository, RankingEntry
from db.database import Database
from db.staff import StaffRepository
from handlers.callbacks import OrderAction, OrderCb, ReportAction, ReportCb
from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.helpers import METALLURGY, ORE, T0, YEAR, add, grant, sender_of, set_budget

POWER = "13.02.07"  # needs a medical certificate


def entry(id: int, status: str = "accepted", original: bool = True) -> RankingEntry:
    return RankingEntry(
        id, f"М-{YEAR}-{id:04d}", Decimal("4.00"), original, T0, user_id=id, status=status
    )


# --- the rules --------------------------------------------------------------------------------


def test_only_new_or_moved_places_are_told() -> None:
    ranking = [entry(1), entry(3), entry(2), entry(4)]
    assert moved({}, ranking) == ranking
    previous = {1: 1, 2: 2, 3: 3, 5: 4}  # 1 stays; 3 overtook 2; 4 is new; 5 left
    assert [e.application_id for e in moved(previous, ranking)] == [3, 2, 4]


def test_an_order_starts_with_the_best_who_may_be_enrolled_within_the_places_left() -> None:
    ranking = [
        entry(1),
        entry(2, status="submitted"),  # documents not accepted yet
        entry(3, original=False),  # no original
        entry(4, status="enrolled"),  # enrolled already: takes a place, not selected again
        entry(5),
        entry(6),
    ]
    assert preselected(ranking, 2) == [1, 5]
    assert preselected(ranking, 5) == [1, 5, 6]
    assert preselected(ranking, 0) == [] and preselected(ranking, None) == []


# --- through the bot --------------------------------------------------------------------------


async def english(dp: Dispatcher, bot: Bot, *user_ids: int) -> None:
    """These people have used the bot in English (the notices are in their language)."""
    for user_id in user_ids:
        await UserClient(dp, bot, user_id=user_id, language_code="en").send("/start")


def sent_to(client: UserClient, chat_id: int) -> list[dict[str, Any]]:
    """What the bot sent to ``chat_id``, as messages a client can press buttons on."""
    return [
        {**c.params, "message_id": c.result["message_id"]}
        for c in client.session.calls
        if c.method == "sendMessage" and c.params["chat_id"] == chat_id and c.result
    ]


async def ranking_screen(staff: UserClient, label: str = "22.02.08 · Metallurgy") -> dict[str, Any]:
    [menu] = await staff.send("/reports")
    [lists] = await staff.click("🏆 Ranking lists", menu)
    replies = await staff.click(label, lists)
    return replies[-1]


async def publish(staff: UserClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """From the ranking to «Published»: the confirmation and the result."""
    [question] = await staff.click("📢 Publish to applicants", await ranking_screen(staff))
    [done] = await staff.click("✅ Publish", question)
    return question, done


async def test_a_published_ranking_tells_each_their_place_and_the_list_shows_numbers_only(
    dp: Dispatcher, bot: Bot, db: Database, admin: UserClient
) -> None:
    await set_budget(dp, METALLURGY, 2)
    await english(dp, bot, 301, 302, 303)
    await add(db, 301, "4.10", name="Иванова Анна")
    await add(db, 302, "4.80", name="Петров Пётр")
    await add(db, 303, "3.90", original=True, name="Сидорова Вера")
    await sender_of(dp).drain(bot)
    question, done = await publish(admin)
    assert "3 applicants are in it now; state-funded places: 2" in question["text"]
    assert "Not published yet." in question["text"]
    assert "(new in the list, or moved): 3 applicants" in question["text"]
    assert "Told their place: 3 applicants" in done["text"]

    admin.session.clear()
    await sender_of(dp).drain(bot)
    [first] = sent_to(admin, 302)
    assert "the ranking list of 22.02.08 · Metallurgy is published" in first["text"]
    assert "Your place: 1 of 3. State-funded places: 2." in first["text"]
    assert "within the state-funded places" in first["text"]
    assert "Bring the original" in first["text"]  # not received yet
    [third] = sent_to(admin, 303)
    assert "Your place: 3 of 3" in third["text"]
    assert "below the state-funded places line" in third["text"]
    assert "Bring the original" not in third["text"]

    # The list itself, from the notice: numbers, scores, the line, one's own place; no names.
    reader = UserClient(dp, bot, user_id=303, language_code="en")
    admin.session.clear()
    [listing] = await reader.click("📋 The whole list", third)
    assert "Ranking list: 22.02.08 · Metallurgy" in listing["text"]
    lines = listing["text"].splitlines()
    start = lines.index("1. M-2027-0002 — 4.80")
    assert lines[start : start + 4] == [
        "1. M-2027-0002 — 4.80",
        "2. M-2027-0001 — 4.10",
        "— state-funded places: 2 —",
        "<b>3. M-2027-0003 — 3.90 ✓</b> ← you",
    ]
    for name in ("Иванова", "Петров", "Сидорова"):
        assert name not in listing["text"]
    [entry] = [e for e in await StaffRepository(db).audit_log() if e.action == "ranking:publish"]
    assert entry.comment == "22.02.08 #1: 3 ranked, 3 told"


async def test_publishing_again_tells_only_those_whose_place_changed(
    dp: Dispatcher, bot: Bot, db: Database, admin: UserClient
) -> None:
    await set_budget(dp, METALLURGY, 2)
    await english(dp, bot, 303)
    for user_id, score in ((301, "4.10"), (302, "4.80"), (303, "3.90"), (304, "3.50")):
        await add(db, user_id, score)
    await publish(admin)
    await sender_of(dp).drain(bot)
    # 0001 withdraws: 0003 and 0004 move up; 0002 keeps the first place; 0005 is new.
    await ApplicationRepository(db).set_status(1, "withdrawn", T0)
    await add(db, 305, "3.00")
    question, done = await publish(admin)
    assert "(new in the list, or moved): 3 applicants" in question["text"]
    assert "Last published:" in question["text"]
    assert "Told their place: 3 applicants" in done["text"]
    admin.session.clear()
    await sender_of(dp).drain(bot)
    told = {c["chat_id"] for c in admin.session.of("sendMessage")}
    assert told == {303, 304, 305}
    [notice] = sent_to(admin, 303)
    assert "Your place: 2 of 4" in notice["text"]
    assert "within the state-funded places" in notice["text"]


async def test_staff_of_another_college_cannot_publish_or_order(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await grant(db, 3, "taimyr")
    await add(db, 301, "4.10")
    member = UserClient(dp, bot, 3, "en")
    [menu] = await member.send("/reports")
    for data in (
        ReportCb(action=ReportAction.publish, code=METALLURGY),
        ReportCb(action=ReportAction.publish_yes, code=METALLURGY),
        OrderCb(action=OrderAction.open, code=METALLURGY),
        OrderCb(action=OrderAction.issue, code=METALLURGY),
    ):
        assert await member.click_data(data.pack(), menu) == []
        assert member.answers()[-1]["text"] == "No access."
    assert await db.fetchval("SELECT count(*) FROM ranking_publications") == 0
    assert await db.fetchval("SELECT status FROM applications") == "submitted"


async def set_budgets(dp: Dispatcher, places: dict[str, int]) -> None:
    raw = default_catalog_bytes().decode()
    for code, n in places.items():
        line = f'code = "{code}"\n'
        raw = raw.replace(line, f"{line}budget_places = {n}\n", 1)
    version, problems = await dp["catalogs"].load(raw.encode(), "test")
    assert version is not None and not problems


async def accepted(db: Database, user_id: int, score: str, **kw: Any) -> int:
    return await add(db, user_id, score, status="accepted", **kw)


async def test_an_enrolment_order_from_preselection_to_the_applicants_notices(
    dp: Dispatcher, bot: Bot, db: Database, admin: UserClient
) -> None:
    await set_budgets(dp, {METALLURGY: 2, POWER: 5})
    await english(dp, bot, 301, 302, 303, 304, 305)
    await accepted(db, 301, "4.90", original=True, name="Андреева Анна")  # 0001: the best
    await add(db, 302, "4.70", original=True, name="Борисов Борис")  # not accepted yet
    await accepted(db, 303, "4.50", codes=(METALLURGY, POWER), name="Волкова Вера")  # no original
    await accepted(db, 304, "4.30", original=True, name="Григорьев Глеб")
    await accepted(db, 305, "4.00", original=True, name="Дмитриева Дарья")
    await sender_of(dp).drain(bot)

    [order] = await admin.click("🎓 Enrolment order", await ranking_screen(admin))
    assert "State-funded places: 2 · enrolled: 0 · left: 2" in order["text"]
    assert "Selected: 2 applicants" in order["text"]
    lines = [line for line in order["text"].splitlines() if line[:2] in ("1.", "2.", "3.", "4.")]
    assert lines == [
        "1. ☑️ M-2027-0001 Андреева А. · 4.90 ✓",
        "2. ⛔ M-2027-0002 Борисов Б. · 4.70 ✓",
        "3. ◻️ M-2027-0003 Волкова В. · 4.50",
        "4. ☑️ M-2027-0004 Григорьев Г. · 4.30 ✓",
    ]
    # Not 0002 (documents not accepted): no button to select it.
    assert [x for x in labels(order) if "M-" in x] == [
        "☑️ 1. M-2027-0001", "◻️ 3. M-2027-0003", "☑️ 4. M-2027-0004", "◻️ 5. M-2027-0005",
    ]  # fmt: skip
    [order] = await admin.click("☑️ 4. M-2027-0004", order)
    [order] = await admin.click("◻️ 3. M-2027-0003", order)
    assert "Selected: 2 applicants" in order["text"]
    # Pressed on something that cannot be enrolled (an old button): refused, nothing changes.
    await admin.click_data(OrderCb(action=OrderAction.toggle, code=METALLURGY, id=2).pack(), order)
    assert admin.answers()[-1]["text"] == "This applicant cannot be enrolled now."

    [question] = await admin.click("✅ Issue the order: 2", order)
    assert "To enrol: 2 applicants: M-2027-0001, M-2027-0003" in question["text"]
    assert "⚠️ 1 of them has no original certificate received." in question["text"]
    assert "The 3 other applicants of this list are told" in question["text"]
    assert await db.fetchval("SELECT count(*) FROM applications WHERE status = 'enrolled'") == 0

    admin.session.clear()
    [done] = await admin.click("✅ Yes, issue the order", question)
    assert "Order №1 for 22.02.08 · Metallurgy is issued" in done["text"]
    assert "Enrolled: 2 applicants" in done["text"]
    assert "Told what remains possible: 3 applicants" in done["text"]
    rows = await db.fetchall("SELECT number, status, enrolled_code FROM applications ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("М-2027-0001", "enrolled", METALLURGY),
        ("М-2027-0002", "submitted", None),
        ("М-2027-0003", "enrolled", METALLURGY),
        ("М-2027-0004", "accepted", None),
        ("М-2027-0005", "accepted", None),
    ]
    # Confirmed once: the same button again issues nothing.
    await admin.click("✅ Yes, issue the order", question)
    assert admin.answers()[-1]["text"].startswith("This order is issued already")
    assert await db.fetchval("SELECT count(*) FROM enrolment_orders") == 1

    await sender_of(dp).drain(bot)
    [congratulated] = sent_to(admin, 301)
    assert "🎉 <b>Congratulations! You are enrolled.</b>" in congratulated["text"]
    assert "Specialty: 22.02.08 Metallurgical Production" in congratulated["text"]
    assert "Bring the original" not in congratulated["text"]
    [without_original] = sent_to(admin, 303)
    assert "Specialty: 22.02.08" in without_original["text"]
    assert "Bring the original" in without_original["text"]
    for other in (302, 304, 305):
        [notice] = sent_to(admin, other)
        assert "the enrolment order for 22.02.08 · Metallurgy is issued" in notice["text"]
        assert "state-funded places are left in: 13.02.07 · Power supply (5)" in notice["text"]
        assert "accepted until 25 November 2027" in notice["text"]
        assert "✍️ Ask the admission office" in labels(notice)
    # The ranking of the first specialty no longer counts them elsewhere; two places are taken.
    [order] = await admin.click("🎓 Enrolment order", await ranking_screen(admin))
    assert "State-funded places: 2 · enrolled: 2 · left: 0" in order["text"]
    assert "Selected: 0 applicants" in order["text"]
    power = await ApplicationRepository(db).ranking(POWER, YEAR)
    assert [e.number for e in power] == []  # 0003 is enrolled to 22.02.08, not ranked here


async def test_an_applicant_enrolled_meanwhile_by_the_card_is_not_told_they_are_left_out(
    dp: Dispatcher, bot: Bot, db: Database, admin: UserClient
) -> None:
    await set_budget(dp, METALLURGY, 1)
    await accepted(db, 301, "4.90", original=True)
    await accepted(db, 302, "4.10", codes=(ORE, METALLURGY), original=True)
    await sender_of(dp).drain(bot)
    [order] = await admin.click("🎓 Enrolment order", await ranking_screen(admin))
    [question] = await admin.click("✅ Issue the order: 1", order)
    await admin.click("✅ Yes, issue the order", question)
    # Before the notices go out, 0002 is enrolled to its first choice from the card.
    await ApplicationRepository(db).set_status(2, "enrolled", T0, enrolled_code=ORE)
    admin.session.clear()
    await sender_of(dp).drain(bot)
    assert sent_to(admin, 302) == []


# --- the daily digest -------------------------------------------------------------------------


def at_local(clock: FixedClock, hour: int, days: int = 0) -> None:
    """The clock at ``hour`` o'clock in Norilsk (UTC+7) on 26 November 2026 plus ``days``."""
    clock.current = datetime(2026, 11, 26, hour, 0, tzinfo=UTC) - timedelta(hours=7, days=-days)


@pytest.fixture
async def busy_day(dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock) -> None:
    """For the digest at 09:00 on 26 November: two new applications (one of each college's),
    one correction waiting 3 days, one question waiting 2 days, one original received."""
    at_local(clock, 9)
    now = clock.now()
    repo = ApplicationRepository(db)
    waiting = await add(db, 301, "4.10", at=now - timedelta(days=5))
    await repo.set_status(waiting, "needs_correction", now - timedelta(days=3), actor_id=1)
    fresh = await add(db, 302, "4.20", at=now - timedelta(hours=3))
    await repo.mark_received(fresh, "original_received", now - timedelta(hours=1), [])
    await add(db, 303, "4.30", codes=(ORE,), at=now - timedelta(hours=20))
    await add(db, 304, "4.30", at=now - timedelta(hours=30))  # yesterday's: not new
    await db.execute(
        "INSERT INTO questions (user_id, asked_at, content_type, text) VALUES (?, ?, 'text', ?)",
        (9001, (now - timedelta(days=2)).isoformat(), "Есть ли общежитие?"),
    )
    await sender_of(dp).drain(bot)


async def test_the_daily_digest_at_nine_for_everyone_and_by_college(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock, admin: UserClient, busy_day: None
) -> None:
    await grant(db, 2, "ntpts")  # 22.02.08 only
    await grant(db, 4, None)  # every college: without an admission chat, in private too
    await english(dp, bot, 1, 4)
    digest = dp["digest"]
    at_local(clock, 8)
    assert await digest.run() == 0  # not yet
    at_local(clock, 9)
    assert await digest.run() == 3
    assert await digest.run() == 0  # once a day
    admin.session.clear()
    await sender_of(dp).drain(bot)
    [everything] = sent_to(admin, 1)
    assert everything["text"].splitlines()[:5] == [
        "☀️ <b>Digest for 26 November 2026</b> (all colleges)",
        "🆕 New applications in the last 24 hours: 2",
        "✏️ Corrections waiting more than 2 days: 1",
        "❓ Questions waiting more than a day: 1",
        "📜 Originals received in the last 24 hours: 1",
    ]
    [same] = sent_to(admin, 4)
    assert same["text"] == everything["text"]
    [college] = sent_to(admin, 2)
    assert "(Норильский техникум)" in college["text"]  # a member without a language: ru
    assert "Новых заявлений за сутки: 1" in college["text"]  # 21.02.18's is not theirs
    # The next morning: nothing new, nothing to tell.
    await db.execute("UPDATE applications SET status = 'accepted'")
    await db.execute("UPDATE questions SET answered_at = ?", (clock.now().isoformat(),))
    at_local(clock, 9, days=1)
    assert await digest.run() == 0


async def test_with_an_admission_chat_the_digest_goes_there_and_to_college_staff(
    dp: Dispatcher, db: Database, busy_day: None
) -> None:
    from bot.services.digest import DigestService

    await grant(db, 2, "ntpts")
    await grant(db, 4, None)
    service: DigestService = dp["digest"]
    service.staff_chats, service.admission_chat = [-100500], True
    assert {chat for chat, _ in await service.recipients()} == {-100500, 2}
