"""Delivery benchmark: one message to each of N users under Telegram's flood limits.

Starts the fake Bot API (:mod:`bot.emulator`) with :class:`~bot.emulator.TelegramLimits`
on 127.0.0.1 (30 messages a second per bot, 1 per chat, 20-50 ms latency) and compares, in one
run, three ways of sending:

1. **ours** - the project's :class:`~bot.delivery.sender.OutboxSender` draining the SQLite outbox;
2. **naive** - ``await bot.send_message(...)`` one after another; a 429 loses that user;
3. **gather** - every send at once with :func:`asyncio.gather`; a 429 loses that user.

Then a **kill and restart** round: the sender runs in a child process (this script with the
hidden ``--worker`` mode), is SIGKILLed at a random (seeded) moment while sending, and a new
child finishes the outbox. Nobody may be lost; one duplicate per kill (the message in flight)
is allowed by the design.

Usage::

    python bench/delivery.py --users 5000 [--rate 25] [--seed 1]

The last line of the output is ``key=value`` pairs for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage, TelegramMethod

from bot.app import prepare_database
from bot.clock import Clock
from bot.delivery.sender import OutboxSender
from bot.emulator import DEFAULT_TOKEN, FakeBotAPI, TelegramLimits
from db.database import Database
from db.outbox import OutboxMessage, OutboxRepository, enqueue
from db.users import UserRepository

log = logging.getLogger("bench.delivery")

TZ = ZoneInfo("Asia/Krasnoyarsk")
FIRST_USER_ID = 700_000_001
"""Simulated users get ids ``FIRST_USER_ID ..`` (positive: private chats)."""
SCRIPT = Path(__file__).resolve()
"""This script, re-invoked in ``--worker`` mode for the kill-and-restart round."""
KIND = "bench"
"""Outbox kind of the benchmark rows (not a reminder: quiet hours never apply)."""


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    """What one way of sending achieved."""

    name: str
    elapsed: float
    delivered: int
    n429: int
    lost: int
    duplicates: int
    failures: int
    rate: float

    @property
    def throughput(self) -> float:
        """Delivered messages per second."""
        return self.delivered / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def rate_fraction(self) -> float:
        """Throughput as a fraction of the configured send rate."""
        return self.throughput / self.rate


@dataclass
class KillResult:
    """The kill-and-restart round of the outbox sender."""

    killed_after: int
    """Messages delivered when the first worker was killed."""
    elapsed: float
    delivered: int
    n429: int
    lost: int
    duplicates: int
    killed_while_running: bool


def tally(fake: FakeBotAPI, user_ids: Sequence[int]) -> tuple[int, int]:
    """Return ``(lost, duplicates)``: users who got nothing, users who got more than one."""
    counts = [fake.delivered_count(user_id) for user_id in user_ids]
    return sum(1 for c in counts if c == 0), sum(1 for c in counts if c > 1)


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


def make_bot(base_url: str) -> Bot:
    """An aiogram bot talking to the fake at ``base_url``, configured like the project's."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    return Bot(
        DEFAULT_TOKEN,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


@contextlib.asynccontextmanager
async def fresh_fake(limits: TelegramLimits, user_ids: Sequence[int]) -> AsyncIterator[FakeBotAPI]:
    """A new fake Bot API with Telegram's limits that knows every user's chat."""
    async with FakeBotAPI(limits=limits) as fake:
        fake.add_users(user_ids, started=True)
        yield fake


