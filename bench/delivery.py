"""Delivery benchmark: a broadcast to N users under Telegram's flood limits, over a network
with a round trip.

Starts the Bot API emulator (:mod:`bot.emulator`) on 127.0.0.1 enforcing Telegram's limits
(30 messages a second per bot, 1 per chat, edits counted, 429 beyond) and answering every call
after ``--rtt`` seconds, as Telegram does from far away (150-300 ms is common), and compares,
in one run, three ways of sending one message to each user:

1. **ours** - a broadcast as the staff make one: the preview (three messages at once to the
   staff member's chat), the progress message, then the project's
   :class:`~bot.delivery.sender.OutboxSender` draining the outbox while the
   :class:`~bot.services.broadcasts.BroadcastMonitor` edits the progress and posts the final
   report; replies and bulk share one :class:`~bot.delivery.pacing.LocalPacer`;
2. **naive** - ``await bot.send_message(...)`` one after another (a 429 is waited out);
3. **sleep 50 ms** - the same with ``asyncio.sleep(0.05)`` after each message, the pacing of
   aiogram-broadcast (a 429 is waited out).

The baselines are sequential, so their rate does not depend on the number of users: they send
to the first ``--baseline-users`` only, to keep the run short.

Then a **kill and restart** round: the sender runs in a child process (this script with the
hidden ``--worker`` mode), is SIGKILLed at a random (seeded) moment while sending, and a new
child finishes the outbox. Nobody may be lost; at most the calls in flight (the window, never
more than its bound) may be sent twice.

Usage::

    python bench/delivery.py [--users 1000] [--rtt 0.15] [--rate 25] [--seed 1]

The last line of the output is ``key=value`` pairs for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage, TelegramMethod
from common import make_bot, network

from bot.app import prepare_database
from bot.clock import Clock
from bot.delivery.pacing import LocalPacer, Pacer
from bot.delivery.sender import MAX_IN_FLIGHT, OutboxSender
from bot.emulator import FakeBotAPI, TelegramLimits
from bot.services.broadcasts import BroadcastMonitor
from db.broadcasts import Broadcast, BroadcastRepository, Progress
from db.database import Database
from db.outbox import OutboxMessage, OutboxRepository
from db.users import UserRepository

log = logging.getLogger("bench.delivery")

TZ = ZoneInfo("Asia/Krasnoyarsk")
FIRST_USER_ID = 700_000_001
"""Simulated users get ids ``FIRST_USER_ID ..`` (positive: private chats)."""
STAFF = 600_000_001
"""The staff member who makes the broadcast: the preview, progress and report go there."""
TEXT = "Day of open doors on Saturday"
SCRIPT = Path(__file__).resolve()
"""This script, re-invoked in ``--worker`` mode for the kill-and-restart round."""


@dataclass
class Result:
    """What one way of sending achieved."""

    name: str
    elapsed: float
    delivered: int
    n429: int
    lost: int
    duplicates: int
    rate: float
    staff_n429: int = 0
    peak_in_flight: int = 1

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


def tally(fake: FakeBotAPI, user_ids: Sequence[int]) -> tuple[int, int, int]:
    """``(delivered, lost, duplicates)`` over ``user_ids``: messages that reached them, users
    who got nothing, users who got more than one."""
    counts = [fake.delivered_count(user_id) for user_id in user_ids]
    return sum(counts), sum(1 for c in counts if c == 0), sum(1 for c in counts if c > 1)


@contextlib.asynccontextmanager
async def fresh_fake(limits: TelegramLimits, user_ids: Sequence[int]) -> AsyncIterator[FakeBotAPI]:
    """A new emulator with Telegram's limits that knows every user's chat and the staff's."""
    async with FakeBotAPI(limits=limits) as fake:
        fake.add_users([*user_ids, STAFF], started=True)
        yield fake


