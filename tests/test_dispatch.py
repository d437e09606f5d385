"""What handling an update costs: no write for someone browsing, no lock kept per person,
nothing loaded at start-up that only staff features need, each answer type built once, the
catalogue version checked at most once a second."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import EditMessageText, SendMessage
from aiogram.methods.base import Response

from bot.app import build_bot
from bot.config import Settings
from bot.domain.catalog import default_catalog_bytes
from bot.middlewares import UserIsolation
from bot.services.catalog import CatalogService
from db.catalog import CatalogRepository
from db.database import Database
from tests.client import UserClient
from tests.helpers import write_lock
from tests.recording import RecordingSession

ROOT = Path(__file__).resolve().parent.parent


async def test_someone_seen_before_browses_without_a_single_write(
    user: UserClient, db: Database, settings: Settings
) -> None:
    """The menu and the list open while another process holds the database's write lock (a
    backup, a second worker): reading the person, their language and the catalogue, and
    leaving a dialogue that is not there, write nothing."""
    await user.send("/start")  # first contact: the person is recorded
    await db.fetchall("PRAGMA busy_timeout=50")  # a write would fail fast: "database is locked"
    with write_lock(settings.database_path):
        [menu] = await user.send("/start")
        [listing] = await user.click("🎓 Специальности", menu)
        [menu] = await user.click("🏠 Главное меню", listing)
    assert "Здравствуйте" in menu["text"] and "Специальности кластера" in listing["text"]
    assert not [c for c in user.session.calls if "пошло не так" in c.params.get("text", "")]


async def test_one_persons_updates_wait_for_each_other_and_no_lock_is_kept(
    dp: Dispatcher, bot: Bot
) -> None:
    isolation = dp.fsm.events_isolation
    assert isinstance(isolation, UserIsolation)
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    inside: list[int] = []
    overlaps = 0

    async def update(n: int) -> None:
        nonlocal overlaps
        async with isolation.lock(key):
            overlaps += bool(inside)
            inside.append(n)
            await asyncio.sleep(0.01)
            inside.remove(n)

    await asyncio.gather(*(update(n) for n in range(5)))
    assert overlaps == 0
    for person in range(3001, 3021):
        await UserClient(dp, bot, user_id=person).send("/start")
    assert isolation.held == 0  # twenty people came and went: no lock left behind


def test_staff_only_libraries_are_not_loaded_at_start() -> None:
    """matplotlib and openpyxl (charts, Excel) load with the first export, icalendar with the
    first work placement calendar, redis only with REDIS_URL: some 70 MB a process does not hold
    for nothing."""
    code = (
        "import sys, bot.app, bot.cli, handlers; "
        "print(sorted(m for m in ('matplotlib', 'openpyxl', 'numpy', 'redis', 'icalendar') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
        timeout=120,
    )  # fmt: skip
    assert done.stdout.strip() == "[]"


async def test_each_answer_type_is_built_once(settings: Settings) -> None:
    """aiogram reads an answer as ``Response[...]``, a class pydantic keeps only while someone
    holds it: the bot holds one per method, so it is not built again for every call."""
    bot = build_bot(settings)
    bot.session.make_request = RecordingSession().make_request  # type: ignore[method-assign]
    try:
        message = await bot.send_message(5, "hello")
        await bot.edit_message_text("hi", chat_id=5, message_id=message.message_id)
        built = [Response[SendMessage.__returning__], Response[EditMessageText.__returning__]]
        ids = [id(kind) for kind in built]
        del built
        gc.collect()
        again = [Response[SendMessage.__returning__], Response[EditMessageText.__returning__]]
        assert [id(kind) for kind in again] == ids
    finally:
        await bot.session.close()


async def test_the_catalogue_version_is_read_at_most_once_a_second(db: Database) -> None:
    now = 100.0
    repo = CatalogRepository(db)
    reads = 0
    real = repo.current_id

    async def current_id() -> int | None:
        nonlocal reads
        reads += 1
        return await real()

    repo.current_id = current_id  # type: ignore[method-assign]
    running = CatalogService(repo, monotonic=lambda: now)
    first = await running.current()
    for _ in range(20):
        assert await running.current() is first
    assert reads == 1
    # Another process loads a new catalogue: seen once the second is over.
    other = CatalogService(CatalogRepository(db))
    version, problems = await other.load(default_catalog_bytes(), "another process")
    assert version is not None and not problems
    assert await running.current() is first
    now += 1.0
    assert await running.current() is not first
    assert reads == 2


def test_the_shells_catalogue_commands_load_no_aiogram(tmp_path: Path) -> None:
    """`python -m bot catalog …` on a server is answered in a fraction of a second: aiogram's
    types alone take some 2 s to import, and the catalogue commands need only the database."""
    code = (
        "import sys; from bot.cli import main; "
        "code = main(['catalog', 'versions']); "
        "print(code, 'aiogram' in sys.modules)"
    )
    env = {**os.environ, "DATABASE_PATH": str(tmp_path / "bot.sqlite3")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
        timeout=120, env=env,
    )  # fmt: skip
    assert done.stdout.splitlines()[-1] == "0 False", done.stdout + done.stderr
