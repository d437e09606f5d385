"""Each staff action on an application card does exactly its own thing.

«Medical received» marks the medical certificate and nothing else, «Original received» the
original and nothing else; each status action sets its status with the staff member and the
comment in the history (enrolment after the documents are accepted, to one of the applicant's
specialties, confirmed); the applicant is told what happened (in their language), sees it in
the history of «My application», and the audit log names the action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiogram import Bot, Dispatcher

from db.database import Database
from db.staff import StaffRepository
from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.helpers import open_card, person, sender_of


@dataclass(frozen=True)
class Action:
    button: str
    comment: str | None
    status: str
    original: int
    medical: int
    card_status: str
    notice: str
    audit: str


ACTIONS = [
    Action("✅ Accept documents", None, "accepted", 0, 0, "documents accepted",
           "your documents are accepted", "status:accepted"),
    Action("🎓 Enrol…", None, "enrolled", 0, 0, "enrolled",
           "Congratulations! You are enrolled.", "status:enrolled"),
    Action("✏️ Ask to correct", "Фото <нечёткое>", "needs_correction", 0, 0, "needs correction",
           "asks you to correct it", "status:needs_correction"),
    Action("❌ Reject", "Поздно подано", "rejected", 0, 0, "rejected",
           "the application is rejected", "status:rejected"),
    Action("📜 Original received", None, "submitted", 1, 0, "submitted",
           "the college has received your original certificate", "original"),
    Action("🩺 Medical received", None, "submitted", 0, 1, "submitted",
           "the college has received your medical certificate", "medical"),
]  # fmt: skip


@pytest.fixture
async def applicant(dp: Dispatcher, bot: Bot) -> UserClient:
    from tests.helpers import fill_form, submit

    user = person(dp, bot, 3001)
    await submit(user, await fill_form(user, specialties=("13.02.07 · Power supply",)))
    await sender_of(dp).drain(bot)  # the staff post
    return user


async def act(admin: UserClient, action: Action) -> dict[str, Any]:
    card = await open_card(admin)
    if action.status == "enrolled":  # documents accepted first; the one specialty, confirmed
        [card] = await admin.click("✅ Accept documents", card)
        [confirm] = await admin.click(action.button, card)
        return (await admin.click("✅ Yes, enrol to 13.02.07", confirm))[-1]
    replies = await admin.click(action.button, card)
    if action.comment is not None:
        assert "type the comment" in replies[-1]["text"]
        replies = await admin.send(action.comment)
    return replies[-1]


@pytest.mark.parametrize("action", ACTIONS, ids=[a.audit for a in ACTIONS])
async def test_each_card_action_changes_exactly_its_own_field(
    dp: Dispatcher, bot: Bot, db: Database, applicant: UserClient, action: Action
) -> None:
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    card = await act(admin, action)
    row = await db.fetchone("SELECT status, original_received, medical_received FROM applications")
    assert (row["status"], row["original_received"], row["medical_received"]) == (
        action.status,
        action.original,
        action.medical,
    )
    assert f"Status: <b>{action.card_status}</b>" in card["text"]
    # The applicant uploaded a scan of the certificate only; the card tells a scan from the
    # paper received.
    original = "received" if action.original else "scan uploaded, original not received"
    medical = "received" if action.medical else "not received"
    assert f"Original certificate: {original}\n" in card["text"], card["text"]
    assert f"Medical certificate: {medical}\n" in card["text"], card["text"]

    applicant.session.clear()
    await sender_of(dp).drain(bot)
    # The last notice is the action's (an enrolment follows the acceptance of the documents).
    notice = [c for c in applicant.session.of("sendMessage") if c["chat_id"] == 3001][-1]
    assert action.notice in notice["text"], notice["text"]
    assert "M-2027-0001" in notice["text"]  # a Latin M in English
    if action.comment:
        assert action.comment.replace("<", "&lt;").replace(">", "&gt;") in notice["text"]
    assert labels(notice) == ["📄 My application"]

    entry = (await StaffRepository(db).audit_log("М-2027-0001"))[-1]  # the action's, last
    assert (entry.actor_id, entry.action) == (1, action.audit)
    if action.status == "enrolled":
        assert entry.comment == "13.02.07"  # the specialty enrolled to
    else:
        assert entry.comment == action.comment


@pytest.mark.parametrize(
    "action", [a for a in ACTIONS if a.audit.startswith("status:")], ids=lambda a: a.audit
)
async def test_a_status_change_is_kept_in_the_history_with_who_and_why(
    dp: Dispatcher, bot: Bot, db: Database, applicant: UserClient, action: Action
) -> None:
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    await act(admin, action)
    history = await db.fetchall("SELECT status, actor_id, comment FROM status_history ORDER BY id")
    accepted = [("accepted", 1, None)] if action.status == "enrolled" else []
    assert [tuple(h) for h in history] == [
        ("submitted", None, None),
        *accepted,
        (action.status, 1, action.comment),
    ]
    [menu] = await applicant.send("/start")
    [mine] = await applicant.click("📄 My application", menu)
    lines = mine["text"].split("<b>History</b>\n", 1)[1].splitlines()
    assert len(lines) == 2 + len(accepted) and lines[0].endswith("— submitted")
    expected = f"— {action.card_status}"
    if action.comment:
        expected += ": " + action.comment.replace("<", "&lt;").replace(">", "&gt;")
    assert lines[-1].endswith(expected), lines


async def test_marks_are_told_once_even_if_pressed_twice(
    dp: Dispatcher, bot: Bot, db: Database, applicant: UserClient, clock: FixedClock
) -> None:
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    first = await open_card(admin)
    [card] = await admin.click("🩺 Medical received", first)
    assert "🩺 Medical received" not in labels(card)  # marked: the button goes
    clock.current += timedelta(minutes=1)
    await admin.click("🩺 Medical received", first)  # the old card's button pressed again
    [card] = await admin.click("📜 Original received", await open_card(admin))
    applicant.session.clear()
    await sender_of(dp).drain(bot)
    texts = [c["text"] for c in applicant.session.of("sendMessage") if c["chat_id"] == 3001]
    assert len(texts) == 2
    assert sum("medical certificate" in t for t in texts) == 1
    assert sum("original certificate" in t for t in texts) == 1
    row = await db.fetchone("SELECT original_received, medical_received FROM applications")
    assert tuple(row) == (1, 1)
