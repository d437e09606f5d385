"""The sender: delivers what the outbox holds, paced, retried, and never silently lost.

Each outbox row renders to one or more Bot API calls (e.g. an application's summary and its
documents for the staff). Delivery is at least once: a row (or part of it) is marked sent after
Telegram accepted it, so a crash in between may send it again, and never loses it.

Over a real network a call takes a round trip (150-300 ms to Telegram is common), so one call
at a time would send a few messages a second whatever the rate. The sender keeps about
``rate × round trip`` calls in flight (:class:`InFlightWindow`: measured, smoothed, bounded),
each in its own slot of the pacer and its chat's interval; one chat's rows go one after the
other, in order. A crash may therefore send again at most the calls in flight: the window,
never more than its bound.

Notices (answers to what someone did) go before bulk (reminders, broadcasts): they are read
first and take their slots as replies; bulk takes what is left of the budget.

A call Telegram accepted is never made again by the same process: when the database cannot
record it (locked by another connection, disk full), the fact stays in memory and only the
write is tried again, on the next pass, before anything else is sent for that row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
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
    Reservation,
    already_paced,
    tell_pacer,
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

# Bulk: messages nobody is waiting for (a student's news of the staff's load too). At night
# they wait for the morning, and by day they take what the answers to what someone did (status
# changes, answers to questions, the staff's posts) leave of the budget; those go out at once,
# before them.
BULK_KINDS = QUIET_KINDS = frozenset({"reminder", "event_reminder", "broadcast", *STUDENT_NEWS})

# Calls in flight at most (SEND_MAX_IN_FLIGHT): at the default 25 a second, enough for a round
# trip of 0.7 s.
MAX_IN_FLIGHT = 20


class InFlightWindow:
    """How many calls the sender keeps in flight: about ``rate × round trip``.

    A call holds its place from its slot until Telegram answered and the database recorded it.
    The round trip is that busy time, smoothed (a new sample moves the estimate by 1/8, as TCP
    does, so one slow answer does not swing it; a sample counts at most ``MAX_SAMPLE``). The
    size is ``ceil(rate × rtt) + 2``: one more for the call waiting for its slot, one for
    jitter; at least 1, at most ``limit``. Waiting notices go before waiting bulk.
    """

    MAX_SAMPLE = 2.0
    INITIAL_RTT = 0.1

    def __init__(self, rate: float, limit: int) -> None:
        self.rate = rate
        self.limit = max(1, limit)
        self.rtt = self.INITIAL_RTT
        self.in_flight = 0
        self.peak = 0  # the most calls in flight at once, for the benchmark and tests
        self._waiters: list[tuple[bool, asyncio.Future[None]]] = []

    @property
    def size(self) -> int:
        return max(1, min(self.limit, math.ceil(self.rate * self.rtt) + 2))

    def observe(self, seconds: float) -> None:
        """A call ended after ``seconds`` of busy time."""
        sample = min(max(seconds, 0.0), self.MAX_SAMPLE)
        self.rtt += (sample - self.rtt) / 8

    async def acquire(self, *, bulk: bool) -> None:
        if self.in_flight < self.size and not self._waiters:
            self._take()
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (bulk, waiter)
        self._waiters.append(entry)
        self._wake()
        try:
            await waiter
        except BaseException:
            if entry in self._waiters:
                self._waiters.remove(entry)
            elif not waiter.cancelled():  # woken, then cancelled: pass the place on
                self.release()
            raise

    def release(self, busy_seconds: float | None = None) -> None:
        if busy_seconds is not None:
            self.observe(busy_seconds)
        self.in_flight -= 1
        self._wake()

    def _take(self) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.size:
            # Notices first, then bulk; each in the order they came.
            entry = next((w for w in self._waiters if not w[0]), self._waiters[0])
            self._waiters.remove(entry)
            if not entry[1].done():
                self._take()
                entry[1].set_result(None)


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
        max_in_flight: int = MAX_IN_FLIGHT,
        pacer: Pacer | None = None,
        on_delivered: Delivered | None = None,
    ) -> None:
        self.outbox = outbox
        self.users = users
        self.render = render
        self.clock = clock
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        # Telegram allows about 30 messages a second per bot: stay under it, for all chats,
        # evenly spaced; one message a second to a person, 20 a minute to a group; after a 429
        # every chat waits. The pacer is shared with the bot's replies (PacingMiddleware), which
        # go first; a RedisPacer shares it with the other processes. A given pacer brings its
        # own rate and intervals.
        self.pacer: Pacer = pacer or LocalPacer(send_rate, private_interval, group_interval)
        self.window = InFlightWindow(self.pacer.rate, max_in_flight)
        self.quiet_hours = quiet_hours
        self.on_delivered = on_delivered
        # Row id -> (calls Telegram accepted, calls of the row) whose record in the database
        # failed: kept until the write succeeds, so that no retry sends them again.
        self._unrecorded: dict[int, tuple[int, int]] = {}
        # One bulk call at a time looks for its slot: the others queue here, not in the pacer.
        self._bulk_turn = asyncio.Lock()
        # Notices read in this pass that have not yet asked the pacer for their first slot:
        # bulk asks for none meanwhile (with Redis, two requests in flight may be answered in
        # any order, and a notice read first must not lose its slot to bulk read after it).
        self._notices_ahead: set[int] = set()
        self._no_notices_ahead = asyncio.Event()
        self._no_notices_ahead.set()
        self._halt = False  # a lane failed: the others stop after the row in hand
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

    # Rows read ahead: a chat's rows go to one task (its lane), in order; the outbox is read
    # again when fewer than LANES_LOW lanes are left, READ_AHEAD rows beyond those in hand.
    LANES_LOW = 24
    READ_AHEAD = 96

    async def drain(self, bot: Bot) -> int:
        """Deliver every row due now; return how many rows were handled.

        A pass ends only when every lane has: a failed one (the database cannot record what
        Telegram accepted) stops new work, lets the calls in flight finish, then raises, so the
        next pass never reads a row as pending while it is being sent.
        """
        lanes: dict[asyncio.Task[int], tuple[int, set[int]]] = {}  # -> (chat, row ids)
        self._halt = False
        try:
            return await self._drain(bot, lanes)
        finally:
            self._notices_ahead.clear()
            self._no_notices_ahead.set()
            if lanes:  # cancelled (a stop that took too long): the lanes go with the pass
                for task in lanes:
                    task.cancel()
                await asyncio.gather(*lanes, return_exceptions=True)

    async def _drain(self, bot: Bot, lanes: dict[asyncio.Task[int], tuple[int, set[int]]]) -> int:
        handled = 0
        busy_chats: set[int] = set()
        taken: set[int] = set()
        failure: BaseException | None = None
        while True:
            if failure is None and not self._stopping.is_set() and len(lanes) < self.LANES_LOW:
                try:
                    batch = await self.outbox.due(
                        self.clock.now(), limit=len(taken) + self.READ_AHEAD, last_kinds=BULK_KINDS
                    )
                except Exception as exc:
                    failure, batch = exc, []
                by_chat: dict[int, list[OutboxMessage]] = {}
                for message in batch:
                    if message.id not in taken and message.chat_id not in busy_chats:
                        by_chat.setdefault(message.chat_id, []).append(message)
                for chat_id, messages in by_chat.items():
                    ids = {m.id for m in messages}
                    self._notices_ahead |= {m.id for m in messages if m.kind not in BULK_KINDS}
                    if self._notices_ahead:
                        self._no_notices_ahead.clear()
                    task = asyncio.create_task(self._lane(bot, messages))
                    lanes[task] = (chat_id, ids)
                    busy_chats.add(chat_id)
                    taken |= ids
            if not lanes:
                if failure is not None:
                    raise failure
                return handled
            done, _pending = await asyncio.wait(lanes, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                chat_id, ids = lanes.pop(task)
                busy_chats.discard(chat_id)
                taken -= ids
                error = task.exception()
                if error is not None:
                    failure = failure or error
                    self._halt = True
                else:
                    handled += task.result()

    async def _lane(self, bot: Bot, messages: list[OutboxMessage]) -> int:
        """One chat's rows, in order; stops between rows when the sender stops or a pass fails."""
        done = 0
        try:
            for message in messages:
                if self._stopping.is_set() or self._halt:
                    break
                await self.deliver(bot, message)
                self._notice_asked(message.id)
                done += 1
        finally:
            for message in messages:  # those not delivered hold bulk up no longer
                self._notice_asked(message.id)
        return done

    def _notice_asked(self, message_id: int) -> None:
        """The notice ``message_id`` has asked the pacer for its slot (or is done without)."""
        self._notices_ahead.discard(message_id)
        if not self._notices_ahead:
            self._no_notices_ahead.set()

    async def _take_slot(self, chat_id: int, *, bulk: bool, notice_id: int | None = None) -> None:
        """Wait for a place in the window and a slot of the pacer for one call to ``chat_id``.

        A notice takes the next slot as a reply would. Bulk looks for its slot one call at a
        time (``_bulk_turn``) and takes one only when it is due now; a chat still in its
        interval gives its turn and place away while it waits.
        """
        if not bulk:
            await self.window.acquire(bulk=False)
            try:
                while True:
                    reservation = await self.pacer.reserve(chat_id)
                    if notice_id is not None:
                        self._notice_asked(notice_id)
                    if reservation.wait > 0:
                        await asyncio.sleep(reservation.wait)
                    if reservation.reserved:
                        return
            except BaseException:
                self.window.release()
                raise
        while True:
            await self._no_notices_ahead.wait()
            async with self._bulk_turn:
                await self.window.acquire(bulk=True)
                try:
                    reservation = await self._bulk_slot(chat_id)
                except BaseException:
                    self.window.release()
                    raise
                if reservation.reserved:
                    return
                self.window.release()
            await asyncio.sleep(reservation.wait)

    async def _bulk_slot(self, chat_id: int) -> Reservation:
        while True:
            reservation = await self.pacer.reserve(chat_id, bulk=True)
            if reservation.reserved or reservation.chat_busy:
                return reservation
            await asyncio.sleep(reservation.wait)

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
        bulk = message.kind in BULK_KINDS
        loop = asyncio.get_running_loop()
        for index in range(part, len(calls)):
            await self._take_slot(
                message.chat_id, bulk=bulk, notice_id=None if bulk else message.id
            )
            started = loop.time()
            try:
                if not await self._call(bot, message, calls[index], index, len(calls)):
                    return
            finally:
                self.window.release(loop.time() - started)

    async def _call(
        self, bot: Bot, message: OutboxMessage, call: TelegramMethod[Any], index: int, total: int
    ) -> bool:
        """Make one call of the row (its slot taken) and write down its outcome; whether the
        row goes on with its next call."""
        try:
            with already_paced():  # the bot's PacingMiddleware must not take a 2nd slot
                result = await bot(call)
        except TelegramRetryAfter as exc:
            await tell_pacer(self.pacer.pause(exc.retry_after))
            log.warning("429 from Telegram: every chat waits %s s", exc.retry_after)
            await self.outbox.retry_later(
                message.id, self.clock.now() + timedelta(seconds=exc.retry_after), str(exc)
            )
            return False
        except TelegramForbiddenError as exc:
            log.info("chat %s is unreachable: %s", message.chat_id, exc.message)
            await self.users.mark_unreachable(message.chat_id)
            await self.outbox.block_chat(message.chat_id, exc.message)
            return False
        except TelegramBadRequest as exc:
            if message.kind in REFUSAL_IS_FINAL:
                log.info("outbox row %s (%s): %s", message.id, message.kind, exc.message)
                await self.outbox.finish(message.id, "dropped", exc.message)
                return False
            log.error(
                "outbox row %s (%s) to chat %s refused by Telegram: %s",
                message.id,
                message.kind,
                message.chat_id,
                exc.message,
            )
            await self.outbox.finish(message.id, "failed", exc.message)
            return False
        except (TelegramServerError, TelegramNetworkError) as exc:
            await self._failed_attempt(message, repr(exc))
            return False
        finally:
            await tell_pacer(self.pacer.finished(message.chat_id))
        await self._delivered(message, result)
        await self._record(message, index + 1, total)
        return True

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
