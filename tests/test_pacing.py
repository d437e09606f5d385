"""Pacing under Telegram's flood limits: the global rate, each chat's interval and the pause
after a 429, in one process (LocalPacer) and shared by several through Redis (RedisPacer).

Assertions are on the instants the pacers reserve (computed from their slots), never on how
long something took: the machines running the tests are noisy.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.utils.i18n import I18n

from bot.app import build_dispatcher
from bot.config import Settings
from bot.delivery.pacing import (
    GROUP_CHAT_INTERVAL,
    PRIVATE_CHAT_INTERVAL,
    LocalPacer,
    Pacer,
    PacingMiddleware,
    RedisPacer,
    Reservation,
    already_paced,
    reply_burst,
)
from bot.delivery.sender import InFlightWindow, OutboxSender
from bot.emulator import FakeBotAPI, TelegramLimits
from bot.services.broadcasts import BroadcastMonitor
from db.database import Database
from db.outbox import OutboxMessage, OutboxRepository, enqueue
from db.users import UserRepository
from tests.client import UserClient
from tests.conftest import TOKEN, FixedClock
from tests.e2e import BotProcess
from tests.helpers import FakePacer, daytime_zone
from tests.recording import RecordingSession
from tests.redis_server import redis_client

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "test:pace"

# Builds n pacers that share one schedule: one LocalPacer seen n times (one process), or n
# RedisPacers with clients of their own (n processes).
MakePacers = Callable[..., contextlib.AbstractAsyncContextManager[list[Pacer]]]


def micros(instant: float) -> int:
    return round(instant * 1_000_000)


def gaps(instants: Sequence[float]) -> list[int]:
    """The gaps (µs) between consecutive instants, in order of time."""
    ordered = sorted(micros(t) for t in instants)
    return [b - a for a, b in itertools.pairwise(ordered)]


def beyond_the_spacing(instants: Sequence[float], rate: float) -> int:
    """How far the instants run ahead of an even spacing of ``1 / rate``: the most slots any
    stretch between two of them holds beyond what the rate allows (0: never a burst)."""
    ordered = sorted(micros(t) for t in instants)
    spacing = 1_000_000 / rate
    return max(
        (j - i) - (ordered[j] - ordered[i] + 1) // spacing
        for i in range(len(ordered))
        for j in range(i, len(ordered))
    )


@pytest.fixture(params=["local", "redis"])
def make_pacers(request: pytest.FixtureRequest) -> MakePacers:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""

    @contextlib.asynccontextmanager
    async def make(count: int, **options: float) -> AsyncIterator[list[Pacer]]:
        rate = options.pop("rate")
        if request.param == "local":
            pacer = LocalPacer(rate, **options)
            yield [pacer] * count
            await pacer.aclose()
            return
        async with contextlib.AsyncExitStack() as stack:
            pacers: list[Pacer] = []
            for _ in range(count):
                client = await stack.enter_async_context(redis_client(url))
                pacers.append(RedisPacer(client, PREFIX, rate, **options))
            yield pacers
            for pacer in pacers:
                await pacer.aclose()

    return make


async def test_pacers_sharing_a_schedule_never_exceed_the_rate(make_pacers: MakePacers) -> None:
    async with make_pacers(2, rate=20) as (first, second):
        replies = await asyncio.gather(
            *(pacer.acquire() for _ in range(15) for pacer in (first, second))
        )
        bulk = [await pacer.acquire(bulk=True) for _ in range(6) for pacer in (first, second)]
    assert len(set(replies)) == 30
    # Replies may run a few slots ahead of the even spacing, never more; bulk one at most.
    assert beyond_the_spacing(replies, 20) <= reply_burst(20) == 3
    assert beyond_the_spacing(bulk, 20) <= 1
    assert beyond_the_spacing(replies + bulk, 20) <= reply_burst(20)


async def test_one_chat_waits_its_interval_across_pacers(make_pacers: MakePacers) -> None:
    async with make_pacers(2, rate=100, private_interval=0.2, group_interval=0.5) as pacers:
        first, second = pacers
        person = [first.acquire(7), second.acquire(7), first.acquire(7), second.acquire(7)]
        group = [first.acquire(-7), second.acquire(-7)]
        instants = await asyncio.gather(*person, *group)
    assert min(gaps(instants[:4])) >= 200_000
    assert min(gaps(instants[4:])) >= 500_000
    assert beyond_the_spacing(instants, 100) <= reply_burst(100)  # and the budget holds


async def test_a_chat_that_waits_does_not_hold_up_the_others(make_pacers: MakePacers) -> None:
    async with make_pacers(2, rate=100) as (first, second):
        assert first.private_interval == PRIVATE_CHAT_INTERVAL
        assert first.group_interval == GROUP_CHAT_INTERVAL
        start = await first.acquire(7)
        again, *others = await asyncio.gather(
            second.acquire(7), first.acquire(8), second.acquire(9), first.acquire(10)
        )
    assert micros(again) - micros(start) >= 1_000_000
    assert max(others) < again


async def test_a_pause_from_one_pacer_delays_the_other(make_pacers: MakePacers) -> None:
    async with make_pacers(2, rate=100) as (first, second):
        before = await first.acquire()
        await first.pause(0.3)
        after_any = await second.acquire()
        after_chat = await second.acquire(5)
    assert micros(after_any) - micros(before) >= 300_000
    assert micros(after_chat) - micros(before) >= 300_000


async def test_a_chat_interval_counts_again_from_the_end_of_the_call(
    make_pacers: MakePacers,
) -> None:
    async with make_pacers(2, rate=100, private_interval=0.3) as (first, second):
        start = await first.acquire(7)
        await asyncio.sleep(0.2)  # the call takes a while
        await first.finished(7)
        again = await second.acquire(7)
    # From the slot alone the chat would be free at start + 0.3; from the end, ≥ start + 0.5.
    assert micros(again) - micros(start) >= 450_000


async def test_redis_pacer_keys_expire(redis_url: str) -> None:
    async with redis_client(redis_url) as client:
        pacer = RedisPacer(client, PREFIX, rate=25)
        await pacer.acquire(7)
        await pacer.pause(2)
        keys = sorted(key.decode() for key in await client.keys(f"{PREFIX}:*"))
        assert keys == [f"{PREFIX}:chat:7", f"{PREFIX}:next", f"{PREFIX}:pause"]
        for key in keys:
            assert 0 < await client.pttl(key) <= RedisPacer.KEEP_MS + 2_000


CHILD = """
import asyncio, json, sys
from redis.asyncio import Redis
from bot.delivery.pacing import RedisPacer

