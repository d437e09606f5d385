"""Replies during a broadcast: people pressing buttons while thousands of messages go out.

The real bot (``python -m bot``, webhook mode, default settings) against the Bot API emulator
enforcing Telegram's limits (30 messages a second per bot, 1 per chat, edits counted) and
answering every call after ``--rtt`` seconds. ``--people`` users open the menu, then each
presses a button («🎓 Specialties», then «🏠 Main menu», and so on) every ``--think`` seconds
(uniformly random), in two phases:

1. **quiet** (``--quiet`` seconds): nothing else goes on;
2. **broadcast**: a staff member makes a broadcast to every user of the bot (the ``--bulk``
   others were seen before), through the staff screens (preview, «Send», progress message),
   and the people go on pressing until every message of it is delivered.

A reply's latency is the time from the update reaching the bot to the bot's edit reaching
Telegram (the emulator); the figures are its median and 95th percentile in each phase, the
broadcast's own rate, and the 429s (none expected). The last line is ``key=value``.

    python bench/interactive.py [--people 200] [--bulk 5000] [--rtt 0.15] [--think 20 40]
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from common import free_port, network, percentile, post_update, start_bot, wait_http

from bot.app import prepare_database
from bot.emulator import FakeBotAPI, FakeUser, inline_buttons
from db.users import UserRepository
from tests.helpers import daytime_zone

log = logging.getLogger("bench.interactive")

STAFF = 600_000_001
FIRST_PERSON = 710_000_001
FIRST_BULK = 720_000_001
TEXT = "Day of open doors on Saturday"
LABELS = ("🎓 Specialties", "🏠 Main menu")  # pressed in turn: each answer is an edit


@dataclass
class Press:
    user_id: int
    message_id: int
    at: float  # time.time() when the update was sent
    phase: str


@dataclass
class Driver:
    fake: FakeBotAPI
    port: int
    session: aiohttp.ClientSession
    rng: random.Random
    think: tuple[float, float]
    phase: str = "warm-up"
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    presses: list[Press] = field(default_factory=list)

    async def act(self, user: FakeUser) -> None:
        """Deliver the update the user's last action made."""
        for update in self.fake.take_updates_of(user.id):
            await post_update(self.session, self.port, update)

    async def person(self, user: FakeUser) -> None:
        """Open the menu, then press a button every few seconds until told to stop."""
        user.send("/start")
        await self.act(user)
        turn = 0
        await asyncio.sleep(self.rng.uniform(0, self.think[1]))
        while not self.stop.is_set():
            label = LABELS[turn % 2]
            menu = await self.keyboard_with(user, label)
            turn += 1
            user.click(label, menu)
            self.presses.append(Press(user.id, menu["message_id"], time.time(), self.phase))
            await self.act(user)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), self.rng.uniform(*self.think))

    async def keyboard_with(self, user: FakeUser, label: str) -> dict[str, Any]:
        """The user's message that shows ``label`` (waits while the bot has not answered)."""
        while True:
            for message in reversed(user.messages()):
                if label in [button.get("text") for button in inline_buttons(message)]:
                    return message
            await asyncio.sleep(0.1)

    async def staff_broadcast(self, staff: FakeUser, recipients: int) -> float:
        """The staff member's broadcast through the staff screens; when «Send» was pressed."""
        staff.send("/staff")
        await self.act(staff)
        staff.click("📣 Broadcast", await staff.wait_reply(timeout=30))
        await self.act(staff)
        await staff.wait_reply(timeout=30)
        staff.send(TEXT)
        await self.act(staff)
        staff.click("No English version", await staff.wait_reply(timeout=30))
        await self.act(staff)
        staff.click("👥 All users", await staff.wait_reply(timeout=30))
        await self.act(staff)
        preview = await staff.wait_replies(3, timeout=30)
        sent_at = time.time()
        staff.click(f"✅ Send to {recipients}", preview[-1])
        await self.act(staff)
        return sent_at


def latencies(fake: FakeBotAPI, presses: Sequence[Press]) -> dict[str, list[float]]:
    """For each press, the time until the bot's edit of that message reached the emulator."""
    edits: dict[tuple[int, int], list[float]] = {}
    for request in fake.requests:
        if request.method == "editMessageText" and request.ok:
            key = (request.params.get("chat_id"), request.params.get("message_id"))
            edits.setdefault(key, []).append(request.time)  # type: ignore[arg-type]
    by_phase: dict[str, list[float]] = {}
    for press in presses:
        after = [t for t in edits.get((press.user_id, press.message_id), []) if t >= press.at]
        if after:
            by_phase.setdefault(press.phase, []).append(min(after) - press.at)
        else:
            by_phase.setdefault(press.phase + " unanswered", []).append(0.0)
    return by_phase


async def seed_users(db_path: Path, ids: Sequence[int]) -> None:
    """Users the bot has seen before (who /start-ed it some day): a broadcast reaches them."""
    db = await prepare_database(db_path)
    try:
        users = UserRepository(db)
        now = datetime.now(UTC)
        for user_id in ids:
            await users.touch(user_id, "ru", now)
    finally:
        await db.close()


