"""The staff's decisions made safe: a state machine (one table, every status × decision), the
card that offers only what it allows, enrolment confirmed to a named specialty with a warning
of missing papers, an administrator's cancellation with a reason, the papers told as they are
(a scan is not the original), and /cancel back to the staff panel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiogram import Bot, Dispatcher

from bot.domain.applications import STATUSES
from bot.domain.catalog import Catalog, default_catalog_bytes, parse_catalog
from bot.domain.review import TRANSITIONS, Decision, available, cancellable, new_status
from db.applications import Application, ApplicationData, StatusChange
from db.database import Database
from db.staff import StaffRepository
from handlers.callbacks import CardAction, CardCb
from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.helpers import fill_form, join, person, sender_of, submit

T0 = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
STAFF = 77  # a staff member's id in the history
ADMIN = 1  # ADMIN_IDS=1 (tests/conftest.py)

# --- the state machine, as a table ------------------------------------------------------------

# Every status × every decision: the status it leads to, or None where it is refused. Written
# out here by hand (not derived from the code), so that a change of the rules is a change here.
# For a cancellation, the status before the decision (here: the history's "submitted").
S = "submitted"
EXPECTED: dict[str, dict[Decision, str | None]] = {
    "submitted": {
        Decision.accept: "accepted", Decision.correct: "needs_correction",
        Decision.reject: "rejected", Decision.enroll: None, Decision.original: "submitted",
        Decision.medical: "submitted", Decision.undo: None,
    },
    "needs_correction": {
        Decision.accept: "accepted", Decision.correct: None, Decision.reject: "rejected",
        Decision.enroll: None, Decision.original: "needs_correction",
        Decision.medical: "needs_correction", Decision.undo: S,
    },
    "accepted": {
        Decision.accept: None, Decision.correct: "needs_correction", Decision.reject: "rejected",
        Decision.enroll: "enrolled", Decision.original: "accepted", Decision.medical: "accepted",
        Decision.undo: S,
    },
    "rejected": {
        Decision.accept: None, Decision.correct: None, Decision.reject: None,
        Decision.enroll: None, Decision.original: None, Decision.medical: None, Decision.undo: S,
    },
    "enrolled": {
        Decision.accept: None, Decision.correct: None, Decision.reject: None,
        Decision.enroll: None, Decision.original: "enrolled", Decision.medical: "enrolled",
        Decision.undo: S,
    },
    "withdrawn": {
        Decision.accept: None, Decision.correct: None, Decision.reject: None,
        Decision.enroll: None, Decision.original: None, Decision.medical: None, Decision.undo: None,
    },
}  # fmt: skip


def application(
    status: str,
    history: tuple[StatusChange, ...] | None = None,
    *,
    codes: tuple[str, ...] = ("22.02.08",),
    original: bool = False,
    medical: bool = False,
) -> Application:
    """An application whose latest change is a staff decision that led to ``status`` (from
    «submitted»), unless ``history`` is given."""
    if history is None:
        history = (StatusChange("submitted", T0, None, None, id=1),)
        if status != "submitted":
            actor = None if status == "withdrawn" else STAFF
            history += (StatusChange(status, T0 + timedelta(hours=1), actor, None, id=2),)
    data = ApplicationData(
        full_name="Тестова Анна", birth_date=date(2008, 1, 1), phone="+79131234567", email=None,
        education_base=9, average_score=Decimal("4.5"), specialties=codes, dormitory=False,
        channel="bot", minor=False,
    )  # fmt: skip
    return Application(
        id=1, number="М-2027-0001", user_id=1001, campaign_year=2027, status=status, data=data,
        original_received=original, medical_received=medical, submitted_at=T0, updated_at=T0,
        history=history,
    )  # fmt: skip


def default_catalog() -> Catalog:
    catalog, problems = parse_catalog(default_catalog_bytes())
    assert catalog is not None, problems
    return catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return default_catalog()


def test_the_table_covers_every_status_and_the_expected_table_every_decision() -> None:
    assert set(TRANSITIONS) == set(STATUSES) == set(EXPECTED)
    assert all(set(row) == set(Decision) for row in EXPECTED.values())


@pytest.mark.parametrize(
    ("status", "decision"),
    [(status, decision) for status in STATUSES for decision in Decision],
    ids=lambda value: str(value),
)
def test_every_status_and_decision(status: str, decision: Decision) -> None:
    assert new_status(application(status), decision) == EXPECTED[status][decision]


def test_a_cancellation_returns_to_the_status_before_the_decision() -> None:
    history = (
        StatusChange("submitted", T0, None, None, id=1),
        StatusChange("accepted", T0, STAFF, None, id=2),
        StatusChange("rejected", T0, STAFF, "поздно", id=3),
    )
    assert new_status(application("rejected", history), Decision.undo) == "accepted"


@pytest.mark.parametrize(
    ("history", "why"),
    [
        ((StatusChange("submitted", T0, None, None, id=1),), "nothing decided yet"),
        (
            (
                StatusChange("submitted", T0, None, None, id=1),
                StatusChange("needs_correction", T0, STAFF, "фото", id=2),
                StatusChange("submitted", T0, None, None, id=3),
                StatusChange("accepted", T0, STAFF, None, id=4),
                StatusChange("submitted", T0, ADMIN, "ошибка", id=5, undoes=4),
            ),
            "a cancellation is not cancelled again",
        ),
        (
            (
                StatusChange("submitted", T0, None, None, id=1),
                StatusChange("accepted", T0, STAFF, None, id=2),
                StatusChange("withdrawn", T0, None, None, id=3),
            ),
            "the applicant's own change",
        ),
    ],
)
def test_what_cannot_be_cancelled(history: tuple[StatusChange, ...], why: str) -> None:
    app = application(history[-1].status, history)
    assert new_status(app, Decision.undo) is None, why
    assert Decision.undo not in available(app, default_catalog(), admin=True)


def test_the_card_offers_a_paper_once_the_medical_one_where_needed_undo_to_admins(
    catalog: Catalog,
) -> None:
    assert available(application("submitted"), catalog, admin=True) == [
        Decision.accept, Decision.correct, Decision.reject, Decision.original,
    ]  # fmt: skip
    power = application("accepted", codes=("22.02.08", "13.02.07"), original=True)
    assert available(power, catalog, admin=False) == [
        Decision.correct, Decision.reject, Decision.enroll, Decision.medical,
    ]  # fmt: skip
    assert available(application("enrolled"), catalog, admin=True) == [
        Decision.original, Decision.undo,
    ]  # fmt: skip
    assert available(application("enrolled"), catalog, admin=False) == [Decision.original]
    assert cancellable(application("withdrawn").history) is None


# --- through the bot --------------------------------------------------------------------------


async def applied_to(user: UserClient, *specialties: str) -> None:
    await submit(user, await fill_form(user, specialties=specialties))


async def card_of(staff: UserClient, number: str = "M-2027-0001") -> dict[str, Any]:
    [panel] = await staff.send("/staff")
    await staff.click("🔎 Search", panel)
    [card] = await staff.send(number)
    assert f"Application {number}" in card["text"], card["text"]
    return card


async def test_enrolment_is_confirmed_names_the_specialty_and_warns_of_missing_papers(
    dp: Dispatcher, bot: Bot, admin: UserClient, english_user: UserClient, db: Database
) -> None:
    await applied_to(english_user, "22.02.08 · Metallurgy", "13.02.07 · Power supply")
    card = await card_of(admin)
    assert "🎓 Enrol…" not in labels(card)  # documents not accepted yet
    [card] = await admin.click("✅ Accept documents", card)
    [choice] = await admin.click("🎓 Enrol…", card)
    assert "to which of the applicant's specialties?" in choice["text"]
    assert labels(choice) == ["1. 22.02.08 · Metallurgy", "2. 13.02.07 · Power supply", "⬅️ Back"]
    [confirm] = await admin.click("2. 13.02.07 · Power supply", choice)
    assert "Enrol application M-2027-0001?" in confirm["text"]
    assert "Specialty: 13.02.07 · Power supply (priority 2)" in confirm["text"]
    assert "⚠️ The original certificate is not received." in confirm["text"]
    assert "needs a medical certificate, and it is not received" in confirm["text"]
    assert await db.fetchval("SELECT status FROM applications") == "accepted"  # not yet

    [card] = await admin.click("✅ Yes, enrol to 13.02.07", confirm)
    assert "Status: <b>enrolled</b>" in card["text"]
    assert "Enrolled to: 13.02.07 · Power supply" in card["text"]
    assert await db.fetchval("SELECT enrolled_code FROM applications") == "13.02.07"
    # An enrolled card: no rejection, no second enrolment; the papers, and the cancellation.
    assert labels(card) == [
        "📎 Documents", "📜 Original received", "🩺 Medical received", "↩️ Cancel «enrolled»",
        "⬅️ Queue",
    ]  # fmt: skip
    [entry] = [e for e in await StaffRepository(db).audit_log() if e.action == "status:enrolled"]
    assert (entry.actor_id, entry.comment) == (ADMIN, "13.02.07")

    # The confirmation pressed again: refused, nothing written twice.
    history = await db.fetchval("SELECT count(*) FROM status_history")
    await admin.click("✅ Yes, enrol to 13.02.07", confirm)
    assert admin.answers()[-1]["text"] == "Not possible now: the application is «enrolled»."
    assert await db.fetchval("SELECT count(*) FROM status_history") == history


async def test_one_choice_goes_straight_to_the_confirmation_without_warnings(
    admin: UserClient, english_user: UserClient, db: Database
) -> None:
    await applied_to(english_user, "22.02.08 · Metallurgy")
    card = await card_of(admin)
    [card] = await admin.click("📜 Original received", card)
    [card] = await admin.click("✅ Accept documents", card)
    [confirm] = await admin.click("🎓 Enrol…", card)
    assert "Specialty: 22.02.08 · Metallurgy (priority 1)" in confirm["text"]
    assert "⚠️" not in confirm["text"]  # the original is in; 22.02.08 needs no certificate
    [back] = await admin.click("⬅️ Back", confirm)
    assert "Status: <b>documents accepted</b>" in back["text"]
    assert await db.fetchval("SELECT status FROM applications") == "accepted"


async def test_a_stale_button_of_a_decision_the_status_no_longer_allows_is_refused(
    admin: UserClient, english_user: UserClient, db: Database
) -> None:
    await applied_to(english_user, "22.02.08 · Metallurgy")
    stale = await card_of(admin)  # «submitted»: offers Reject
    card = await card_of(admin)
    [card] = await admin.click("✅ Accept documents", card)
    [confirm] = await admin.click("🎓 Enrol…", card)
    await admin.click("✅ Yes, enrol to 22.02.08", confirm)
    outbox = await db.fetchval("SELECT count(*) FROM outbox")
    [card] = await admin.click("❌ Reject", stale)  # an old card still showing it
    assert admin.answers()[-1]["text"] == "Not possible now: the application is «enrolled»."
    assert admin.answers()[-1]["show_alert"] is True
    assert "❌ Reject" not in labels(card)  # the card as it is now
    for action in (CardAction.accept, CardAction.enroll, CardAction.enroll_yes):
        await admin.click_data(CardCb(action=action, id=1, code="22.02.08").pack(), card)
        assert admin.answers()[-1]["text"].startswith("Not possible now")
    assert await db.fetchval("SELECT status FROM applications") == "enrolled"
    assert await db.fetchval("SELECT count(*) FROM outbox") == outbox


async def test_enrolment_to_a_specialty_not_chosen_is_refused(
    admin: UserClient, english_user: UserClient, db: Database
) -> None:
    await applied_to(english_user, "22.02.08 · Metallurgy")
    card = await card_of(admin)
    [card] = await admin.click("✅ Accept documents", card)
    for action in (CardAction.enroll_to, CardAction.enroll_yes):
        replies = await admin.click_data(CardCb(action=action, id=1, code="13.02.07").pack(), card)
        assert replies == []
        assert admin.answers()[-1]["text"] == "The applicant has not chosen this specialty."
    assert await db.fetchval("SELECT status FROM applications") == "accepted"


async def test_an_administrator_cancels_a_decision_with_a_reason_audited_and_told(
    dp: Dispatcher, bot: Bot, admin: UserClient, english_user: UserClient, db: Database
) -> None:
    await applied_to(english_user, "22.02.08 · Metallurgy")
    card = await card_of(admin)
    [card] = await admin.click("✅ Accept documents", card)
    [confirm] = await admin.click("🎓 Enrol…", card)
    [card] = await admin.click("✅ Yes, enrol to 22.02.08", confirm)
    [prompt] = await admin.click("↩️ Cancel «enrolled»", card)
    assert "reason for cancelling «enrolled»" in prompt["text"]
    assert "goes back to «documents accepted»" in prompt["text"]
    [card] = await admin.send("Зачислен по ошибке: не та специальность")
    assert card["text"].startswith("Done: documents accepted.")
    assert "Enrolled to" not in card["text"]
    assert "🎓 Enrol…" in labels(card)  # enrolling is possible again
    assert not [label for label in labels(card) if label.startswith("↩️")]  # not twice
    assert await db.fetchval("SELECT enrolled_code FROM applications") is None
    undoes = await db.fetchval("SELECT undoes FROM status_history ORDER BY id DESC LIMIT 1")
    enrolled = await db.fetchval("SELECT id FROM status_history WHERE status = 'enrolled'")
    assert undoes == enrolled
    entries = [e for e in await StaffRepository(db).audit_log() if e.action.startswith("undo:")]
    assert [(e.actor_id, e.action, e.comment) for e in entries] == [
        (ADMIN, "undo:enrolled->accepted", "Зачислен по ошибке: не та специальность")
    ]
    english_user.session.clear()
    await sender_of(dp).drain(bot)
    texts = [c["text"] for c in english_user.session.of("sendMessage") if c["chat_id"] == 1002]
    assert any("your documents are accepted" in t and "не та специальность" in t for t in texts)


async def test_only_administrators_cancel_decisions(
    dp: Dispatcher, bot: Bot, admin: UserClient, english_user: UserClient, db: Database
) -> None:
    member = person(dp, bot, 2001)
    await join(admin, member, "all colleges")
    await applied_to(english_user, "22.02.08 · Metallurgy")
    card = await card_of(member)
    [card] = await member.click("✅ Accept documents", card)
    assert not [label for label in labels(card) if label.startswith("↩️")]
    assert await member.click_data(CardCb(action=CardAction.undo, id=1).pack(), card) == []
    assert member.answers()[-1]["text"] == "Only administrators can cancel a decision."
    assert await db.fetchval("SELECT status FROM applications") == "accepted"


async def test_the_card_tells_a_scan_from_the_original_in_the_right_gender(
    dp: Dispatcher, bot: Bot, db: Database
) -> None:
    applicant = UserClient(dp, bot, user_id=1003, language_code="en")
    review = await fill_form(applicant, specialties=("13.02.07 · Power supply",))
    await submit(applicant, review)
    admin = UserClient(dp, bot, user_id=ADMIN, language_code="ru")
    [panel] = await admin.send("/staff")
    await admin.click("🔎 Поиск", panel)
    [card] = await admin.send("1")
    # The form's certificate step took a photo; the medical one was put off («Later»).
    assert "Аттестат: скан загружен, оригинал не получен" in card["text"]
    assert "Медицинская справка: не получена" in card["text"]
    await db.execute(
        "INSERT INTO documents (application_id, kind, file_id, file_unique_id, content_type, "
        "added_at) VALUES (1, 'medical', 'm1', 'um1', 'photo', ?)",
        (T0.isoformat(),),
    )
    [card] = await admin.click("📜 Оригинал получен", card)
    assert "Оригинал аттестата: получен" in card["text"]
    assert "Медицинская справка: скан загружен, оригинал не получен" in card["text"]
    [card] = await admin.click("🩺 Справка получена", card)
    assert "Медицинская справка: получена" in card["text"]
    assert "🩺 Справка получена" not in labels(card)


async def test_the_medical_certificate_is_not_asked_where_no_specialty_needs_it(
    admin: UserClient, english_user: UserClient
) -> None:
    await applied_to(english_user, "22.02.08 · Metallurgy")
    card = await card_of(admin)
    assert "Medical certificate: not needed for the chosen specialties" in card["text"]
    assert "🩺 Medical received" not in labels(card)


# --- /cancel of the staff ---------------------------------------------------------------------


@pytest.mark.parametrize("dialogue", ["comment", "search", "broadcast", "none"])
async def test_staff_cancel_returns_to_the_staff_panel(
    admin: UserClient, english_user: UserClient, db: Database, dialogue: str
) -> None:
    await applied_to(english_user, "22.02.08 · Metallurgy")
    [panel] = await admin.send("/staff")
    if dialogue == "comment":
        card = await card_of(admin)
        await admin.click("❌ Reject", card)
    elif dialogue == "search":
        await admin.click("🔎 Search", panel)
    elif dialogue == "broadcast":
        await admin.click("📣 Broadcast", panel)
    [reply] = await admin.send("/cancel")
    first = "There is nothing to cancel." if dialogue == "none" else "Cancelled."
    assert reply["text"].startswith(first + "\n\n<b>Admission 2027: applications</b>")
    assert "📥 All applications" in labels(reply)
    assert "Hello!" not in reply["text"]  # not the applicants' welcome
    [after] = await admin.send("Поздно")  # the dialogue is over: no comment taken
    assert "Status" not in after["text"]
    assert await db.fetchval("SELECT status FROM applications") == "submitted"


async def test_an_applicants_cancel_still_returns_to_the_menu(english_user: UserClient) -> None:
    [reply] = await english_user.send("/cancel")
    assert "Hello!" in reply["text"]


async def test_the_time_of_an_original_received_is_kept(
    admin: UserClient, english_user: UserClient, db: Database, clock: FixedClock
) -> None:
    await applied_to(english_user, "22.02.08 · Metallurgy")
    card = await card_of(admin)
    await admin.click("📜 Original received", card)
    stamp = await db.fetchval("SELECT original_received_at FROM applications")
    assert datetime.fromisoformat(stamp) == clock.now()
