"""The sender: delivers what the outbox holds, paced, retried, and never silently lost.

Each outbox row renders to one or more Bot API calls (e.g. an application's summary and its
documents for the staff). Delivery is at least once: a row is marked sent after Telegram
accepted it, so a crash in between may send that one row again, and never loses it.

A call Telegram accepted is never made again by the same process: when the database cannot
record it (locked by another connection, disk full), the fact stays in memory and only the
write is tried again, on the next pass, before anything else is sent for that row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from datetime import time as day_time
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod

from bot.clock import Clock
from bot.delivery.pacing import (
    GROUP_CHAT_INTERVAL,
    PRIVATE_CHAT_INTERVAL,
    LocalPacer,
    Pacer,
    already_paced,
)
from db.outbox import OutboxMessage, OutboxRepository
from db.reminders import STUDENT_NEWS
from db.staff_posts import DELETE_POST
from db.users import UserRepository

log = logging.getLogger(__name__)

# Renders a row into the calls to make; None when its subject is gone (e.g. data deleted).
Renderer = Callable[[OutboxMessage], Awaitable[list[TelegramMethod[Any]] | None]]
# Told of each call Telegram accepted, with its result (the ids of posts in staff chats).
Delivered = Callable[[OutboxMessage, Any], Awaitable[None]]

# A refusal of these is an answer, not a failure: e.g. deleting a post that is too old
# (48 hours) or that the staff already deleted.
REFUSAL_IS_FINAL = frozenset({DELETE_POST})

# Messages nobody is waiting for at night: they wait for the morning (a student's news of
# the staff's load too). Answers to what the user did (status changes, answers to questions)
# go out at once.
QUIET_KINDS = frozenset({"reminder", "event_reminder", "broadcast", *STUDENT_NEWS})


class QuietHours:
    """No reminders between ``start`` and ``end`` o'clock local time (22:00–08:00)."""

    def __init__(self, tz: ZoneInfo, start: int = 22, end: int = 8) -> None:
        self.tz = tz
        self.start = start
        self.end = end

    def resume_at(self, now: datetime) -> datetime | None:
        """``None`` if a reminder may go out now, else the instant the quiet hours end."""
        local = now.astimezone(self.tz)
        if self.end <= local.hour < self.start:
            return None
        day = local.date() if local.hour < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, day_time(self.end), self.tz)


