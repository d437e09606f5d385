"""Caps and limits that keep repetition from flooding the staff or breaking screens: files per
document and per application (the database refuses too), withdrawals per day, staff notices of
one application joined, long histories and document lists shown a part at a time."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher

from bot.domain.applications import MAX_WITHDRAWALS, STAFF_EVENT_DELAY
from bot.domain.telegram_text import CAPTION_LIMIT, MESSAGE_LIMIT, telegram_length
from db.applications import (
    MAX_FILES_PER_APPLICATION,
    MAX_PAGES_PER_KIND,
    ApplicationRepository,
    DocumentLimitError,
    DocumentRef,
    Notice,
)
from db.database import Database
from handlers.callbacks import CardCb
from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.helpers import fill_form, sender_of, submit
from tests.recording import Call

KINDS = ("passport", "certificate", "photo", "medical", "parent_consent")
# The longest answers the form takes, and staff comments of the most characters (each emoji
# is two UTF-16 code units; «<» is escaped to «&lt;», which Telegram counts as one).
LONGEST_NAME = " ".join(["Щ" * 24] * 4)
LONGEST_EMAIL = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".ru"
LONGEST_COMMENT = "🔥<" * 250


def assert_within_telegram_limits(calls: list[Call]) -> None:
    """Every message as Telegram measures it: text ≤ 4096, caption ≤ 1024, alert ≤ 200."""
    for call in calls:
        if call.method in ("sendMessage", "editMessageText"):
            assert telegram_length(call.params["text"]) <= MESSAGE_LIMIT, call.params["text"]
        elif call.method in ("sendPhoto", "sendDocument"):
            assert telegram_length(call.params.get("caption", "")) <= CAPTION_LIMIT
        elif call.method == "answerCallbackQuery":
            assert len(call.params.get("text", "")) <= 200, call.params["text"]


async def test_repeating_everything_far_beyond_the_limits_keeps_every_screen_within_limits(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    applicant = english_user
    review = await fill_form(
        applicant,
        name=LONGEST_NAME,
        specialties=("22.02.08 · Metallurgy", "13.02.07 · Power supply", "15.01.05 · Welder"),
    )
    [_email] = await applicant.click("✏️ E-mail", review)
    [review] = await applicant.send(LONGEST_EMAIL)
    mine = await submit(applicant, review)
    repo = ApplicationRepository(db)
    application = await repo.for_user(1002)
    assert application is not None
    # A long campaign of staff requests with the longest comments, each answered.
    for _round in range(100):
        clock.current += timedelta(hours=1)
        await repo.set_status(
            application.id, "needs_correction", clock.now(), actor_id=1, comment=LONGEST_COMMENT
        )
        await repo.set_status(application.id, "submitted", clock.now())
    await sender_of(dp).drain(bot)

    # 60 cycles of withdraw and submit again, ten minutes apart.
    refused = 0
    for _cycle in range(60):
        clock.current += timedelta(minutes=10)
        [question] = await applicant.click("↩️ Withdraw", mine)
        if "Yes, withdraw" not in labels(question):  # refused: the application is shown
            refused += 1
            mine = question
            continue
        [mine] = await applicant.click("Yes, withdraw", question)
        [mine] = await applicant.click("🔁 Submit again", mine)
    assert refused == 60 - MAX_WITHDRAWALS

    # 300 files through «Add a document», 60 of each kind.
    for kind in KINDS:
        await applicant.click_data("ma:add_doc:", mine)
        await applicant.click_data(f"ma:kind:{kind}", mine)
        for page in range(60):
            await applicant.send_photo(f"{kind}-{page}")
        await applicant.click_data("ma:upload_done:", mine)
    counts = {
        r["kind"]: r["n"]
        for r in await db.fetchall("SELECT kind, count(*) AS n FROM documents GROUP BY kind")
    }
    assert sum(counts.values()) == MAX_FILES_PER_APPLICATION
    assert max(counts.values()) == MAX_PAGES_PER_KIND

    await repo.set_status(  # the latest comment is shown whole
        application.id, "needs_correction", clock.now(), actor_id=1, comment=LONGEST_COMMENT
    )
    [menu] = await applicant.send("/start")
    [mine] = await applicant.click("📄 My application", menu)
    assert "earlier changes" in mine["text"]
    assert "🔥&lt;" * 250 in mine["text"]  # the latest comment whole
    assert "Passport (main page): 10 files" in mine["text"]

    # The staff: the card, and the documents a page a press.
    admin = UserClient(dp, bot, user_id=1, language_code="en")
    [card] = await admin.click_data(CardCb(action="card", id=application.id).pack(), mine)
    assert "earlier changes" in card["text"] and "🔥&lt;" * 250 in card["text"]
    presses = 0
    screen = card
    before = len(admin.session.calls)
    while True:
        presses += 1
        start = len(admin.session.calls)
        await admin.click_data(CardCb(action="docs", id=application.id, page=presses - 1).pack(),
                               screen)  # fmt: skip
        sent = [c for c in admin.session.calls[start:] if c.method == "sendPhoto"]
        assert len(sent) <= 10
        [tail] = [c for c in admin.session.calls[start:] if c.method == "sendMessage"]
        if "📎 More" not in str(tail.params.get("reply_markup")):
            break
    assert presses == 3
    assert len([c for c in admin.session.calls[before:] if c.method == "sendPhoto"]) == 30

    # Everything the staff are owed, delivered: a bounded number of messages.
    start = len(applicant.session.calls)
    for _minute in range(10):
        clock.current += STAFF_EVENT_DELAY
        await sender_of(dp).drain(bot)
    to_staff = [c for c in applicant.session.calls[start:] if c.params.get("chat_id") == 1]
    # One per cycle at most, joined; and the 300 files added, joined into one list of changes.
    assert 1 <= len(to_staff) <= MAX_WITHDRAWALS + 1
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'staff_event'") <= 3
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE kind = 'staff_changes'") == 1

    calls = applicant.session.calls  # everything the bot sent in this test, to anyone
    assert len(calls) > 500
    assert_within_telegram_limits(calls)
    longest = max(telegram_length(c.params.get("text", "")) for c in calls)
    assert longest > 2000  # the worst case was reached, and it still fits


async def test_withdrawing_is_limited_and_the_answer_says_when_it_is_possible_again(
    english_user: UserClient, clock: FixedClock
) -> None:
    mine = await submit(english_user, await fill_form(english_user))
    for _cycle in range(MAX_WITHDRAWALS):
        clock.current += timedelta(minutes=1)
        [question] = await english_user.click("↩️ Withdraw", mine)
        [mine] = await english_user.click("Yes, withdraw", question)
        [mine] = await english_user.click("🔁 Submit again", mine)
    first = clock.current - timedelta(minutes=MAX_WITHDRAWALS - 1)
    [shown] = await english_user.click("↩️ Withdraw", mine)
    alert = english_user.answers()[-1]
    assert alert["show_alert"] and "3 times in 24 hours" in alert["text"]
    again = (first + timedelta(hours=24)).astimezone(clock.tz)
    assert f"after {again:%H:%M}" in alert["text"] and "27 November 2026" in alert["text"]
    assert "Status: <b>submitted</b>" in shown["text"]
    # An old confirmation does not get around it.
    await english_user.click_data("ma:withdraw_yes:", shown)
    assert "24 hours" in english_user.answers()[-1]["text"]
    clock.current = first + timedelta(hours=24, minutes=1)
    [question] = await english_user.click("↩️ Withdraw", shown)
    [mine] = await english_user.click("Yes, withdraw", question)
    assert "Status: <b>withdrawn</b>" in mine["text"]


async def test_a_change_after_the_staff_notice_went_out_gets_a_notice_of_its_own(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    await submit(english_user, await fill_form(english_user))
    await sender_of(dp).drain(bot)  # the post of the new application
    repo = ApplicationRepository(db)
    application = await repo.for_user(1002)
    assert application is not None

    def event(name: str) -> Notice:
        key = "staff-event:{application_id}:{history_id}:1"
        return Notice(1, "staff_event", key, {"event": name}, STAFF_EVENT_DELAY, merge=True)

    await repo.set_status(application.id, "withdrawn", clock.now(), notices=[event("withdrawn")])
    clock.current += STAFF_EVENT_DELAY  # due now: the sender may be sending it
    await repo.set_status(application.id, "submitted", clock.now(), notices=[event("resubmitted")])
    rows = await db.fetchall("SELECT payload FROM outbox WHERE kind = 'staff_event' ORDER BY id")
    assert len(rows) == 2  # not joined to one that may be on its way already
    english_user.session.clear()
    clock.current += STAFF_EVENT_DELAY
    await sender_of(dp).drain(bot)
    texts = [c["text"] for c in english_user.session.of("sendMessage") if c["chat_id"] == 1]
    assert len(texts) == 2 and "withdrawn" not in texts[1] and "отозвано" not in texts[1]


async def test_the_new_application_post_sends_one_page_of_files(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    review = await fill_form(english_user)
    repo = ApplicationRepository(db)
    await submit(english_user, review)
    application = await repo.for_user(1002)
    assert application is not None
    await db.execute("UPDATE outbox SET status = 'sent'")
    extra = [DocumentRef("photo", f"f{i}", f"u{i}", "photo") for i in range(7)]
    await repo.add_documents(application.id, extra, clock.now())
    extra = [DocumentRef("certificate", f"c{i}", f"uc{i}", "photo") for i in range(9)]
    await repo.add_documents(application.id, extra, clock.now())
    await db.execute("UPDATE outbox SET status = 'pending'")
    english_user.session.clear()
    await sender_of(dp).drain(bot)
    assert len(english_user.session.of("sendPhoto")) == 10
    [post] = english_user.session.of("sendMessage")
    assert "📎 Ещё 9 файлов: «📎 Документы» в карточке заявления" in post["text"]


# --- the database refuses too ------------------------------------------------------------------


async def test_the_repository_refuses_files_past_a_cap_and_adds_none_of_them(
    english_user: UserClient, db: Database, clock: FixedClock
) -> None:
    await submit(english_user, await fill_form(english_user))  # a file of each required kind
    repo = ApplicationRepository(db)
    application = await repo.for_user(1002)
    assert application is not None
    pages = [DocumentRef("passport", f"p{i}", f"up{i}", "photo") for i in range(10)]
    with pytest.raises(DocumentLimitError):
        await repo.add_documents(application.id, pages, clock.now())
    assert await db.fetchval("SELECT count(*) FROM documents") == 3
    await repo.add_documents(application.id, pages[:9], clock.now())
    await repo.add_documents(application.id, pages[:9], clock.now())  # the same: skipped
    assert await db.fetchval("SELECT count(*) FROM documents WHERE kind = 'passport'") == 10
    for kind in ("certificate", "photo"):
        more = [DocumentRef(kind, f"{kind}{i}", f"u{kind}{i}", "photo") for i in range(9)]
        await repo.add_documents(application.id, more, clock.now())
    with pytest.raises(DocumentLimitError) as refused:
        await repo.add_documents(
            application.id, [DocumentRef("medical", "m", "um", "photo")], clock.now()
        )
    assert refused.value.kind is None  # the cap on all files
    assert await db.fetchval("SELECT count(*) FROM documents") == MAX_FILES_PER_APPLICATION


async def test_the_database_itself_refuses_files_past_the_caps(
    english_user: UserClient, db: Database
) -> None:
    await submit(english_user, await fill_form(english_user))
    application_id = await db.fetchval("SELECT id FROM applications")

    async def insert(kind: str, unique: str) -> None:
        await db.execute(
            "INSERT INTO documents (application_id, kind, file_id, file_unique_id, content_type,"
            " added_at) VALUES (?, ?, ?, ?, 'photo', '2026-11-26')",
            (application_id, kind, unique, unique),
        )

    for i in range(MAX_PAGES_PER_KIND - 1):
        await insert("passport", f"p{i}")
    with pytest.raises(sqlite3.IntegrityError, match="document cap"):
        await insert("passport", "one-too-many")
    for kind in ("certificate", "photo"):
        for i in range(MAX_PAGES_PER_KIND - 1):
            await insert(kind, f"{kind}{i}")
    with pytest.raises(sqlite3.IntegrityError, match="document cap"):
        await insert("medical", "thirty-first")
    assert await db.fetchval("SELECT count(*) FROM documents") == MAX_FILES_PER_APPLICATION


async def test_the_database_caps_are_the_ones_the_code_uses(db: Database) -> None:
    rows = await db.fetchall("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    triggers = {r["name"]: r["sql"] for r in rows}
    assert f">= {MAX_PAGES_PER_KIND}\n" in triggers["documents_cap_per_kind"]
    assert f">= {MAX_FILES_PER_APPLICATION}\n" in triggers["documents_cap_total"]


def test_telegram_length_counts_like_telegram() -> None:
    assert telegram_length("<b>a&lt;b</b>") == 3
    assert telegram_length("🔥") == 2
    assert telegram_length("Щ\n<i>x</i>") == 3