async def render(message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
    """The benchmark's renderer: the broadcast's text, one message per outbox row."""
    return [SendMessage(chat_id=message.chat_id, text=TEXT)]


async def progress_text(broadcast: Broadcast, progress: Progress, finished: bool) -> str:
    head = "finished" if finished else "being sent"
    return f"Broadcast {broadcast.id} {head}: {progress.sent} delivered, {progress.pending} waiting"


def make_sender(db: Database, pacer: Pacer) -> OutboxSender:
    """The project's sender over ``db``, with its defaults, on ``pacer``."""
    return OutboxSender(OutboxRepository(db), UserRepository(db), render, Clock(TZ), pacer=pacer)


async def queue_broadcast(db: Database, user_ids: Sequence[int]) -> int:
    """A broadcast to every user, queued as the staff's «Send» queues it; its id."""
    return await BroadcastRepository(db).create(
        author_id=STAFF,
        text=TEXT,
        photo_file_id=None,
        segment={"kind": "all", "value": ""},
        recipients=list(user_ids),
        now=Clock(TZ).now(),
    )


def deadline_for(users: int, rate: float) -> float:
    """A generous timeout for delivering to ``users`` at ``rate``."""
    return users / rate * 4 + 60


# --------------------------------------------------------------------------------------------
# The ways of sending
# --------------------------------------------------------------------------------------------


async def run_ours(
    limits: TelegramLimits, user_ids: Sequence[int], rate: float, workdir: Path
) -> Result:
    """A broadcast as the staff make one, through the outbox, in this process."""
    db = await prepare_database(workdir / "ours.sqlite3")
    n = len(user_ids)
    try:
        async with fresh_fake(limits, user_ids) as fake:
            pacer = LocalPacer(rate)
            async with make_bot(fake.base_url, pacer) as bot:
                staff = fake.user(STAFF)
                for text in ("Preview:", TEXT, f"To: all users\nRecipients: {n}"):
                    await bot.send_message(STAFF, text)  # a handler's burst to one chat
                broadcast_id = await queue_broadcast(db, user_ids)
                shown = await bot.send_message(STAFF, f"Broadcast {broadcast_id} queued")
                repo = BroadcastRepository(db)
                await repo.set_progress_message(broadcast_id, STAFF, shown.message_id)
                sender = make_sender(db, pacer)
                monitor = BroadcastMonitor(repo, progress_text, Clock(TZ))
                loop = asyncio.get_running_loop()
                started = loop.time()
                sender.start(bot)
                monitor.start(bot)
                try:
                    await fake.wait_for(
                        lambda: fake.delivered_total - fake.delivered_count(STAFF) >= n,
                        timeout=deadline_for(n, rate),
                        what="every recipient's message",
                    )
                    ended = loop.time()
                    await fake.wait_for(
                        lambda: any("finished" in m.get("text", "") for m in staff.messages()),
                        timeout=60,
                        what="the final report in the staff's chat",
                    )
                finally:
                    await sender.stop()
                    await monitor.stop()
            delivered, lost, duplicates = tally(fake, user_ids)
            staff_429 = sum(
                1 for r in fake.rejected if r.error_code == 429 and r.params.get("chat_id") == STAFF
            )
            return Result(
                "ours (outbox sender)",
                ended - started,
                delivered,
                fake.too_many_requests,
                lost,
                duplicates,
                rate,
                staff_n429=staff_429,
                peak_in_flight=sender.window.peak,
            )
    finally:
        await db.close()


async def send_waiting_out_429(bot: Bot, user_id: int, text: str) -> None:
    """Send; a 429 is waited out and the message sent again (nobody lost)."""
    while True:
        try:
            await bot.send_message(user_id, text)
            return
        except TelegramRetryAfter as exc:
            await asyncio.sleep(exc.retry_after)


async def run_sequential(
    name: str,
    limits: TelegramLimits,
    user_ids: Sequence[int],
    rate: float,
    pause: Callable[[], Awaitable[None]] | None,
) -> Result:
    """One message after another (and ``pause`` after each)."""
    async with fresh_fake(limits, user_ids) as fake, make_bot(fake.base_url) as bot:
        started = time.perf_counter()
        for user_id in user_ids:
            await send_waiting_out_429(bot, user_id, TEXT)
            if pause is not None:
                await pause()
        elapsed = time.perf_counter() - started
        delivered, lost, duplicates = tally(fake, user_ids)
        return Result(name, elapsed, delivered, fake.too_many_requests, lost, duplicates, rate)


# --------------------------------------------------------------------------------------------
# Kill and restart
# --------------------------------------------------------------------------------------------


async def spawn_worker(db_path: Path, base_url: str, rate: float) -> asyncio.subprocess.Process:
    """Start this script in ``--worker`` mode on ``db_path`` against the emulator."""
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
    db = await prepare_database(db_path)
    try:
        await queue_broadcast(db, user_ids)
    finally:
        await db.close()
    n = len(user_ids)
    kill_after = rng.randint(max(1, n // 5), max(1, 4 * n // 5))
    extra_delay = rng.uniform(0, limits.latency[1])  # land anywhere within a round trip
    timeout = deadline_for(n, rate)
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
        delivered, lost, duplicates = tally(fake, user_ids)
        return KillResult(
            killed_after, elapsed, delivered, fake.too_many_requests, lost, duplicates, running
        )


async def worker(db_path: Path, base_url: str, rate: float) -> None:
    """Hidden ``--worker`` mode: run the outbox sender until nothing is pending, then stop."""
    db = await prepare_database(db_path)
    try:
        async with make_bot(base_url) as bot:
            sender = make_sender(db, LocalPacer(rate))
            sender.start(bot)
            try:
                deadline = time.monotonic() + deadline_for(await sender.outbox.backlog(), rate)
                while await sender.outbox.backlog() > 0:
                    if time.monotonic() > deadline:
                        raise TimeoutError("the outbox is not empty")
                    await asyncio.sleep(0.2)
            finally:
                await sender.stop()
    finally:
        await db.close()


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def expected_window(rate: float, rtt: float) -> int:
    """The window the sender settles at for this round trip (see InFlightWindow.size)."""
    return min(MAX_IN_FLIGHT, math.ceil(rate * rtt) + 2)


def report(
    users: int,
    rtt: float,
    rate: float,
    results: Sequence[Result],
    kill: KillResult | None,
) -> str:
    """The human-readable table followed by the machine-readable last line."""
    ours, naive, sleeper = results
    lines = [
        f"A broadcast to {users} users (baselines: {naive.delivered} users); emulator: 30/s per "
        f"bot, 1/s per chat, edits counted, every call answered after {rtt * 1000:g} ms; "
        f"SEND_RATE {rate:g}/s.",
        "",
        f"{'method':<22}{'elapsed s':>10}{'delivered':>11}{'msg/s':>8}{'of rate':>9}"
        f"{'429s':>7}{'lost':>6}{'dups':>6}{'in flight':>11}",
    ]
    for r in results:
        lines.append(
            f"{r.name:<22}{r.elapsed:>10.2f}{r.delivered:>11}{r.throughput:>8.1f}"
            f"{r.rate_fraction:>9.2f}{r.n429:>7}{r.lost:>6}{r.duplicates:>6}"
            f"{r.peak_in_flight:>11}"
        )
    lines += [
        "",
        f"ours: 429s in the staff member's chat (preview, progress edits, report): "
        f"{ours.staff_n429}; at most {ours.peak_in_flight} calls in flight "
        f"(expected about {expected_window(rate, rtt)}, bound {MAX_IN_FLIGHT}).",
    ]
    figures = (
        f"rtt={rtt:g} users={users} throughput={ours.throughput:.1f} "
        f"rate_fraction={ours.rate_fraction:.2f} n429={ours.n429} staff_n429={ours.staff_n429} "
        f"lost={ours.lost} duplicates={ours.duplicates} peak_in_flight={ours.peak_in_flight} "
        f"window_bound={MAX_IN_FLIGHT} naive_throughput={naive.throughput:.1f} "
        f"naive_n429={naive.n429} sleep50_throughput={sleeper.throughput:.1f} "
        f"sleep50_n429={sleeper.n429} ours_vs_naive={ours.throughput / naive.throughput:.2f} "
        f"ours_vs_sleep50={ours.throughput / sleeper.throughput:.2f}"
    )
    if kill is not None:
        state = "while sending" if kill.killed_while_running else "AFTER IT HAD FINISHED (no kill)"
        lines += [
            "",
            f"ours, kill -9 and restart: worker killed {state} after {kill.killed_after} "
            f"deliveries; the restarted worker finished in {kill.elapsed:.2f} s total; "
            f"delivered {kill.delivered}, 429s {kill.n429}, lost {kill.lost}, "
            f"duplicates {kill.duplicates} (at most the calls in flight: about "
            f"{expected_window(rate, rtt)}, never more than {MAX_IN_FLIGHT}).",
        ]
        figures += f" kill_lost={kill.lost} kill_duplicates={kill.duplicates}"
    return "\n".join([*lines, "", figures])


async def bench(args: argparse.Namespace) -> str:
    """Run every round and return the report."""
    rng = random.Random(args.seed)
    limits = network(args.rtt, args.seed)
    user_ids = list(range(FIRST_USER_ID, FIRST_USER_ID + args.users))
    few = user_ids[: min(args.users, args.baseline_users)]

    async def sleep_50ms() -> None:
        await asyncio.sleep(0.05)

    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        workdir = Path(tmp)
        ours = await run_ours(limits, user_ids, args.rate, workdir)
        print(f"ours: {ours.throughput:.1f} msg/s", flush=True)
        naive = await run_sequential("naive loop", limits, few, args.rate, None)
        print(f"naive: {naive.throughput:.1f} msg/s", flush=True)
        sleeper = await run_sequential("sleep 50 ms", limits, few, args.rate, sleep_50ms)
        print(f"sleep 50 ms: {sleeper.throughput:.1f} msg/s", flush=True)
        kill = None
        if not args.no_kill:
            kill = await run_kill_restart(limits, user_ids, args.rate, workdir, rng)
    return report(args.users, args.rtt, args.rate, [ours, naive, sleeper], kill)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000, help="number of users (1000)")
    parser.add_argument("--rtt", type=float, default=0.15, help="round trip, seconds (0.15)")
    parser.add_argument("--rate", type=float, default=25, help="SEND_RATE, msg/s (25)")
    parser.add_argument(
        "--baseline-users", type=int, default=300, help="users of the sequential baselines (300)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--no-kill", action="store_true", help="leave out the kill -9 round")
    parser.add_argument("--worker", nargs=2, metavar=("DB_PATH", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.users < 1 or args.rate <= 0 or args.rtt < 0 or args.baseline_users < 1:
        parser.error("--users, --rate and --baseline-users must be positive, --rtt at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.worker:
        db_path, base_url = args.worker
        asyncio.run(worker(Path(db_path), base_url, args.rate))
        return 0
    print(asyncio.run(bench(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
