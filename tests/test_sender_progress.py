"""The sender's promises about one outbox row, checked on what reaches Telegram.

A row of several parts (the staff post: the summary, then each document) resumes after the
last part Telegram accepted, also in a new process; a 429 keeps the row back for the whole
``retry_after`` and pauses every chat; 5xx and timeouts are retried with a growing delay and
given up after ``max_attempts`` (8) attempts; a 400 fails at once; a 403 blocks the chat.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument, SendMessage, SendPhoto, TelegramMethod

from bot.delivery.sender import OutboxSender
from db.database import Database
from db.outbox import OutboxMessage, OutboxRepository, enqueue
from db.users import UserRepository
from tests.client import UserClient
from tests.conftest import FixedClock
from tests.helpers import fill_form, submit
from tests.recording import RecordingSession

CHAT = 501


class InstantPacer:
    """Hands out slots at once and records the pauses it is told of (a real pacer would sleep
    through them; the test moves the clock instead)."""

    def __init__(self) -> None:
        self.private_interval = 0.0
        self.group_interval = 0.0
        self.pauses: list[float] = []

    async def acquire(self, chat_id: int | None = None) -> float:
        return 0.0

    async def finished(self, chat_id: int) -> None:
        return None

    async def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)

    async def aclose(self) -> None:
        return None


async def render_post(message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
    """A summary and two documents, like the staff post of an application."""
    return [
        SendMessage(chat_id=message.chat_id, text="summary"),
        SendPhoto(chat_id=message.chat_id, photo="page-1"),
        SendDocument(chat_id=message.chat_id, document="page-2"),
    ]


async def render_one(message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
    return [SendMessage(chat_id=message.chat_id, text="notice")]


@pytest.fixture
def session(bot: Bot) -> RecordingSession:
    recording = bot.session
    assert isinstance(recording, RecordingSession)
    return recording


def new_sender(db: Database, clock: FixedClock, render: Any = render_post) -> OutboxSender:
    """A sender as a freshly started process has it: nothing in memory but the database."""
    return OutboxSender(
        OutboxRepository(db), UserRepository(db), render, clock, pacer=InstantPacer()
    )


async def queue(
    db: Database, clock: FixedClock, key: str = "post:1", later: timedelta = timedelta(0)
) -> None:
    async with db.transaction() as conn:
        await enqueue(
            conn, dedup_key=key, chat_id=CHAT, kind="staff_application", payload={},
            due_at=clock.now() + later, now=clock.now(),
        )  # fmt: skip


def delivered(session: RecordingSession) -> list[str]:
    """What Telegram accepted, in order: texts and photos."""
    return [
        c.params.get("text") or c.params.get("photo") or c.params.get("document")
        for c in session.calls
        if c.result is not None and c.method in ("sendMessage", "sendPhoto", "sendDocument")
    ]


async def row(db: Database, key: str = "post:1") -> dict[str, Any]:
    found = await OutboxRepository(db).get(key)
    assert found is not None
    return found


# --- parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "description", "retry_after"),
    [(502, "Bad Gateway", None), (429, "Too Many Requests: retry after 5", 5)],
)
async def test_a_multi_part_row_resumes_after_the_last_part_telegram_accepted(
    db: Database,
    clock: FixedClock,
    bot: Bot,
    session: RecordingSession,
    status: int,
    description: str,
    retry_after: int | None,
) -> None:
    await queue(db, clock)
    session.fail_next("sendPhoto", status, description, retry_after=retry_after)
    await new_sender(db, clock).drain(bot)
    assert delivered(session) == ["summary"]
    assert (await row(db))["status"] == "pending"

    # Later, in a new process: the summary is not posted a second time.
    clock.current += timedelta(minutes=1)
    assert await new_sender(db, clock).drain(bot) == 1
    assert delivered(session) == ["summary", "page-1", "page-2"]
    assert (await row(db))["status"] == "sent"


async def test_a_row_failing_on_its_last_part_resends_only_that_part(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession
) -> None:
    await queue(db, clock)
    session.fail_network_next("sendDocument")
    await new_sender(db, clock).drain(bot)
    assert delivered(session) == ["summary", "page-1"]
    clock.current += timedelta(minutes=1)
    await new_sender(db, clock).drain(bot)
    assert delivered(session) == ["summary", "page-1", "page-2"]


async def test_a_part_refused_as_a_bad_request_ends_the_row_without_the_rest(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession
) -> None:
    await queue(db, clock)
    session.fail_next("sendPhoto", 400, "Bad Request: wrong file identifier")
    await new_sender(db, clock).drain(bot)
    assert delivered(session) == ["summary"]
    stored = await row(db)
    assert stored["status"] == "failed" and "wrong file identifier" in stored["last_error"]
    clock.current += timedelta(days=1)
    assert await new_sender(db, clock).drain(bot) == 0
    assert delivered(session) == ["summary"]


# --- 429: retry_after ------------------------------------------------------------------------


async def test_after_a_429_nothing_is_sent_before_retry_after_and_every_chat_pauses(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession
) -> None:
    await queue(db, clock, "n:1")
    session.fail_next("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    sender = new_sender(db, clock, render_one)
    await sender.drain(bot)
    assert isinstance(sender.pacer, InstantPacer) and sender.pacer.pauses == [30]
    assert "Too Many Requests" in (await row(db, "n:1"))["last_error"]
    start = clock.current
    tried = len(session.calls)
    for seconds in (1, 2, 10, 29):
        clock.current = start + timedelta(seconds=seconds)
        assert await new_sender(db, clock, render_one).drain(bot) == 0, seconds
    assert len(session.calls) == tried  # not even tried again
    assert (await row(db, "n:1"))["status"] == "pending"
    clock.current = start + timedelta(seconds=30)
    assert await new_sender(db, clock, render_one).drain(bot) == 1
    assert delivered(session) == ["notice"]
    stored = await row(db, "n:1")
    assert stored["status"] == "sent" and stored["last_error"] is None


# --- 5xx and timeouts: backoff, then give up ----------------------------------------------------


async def test_server_errors_are_retried_with_a_growing_delay_and_given_up_after_8_attempts(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession
) -> None:
    await queue(db, clock, "n:1")
    sender = new_sender(db, clock, render_one)
    assert sender.max_attempts == 8
    delays = []
    for attempt in range(1, 9):
        session.fail_next("sendMessage", 502, "Bad Gateway")
        before = clock.current
        assert await sender.drain(bot) == 1
        stored = await row(db, "n:1")
        assert stored["attempts"] == attempt and "Bad Gateway" in stored["last_error"]
        if attempt < 8:
            assert stored["status"] == "pending", attempt
            due = await OutboxRepository(db).next_due_at()
            assert due is not None
            delays.append(round((due - before).total_seconds()))
            # Not a moment earlier.
            clock.current = due - timedelta(seconds=1)
            assert await sender.drain(bot) == 0
            clock.current = due
    assert delays == [2, 4, 8, 16, 32, 64, 128]
    assert (await row(db, "n:1"))["status"] == "failed"
    assert delivered(session) == []
    clock.current += timedelta(days=1)
    assert await sender.drain(bot) == 0  # given up: never sent later


async def test_the_retry_delay_is_capped_at_ten_minutes(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession
) -> None:
    await queue(db, clock, "n:1")
    sender = new_sender(db, clock, render_one)
    sender.max_attempts = 20
    await db.execute("UPDATE outbox SET attempts = 11")  # ten failures already
    session.fail_next("sendMessage", 503, "Service Unavailable")
    await sender.drain(bot)
    due = await OutboxRepository(db).next_due_at()
    assert due is not None and due - clock.current == timedelta(seconds=600)


async def test_a_bad_request_fails_at_once_without_retries(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession
) -> None:
    await queue(db, clock, "n:1")
    session.fail_next("sendMessage", 400, "Bad Request: can't parse entities")
    await new_sender(db, clock, render_one).drain(bot)
    stored = await row(db, "n:1")
    assert (stored["status"], stored["attempts"]) == ("failed", 1)
    assert "can't parse entities" in stored["last_error"]


async def test_a_chat_that_blocked_the_bot_gets_none_of_its_pending_rows(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession
) -> None:
    users = UserRepository(db)
    await users.touch(CHAT, "ru", clock.now())
    await queue(db, clock, "n:1")
    await queue(db, clock, "n:2", later=timedelta(hours=1))
    session.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await new_sender(db, clock, render_one).drain(bot)
    assert [(await row(db, k))["status"] for k in ("n:1", "n:2")] == ["blocked", "blocked"]
    clock.current += timedelta(hours=2)
    assert await new_sender(db, clock, render_one).drain(bot) == 0
    assert len(session.of("sendMessage")) == 1
    user = await users.get(CHAT)
    assert user is not None and user.unreachable


async def test_the_staff_post_of_an_application_is_not_repeated_after_a_failed_document(
    dp: Dispatcher, bot: Bot, english_user: UserClient, clock: FixedClock, session: RecordingSession
) -> None:
    await submit(english_user, await fill_form(english_user))
    sender: OutboxSender = dp["sender"]
    sender.pacer = InstantPacer()
    session.clear()
    session.fail_next("sendPhoto", 502, "Bad Gateway")  # the first document
    await sender.drain(bot)
    clock.current += timedelta(minutes=1)
    await sender.drain(bot)
    to_staff = [(c.method, c.params.get("caption", "")) for c in session.calls if c.result]
    assert [m for m, _ in to_staff] == ["sendMessage", "sendPhoto", "sendPhoto", "sendPhoto"]
    assert [caption.split(" · ")[1] for _, caption in to_staff[1:]] == [
        "Паспорт (главный разворот)",
        "Аттестат с приложением (оценки)",
        "Фотография",
    ]


# --- what is not sent, and when ------------------------------------------------------------------


async def queue_kind(
    db: Database, clock: FixedClock, key: str, kind: str, payload: dict[str, Any], chat: int = CHAT
) -> None:
    async with db.transaction() as conn:
        await enqueue(
            conn, dedup_key=key, chat_id=chat, kind=kind, payload=payload,
            due_at=clock.now(), now=clock.now(),
        )  # fmt: skip


@pytest.mark.parametrize(("late", "sent"), [(-1, True), (0, False), (1, False)])
async def test_a_row_past_its_expiry_is_dropped_unsent(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession, late: int, sent: bool
) -> None:
    expires = clock.now() + timedelta(seconds=late * -1)
    await queue_kind(db, clock, "r:1", "reminder", {"expires_at": expires.isoformat()})
    clock.current = expires + timedelta(seconds=late)
    assert await new_sender(db, clock, render_one).drain(bot) == 1
    stored = await row(db, "r:1")
    if sent:
        assert delivered(session) == ["notice"] and stored["status"] == "sent"
    else:
        assert delivered(session) == [] and session.calls == []
        assert (stored["status"], stored["last_error"]) == ("dropped", "deadline passed")


async def test_at_night_reminders_and_broadcasts_wait_for_the_morning_and_answers_do_not(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession
) -> None:
    from zoneinfo import ZoneInfo

    from bot.delivery.sender import QuietHours

    tz = ZoneInfo("Asia/Krasnoyarsk")
    clock.current = datetime(2027, 8, 10, 23, 30, tzinfo=tz)
    for kind in ("reminder", "broadcast", "status"):
        await queue_kind(db, clock, kind, kind, {})
    sender = OutboxSender(
        OutboxRepository(db), UserRepository(db), render_one, clock,
        pacer=InstantPacer(), quiet_hours=QuietHours(tz),
    )  # fmt: skip
    assert await sender.drain(bot) == 3
    assert len(delivered(session)) == 1
    assert (await row(db, "status"))["status"] == "sent"
    morning = datetime(2027, 8, 11, 8, tzinfo=tz)
    for kind in ("reminder", "broadcast"):
        stored = await row(db, kind)
        assert stored["status"] == "pending" and stored["attempts"] == 0  # not an attempt
        assert datetime.fromisoformat(stored["due_at"]) == morning
    clock.current = morning
    assert await sender.drain(bot) == 2
    assert len(delivered(session)) == 3


async def test_a_row_that_cannot_be_rendered_fails_and_one_whose_subject_is_gone_is_dropped(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession
) -> None:
    async def render(message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
        if message.kind == "broken":
            raise KeyError("event_day")
        return None

    await queue_kind(db, clock, "broken", "broken", {})
    await queue_kind(db, clock, "gone", "status", {})
    assert await new_sender(db, clock, render).drain(bot) == 2
    assert session.calls == []
    broken, gone = await row(db, "broken"), await row(db, "gone")
    assert (broken["status"], broken["last_error"]) == ("failed", "render: KeyError('event_day')")
    assert (gone["status"], gone["last_error"]) == ("dropped", None)


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_every_due_row_is_sent_in_order_per_chat_over_several_batches(
    db: Database, clock: FixedClock, bot: Bot, session: RecordingSession, concurrency: int
) -> None:
    async def render(message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
        return [SendMessage(chat_id=message.chat_id, text=message.dedup_key)]

    chats = (501, 502, 503)
    for n in range(70):  # 210 rows: more than two batches of 100
        for chat in chats:
            await queue_kind(db, clock, f"{chat}:{n:03d}", "status", {}, chat=chat)
    sender = new_sender(db, clock, render)
    sender.concurrency = concurrency
    assert await sender.drain(bot) == 210
    for chat in chats:
        texts = [c.params["text"] for c in session.calls if c.params["chat_id"] == chat]
        assert texts == [f"{chat}:{n:03d}" for n in range(70)]
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE status = 'sent'") == 210


def test_a_sender_without_a_pacer_paces_by_telegrams_limits(
    db: Database, clock: FixedClock
) -> None:
    from bot.delivery.pacing import GROUP_CHAT_INTERVAL, PRIVATE_CHAT_INTERVAL, LocalPacer

    sender = OutboxSender(
        OutboxRepository(db), UserRepository(db), render_one, clock, send_rate=20, concurrency=0
    )
    assert isinstance(sender.pacer, LocalPacer) and sender.pacer.rate == 20
    assert (sender.private_interval, sender.group_interval) == (
        PRIVATE_CHAT_INTERVAL,
        GROUP_CHAT_INTERVAL,
    )
    assert sender.concurrency == 1  # at least one request in flight
    assert sender.quiet_hours is None and not sender.running
