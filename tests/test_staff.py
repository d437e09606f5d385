"""Admission staff: access on every update, review actions with their notices, the
correction round trip, the audit log."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher

from bot.domain.applications import STAFF_EVENT_DELAY
from db.database import Database
from db.staff import StaffRepository
from handlers.callbacks import CardAction, CardCb, QueueAction, QueueCb
from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.helpers import open_card, sender_of

ACTIONS = (*QueueAction, *CardAction)  # every staff action: the queue's and the card's


async def test_staff_panel_counts_and_the_queue_opens_the_card(
    applied: UserClient, admin: UserClient
) -> None:
    [panel] = await admin.send("/staff")
    assert "submitted: 1" in panel["text"] and "Total: 1" in panel["text"]
    card = await open_card(admin)
    assert "Application M-2027-0001" in card["text"]
    assert "Иванова Анна Сергеевна" in card["text"]
    assert "Original certificate: scan uploaded, original not received" in card["text"]


@pytest.mark.parametrize("action", ACTIONS)
async def test_every_staff_action_as_a_non_staff_user_is_refused(
    applied: UserClient, db: Database, action: str
) -> None:
    before = await db.fetchval("SELECT count(*) FROM outbox")
    menu = applied.last_with_keyboard()
    data = (
        QueueCb(action=action, status="submitted")
        if action in QueueAction
        else CardCb(action=CardAction(action), id=1)
    ).pack()
    replies = await applied.click_data(data, menu)
    answer = applied.answers()[-1]
    assert answer["text"] == "No access." and answer["show_alert"] is True
    assert replies == []
    assert await db.fetchval("SELECT status FROM applications") == "submitted"
    assert await db.fetchval("SELECT count(*) FROM outbox") == before
    assert await db.fetchval("SELECT count(*) FROM audit_log") == 0


async def test_the_staff_command_as_a_non_staff_user_is_refused(applied: UserClient) -> None:
    [reply] = await applied.send("/staff")
    assert reply["text"] == "No access."


async def test_accepting_documents_notifies_the_applicant_and_is_audited(
    applied: UserClient, admin: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    card = await open_card(admin)
    [card] = await admin.click("✅ Accept documents", card)
    assert "Status: <b>documents accepted</b>" in card["text"]
    applied.session.clear()
    await sender_of(dp).drain(bot)
    notices = [c for c in applied.session.of("sendMessage") if c["chat_id"] == 1002]
    accepted = "Application M-2027-0001: your documents are accepted."
    assert any(accepted in n["text"] for n in notices)
    [entry] = await StaffRepository(db).audit_log("М-2027-0001")
    assert (entry.actor_id, entry.action) == (1, "status:accepted")


async def test_a_correction_round_trip(
    applied: UserClient,
    admin: UserClient,
    dp: Dispatcher,
    bot: Bot,
    db: Database,
    clock: FixedClock,
) -> None:
    card = await open_card(admin)
    [prompt] = await admin.click("✏️ Ask to correct", card)
    assert "type the comment" in prompt["text"]
    [card] = await admin.send("Фото паспорта <размыто>")
    assert "Status: <b>needs correction</b>" in card["text"]
    assert "Фото паспорта &lt;размыто&gt;" in card["text"]

    applied.session.clear()
    await sender_of(dp).drain(bot)
    [call] = [
        c for c in applied.session.calls
        if c.method == "sendMessage" and c.params["chat_id"] == 1002
    ]  # fmt: skip
    notice = {**call.params, "message_id": call.result["message_id"]}
    assert "asks you to correct it" in notice["text"] and "размыто" in notice["text"]

    [mine] = await applied.click("📄 My application", notice)
    # «What to correct» comes at the top, under the number and status, with the staff's comment.
    assert mine["text"].startswith(
        "<b>Application M-2027-0001</b>\nStatus: <b>needs correction</b>\n\n"
        "✏️ <b>What to correct</b>\nФото паспорта &lt;размыто&gt;\n"
    )
    [kinds] = await applied.click("📎 Add a document", mine)
    await applied.click("Passport (main page)", kinds)
    [received] = await applied.send_photo("sharp")
    [mine] = await applied.click("✅ Done", received)
    # A document added is not the end of the correction: the applicant says when it is done.
    assert "Status: <b>needs correction</b>" in mine["text"]
    assert "Changed so far:\n• Documents added: Passport (main page) (1 file)" in mine["text"]
    [edit] = await applied.click("✏️ Change answers", mine)
    [_phone_q] = await applied.click("✏️ Phone", edit)
    [_saved, review] = await applied.send("+7 913 555-00-22")
    [mine] = await applied.click("💾 Save changes", review)
    assert "Status: <b>needs correction</b>" in mine["text"]

    applied.session.clear()
    clock.current += STAFF_EVENT_DELAY
    await sender_of(dp).drain(bot)
    assert not [c for c in applied.session.of("sendMessage") if c["chat_id"] == 1]  # not yet

    [mine] = await applied.click("📤 Send for review", mine)
    assert "Status: <b>submitted</b>" in mine["text"] and "What to correct" not in mine["text"]
    assert "📤 Send for review" not in labels(mine)
    applied.session.clear()
    await sender_of(dp).drain(bot)
    [staff] = [c["text"] for c in applied.session.of("sendMessage") if c["chat_id"] == 1]
    assert staff == (
        "✏️ Application M-2027-0001: the applicant corrected it and sent it for review.\n"
        "• Phone: +7 913 123-45-67 → +7 913 555-00-22\n"
        "• Documents added: Passport (main page) (1 file)\n"
        "Status now: «submitted»."
    )
    assert await db.fetchval("SELECT status FROM applications") == "submitted"


async def test_reject_needs_a_reason_and_marks_are_notified(
    applied: UserClient, admin: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    card = await open_card(admin)
    [card] = await admin.click("📜 Original received", card)
    assert "Original certificate: received" in card["text"]
    await admin.click("❌ Reject", card)
    [hint] = await admin.send_sticker()
    assert "as text" in hint["text"]
    [card] = await admin.send("Поздно подано")
    assert "Status: <b>rejected</b>" in card["text"]
    applied.session.clear()
    await sender_of(dp).drain(bot)
    texts = [c["text"] for c in applied.session.of("sendMessage") if c["chat_id"] == 1002]
    assert any("received your original certificate" in t for t in texts)
    assert any("the application is rejected" in t and "Поздно подано" in t for t in texts)
    actions = [e.action for e in await StaffRepository(db).audit_log()]
    assert actions == ["original", "status:rejected"]


async def test_staff_get_the_documents_of_an_application(
    applied: UserClient, admin: UserClient
) -> None:
    card = await open_card(admin)
    admin.session.clear()
    await admin.click("📎 Documents", card)
    captions = [c["caption"] for c in admin.session.of("sendPhoto")]
    assert captions[0].startswith("M-2027-0001 · ")
    assert len(captions) == 3


async def test_a_comment_over_the_limit_in_utf16_units_is_refused_not_cut(
    applied: UserClient, admin: UserClient, db: Database
) -> None:
    from handlers.staff.card import COMMENT_MAX

    card = await open_card(admin)
    await admin.click("✏️ Ask to correct", card)
    # Fewer characters than the limit for Python, twice as many units for Telegram.
    [refusal] = await admin.send("📄" * (COMMENT_MAX // 2 + 1))
    assert f"too long: {COMMENT_MAX + 2} characters, at most {COMMENT_MAX}" in refusal["text"]
    assert await db.fetchval("SELECT status FROM applications") == "submitted"
    [card] = await admin.send("📄" * (COMMENT_MAX // 2))  # the dialogue goes on: fits
    assert "Status: <b>needs correction</b>" in card["text"]
    comment = await db.fetchval("SELECT comment FROM status_history ORDER BY id DESC LIMIT 1")
    assert comment == "📄" * (COMMENT_MAX // 2)


async def test_the_card_of_a_long_history_fits_one_message(
    applied: UserClient, admin: UserClient, db: Database
) -> None:
    from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length

    for n in range(12):
        await db.execute(
            "INSERT INTO status_history (application_id, status, changed_at, actor_id, comment) "
            "VALUES (1, 'needs_correction', ?, 1, ?)",
            (f"2026-11-{n + 10:02d}T05:00:00+00:00", f"{n:02d} " + "📄" * 249),
        )
    card = await open_card(admin)
    assert telegram_length(card["text"]) <= MESSAGE_LIMIT
    assert "earlier changes" in card["text"]
    assert "11 📄" in card["text"] and "00 📄" not in card["text"]  # the newest are shown
    [_prompt] = await admin.click("✏️ Ask to correct", card)
    [card] = await admin.send("📄" * 250)
    assert telegram_length(card["text"]) <= MESSAGE_LIMIT and card["text"].startswith("Done")
