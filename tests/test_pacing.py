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
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage, TelegramMethod

from bot.delivery.pacing import (
    GROUP_CHAT_INTERVAL,
    PRIVATE_CHAT_INTERVAL,
    LocalPacer,
    Pacer,
    PacingMiddleware,
    RedisPacer,
    already_paced,
)
from bot.delivery.sender import OutboxSender
from db.database import Database
from db.outbox import OutboxMessage, OutboxRepository, enqueue
from db.users import UserRepository
from tests.conftest import FixedClock
from tests.helpers import FakePacer
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
    async with make_pacers(2, rate=50) as (first, second):
        instants = await asyncio.gather(
            *(pacer.acquire() for _ in range(15) for pacer in (first, second))
        )
    assert len(set(instants)) == 30
    # Evenly spaced: every two slots at least 1/rate apart, so never a burst.
    assert min(gaps(instants)) >= 20_000


async def test_one_chat_waits_its_interval_across_pacers(make_pacers: MakePacers) -> None:
    async with make_pacers(2, rate=100, private_interval=0.2, group_interval=0.5) as pacers:
        first, second = pacers
        person = [first.acquire(7), second.acquire(7), first.acquire(7), second.acquire(7)]
        group = [first.acquire(-7), second.acquire(-7)]
        instants = await asyncio.gather(*person, *group)
    assert min(gaps(instants[:4])) >= 200_000
    assert min(gaps(instants[4:])) >= 500_000
    assert min(gaps(instants)) >= 10_000  # and the global rate holds for all of them


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
    assert min(gaps(first + second)) >= 20_000
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
    await bot.send_document(5, "file-id")
    assert pacer.events == [("acquire", None)] * 3  # the global rate only, no chat interval


async def test_middleware_shares_a_429_pause_and_passes_the_error_on(
    paced_bot: tuple[Bot, RecordingSession, FakePacer],
) -> None:
    bot, session, pacer = paced_bot
    session.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(5, "hello")
    assert pacer.events == [("acquire", None), ("pause", 7)]


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
    assert pacer.events == [("acquire", 501), ("finished", 501)] * 2
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