async def run(args: argparse.Namespace) -> str:
    rng = random.Random(args.seed)
    people_ids = list(range(FIRST_PERSON, FIRST_PERSON + args.people))
    bulk_ids = list(range(FIRST_BULK, FIRST_BULK + args.bulk))
    with tempfile.TemporaryDirectory(prefix="bench-interactive-") as tmp:
        folder = Path(tmp)
        await seed_users(folder / "bot.sqlite3", bulk_ids)
        async with FakeBotAPI(limits=network(args.rtt, args.seed)) as fake:
            fake.add_users(bulk_ids, started=True)
            people = [fake.user(i, f"P{i}", language_code="en", started=True) for i in people_ids]
            staff = fake.user(STAFF, "Staff", language_code="en", started=True)
            port = free_port()
            process = start_bot(fake, folder, port, ADMIN_IDS=str(STAFF), TIMEZONE=daytime_zone())
            try:
                await wait_http(port)
                async with aiohttp.ClientSession() as session:
                    driver = Driver(fake, port, session, rng, tuple(args.think))
                    tasks = [asyncio.create_task(driver.person(p)) for p in people]
                    await asyncio.sleep(args.think[1])  # everyone has their menu
                    driver.phase = "quiet"
                    await asyncio.sleep(args.quiet)
                    driver.phase = "broadcast"
                    recipients = args.bulk + args.people + 1
                    sent_at = await driver.staff_broadcast(staff, recipients)
                    deadline = time.monotonic() + args.bulk / 5 + 120
                    while sum(1 for i in bulk_ids if fake.delivered_count(i)) < len(bulk_ids):
                        if time.monotonic() > deadline:
                            raise TimeoutError("the broadcast did not reach everyone")
                        await asyncio.sleep(0.5)
                    driver.stop.set()
                    await asyncio.gather(*tasks)
            finally:
                # Waited in a thread: the emulator, on this event loop, answers the bot's last
                # calls while it stops.
                process.terminate()
                await asyncio.to_thread(process.wait, 30)
            bulk_times = [
                r.time
                for r in fake.requests
                if r.method == "sendMessage" and r.ok and r.params.get("text") == TEXT
                and r.params.get("chat_id") != STAFF
            ]  # fmt: skip
            staff_429 = sum(1 for r in fake.rejected if r.params.get("chat_id") == STAFF)
            lost = sum(1 for i in [*bulk_ids, *people_ids] if fake.delivered_count(i) == 0)
            by_phase = latencies(fake, driver.presses)
            n429 = fake.too_many_requests
    quiet, loud = by_phase.get("quiet", []), by_phase.get("broadcast", [])
    unanswered = sum(len(v) for k, v in by_phase.items() if k.endswith("unanswered"))
    bulk_rate = len(bulk_times) / (max(bulk_times) - sent_at) if bulk_times else 0.0
    reply_rate = len(loud) / (max(bulk_times) - sent_at) if bulk_times else 0.0
    lines = [
        f"{args.people} people pressing a button every {args.think[0]:g}-{args.think[1]:g} s; "
        f"a broadcast to {recipients} users; emulator: 30/s per bot, 1/s per chat, edits "
        f"counted, every call answered after {args.rtt * 1000:g} ms; SEND_RATE 25/s.",
        "",
        f"{'phase':<30}{'replies':>9}{'p50 s':>8}{'p95 s':>8}{'max s':>8}",
    ]
    for name, values in (("quiet", quiet), ("during the broadcast", loud)):
        lines.append(
            f"{name:<30}{len(values):>9}{percentile(values, 50):>8.2f}"
            f"{percentile(values, 95):>8.2f}{max(values, default=0):>8.2f}"
        )
    lines += [
        "",
        f"broadcast: {len(bulk_times)} messages at {bulk_rate:.1f}/s (replies meanwhile: "
        f"{reply_rate:.1f}/s); lost {lost}; 429s {n429} ({staff_429} in the staff's chat); "
        f"presses unanswered {unanswered}.",
        "",
        f"p95_quiet={percentile(quiet, 95):.2f} p95_broadcast={percentile(loud, 95):.2f} "
        f"p50_quiet={percentile(quiet, 50):.2f} p50_broadcast={percentile(loud, 50):.2f} "
        f"p95_ratio={percentile(loud, 95) / max(percentile(quiet, 95), 1e-9):.2f} "
        f"bulk_rate={bulk_rate:.1f} reply_rate={reply_rate:.1f} n429={n429} "
        f"staff_n429={staff_429} lost={lost} unanswered={unanswered}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200, help="people pressing buttons (200)")
    parser.add_argument("--bulk", type=int, default=5000, help="other users (5000)")
    parser.add_argument("--rtt", type=float, default=0.15, help="round trip, seconds (0.15)")
    parser.add_argument(
        "--think", type=float, nargs=2, default=(20.0, 40.0), metavar=("MIN", "MAX"),
        help="seconds between two presses of one person (20 40)",
    )  # fmt: skip
    parser.add_argument("--quiet", type=float, default=60, help="quiet phase, seconds (60)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print(asyncio.run(run(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