async def main() -> None:
    client = Redis.from_url(sys.argv[1])
    pacer = RedisPacer(client, sys.argv[2], rate=50)
    instants = [await pacer.acquire(int(sys.argv[3]))]
    instants += [await pacer.acquire() for _ in range(10)]
    await client.aclose()
    print(json.dumps(instants))

asyncio.run(main())
"""


async def test_two_processes_share_the_rate_and_the_chat_interval(redis_url: str) -> None:
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, redis_url, PREFIX, "77", cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]  # fmt: skip
    outputs = await asyncio.gather(*(child.communicate() for child in children))
    assert [child.returncode for child in children] == [0, 0]
    first, second = (json.loads(out) for out, _ in outputs)
    assert beyond_the_spacing(first + second, 50) <= reply_burst(50)
    assert min(gaps(first[:1] + second[:1])) >= 1_000_000  # chat 77, from both processes


# --- the middleware on the bot's session ---------------------------------------------------


@pytest.fixture
async def paced_bot() -> AsyncIterator[tuple[Bot, RecordingSession, FakePacer]]:
    session = RecordingSession()
    pacer = FakePacer()
    session.middleware(PacingMiddleware(pacer))
    bot = Bot("123456:TEST-token", session=session)
    yield bot, session, pacer
    await bot.session.close()


async def test_middleware_paces_sending_and_editing_only(
    paced_bot: tuple[Bot, RecordingSession, FakePacer],
) -> None:
    bot, _, pacer = paced_bot
    await bot.get_me()
    await bot.send_chat_action(5, "typing")
    await bot.answer_callback_query("1")
    assert pacer.events == []
    message = await bot.send_message(5, "hello")
    await bot.edit_message_text("hi", chat_id=5, message_id=message.message_id)
    await bot.send_document(-6, "file-id")
    await bot.edit_message_text("hi", inline_message_id="abc")
    # Replies: the budget and the chat's interval, counted again from the end of the call.
    assert pacer.events == [
        *[("acquire", 5), ("finished", 5)] * 2,
        *[("acquire", -6), ("finished", -6)],
        ("acquire", None),
    ]


async def test_middleware_shares_a_429_pause_and_passes_the_error_on(
    paced_bot: tuple[Bot, RecordingSession, FakePacer],
) -> None:
    bot, session, pacer = paced_bot
    session.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(5, "hello")
    assert pacer.events == [("acquire", 5), ("pause", 7), ("finished", 5)]


async def test_middleware_lets_through_calls_the_sender_has_paced(
    paced_bot: tuple[Bot, RecordingSession, FakePacer],
) -> None:
    bot, session, pacer = paced_bot
    with already_paced():
        await bot.send_message(5, "hello")
    assert pacer.events == []
    assert session.of("sendMessage")


# --- the sender ------------------------------------------------------------------------------


async def render_two(message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
    return [
        SendMessage(chat_id=message.chat_id, text="summary"),
        SendMessage(chat_id=message.chat_id, text="details"),
    ]


async def queue_one(db: Database, clock: FixedClock, chat_id: int) -> None:
    async with db.transaction():
        await enqueue(
            db,
            dedup_key=f"pace:{chat_id}",
            chat_id=chat_id,
            kind="notice",
            payload={},
            due_at=clock.now() - timedelta(seconds=1),
            now=clock.now(),
        )


async def test_sender_takes_a_slot_per_call_and_reports_its_end(
    db: Database, clock: FixedClock, paced_bot: tuple[Bot, RecordingSession, FakePacer]
) -> None:
    bot, session, middleware_pacer = paced_bot
    pacer = FakePacer()
    sender = OutboxSender(OutboxRepository(db), UserRepository(db), render_two, clock, pacer=pacer)
    await queue_one(db, clock, 501)
    assert await sender.drain(bot) == 1
    assert pacer.events == [("reserve", 501), ("finished", 501)] * 2  # a notice: a slot each call
    assert middleware_pacer.events == []  # the sender's calls take one slot, not two
    assert len(session.of("sendMessage")) == 2


async def test_sender_pauses_the_pacer_on_a_429(
    db: Database, clock: FixedClock, paced_bot: tuple[Bot, RecordingSession, FakePacer]
) -> None:
    bot, session, _ = paced_bot
    pacer = FakePacer()
    sender = OutboxSender(OutboxRepository(db), UserRepository(db), render_two, clock, pacer=pacer)
    await queue_one(db, clock, 502)
    session.fail_next("sendMessage", 429, "Too Many Requests: retry after 4", retry_after=4)
    await sender.drain(bot)
    assert ("pause", 4) in pacer.events
    outbox = OutboxRepository(db)
    assert await outbox.due(clock.now() + timedelta(seconds=3.9), limit=10) == []  # not before
    [row] = await outbox.due(clock.now() + timedelta(seconds=4), limit=10)
    assert row.chat_id == 502  # tried again after the pause


async def test_sender_intervals_set_on_the_sender_reach_its_pacer(
    db: Database, clock: FixedClock
) -> None:
    sender = OutboxSender(OutboxRepository(db), UserRepository(db), render_two, clock)
    sender.private_interval = sender.group_interval = 0
    assert isinstance(sender.pacer, LocalPacer)
    assert (sender.pacer.private_interval, sender.pacer.group_interval) == (0, 0)


# --- replies before bulk, one budget ---------------------------------------------------------


async def test_replies_go_before_bulk_in_one_budget(make_pacers: MakePacers) -> None:
    async with make_pacers(2, rate=20) as (first, second):
        await first.acquire(bulk=True)
        await first.acquire(bulk=True)  # bulk at full rate: the next bulk slot is ahead
        bulk, *replies = await asyncio.gather(
            first.acquire(bulk=True), *(second.acquire(100 + n) for n in range(8))
        )
    # Asked at the same moment, every reply is served first, then the bulk message.
    assert max(replies) < bulk
    assert beyond_the_spacing([*replies, bulk], 20) <= reply_burst(20)


async def test_a_reply_waits_for_nothing_while_bulk_runs_at_full_rate(
    make_pacers: MakePacers,
) -> None:
    async with make_pacers(2, rate=25) as (sender, handler):
        for _ in range(5):
            await sender.acquire(bulk=True)
        reply = await handler.reserve(7)
        bulk = await sender.reserve(bulk=True)
    assert reply.reserved and reply.wait == 0
    # Bulk never takes a slot ahead: it is told when to come back, and holds nothing.
    assert not bulk.reserved and bulk.wait > 0 and not bulk.chat_busy


async def test_bulk_to_a_chat_in_its_interval_is_told_so_and_other_chats_go(
    make_pacers: MakePacers,
) -> None:
    async with make_pacers(2, rate=100, private_interval=0.5) as (handler, sender):
        await handler.acquire(7)  # a reply to person 7
        waiting = await sender.reserve(7, bulk=True)
        other = await sender.reserve(8, bulk=True)
    assert not waiting.reserved and waiting.chat_busy and waiting.wait > 0.3
    assert other.reserved


class SlotLog:
    """A pacer that notes the slot of every paced call, by chat."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        self.rate = pacer.rate
        self.private_interval = pacer.private_interval
        self.group_interval = pacer.group_interval
        self.slots: dict[int | None, list[float]] = {}

    async def reserve(self, chat_id: int | None = None, *, bulk: bool = False) -> Reservation:
        reservation = await self.pacer.reserve(chat_id, bulk=bulk)
        if reservation.reserved:
            self.slots.setdefault(chat_id, []).append(reservation.instant)
        return reservation

    async def acquire(self, chat_id: int | None = None, *, bulk: bool = False) -> float:
        instant = await self.pacer.acquire(chat_id, bulk=bulk)
        self.slots.setdefault(chat_id, []).append(instant)
        return instant

    async def finished(self, chat_id: int) -> None:
        await self.pacer.finished(chat_id)

    async def pause(self, seconds: float) -> None:
        await self.pacer.pause(seconds)

    async def aclose(self) -> None:
        await self.pacer.aclose()