async def render(message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
    """The benchmark's renderer: one short text message per outbox row."""
    return [SendMessage(chat_id=message.chat_id, text=f"Reminder #{message.id}")]


def make_sender(db: Database, rate: float) -> OutboxSender:
    """The project's sender over ``db``, paced at ``rate`` messages a second."""
    return OutboxSender(OutboxRepository(db), UserRepository(db), render, Clock(TZ), send_rate=rate)


async def fill_outbox(db_path: Path, user_ids: Sequence[int]) -> None:
    """Create and migrate the database at ``db_path``; enqueue one due row per user."""
    db = await prepare_database(db_path)
    try:
        now = Clock(TZ).now()
        due = now - timedelta(seconds=1)
        async with db.transaction():
            for user_id in user_ids:
                await enqueue(
                    db,
                    dedup_key=f"bench:{user_id}",
                    chat_id=user_id,
                    kind=KIND,
                    payload={},
                    due_at=due,
                    now=now,
                )
    finally:
        await db.close()


async def wait_outbox_empty(
    outbox: OutboxRepository,
    *,
    all_delivered: Callable[[], bool] | None = None,
    fake: FakeBotAPI | None = None,
    deadline: float,
) -> float:
    """Wait until the outbox has nothing pending; return the loop time the work ended.

    With ``fake`` and ``all_delivered``, the end is the moment the last message reached the
    fake (exact, woken by the fake's own signalling) rather than the next poll of the outbox.
    """
    loop = asyncio.get_running_loop()
    ended: float | None = None
    while True:
        if loop.time() > deadline:
            raise TimeoutError(f"outbox still has {await outbox.backlog()} pending rows")
        if fake is not None and all_delivered is not None and ended is None:
            with contextlib.suppress(TimeoutError):
                await fake.wait_for(all_delivered, timeout=1.0)
                ended = loop.time()
        else:
            await asyncio.sleep(0.1)
        if await outbox.backlog() == 0:
            return ended if ended is not None else loop.time()


def run_deadline(users: int, rate: float) -> float:
    """A generous loop-time deadline for draining ``users`` rows at ``rate``."""
    return asyncio.get_running_loop().time() + users / rate * 4 + 60


# --------------------------------------------------------------------------------------------
# The three ways of sending
# --------------------------------------------------------------------------------------------


async def run_ours(
    limits: TelegramLimits, user_ids: Sequence[int], rate: float, workdir: Path
) -> Result:
    """The outbox sender, in this process, from a freshly filled outbox."""
    db_path = workdir / "ours.sqlite3"
    await fill_outbox(db_path, user_ids)
    db = await prepare_database(db_path)
    try:
        async with fresh_fake(limits, user_ids) as fake, make_bot(fake.base_url) as bot:
            sender = make_sender(db, rate)
            n = len(user_ids)
            loop = asyncio.get_running_loop()
            started = loop.time()
            sender.start(bot)
            try:
                ended = await wait_outbox_empty(
                    sender.outbox,
                    fake=fake,
                    all_delivered=lambda: fake.delivered_total >= n,
                    deadline=run_deadline(n, rate),
                )
            finally:
                await sender.stop()
            lost, duplicates = tally(fake, user_ids)
            failures = int(
                await db.fetchval("SELECT count(*) FROM outbox WHERE status != 'sent'") or 0
            )
            return Result(
                "ours (outbox sender)",
                ended - started,
                fake.delivered_total,
                fake.too_many_requests,
                lost,
                duplicates,
                failures,
                rate,
            )
    finally:
        await db.close()


async def run_naive(limits: TelegramLimits, user_ids: Sequence[int], rate: float) -> Result:
    """A plain loop of awaited sends; a 429 skips (loses) that user."""
    async with fresh_fake(limits, user_ids) as fake, make_bot(fake.base_url) as bot:
        failures = 0
        started = time.perf_counter()
        for number, user_id in enumerate(user_ids, start=1):
            try:
                await bot.send_message(user_id, f"Reminder #{number}")
            except TelegramRetryAfter:
                pass  # counted by the fake; a naive loop just moves on
            except Exception:
                failures += 1
        elapsed = time.perf_counter() - started
        lost, duplicates = tally(fake, user_ids)
        return Result(
            "naive loop",
            elapsed,
            fake.delivered_total,
            fake.too_many_requests,
            lost,
            duplicates,
            failures,
            rate,
        )


async def run_gather(limits: TelegramLimits, user_ids: Sequence[int], rate: float) -> Result:
    """Every send at once with :func:`asyncio.gather`; a 429 loses that user."""
    async with fresh_fake(limits, user_ids) as fake, make_bot(fake.base_url) as bot:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(
                bot.send_message(user_id, f"Reminder #{number}")
                for number, user_id in enumerate(user_ids, start=1)
            ),
            return_exceptions=True,
        )
        elapsed = time.perf_counter() - started
        failures = sum(
            1
            for r in results
            if isinstance(r, BaseException) and not isinstance(r, TelegramRetryAfter)
        )
        lost, duplicates = tally(fake, user_ids)
        return Result(
            "asyncio.gather",
            elapsed,
            fake.delivered_total,
            fake.too_many_requests,
            lost,
            duplicates,
            failures,
            rate,
        )


# --------------------------------------------------------------------------------------------
# Kill and restart
# --------------------------------------------------------------------------------------------


