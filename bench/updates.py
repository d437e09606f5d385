"""Dispatch: how fast the bot answers a burst of people, against a bare aiogram bot, and how
much memory it holds after 10,000 of them.

Both bots run as processes in webhook mode against the same Bot API emulator, which answers
every call after ``--rtt`` seconds; updates come ``--concurrency`` at a time (Telegram's
default ``max_connections`` for a webhook is 40):

* **ours**: ``python -m bot`` as deployed (SQLite, every middleware and router), with one
  change: the pacer's budget is lifted, since the emulator enforces no flood limit here and
  what is compared is the handling of updates, not Telegram's ~30 messages a second;
* **bare**: aiogram 3 with ``MemoryStorage``, a ``/start`` that answers the same menu, and a
  button that edits it into a list: the least a bot can do for the same two updates.

Each is sent a burst of ``--users`` new people pressing /start, then the same people pressing
«🎓 Specialties» on the menu: answers per second and the 95th percentile of the time to answer
(until the webhook answered 200, every reply sent). Then more new people press /start until
``--rss-users`` distinct people have, and the resident memory of the process is read.

    python bench/updates.py [--users 500] [--rss-users 10000] [--rtt 0.15]

The last line holds the figures as key=value.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from common import (
    WEBHOOK_SECRET,
    free_port,
    network,
    percentile,
    post_update,
    rss_mb,
    start_bot,
    wait_http,
)

from bot.emulator import FakeBotAPI, FakeUser

SCRIPT = Path(__file__).resolve()
# With --profile: py-spy records the bot's stacks (collapsed, one line a stack) while it runs.
# (py-spy must be installed in the virtual environment: pip install py-spy.)
PROFILED = """
import os, sys
spy, out, *bot = sys.argv[1:]
os.execv(spy, [spy, "record", "--format", "raw", "--rate", "200", "-o", out, "--",
               sys.executable, *bot])
"""
FIRST_USER = 800_000_001
SPECIALTIES = "🎓 Specialties"


@dataclass
class Burst:
    rate: float  # answers per second
    p50: float
    p95: float


@dataclass
class Figures:
    start: Burst
    button: Burst
    rss: float  # MB after rss_users distinct people


async def burst(
    session: aiohttp.ClientSession,
    port: int,
    users: Sequence[FakeUser],
    concurrency: int,
    act: Callable[[FakeUser], None],
) -> Burst:
    """Each user acts once (an update each), ``concurrency`` updates in flight at most."""
    fake = users[0].fake
    slots = asyncio.Semaphore(concurrency)
    took: list[float] = []

    async def one(user: FakeUser) -> None:
        async with slots:
            act(user)
            [update] = fake.take_updates_of(user.id)
            started = time.perf_counter()
            await post_update(session, port, update)
            took.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(user) for user in users))
    elapsed = time.perf_counter() - started
    return Burst(len(users) / elapsed, percentile(took, 50), percentile(took, 95))


def press_start(user: FakeUser) -> None:
    user.send("/start")


def press_specialties(user: FakeUser) -> None:
    user.click(SPECIALTIES)


async def measure(which: str, args: argparse.Namespace) -> Figures:
    """Start one bot (``ours`` or ``bare``), send it the bursts, read its memory."""
    with tempfile.TemporaryDirectory(prefix=f"bench-updates-{which}-") as tmp:
        async with FakeBotAPI(limits=network(args.rtt, flood_limits=False)) as fake:
            port = free_port()
            command: tuple[str, ...] = (str(SCRIPT), f"--serve-{which}")
            if args.profile:  # py-spy starts the bot and samples it (its own memory is read)
                spy = Path(sys.executable).with_name("py-spy")
                command = ("-c", PROFILED, str(spy), str(args.profile), *command)
            process = start_bot(fake, Path(tmp), port, *command)
            try:
                await wait_http(port, "/healthz" if which == "ours" else "/ready")
                async with aiohttp.ClientSession() as session:

                    def people(first: int, count: int) -> list[FakeUser]:
                        return [fake.user(first + i, f"U{i}", "en") for i in range(count)]

                    warm = people(FIRST_USER - 1000, 40)
                    await burst(session, port, warm, args.concurrency, press_start)
                    await burst(session, port, warm, args.concurrency, press_specialties)
                    crowd = people(FIRST_USER, args.users)
                    start = await burst(session, port, crowd, args.concurrency, press_start)
                    button = await burst(session, port, crowd, args.concurrency, press_specialties)
                    seen = len(warm) + len(crowd)
                    more = people(FIRST_USER + args.users, max(0, args.rss_users - seen))
                    await burst(session, port, more, args.concurrency, press_start)
                    rss = rss_mb(bot_pid(process.pid, args.profile))
            finally:
                # The bot stops on SIGTERM; py-spy then writes its file and exits too.
                # Waited in a thread: the emulator, on this event loop, answers the bot's last
                # calls while it stops.
                os.kill(bot_pid(process.pid, args.profile), signal.SIGTERM)
                await asyncio.to_thread(process.wait, 60)
    return Figures(start, button, rss)


def bot_pid(pid: int, profiled: bool) -> int:
    """The bot's process: ``pid``, or under py-spy its child."""
    if not profiled:
        return pid
    return int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])