@contextlib.asynccontextmanager
async def paced_staff(
    make_pacers: MakePacers, settings: Settings, db: Database, i18n: I18n, clock: FixedClock
) -> AsyncIterator[tuple[Dispatcher, Bot, SlotLog]]:
    """The dispatcher with a bot whose replies are paced like the running bot's (a person's
    interval 0.2 s here), and its sender on the same pacer."""
    async with make_pacers(1, rate=100, private_interval=0.2) as (pacer,):
        log = SlotLog(pacer)
        session = RecordingSession()
        session.middleware(PacingMiddleware(log))
        bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
        dp = build_dispatcher(settings=settings, db=db, i18n=i18n, clock=clock, pacer=log)
        try:
            yield dp, bot, log
        finally:
            await bot.session.close()


async def test_a_preview_burst_is_spaced_within_the_chats_interval(
    make_pacers: MakePacers, settings: Settings, db: Database, i18n: I18n, clock: FixedClock
) -> None:
    async with paced_staff(make_pacers, settings, db, i18n, clock) as (dp, bot, log):
        admin = UserClient(dp, bot, user_id=1, language_code="en")
        await UserClient(dp, bot, user_id=3001, language_code="en").send("/start")
        [panel] = await admin.send("/staff")
        await admin.click("📣 Broadcast", panel)
        [prompt] = await admin.send("Open doors on Saturday")
        [kinds] = await admin.click("No English version", prompt)
        before = len(log.slots[1])
        preview = await admin.click("👥 All users", kinds)
    assert [m["text"].split("\n")[0] for m in preview] == [
        "Preview:",
        "Open doors on Saturday",
        "To: all users of the bot",
    ]
    # Three messages to one chat at once: each a person's interval after the one before.
    slots = log.slots[1][before:]
    assert len(slots) == 3 and min(gaps(slots)) >= 200_000