async def spawn_worker(db_path: Path, base_url: str, rate: float) -> asyncio.subprocess.Process:
    """Start this script in ``--worker`` mode on ``db_path`` against the fake at ``base_url``."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--worker",
        str(db_path),
        base_url,
        "--rate",
        str(rate),
        stdin=asyncio.subprocess.DEVNULL,
    )


async def run_kill_restart(
    limits: TelegramLimits,
    user_ids: Sequence[int],
    rate: float,
    workdir: Path,
    rng: random.Random,
) -> KillResult:
    """SIGKILL a sending worker at a random moment; a second worker finishes the outbox."""
    db_path = workdir / "kill.sqlite3"
    await fill_outbox(db_path, user_ids)
    n = len(user_ids)
    kill_after = rng.randint(max(1, n // 5), max(1, 4 * n // 5))
    extra_delay = rng.uniform(0, limits.latency[1])  # land anywhere within a request
    timeout = n / rate * 4 + 60
    async with fresh_fake(limits, user_ids) as fake:
        started = time.perf_counter()
        first = await spawn_worker(db_path, fake.base_url, rate)
        try:
            with contextlib.suppress(TimeoutError):
                await fake.wait_for(
                    lambda: fake.delivered_total >= kill_after or first.returncode is not None,
                    timeout=timeout,
                )
            await asyncio.sleep(extra_delay)
            running = first.returncode is None
            if running:
                first.kill()  # SIGKILL: no cleanup, no graceful stop
            await first.wait()
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
        killed_after = fake.delivered_total
        second = await spawn_worker(db_path, fake.base_url, rate)
        try:
            code = await asyncio.wait_for(second.wait(), timeout)
        finally:
            if second.returncode is None:
                second.kill()
                await second.wait()
        if code != 0:
            raise RuntimeError(f"the restarted worker exited with {code}")
        elapsed = time.perf_counter() - started
        lost, duplicates = tally(fake, user_ids)
        return KillResult(
            killed_after,
            elapsed,
            fake.delivered_total,
            fake.too_many_requests,
            lost,
            duplicates,
            running,
        )


async def worker(db_path: Path, base_url: str, rate: float) -> None:
    """Hidden ``--worker`` mode: run the outbox sender until nothing is pending, then stop."""
    db = await prepare_database(db_path)
    try:
        async with make_bot(base_url) as bot:
            sender = make_sender(db, rate)
            sender.start(bot)
            try:
                deadline = run_deadline(await sender.outbox.backlog(), rate)
                await wait_outbox_empty(sender.outbox, deadline=deadline)
            finally:
                await sender.stop()
    finally:
        await db.close()


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def report(
    users: int,
    rate: float,
    limits: TelegramLimits,
    results: Sequence[Result],
    kill: KillResult,
) -> str:
    """The human-readable table followed by the machine-readable last line."""
    ours, naive, gather = results
    lines = [
        f"One message to each of {users} users; fake Telegram limits: "
        f"{limits.per_bot_per_second:g}/s per bot, {limits.per_chat_per_second:g}/s per chat, "
        f"latency {limits.latency[0] * 1000:g}-{limits.latency[1] * 1000:g} ms; "
        f"configured rate {rate:g}/s.",
        "",
        f"{'method':<22}{'elapsed s':>10}{'delivered':>11}{'msg/s':>8}{'of rate':>9}"
        f"{'429s':>7}{'lost':>7}{'dups':>6}{'errors':>8}",
    ]
    for r in results:
        lines.append(
            f"{r.name:<22}{r.elapsed:>10.2f}{r.delivered:>11}{r.throughput:>8.1f}"
            f"{r.rate_fraction:>9.2f}{r.n429:>7}{r.lost:>7}{r.duplicates:>6}{r.failures:>8}"
        )
    state = "while sending" if kill.killed_while_running else "AFTER IT HAD FINISHED (no kill)"
    lines += [
        "",
        f"ours, kill -9 and restart: worker killed {state} after {kill.killed_after} "
        f"deliveries; the restarted worker finished in {kill.elapsed:.2f} s total; "
        f"delivered {kill.delivered}, 429s {kill.n429}, lost {kill.lost}, "
        f"duplicates {kill.duplicates} (at most 1 allowed).",
        "",
        f"rate_fraction={ours.rate_fraction:.2f} n429={ours.n429} lost={ours.lost} "
        f"duplicates={ours.duplicates} throughput={ours.throughput:.1f} "
        f"kill_lost={kill.lost} kill_duplicates={kill.duplicates} "
        f"naive_throughput={naive.throughput:.1f} naive_n429={naive.n429} "
        f"naive_lost={naive.lost} "
        f"gather_throughput={gather.throughput:.1f} gather_n429={gather.n429} "
        f"gather_lost={gather.lost}",
    ]
    return "\n".join(lines)


async def bench(users: int, rate: float, seed: int) -> str:
    """Run every round and return the report."""
    rng = random.Random(seed)
    limits = TelegramLimits(seed=seed)
    user_ids = list(range(FIRST_USER_ID, FIRST_USER_ID + users))
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        workdir = Path(tmp)
        ours = await run_ours(limits, user_ids, rate, workdir)
        naive = await run_naive(limits, user_ids, rate)
        gather = await run_gather(limits, user_ids, rate)
        kill = await run_kill_restart(limits, user_ids, rate, workdir, rng)
    return report(users, rate, limits, [ours, naive, gather], kill)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="number of users (default 200)")
    parser.add_argument("--rate", type=float, default=25, help="sender's rate, msg/s (25)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--worker", nargs=2, metavar=("DB_PATH", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.users < 1 or args.rate <= 0:
        parser.error("--users and --rate must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.worker:
        db_path, base_url = args.worker
        asyncio.run(worker(Path(db_path), base_url, args.rate))
        return 0
    print(asyncio.run(bench(args.users, args.rate, args.seed)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