class OutboxSender:
    def __init__(
        self,
        outbox: OutboxRepository,
        users: UserRepository,
        render: Renderer,
        clock: Clock,
        *,
        max_attempts: int = 8,
        poll_seconds: float = 1.0,
        private_interval: float = PRIVATE_CHAT_INTERVAL,
        group_interval: float = GROUP_CHAT_INTERVAL,
        send_rate: float = 25,
        quiet_hours: QuietHours | None = None,
        concurrency: int = 1,
        pacer: Pacer | None = None,
        on_delivered: Delivered | None = None,
    ) -> None:
        self.outbox = outbox
        self.users = users
        self.render = render
        self.clock = clock
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.send_rate = send_rate
        # Telegram allows about 30 messages a second per bot: stay under it, for all chats,
        # evenly spaced (one every 1/send_rate s), never in a burst; one message a second to a
        # person, 20 a minute to a group; after a 429 every chat waits. A RedisPacer shares
        # this budget with the other processes (their replies to users); a given pacer brings
        # its own rate and intervals.
        self.pacer: Pacer = pacer or LocalPacer(send_rate, private_interval, group_interval)
        # Requests in flight at once. 1 keeps the crash guarantee at "the one message in
        # flight may be sent twice"; more is faster on a slow link and may repeat that many.
        self.concurrency = max(1, concurrency)
        self.quiet_hours = quiet_hours
        self.on_delivered = on_delivered
        # Row id -> (calls Telegram accepted, calls of the row) whose record in the database
        # failed: kept until the write succeeds, so that no retry sends them again.
        self._unrecorded: dict[int, tuple[int, int]] = {}
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def private_interval(self) -> float:
        return self.pacer.private_interval

    @private_interval.setter
    def private_interval(self, seconds: float) -> None:
        self.pacer.private_interval = seconds

    @property
    def group_interval(self) -> float:
        return self.pacer.group_interval

    @group_interval.setter
    def group_interval(self, seconds: float) -> None:
        self.pacer.group_interval = seconds

    # --- running in the background ---------------------------------------------------

    def start(self, bot: Bot) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(bot), name="outbox-sender")

    async def stop(self, grace_seconds: float = 20) -> None:
        """Finish the message in hand (bounded), then stop."""
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, grace_seconds)
            except TimeoutError:
                log.warning("sender did not stop in %s s; cancelled", grace_seconds)
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self, bot: Bot) -> None:
        while not self._stopping.is_set():
            try:
                await self.drain(bot)
            except Exception:
                log.exception("sender loop failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)

    # --- one pass --------------------------------------------------------------------

    async def drain(self, bot: Bot) -> int:
        """Deliver every row due now; return how many rows were handled."""
        handled = 0
        while not self._stopping.is_set():
            batch = await self.outbox.due(self.clock.now(), limit=100)
            if not batch:
                return handled
            if self.concurrency == 1:
                for message in batch:
                    if self._stopping.is_set():
                        return handled
                    await self.deliver(bot, message)
                    handled += 1
                continue
            # One chat's messages stay in order; different chats go side by side.
            by_chat: dict[int, list[OutboxMessage]] = {}
            for message in batch:
                by_chat.setdefault(message.chat_id, []).append(message)
            slots = asyncio.Semaphore(self.concurrency)
            runs = (self._deliver_in_order(bot, m, slots) for m in by_chat.values())
            # Every run ends before the next pass reads the outbox again: a failed one must not
            # leave the others sending while their rows are read as still pending.
            results = await asyncio.gather(*runs, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            handled += sum(r for r in results if isinstance(r, int))
        return handled

    async def _deliver_in_order(
        self, bot: Bot, messages: list[OutboxMessage], slots: asyncio.Semaphore
    ) -> int:
        done = 0
        async with slots:
            for message in messages:
                if self._stopping.is_set():
                    break
                await self.deliver(bot, message)
                done += 1
        return done

    async def deliver(self, bot: Bot, message: OutboxMessage) -> None:
        resume = 0
        if message.id in self._unrecorded:
            # Telegram accepted calls of this row that the database did not record: that write
            # first (a failure raises again), and never those calls again.
            resume, total = self._unrecorded[message.id]
            if await self._record(message, resume, total):
                return
        now = self.clock.now()
        expires_at = message.payload.get("expires_at")
        if expires_at and now >= datetime.fromisoformat(expires_at):
            log.info(
                "outbox row %s (%s) to chat %s dropped: its deadline passed at %s",
                message.id,
                message.kind,
                message.chat_id,
                expires_at,
            )
            await self.outbox.finish(message.id, "dropped", "deadline passed")
            return
        if self.quiet_hours is not None and message.kind in QUIET_KINDS:
            resume_at = self.quiet_hours.resume_at(now)
            if resume_at is not None:
                await self.outbox.postpone(message.id, resume_at)
                return
        try:
            calls = await self.render(message)
        except Exception as exc:
            log.exception("cannot render outbox row %s (%s)", message.id, message.kind)
            await self.outbox.finish(message.id, "failed", f"render: {exc!r}")
            return
        if calls is None:
            log.info("outbox row %s (%s) dropped: its subject is gone", message.id, message.kind)
            await self.outbox.finish(message.id, "dropped", None)
            return
        part = max(int(message.payload.get("part", 0)), resume)
        if part >= len(calls):  # nothing (left) to send
            await self._record(message, len(calls), len(calls))
            return
        for index in range(part, len(calls)):
            await self.pacer.acquire(message.chat_id)
            try:
                with already_paced():  # the bot's PacingMiddleware must not take a 2nd slot
                    result = await bot(calls[index])
            except TelegramRetryAfter as exc:
                await self._tell_pacer(self.pacer.pause(exc.retry_after))
                log.warning("429 from Telegram: every chat waits %s s", exc.retry_after)
                await self.outbox.retry_later(
                    message.id, self.clock.now() + timedelta(seconds=exc.retry_after), str(exc)
                )
                return
            except TelegramForbiddenError as exc:
                log.info("chat %s is unreachable: %s", message.chat_id, exc.message)
                await self.users.mark_unreachable(message.chat_id)
                await self.outbox.block_chat(message.chat_id, exc.message)
                return
            except TelegramBadRequest as exc:
                if message.kind in REFUSAL_IS_FINAL:
                    log.info("outbox row %s (%s): %s", message.id, message.kind, exc.message)
                    await self.outbox.finish(message.id, "dropped", exc.message)
                    return
                log.error(
                    "outbox row %s (%s) to chat %s refused by Telegram: %s",
                    message.id,
                    message.kind,
                    message.chat_id,
                    exc.message,
                )
                await self.outbox.finish(message.id, "failed", exc.message)
                return
            except (TelegramServerError, TelegramNetworkError) as exc:
                await self._failed_attempt(message, repr(exc))
                return
            finally:
                await self._tell_pacer(self.pacer.finished(message.chat_id))
            await self._delivered(message, result)
            await self._record(message, index + 1, len(calls))

    async def _record(self, message: OutboxMessage, accepted: int, total: int) -> bool:
        """Write down that Telegram accepted ``accepted`` of the row's ``total`` calls (the row
        is sent when all are); return whether the row is sent. Until the write succeeds the
        fact is kept in memory: a failed write raises, and the next pass tries the write again
        instead of the call."""
        self._unrecorded[message.id] = (accepted, total)
        try:
            if accepted < total:
                await self.outbox.set_part(message.id, accepted)
            else:
                await self.outbox.mark_sent(message.id, self.clock.now())
        except Exception as exc:
            log.warning(
                "outbox row %s (%s): Telegram accepted %d of %d call(s), the database cannot "
                "record it (%r); not sent again, the write is retried",
                message.id,
                message.kind,
                accepted,
                total,
                exc,
            )
            raise
        del self._unrecorded[message.id]
        return accepted >= total

    async def _failed_attempt(self, message: OutboxMessage, error: str) -> None:
        attempts = message.attempts + 1
        if attempts >= self.max_attempts:
            log.error(
                "outbox row %s (%s) to chat %s failed %d times, giving up: %s",
                message.id,
                message.kind,
                message.chat_id,
                attempts,
                error,
            )
            await self.outbox.finish(message.id, "failed", error)
            return
        delay = min(2**attempts, 600)
        log.warning(
            "outbox row %s (%s): attempt %d failed (%s); next in %s s",
            message.id,
            message.kind,
            attempts,
            error,
            delay,
        )
        await self.outbox.retry_later(
            message.id, self.clock.now() + timedelta(seconds=delay), error
        )

    async def _delivered(self, message: OutboxMessage, result: Any) -> None:
        """A failure to note a delivery must not cost the row its outcome (a resend)."""
        if self.on_delivered is None:
            return
        try:
            await self.on_delivered(message, result)
        except Exception:
            log.exception("cannot note the delivery of outbox row %s", message.id)

    async def _tell_pacer(self, news: Awaitable[None]) -> None:
        """Report a pause or a finished call; a pacer that fails (Redis down) must not cost the
        row its outcome (a message Telegram accepted and then sent again)."""
        try:
            await news
        except Exception:
            log.exception("cannot update the pacer")