async def test_progress_edits_are_rate_limited_and_the_report_is_spaced(
    make_pacers: MakePacers, settings: Settings, db: Database, i18n: I18n, clock: FixedClock
) -> None:
    async with paced_staff(make_pacers, settings, db, i18n, clock) as (dp, bot, log):
        admin = UserClient(dp, bot, user_id=1, language_code="en")
        for person in (3001, 3002):
            await UserClient(dp, bot, user_id=person, language_code="en").send("/start")
        [panel] = await admin.send("/staff")
        await admin.click("📣 Broadcast", panel)
        [prompt] = await admin.send("Open doors on Saturday")
        [kinds] = await admin.click("No English version", prompt)
        preview = await admin.click("👥 All users", kinds)
        await admin.click("✅ Send to 3", preview[-1])
        sender: OutboxSender = dp["sender"]
        rows = await sender.outbox.due(clock.now() + timedelta(seconds=1), limit=10)
        monitor: BroadcastMonitor = dp["broadcast_monitor"]
        now = 100.0
        monitor.monotonic = lambda: now
        shown = []
        admin.session.clear()  # the staff screens' own edits before the broadcast left
        for row, later in zip(rows[:2], (0.0, 1.0), strict=True):
            await sender.deliver(bot, row)
            now += later
            await monitor.tick(bot)
            shown.append(len(admin.session.of("editMessageText")))
        now += 3.5
        await monitor.tick(bot)
        shown.append(len(admin.session.of("editMessageText")))
        await sender.deliver(bot, rows[2])
        now += 0.1
        assert await monitor.tick(bot) == 1  # the end is shown at once, however soon
    # An edit; none 1 s later (too soon); one 4.5 s after the first; then the end: a new
    # message (the author is notified; an edit is silent), and the progress message deleted.
    assert shown == [1, 1, 2]
    edits = admin.session.of("editMessageText")
    assert len(edits) == 2 and "is finished" not in edits[-1]["text"]
    report = admin.session.of("sendMessage")[-1]
    assert "is finished" in report["text"]
    [deleted] = admin.session.of("deleteMessage")
    assert deleted["message_id"] == edits[-1]["message_id"]
    # The last progress edit and the report to the same chat are a person's interval apart.
    last_edit, report_slot = log.slots[1][-2:]
    assert micros(report_slot) - micros(last_edit) >= 200_000


