"""Personal data (152-ФЗ): abandoned drafts and consents expire, «delete my data» leaves nothing
tied to the person (audit comments, the WAL, the bot's posts in staff chats, Redis), a restore
does not bring erased people back, and every file is the bot user's alone."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from aiogram.utils.i18n import I18n

from bot.app import build_dispatcher, prepare_database, redis_parts
from bot.config import Settings
from db.applications import ApplicationRepository
from db.backup import BackupError, make_backup, restore, running_lock
from db.database import Database
from db.staff import StaffRepository
from db.staff_posts import StaffPost, StaffPostRepository
from tests.client import UserClient, labels
from tests.conftest import FixedClock
from tests.helpers import ask, database_bytes, fill_form, sender_of, start_applying, submit

DAY = timedelta(days=1)
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def ledger_of(database: Path) -> Path:
    return Path(f"{database}.deleted")


def wal_size(database: Path) -> int:
    return Path(f"{database}-wal").stat().st_size


def texts_to(bot: Bot, chat_id: int, since: int = 0) -> list[str]:
    calls = bot.session.calls[since:]  # type: ignore[attr-defined]
    return [c.params.get("text", "") for c in calls if c.params.get("chat_id") == chat_id]


async def delete_my_data(user: UserClient) -> dict:  # type: ignore[type-arg]
    [confirm] = await user.send("/delete_my_data")
    [done] = await user.click("Yes, delete everything", confirm)
    return done


# --- 8. abandoned forms expire ------------------------------------------------------------------


async def test_an_abandoned_draft_and_its_consent_expire_with_the_retention_period(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock, settings: Settings
) -> None:
    await UserClient(dp, bot, 1, "en").send("/start")  # the admin reads English
    gone = UserClient(dp, bot, 3001, "en")
    await start_applying(gone)
    await gone.send("Забытова Ольга Петровна")
    busy = UserClient(dp, bot, 3002, "en")
    await start_applying(busy)
    await busy.send("Занятова Анна Ивановна")
    clock.current += 89 * DAY
    await busy.send("05.03.2000")  # still at it: every answer stamps the draft
    clock.current += 2 * DAY  # the first draft was last touched 91 days ago, the second 2 days

    await dp["retention"].run()
    assert await db.fetchval("SELECT count(*) FROM fsm WHERE user_id = 3001") == 0
    assert await db.fetchval("SELECT count(*) FROM consents WHERE user_id = 3001") == 0
    assert "Забытова".encode() not in database_bytes(settings.database_path)
    # The one who goes on keeps the consent (91 days old) and every answer.
    assert await db.fetchval("SELECT count(*) FROM consents WHERE user_id = 3002") == 1
    [menu] = await busy.send("/start")
    [offer] = await busy.click("📝 Apply", menu)
    assert "unfinished application" in offer["text"]

    before = len(bot.session.calls)  # type: ignore[attr-defined]
    await dp["retention"].run()  # the same day: nothing new, no second report
    await sender_of(dp).drain(bot)
    [report] = [t for t in texts_to(bot, 1, before) if "without activity" in t]
    assert "Erased after 90 days without activity" in report
    assert "• 1 unfinished form or dialogue" in report
    assert "• the consent of 1 person who never applied" in report
    assert await db.fetchval("SELECT value FROM counters WHERE name = 'drafts_erased'") == 1
    assert await db.fetchval("SELECT value FROM counters WHERE name = 'consents_erased'") == 1


async def test_a_consent_is_erased_once_its_draft_is_gone_and_the_report_counts_per_day(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock
) -> None:
    await UserClient(dp, bot, 1, "en").send("/start")
    for user_id in (3001, 3002):
        await start_applying(UserClient(dp, bot, user_id, "en"))
    clock.current += 91 * DAY
    await dp["retention"].run()
    clock.current += DAY
    await start_applying(UserClient(dp, bot, 3003, "en"))
    clock.current += 91 * DAY
    await dp["retention"].run()
    await sender_of(dp).drain(bot)
    reports = [t for t in texts_to(bot, 1) if "without activity" in t]
    assert len(reports) == 2
    assert "• the consents of 2 people who never applied" in reports[0]
    assert "• 2 unfinished forms or dialogues" in reports[0]
    assert "• the consent of 1 person who never applied" in reports[1]
    assert await db.fetchval("SELECT count(*) FROM consents") == 0


async def test_with_redis_drafts_expire_there_and_delete_my_data_removes_them(
    settings: Settings, db: Database, i18n: I18n, clock: FixedClock, bot: Bot, redis_url: str
) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    try:
        parts = redis_parts(settings, redis)
        dp = build_dispatcher(settings=settings, db=db, i18n=i18n, clock=clock, **parts)
        user = UserClient(dp, bot, 1002, "en")
        await start_applying(user)
        [birth] = await user.send("Редисова Вера Павловна")
        keys = await redis.keys("fsm:*")
        assert len(keys) == 2  # the state and the draft of the private chat
        for key in keys:
            assert 89 * 86400 < await redis.ttl(key) <= 90 * 86400, key
        # A dialogue of the same person elsewhere (a group chat), expiring the same way.
        group = StorageKey(bot_id=bot.id, chat_id=-100777, user_id=1002)
        await parts["storage"].set_data(group, {"note": "Редисова"})

        # A consent 91 days old is kept while its draft lives in Redis, erased once it is gone.
        other = UserClient(dp, bot, 1003, "en")
        await start_applying(other)
        clock.current += 91 * DAY
        await dp["retention"].run()
        assert await db.fetchval("SELECT count(*) FROM consents") == 2
        await redis.delete(*await redis.keys("fsm:*:1003:*"))  # Redis let it expire
        await dp["retention"].run()
        assert [r[0] for r in await db.fetchall("SELECT user_id FROM consents")] == [1002]

        [question] = await user.click("✖️ Cancel", birth)  # (commands are refused in the form)
        await user.click("Yes, cancel", question)
        assert len(await redis.keys("fsm:*")) == 1  # the group's is left
        await delete_my_data(user)
        assert await redis.keys("fsm:*") == []
    finally:
        await redis.aclose()


# --- 9. «delete my data» leaves nothing tied to the person ---------------------------------------


async def test_delete_my_data_keeps_who_when_what_in_the_audit_log_but_not_the_comment(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database, settings: Settings
) -> None:
    await submit(english_user, await fill_form(english_user, name="Комментова Анна Юрьевна"))
    admin = UserClient(dp, bot, 1, "en")
    [panel] = await admin.send("/staff")
    [queue] = await admin.click("submitted (1)", panel)
    [card] = await admin.click(labels(queue)[0], queue)
    [_prompt] = await admin.click("✏️ Ask to correct", card)
    await admin.send("Комментова, перезвоните на +79131234567")
    await delete_my_data(english_user)
    [entry] = await StaffRepository(db).audit_log("М-2027-0001")
    assert (entry.actor_id, entry.action, entry.comment) == (1, "status:needs_correction", None)
    assert await db.fetchval("SELECT count(*) FROM status_history") == 0  # with its comments
    await db.close()
    raw = database_bytes(settings.database_path)
    for secret in ("Комментова", "перезвоните", "79131234567"):
        assert secret.encode() not in raw, secret
    await db.connect()


async def test_the_bots_posts_about_a_person_are_deleted_from_the_staff_chat(
    english_user: UserClient, dp: Dispatcher, bot: Bot, db: Database
) -> None:
    await UserClient(dp, bot, 1, "en").send("/start")
    await submit(english_user, await fill_form(english_user))
    await ask(english_user, "Где мой оригинал?")
    session = bot.session
    before = len(session.calls)  # type: ignore[attr-defined]
    await sender_of(dp).drain(bot)
    posts = [
        (c.params["chat_id"], c.result["message_id"])
        for c in session.calls[before:]  # type: ignore[attr-defined]
        if c.params.get("chat_id") == 1 and c.method.startswith("send")
    ]
    assert len(posts) == 5  # the application, its three documents, the question

    done = await delete_my_data(english_user)
    assert "deleting its 5 messages about you" in done["text"]
    assert "older than 48 hours" in done["text"]
    assert "backup copies" in done["text"]
    # Telegram refuses one (e.g. a staff member deleted it already): that is final.
    session.fail_next("deleteMessage", 400, "Bad Request: message to delete not found")  # type: ignore[attr-defined]
    before = len(session.calls)  # type: ignore[attr-defined]
    await sender_of(dp).drain(bot)
    deleted = [
        (c.params["chat_id"], c.params["message_id"])
        for c in session.calls[before:]  # type: ignore[attr-defined]
        if c.method == "deleteMessage"
    ]
    assert sorted(deleted) == sorted(posts)
    statuses = await db.fetchall(
        "SELECT status, count(*) AS n FROM outbox WHERE kind = 'delete_message' GROUP BY status"
    )
    assert {r["status"]: r["n"] for r in statuses} == {"sent": 4, "dropped": 1}
    assert await sender_of(dp).drain(bot) == 0
    assert await db.fetchval("SELECT count(*) FROM staff_messages") == 0


async def test_a_post_delivered_after_its_person_was_erased_is_deleted_at_once(
    db: Database, clock: FixedClock
) -> None:
    repo = StaffPostRepository(db)
    post = StaffPost(chat_id=-100777, message_id=77)
    assert not await repo.remember(post, application_id=404, question_id=None, now=clock.now())
    row = await db.fetchone("SELECT chat_id, kind, payload FROM outbox")
    assert tuple(row) == (-100777, "delete_message", '{"message_id": 77}')  # type: ignore[arg-type]
    assert await db.fetchval("SELECT count(*) FROM staff_messages") == 0


def hold_snapshot(path: Path) -> sqlite3.Connection:
    """Another connection in the middle of a read (a second worker, a running backup)."""
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM applications").fetchone()
    return reader


async def test_an_erasure_waits_for_a_reader_and_then_leaves_no_copy_in_the_files(
    english_user: UserClient, db: Database, settings: Settings
) -> None:
    await submit(english_user, await fill_form(english_user, name="Читалкина Нина Львовна"))
    assert await db.checkpoint()  # the name is in the main file now
    db.checkpoint_delays = (0.01,) * 100_000  # bounded, far beyond this test
    reader = hold_snapshot(settings.database_path)
    try:
        await delete_my_data(english_user)
        # The reader still needs the old pages: they stay until it is done.
        assert "Читалкина".encode() in database_bytes(settings.database_path)
    finally:
        reader.close()
    await db.wait_checkpoint()
    assert "Читалкина".encode() not in database_bytes(settings.database_path)
    assert wal_size(settings.database_path) == 0


async def test_a_checkpoint_blocked_for_too_long_is_logged_and_done_by_the_retention_job(
    english_user: UserClient,
    dp: Dispatcher,
    db: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await submit(english_user, await fill_form(english_user, name="Читалкина Нина Львовна"))
    assert await db.checkpoint()
    db.checkpoint_delays = (0.01, 0.01)
    reader = hold_snapshot(settings.database_path)
    try:
        await delete_my_data(english_user)
        with caplog.at_level(logging.ERROR):
            await db.wait_checkpoint()
        assert "the WAL still holds erased personal data" in caplog.text
    finally:
        reader.close()
    assert "Читалкина".encode() in database_bytes(settings.database_path)
    await dp["retention"].run()
    assert "Читалкина".encode() not in database_bytes(settings.database_path)
    assert await db.fetchval("SELECT count(*) FROM meta WHERE key = 'wal_checkpoint_owed'") == 0


# --- 11. a restore does not bring erased people back -------------------------------------------


LEDGER_LINE = re.compile(r"^(#.*|key [0-9a-f]{64}|(user|application) [0-9a-f]{64} \S+)$")


async def test_a_restore_erases_again_whoever_deleted_their_data_after_the_backup(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    stays = UserClient(dp, bot, 1001, "en")
    await submit(stays, await fill_form(stays, name="Остаётся Ирина Юрьевна"))
    leaves = UserClient(dp, bot, 1002, "en")
    await submit(leaves, await fill_form(leaves, name="Уходит Олег Петрович"))
    live = settings.database_path
    backup = await asyncio.to_thread(make_backup, live, tmp_path / "backups", 5, clock.now())
    await ask(leaves, "Вопрос от Уходит")
    await delete_my_data(leaves)
    await db.close()

    await asyncio.to_thread(restore, backup, live, clock.now() + DAY)
    await db.connect()
    assert await db.fetchval("SELECT group_concat(user_id) FROM applications") == "1001"
    for table in ("consents", "fsm", "questions"):
        query = f"SELECT count(*) FROM {table} WHERE user_id = 1002"
        assert await db.fetchval(query) == 0, table
    assert await db.fetchval("SELECT count(*) FROM users WHERE id = 1002") == 0
    raw = database_bytes(live)
    assert "Уходит".encode() not in raw and "Остаётся".encode() in raw
    # The ledger names nobody: keyed hashes only (the key is in the ledger, not in the database).
    ledger = ledger_of(live).read_text(encoding="utf-8")
    assert all(LEDGER_LINE.match(line) for line in ledger.splitlines()), ledger
    assert "Уходит" not in ledger and "М-2027-0002" not in ledger
    assert not re.search(r"\b1002\b", ledger)
    key = re.search(r"^key (\w+)$", ledger, re.M)
    assert key is not None and key.group(1).encode() not in database_bytes(live)


async def test_someone_who_came_back_after_deleting_keeps_their_new_application(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    person = UserClient(dp, bot, 1002, "en")
    await submit(person, await fill_form(person, name="Первая Анна Ивановна"))
    live = settings.database_path
    before_deleting = await asyncio.to_thread(make_backup, live, tmp_path / "b", 5, clock.now())
    await delete_my_data(person)
    clock.current += DAY
    await submit(person, await fill_form(person, name="Вторая Анна Ивановна"))
    after_coming_back = await asyncio.to_thread(
        make_backup, live, tmp_path / "b", 5, clock.now() + timedelta(seconds=1)
    )
    await db.close()

    await asyncio.to_thread(restore, after_coming_back, live, clock.now() + DAY)
    await db.connect()
    assert await db.fetchval("SELECT full_name FROM applications") == "Вторая Анна Ивановна"
    await db.close()
    await asyncio.to_thread(restore, before_deleting, live, clock.now() + 2 * DAY)
    await db.connect()
    assert await db.fetchval("SELECT count(*) FROM applications") == 0


async def test_a_restore_without_the_ledger_it_needs_is_refused(
    english_user: UserClient, db: Database, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    live = settings.database_path
    backup = await asyncio.to_thread(make_backup, live, tmp_path / "b", 5, clock.now())
    await delete_my_data(english_user)
    await db.close()
    ledger_of(live).unlink()
    with pytest.raises(BackupError, match=r"deletion ledger .* is missing"):
        restore(backup, live, clock.now() + DAY)
    await db.connect()


async def test_replaced_databases_are_rotated_like_backups(tmp_path: Path) -> None:
    live = tmp_path / "bot.sqlite3"
    db = await prepare_database(live)
    await db.close()
    copy = make_backup(live, tmp_path / "b", keep=1, now=NOW)
    kept = [restore(copy, live, NOW + i * DAY, keep=2) for i in range(4)]
    replaced = sorted(p.name for p in tmp_path.glob("bot.sqlite3.replaced-*"))  # noqa: ASYNC240
    assert replaced == sorted(p.name for p in kept[2:] if p is not None)


# --- 12. files are the bot user's alone --------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask of a shell or a cron job (not systemd's UMask=0077)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_database_backups_and_their_folders_are_private_whatever_the_umask(
    tmp_path: Path, umask_022: None
) -> None:
    live = tmp_path / "data" / "bot.sqlite3"
    with running_lock(live):
        db = await prepare_database(live)
        try:
            await ApplicationRepository(db).delete_person(5, NOW)  # writes the WAL, the ledger
            files = [live, Path(f"{live}-wal"), Path(f"{live}-shm"), Path(f"{live}.lock")]
            files.append(Path(f"{live}.deleted"))
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
            assert mode(live.parent) == 0o700
            backup = await asyncio.to_thread(
                make_backup, live, tmp_path / "backups" / "daily", 3, NOW
            )
        finally:
            await db.close()
    assert mode(backup) == 0o600
    assert mode(backup.parent) == 0o700 and mode(backup.parent.parent) == 0o700
    kept = restore(backup, live, NOW + DAY)
    assert kept is not None and mode(kept) == 0o600 and mode(live) == 0o600


async def test_an_existing_database_readable_by_others_is_made_private(
    tmp_path: Path, umask_022: None
) -> None:
    live = tmp_path / "bot.sqlite3"
    conn = sqlite3.connect(live)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert mode(live) == 0o644
    async with Database(live) as db:
        await db.execute("INSERT INTO t VALUES (1)")
        assert mode(live) == 0o600 and mode(Path(f"{live}-wal")) == 0o600


async def test_backups_carry_the_ledger_so_a_new_server_still_honours_it(
    dp: Dispatcher, bot: Bot, db: Database, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    person = UserClient(dp, bot, 1002, "en")
    await submit(person, await fill_form(person, name="Уходит Олег Петрович"))
    live, folder = settings.database_path, tmp_path / "backups"
    before_deleting = await asyncio.to_thread(make_backup, live, folder, 5, clock.now())
    await delete_my_data(person)
    await asyncio.to_thread(make_backup, live, folder, 5, clock.now() + DAY)
    await db.close()
    # The server is lost; the backups (copied off the server) are all there is.
    for lost in (live, Path(f"{live}-wal"), Path(f"{live}-shm"), ledger_of(live)):
        lost.unlink(missing_ok=True)
    await asyncio.to_thread(restore, before_deleting, live, clock.now() + 2 * DAY)
    await db.connect()
    assert await db.fetchval("SELECT count(*) FROM applications") == 0
    assert "Уходит".encode() not in database_bytes(live)
    assert ledger_of(live).exists()