# --- the two bots, each in its own process -----------------------------------------------------


def serve_ours() -> int:
    """``python -m bot``, its pacer's budget lifted (the emulator here has no flood limits)."""
    import bot.app
    from bot.cli import main
    from bot.delivery.pacing import LocalPacer

    bot.app.build_pacer = lambda settings, redis=None: LocalPacer(1e9, 0, 0)
    return main([])


def serve_bare() -> int:
    """The least aiogram bot answering the same two updates, with MemoryStorage."""
    import os

    from aiogram import Bot, Dispatcher, F, Router
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.enums import ParseMode
    from aiogram.filters import CommandStart
    from aiogram.fsm.storage.memory import MemoryStorage
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    labels = [SPECIALTIES, "🏫 Colleges", "📝 How to apply", "❓ Questions", "✍️ Apply", "🌐"]
    menu = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=f"m:{n}")]
            for n, label in enumerate(labels)
        ]
    )
    listing = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="🏠 Main menu", callback_data="m:home")]]
    )
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("<b>Metallurgy cluster</b>\nChoose a section.", reply_markup=menu)

    @router.callback_query(F.data == "m:0")
    async def specialties(callback: CallbackQuery) -> None:
        await callback.answer()
        assert isinstance(callback.message, Message)
        await callback.message.edit_text("<b>Specialties</b>\n…", reply_markup=listing)

    dp = Dispatcher(storage=MemoryStorage())
    dp.include_router(router)
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(
        os.environ["BOT_TOKEN"],
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    app = web.Application()
    app.router.add_get("/ready", lambda request: web.Response(text="ok"))
    SimpleRequestHandler(dp, bot, secret_token=WEBHOOK_SECRET, handle_in_background=False).register(
        app, path="/telegram/webhook"
    )
    setup_application(app, dp, bot=bot)
    web.run_app(app, host="127.0.0.1", port=int(os.environ["WEBHOOK_PORT"]), print=None)
    return 0


async def main(args: argparse.Namespace) -> None:
    bare = await measure("bare", args)
    print(f"bare aiogram: /start {bare.start.rate:.0f}/s, button {bare.button.rate:.0f}/s, "
          f"{bare.rss:.0f} MB", flush=True)  # fmt: skip
    ours = await measure("ours", args)
    print(f"ours: /start {ours.start.rate:.0f}/s, button {ours.button.rate:.0f}/s, "
          f"{ours.rss:.0f} MB", flush=True)  # fmt: skip
    rows = [("bare aiogram + MemoryStorage", bare), ("ours (python -m bot)", ours)]
    print(
        f"\nA burst of {args.users} new people, {args.concurrency} updates at a time; emulator "
        f"answering every call after {args.rtt * 1000:g} ms, no flood limits.\n"
    )
    print(f"{'bot':<30}{'/start/s':>9}{'p95 s':>7}{'button/s':>9}{'p95 s':>7}"
          f"{f'MB@{args.rss_users}':>10}")  # fmt: skip
    for name, f in rows:
        print(f"{name:<30}{f.start.rate:>9.0f}{f.start.p95:>7.2f}{f.button.rate:>9.0f}"
              f"{f.button.p95:>7.2f}{f.rss:>10.0f}")  # fmt: skip
    print(
        f"\nstart_ratio={ours.start.rate / bare.start.rate:.2f} "
        f"button_ratio={ours.button.rate / bare.button.rate:.2f} "
        f"start_p95={ours.start.p95:.2f} button_p95={ours.button.p95:.2f} "
        f"bare_start_p95={bare.start.p95:.2f} bare_button_p95={bare.button.p95:.2f} "
        f"rss_mb={ours.rss:.0f} bare_rss_mb={bare.rss:.0f} "
        f"rss_over_bare_mb={ours.rss - bare.rss:.0f} "
        f"start_rps={ours.start.rate:.0f} bare_start_rps={bare.start.rate:.0f} "
        f"button_rps={ours.button.rate:.0f} bare_button_rps={bare.button.rate:.0f}",
        flush=True,
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve-ours"]:
        sys.exit(serve_ours())
    if sys.argv[1:] == ["--serve-bare"]:
        sys.exit(serve_bare())
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500, help="people in the burst (500)")
    parser.add_argument(
        "--rss-users", type=int, default=10_000, help="distinct people before RSS (10000)"
    )
    parser.add_argument("--rtt", type=float, default=0.15, help="round trip, seconds (0.15)")
    parser.add_argument("--concurrency", type=int, default=40, help="updates in flight (40)")
    parser.add_argument(
        "--profile", type=Path, help="only ours, sampled by py-spy into this file (collapsed)"
    )
    logging.basicConfig(level=logging.WARNING)
    arguments = parser.parse_args()
    if arguments.profile:
        print(asyncio.run(measure("ours", arguments)))
    else:
        asyncio.run(main(arguments))