# --- the sender's window -------------------------------------------------------------------


def test_the_window_follows_the_round_trip_within_its_bound() -> None:
    window = InFlightWindow(rate=25, limit=20)
    sizes = {}
    for rtt in (0.02, 0.15, 0.3, 0.5, 5.0, 0.02):
        for _ in range(60):
            window.observe(rtt)
        sizes.setdefault(rtt, []).append(window.size)
    # About rate × round trip, and 2 more; never above the bound; back down when it is fast.
    assert sizes == {0.02: [3, 3], 0.15: [6], 0.3: [10], 0.5: [15], 5.0: [20]}


class SlowSession(RecordingSession):
    """Telegram answers after ``delay`` seconds; counts the calls in flight at once."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.in_flight = 0
        self.peak = 0

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - BaseSession's signature
    ) -> Any:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            return await super().make_request(bot, method, timeout)
        finally:
            self.in_flight -= 1


async def render_numbered(message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
    return [SendMessage(chat_id=message.chat_id, text=str(message.payload["n"]))]


async def test_over_a_slow_link_calls_overlap_within_the_bound_and_each_chat_keeps_its_order(
    make_pacers: MakePacers, db: Database, clock: FixedClock
) -> None:
    rows = [(chat, n, "notice") for chat in (1, 2, 3) for n in range(3)]
    rows += [(chat, 0, "reminder") for chat in range(11, 31)]
    async with db.transaction():
        for chat, n, kind in rows:
            await enqueue(
                db, dedup_key=f"slow:{chat}:{n}", chat_id=chat, kind=kind, payload={"n": n},
                due_at=clock.now() - timedelta(seconds=1), now=clock.now(),
            )  # fmt: skip
    session = SlowSession(delay=0.1)
    bot = Bot(TOKEN, session=session)
    async with make_pacers(1, rate=500, private_interval=0) as (pacer,):
        sender = OutboxSender(
            OutboxRepository(db), UserRepository(db), render_numbered, clock,
            pacer=pacer, max_in_flight=6,
        )  # fmt: skip
        try:
            assert await sender.drain(bot) == len(rows)
        finally:
            await bot.session.close()
    # Several calls at once (one at a time would be 0.1 s a message), never more than the bound.
    assert 1 < session.peak <= 6 and sender.window.peak <= 6
    sent = [(c.params["chat_id"], c.params["text"]) for c in session.calls]
    assert sorted(sent) == sorted((chat, str(n)) for chat, n, _kind in rows)  # each once
    for chat in (1, 2, 3):
        assert [text for to, text in sent if to == chat] == ["0", "1", "2"]


async def test_the_sender_sends_notices_before_bulk_queued_earlier(
    make_pacers: MakePacers, db: Database, clock: FixedClock
) -> None:
    async with db.transaction():
        for chat in range(601, 641):
            await enqueue(
                db, dedup_key=f"bulk:{chat}", chat_id=chat, kind="broadcast",
                payload={"n": 0}, due_at=clock.now() - timedelta(minutes=5), now=clock.now(),
            )  # fmt: skip
        await enqueue(
            db, dedup_key="notice", chat_id=700, kind="status", payload={"n": 1},
            due_at=clock.now(), now=clock.now(),
        )  # fmt: skip
    session = RecordingSession()
    bot = Bot(TOKEN, session=session)
    async with make_pacers(1, rate=1000, private_interval=0) as (pacer,):
        sender = OutboxSender(
            OutboxRepository(db), UserRepository(db), render_numbered, clock, pacer=pacer
        )
        try:
            assert await sender.drain(bot) == 41
        finally:
            await bot.session.close()
    assert session.calls[0].params["chat_id"] == 700


async def test_a_chat_with_a_notice_and_bulk_gets_the_notice_first_and_the_pass_ends(
    make_pacers: MakePacers, db: Database, clock: FixedClock
) -> None:
    """A staff member is sent their own broadcast and a notice: the notice goes first in that
    chat (notices are read first), and the broadcast that waited for it follows."""
    async with db.transaction():
        await enqueue(
            db, dedup_key="bulk", chat_id=900, kind="broadcast", payload={"n": 0},
            due_at=clock.now() - timedelta(minutes=5), now=clock.now(),
        )  # fmt: skip
        await enqueue(
            db, dedup_key="notice", chat_id=900, kind="status", payload={"n": 1},
            due_at=clock.now(), now=clock.now(),
        )  # fmt: skip
    session = RecordingSession()
    bot = Bot(TOKEN, session=session)
    async with make_pacers(1, rate=1000, private_interval=0) as (pacer,):
        sender = OutboxSender(
            OutboxRepository(db), UserRepository(db), render_numbered, clock, pacer=pacer
        )
        try:
            # (A deadlock guard, not a timing: the pass takes milliseconds.)
            assert await asyncio.wait_for(sender.drain(bot), 30) == 2
        finally:
            await bot.session.close()
    assert [c.params["text"] for c in session.calls] == ["1", "0"]


# --- the running bot -------------------------------------------------------------------------


@pytest.mark.parametrize("budget", ["one process", "redis"])
async def test_a_staff_broadcast_earns_no_429_in_the_running_bot(
    budget: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The emulator enforces Telegram's limits (edits counted, every call a round trip): the
    preview's three messages, the progress edits and the report to the staff member's chat,
    and the broadcast itself, all within them."""
    # (A zone where it is day: a broadcast waits for the morning.)
    env = {"ADMIN_IDS": "900", "SEND_CHAT_INTERVAL": "1", "TIMEZONE": daytime_zone()}
    if budget == "redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
    limits = TelegramLimits(latency=(0.05, 0.05), seed=1, count_edits=True, every_call=True)
    async with FakeBotAPI(limits=limits) as fake:
        people = [fake.user(901 + n, f"P{n}", language_code="en") for n in range(3)]
        staff = fake.user(900, "Staff", language_code="en")
        process = BotProcess(fake, tmp_path, **env)
        await process.start()
        try:
            for person in people:
                person.send("/start")
                await person.wait_reply()
            staff.send("/staff")
            staff.click("📣 Broadcast", await staff.wait_reply())
            await staff.wait_reply()
            staff.send("Open doors on Saturday")
            prompt = await staff.wait_reply()
            staff.click("No English version", prompt)
            await fake.wait_for(
                lambda: "👥 All users" in staff.buttons(prompt), timeout=10, what="the audiences"
            )
            staff.click("👥 All users", prompt)
            preview = await staff.wait_replies(3)
            staff.click("✅ Send to 4", preview[-1])
            await fake.wait_for(
                # The report comes as a new message, the progress message is deleted.
                lambda: sum("is finished" in m.get("text", "") for m in staff.messages()) == 1,
                timeout=60,
                what="the final report",
            )
        finally:
            await process.kill()
    assert fake.too_many_requests == 0, fake.rejected
    for person in [*people, staff]:
        assert fake.delivered_count(person.id) >= 1
        # (English readers get it with a note that it is in Russian only.)
        texts = [m.get("text") or "" for m in person.messages()]
        got = [t for t in texts if t.endswith("Open doors on Saturday")]
        assert len(got) == 1 + (person is staff)  # + the preview
