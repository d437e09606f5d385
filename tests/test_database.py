"""The database: migrations, transactions, users and the persisted FSM storage."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from aiogram.fsm.storage.base import StorageKey

from db.applications import Application, ApplicationData, ApplicationRepository, DocumentRef
from db.database import (
    Database,
    DatabaseTooNewError,
    Migration,
    migrate_connection,
    migration_scripts,
)
from db.fsm_storage import SQLiteStorage
from db.reports import ReportRepository
from db.staff import StaffRepository
from db.users import UserRepository


async def schema(db: Database) -> list[tuple[str, str]]:
    rows = await db.fetchall(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
    )
    return [(r["name"], r["sql"]) for r in rows]


async def test_migrations_apply_to_an_empty_database(tmp_path: Path) -> None:
    async with Database(tmp_path / "a.sqlite3") as db:
        applied = await db.migrate()
        assert applied == list(range(1, len(migration_scripts()) + 1))
        assert await db.user_version() == len(migration_scripts())
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.migrate() == []


@pytest.mark.parametrize("start", range(len(migration_scripts()) + 1))
async def test_migrations_apply_from_every_intermediate_version(tmp_path: Path, start: int) -> None:
    async with Database(tmp_path / "full.sqlite3") as full:
        await full.migrate()
        expected = await schema(full)
    async with Database(tmp_path / "step.sqlite3") as db:
        await db.migrate(target=start)
        assert await db.user_version() == start
        await db.migrate()
        assert await schema(db) == expected


async def test_a_database_from_a_newer_bot_is_refused(tmp_path: Path) -> None:
    async with Database(tmp_path / "new.sqlite3") as db:
        await db.migrate()
        await db.execute(f"PRAGMA user_version={len(migration_scripts()) + 1}")
        with pytest.raises(DatabaseTooNewError):
            await db.migrate()


# Migrations of a made-up schema: a parent table, children that cascade with it, and the
# rebuild of the parent (SQLite's way to change a column: new table, copy, drop, rename).
PARENT_AND_CHILDREN = Migration(
    1,
    "0001_parent.sql",
    """
    CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE child (id INTEGER PRIMARY KEY,
                        parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
    INSERT INTO parent VALUES (1, 'a');
    INSERT INTO child VALUES (10, 1), (11, 1);
    """,
)
REBUILD = """
PRAGMA foreign_keys=OFF;
BEGIN;
CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO parent_new SELECT id, coalesce(name, '') FROM parent;
DROP TABLE parent;
ALTER TABLE parent_new RENAME TO parent;
COMMIT;
PRAGMA foreign_keys=ON;
"""


def rebuild(marked: bool) -> Migration:
    return Migration(
        2, "0002_rebuild.sql", ("-- migrate: no-transaction\n" if marked else "") + REBUILD
    )


async def test_a_migration_marked_no_transaction_can_switch_foreign_keys_off(
    tmp_path: Path,
) -> None:
    """Inside a transaction SQLite ignores ``PRAGMA foreign_keys=OFF``, and dropping the
    parent table would delete every child row with it."""
    async with Database(tmp_path / "m.sqlite3") as db:
        assert await db.migrate(scripts=[PARENT_AND_CHILDREN, rebuild(True)]) == [1, 2]
        assert await db.fetchval("SELECT count(*) FROM child") == 2
        assert await db.user_version() == 2
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert not db.conn.in_transaction


async def test_an_unmarked_migration_runs_in_a_transaction(tmp_path: Path) -> None:
    async with Database(tmp_path / "m.sqlite3") as db:
        await db.migrate(scripts=[PARENT_AND_CHILDREN])
        with pytest.raises(Exception, match="within a transaction"):
            await db.migrate(scripts=[PARENT_AND_CHILDREN, rebuild(False)])
        assert await db.user_version() == 1
        assert await db.fetchval("SELECT count(*) FROM child") == 2
        vacuum = Migration(2, "0002_vacuum.sql", "VACUUM;")
        with pytest.raises(Exception, match="VACUUM"):
            await db.migrate(scripts=[PARENT_AND_CHILDREN, vacuum])
        marked = Migration(2, "0002_vacuum.sql", "-- migrate: no-transaction\nVACUUM;")
        assert await db.migrate(scripts=[PARENT_AND_CHILDREN, marked]) == [2]


async def test_a_failed_migration_outside_a_transaction_leaves_a_usable_database(
    tmp_path: Path,
) -> None:
    broken = Migration(
        2, "0002_broken.sql", "-- migrate: no-transaction\n" + REBUILD.replace("DROP", "DRP")
    )
    async with Database(tmp_path / "m.sqlite3") as db:
        with pytest.raises(Exception, match="syntax error"):
            await db.migrate(scripts=[PARENT_AND_CHILDREN, broken])
        assert await db.user_version() == 1  # it runs again next time
        assert not db.conn.in_transaction  # its own BEGIN was rolled back
        assert await db.fetchval("PRAGMA foreign_keys") == 1  # switched on again
        assert (
            await db.fetchval("SELECT count(*) FROM sqlite_master WHERE name = 'parent_new'") == 0
        )
        assert await db.migrate(scripts=[PARENT_AND_CHILDREN, rebuild(True)]) == [2]
        assert await db.fetchval("SELECT count(*) FROM child") == 2


def test_a_restored_copy_is_migrated_the_same_way(tmp_path: Path) -> None:
    """The synchronous runner (for a restored copy) honours the mark too."""
    conn = sqlite3.connect(tmp_path / "copy.sqlite3", isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        migrate_connection(conn, [PARENT_AND_CHILDREN])
        with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
            migrate_connection(conn, [PARENT_AND_CHILDREN, rebuild(False)])
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        migrate_connection(conn, [PARENT_AND_CHILDREN, rebuild(True)])
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM child").fetchone()[0] == 2
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert not conn.in_transaction
    finally:
        conn.close()


async def test_a_failed_transaction_changes_nothing(db: Database) -> None:
    users = UserRepository(db)
    await users.touch(1, "ru")
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("UPDATE users SET language = 'en' WHERE id = 1")
            raise RuntimeError("boom")
    assert (await users.get(1)).language == "ru"  # type: ignore[union-attr]


async def test_concurrent_transactions_do_not_interleave(db: Database) -> None:
    """Each task's read-modify-write sees the others' committed work, never a half of it."""
    await db.execute("CREATE TABLE counter (n INTEGER)")
    await db.execute("INSERT INTO counter VALUES (0)")

    async def bump() -> None:
        async with db.transaction() as conn:
            cursor = await conn.execute("SELECT n FROM counter")
            (value,) = await cursor.fetchone()
            await asyncio.sleep(0)
            await conn.execute("UPDATE counter SET n = ?", (value + 1,))

    await asyncio.gather(*(bump() for _ in range(50)))
    assert await db.fetchval("SELECT n FROM counter") == 50


async def test_users_keep_their_first_language_and_first_seen(db: Database) -> None:
    users = UserRepository(db)
    first = await users.touch(7, "en")
    again = await users.touch(7, "ru")
    assert again.language == "en"
    assert again.first_seen == first.first_seen
    assert again.last_seen >= first.last_seen
    await users.set_language(7, "ru")
    record = await users.get(7)
    assert record is not None and record.language == "ru" and record.language_chosen


async def test_an_unreachable_user_who_writes_again_is_reachable(db: Database) -> None:
    users = UserRepository(db)
    await users.touch(8, "ru")
    await users.mark_unreachable(8)
    assert (await users.get(8)).unreachable  # type: ignore[union-attr]
    assert not (await users.touch(8, "ru")).unreachable


async def test_fsm_state_and_data_survive_a_new_connection(tmp_path: Path) -> None:
    key = StorageKey(bot_id=42, chat_id=5, user_id=5)
    path = tmp_path / "fsm.sqlite3"
    async with Database(path) as db:
        await db.migrate()
        storage = SQLiteStorage(db)
        await storage.set_state(key, "Form:name")
        await storage.set_data(key, {"name": "Анна", "scores": [4.5, 5], "nested": {"a": None}})
    async with Database(path) as db:
        storage = SQLiteStorage(db)
        assert await storage.get_state(key) == "Form:name"
        assert await storage.get_data(key) == {
            "name": "Анна",
            "scores": [4.5, 5],
            "nested": {"a": None},
        }
        assert await storage.update_data(key, {"age": 17}) == {
            "name": "Анна",
            "scores": [4.5, 5],
            "nested": {"a": None},
            "age": 17,
        }


async def test_fsm_keys_are_separate_per_user_chat_and_destiny(db: Database) -> None:
    storage = SQLiteStorage(db)
    a = StorageKey(bot_id=42, chat_id=5, user_id=5)
    b = StorageKey(bot_id=42, chat_id=6, user_id=6)
    c = StorageKey(bot_id=42, chat_id=5, user_id=5, destiny="other")
    await storage.set_state(a, "A")
    await storage.set_state(b, "B")
    assert await storage.get_state(c) is None
    assert await storage.get_state(a) == "A"


async def test_clearing_the_fsm_leaves_no_row(db: Database) -> None:
    storage = SQLiteStorage(db)
    key = StorageKey(bot_id=42, chat_id=5, user_id=5)
    await storage.set_state(key, "A")
    await storage.set_data(key, {"x": 1})
    await storage.set_state(key, None)
    await storage.set_data(key, {})
    assert await db.fetchval("SELECT count(*) FROM fsm") == 0


async def test_fsm_refuses_data_it_could_not_restore(db: Database) -> None:
    storage = SQLiteStorage(db)
    key = StorageKey(bot_id=42, chat_id=5, user_id=5)
    with pytest.raises(TypeError):
        await storage.set_data(key, {"when": object()})


async def test_forgetting_a_user_drops_their_fsm_rows(db: Database) -> None:
    storage = SQLiteStorage(db)
    await storage.set_data(StorageKey(bot_id=42, chat_id=5, user_id=5), {"name": "Анна"})
    await storage.set_data(StorageKey(bot_id=42, chat_id=6, user_id=6), {"name": "Иван"})
    await storage.forget_user(5)
    assert await db.fetchval("SELECT count(*) FROM fsm") == 1


async def test_a_transaction_cancelled_while_it_begins_leaves_the_connection_usable(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "c.sqlite3")
    await db.connect()
    try:
        await db.migrate()
        for _ in range(20):  # cancel at different moments of BEGIN

            async def write() -> None:
                async with db.transaction() as conn:
                    await conn.execute("INSERT INTO counters (name, value) VALUES ('x', 1)")

            task = asyncio.create_task(write())
            await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO counters (name, value) VALUES ('after', 1) "
                "ON CONFLICT (name) DO NOTHING"
            )
        assert await db.fetchval("SELECT value FROM counters WHERE name = 'after'") == 1
    finally:
        await db.close()


# --- nested transactions ---------------------------------------------------------------------

# A repository method that opens a transaction, called inside another transaction, waited for
# a lock its own task held: this bounds the wait so that such a test fails instead of hanging.
NO_DEADLOCK = 30


async def names(db: Database) -> list[str]:
    return [r[0] for r in await db.fetchall("SELECT name FROM counters ORDER BY name")]


async def test_a_repository_transaction_inside_a_transaction_joins_it(db: Database) -> None:
    users = UserRepository(db)
    async with asyncio.timeout(NO_DEADLOCK):
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await db.execute("INSERT INTO counters (name, value) VALUES ('outer', 1)")
                record = await users.touch(5, "en")  # its own transaction: joins this one
                assert record.language == "en"
                # Reads inside the transaction use its connection and see its writes.
                assert await users.get(5) is not None
                assert await names(db) == ["outer"]
                raise RuntimeError("the outer block fails")
    # The outer failure rolled back everything, the joined repository call included.
    assert await users.get(5) is None
    assert await names(db) == []


async def test_a_failed_inner_transaction_rolls_back_only_its_part(db: Database) -> None:
    async with asyncio.timeout(NO_DEADLOCK), db.transaction():
        await db.execute("INSERT INTO counters (name, value) VALUES ('before', 1)")
        with pytest.raises(ValueError):
            async with db.transaction():
                await db.execute("INSERT INTO counters (name, value) VALUES ('inner', 1)")
                async with db.transaction():
                    await db.execute("INSERT INTO counters (name, value) VALUES ('deeper', 1)")
                raise ValueError("the inner block fails")
        await db.execute("INSERT INTO counters (name, value) VALUES ('after', 1)")
    assert await names(db) == ["after", "before"]
    assert not db.conn.in_transaction


async def test_an_inner_failure_not_caught_rolls_back_the_whole_transaction(
    db: Database,
) -> None:
    with pytest.raises(ValueError):
        async with asyncio.timeout(NO_DEADLOCK), db.transaction():
            await db.execute("INSERT INTO counters (name, value) VALUES ('outer', 1)")
            async with db.transaction():
                await db.execute("INSERT INTO counters (name, value) VALUES ('inner', 1)")
                raise ValueError("boom")
    assert await names(db) == []


async def test_another_task_waits_for_the_transaction_even_one_started_inside_it(
    db: Database,
) -> None:
    """A task created inside a transaction inherits the context it was started in; it must
    not write into that transaction (its commit or rollback is not its to decide)."""

    async def other() -> None:
        await db.execute("INSERT INTO counters (name, value) VALUES ('other', 1)")

    with pytest.raises(RuntimeError):
        async with asyncio.timeout(NO_DEADLOCK), db.transaction():
            await db.execute("INSERT INTO counters (name, value) VALUES ('mine', 1)")
            task = asyncio.create_task(other())
            for _ in range(20):
                await asyncio.sleep(0)
            assert not task.done()  # waiting for the lock this transaction holds
            assert await names(db) == ["mine"]
            raise RuntimeError("roll back mine")
    await task
    assert await names(db) == ["other"]


async def test_a_snapshot_holds_off_writers_and_a_write_inside_it_is_refused(
    db: Database,
) -> None:
    async def write() -> None:
        await db.execute("INSERT INTO counters (name, value) VALUES ('w', 1)")

    async with asyncio.timeout(NO_DEADLOCK), db.snapshot():
        writer = asyncio.create_task(write())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not writer.done()
        assert await names(db) == []
        with pytest.raises(RuntimeError):
            await db.execute("INSERT INTO counters (name, value) VALUES ('x', 1)")
    await writer
    assert await names(db) == ["w"]


async def test_a_nested_transaction_cancelled_at_any_moment_leaves_the_connection_usable(
    db: Database,
) -> None:
    async def write() -> None:
        async with asyncio.timeout(NO_DEADLOCK), db.transaction():
            await db.execute("INSERT INTO counters (name, value) VALUES ('outer', 1)")
            async with db.transaction():
                await db.execute("INSERT INTO counters (name, value) VALUES ('inner', 1)")

    for step in range(12):  # cancel at different moments of SAVEPOINT, RELEASE, ROLLBACK TO
        task = asyncio.create_task(write())
        for _ in range(step):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # All of it or nothing (a cancel during COMMIT does not stop the commit).
        assert await names(db) in ([], ["inner", "outer"])
        await db.execute("DELETE FROM counters")
    async with db.transaction():
        await db.execute("INSERT INTO counters (name, value) VALUES ('after', 1)")
    assert await names(db) == ["after"]
    assert not db.conn.in_transaction


# --- one snapshot per read -------------------------------------------------------------------

T = TypeVar("T")

NOW = datetime(2026, 7, 1, 5, 0, tzinfo=UTC)


async def submitted(db: Database, user_id: int = 42) -> int:
    data = ApplicationData(
        full_name="Иванова Анна",
        birth_date=date(2008, 3, 5),
        phone="+79131234567",
        email=None,
        education_base=9,
        average_score=Decimal("4.50"),
        specialties=("22.02.08",),
        dormitory=False,
        channel="bot",
        minor=True,
    )
    document = DocumentRef("passport", "file-1", "unique-1", "image/jpeg")
    application_id, _ = await ApplicationRepository(db).submit(
        user_id=user_id, campaign_year=2027, data=data, documents=[document], now=NOW, notices=[]
    )
    return application_id


Statement = tuple[str, tuple[object, ...]]


def another_worker(path: Path, *statements: Statement) -> Callable[[], None]:
    """A second worker on the same database file committing ``statements`` in one transaction."""

    def write() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            for sql, params in statements:
                conn.execute(sql, params)
            conn.execute("COMMIT")
        finally:
            conn.close()

    return write


def another_worker_accepts(path: Path, application_id: int) -> Callable[[], None]:
    """The application accepted, with its history row, and one more document (the staff and
    the applicant at once)."""
    return another_worker(
        path,
        ("UPDATE applications SET status = 'accepted' WHERE id = ?", (application_id,)),
        (
            "INSERT INTO status_history (application_id, status, changed_at) "
            "VALUES (?, 'accepted', ?)",
            (application_id, NOW.isoformat()),
        ),
        (
            "INSERT INTO documents (application_id, kind, file_id, file_unique_id, "
            "content_type, added_at) VALUES (?, 'photo', 'file-2', 'unique-2', 'image/jpeg', ?)",
            (application_id, NOW.isoformat()),
        ),
    )


async def read_while_another_worker_writes(
    db: Database,
    write: Callable[[], None],
    read: Callable[[], Awaitable[T]],
    after: str = "SELECT * FROM applications",
) -> T:
    """Run ``read``; the moment its first statement after the one containing ``after``
    starts, the other worker commits ``write`` (from inside SQLite's trace hook: no timing
    involved)."""
    state = {"row_read": False, "written": False}

    def trace(sql: str) -> None:
        if state["written"]:
            return
        if state["row_read"] and not sql.lstrip().upper().startswith(("BEGIN", "COMMIT")):
            state["written"] = True
            write()
        elif after in sql:
            state["row_read"] = True

    await db.conn.set_trace_callback(trace)
    try:
        result = await read()
    finally:
        await db.conn.set_trace_callback(None)
    assert state["written"], "the other worker never wrote"
    return result


def assert_one_moment(application: Application) -> None:
    """Before the other worker's change: submitted, one document; after: accepted, two."""
    statuses = [change.status for change in application.history]
    assert (application.status, statuses, len(application.documents)) in (
        ("submitted", ["submitted"], 1),
        ("accepted", ["submitted", "accepted"], 2),
    )


async def test_an_application_is_read_as_of_one_moment_while_another_worker_writes(
    db: Database,
) -> None:
    application_id = await submitted(db)
    repository = ApplicationRepository(db)
    application = await read_while_another_worker_writes(
        db,
        another_worker_accepts(db.path, application_id),
        lambda: repository.get(application_id),
    )
    assert application is not None
    assert_one_moment(application)
    # And the change is there for the next read.
    after = await repository.get(application_id)
    assert after is not None and after.status == "accepted" and len(after.documents) == 2


async def test_a_users_application_is_read_as_of_one_moment_while_another_worker_writes(
    db: Database,
) -> None:
    application_id = await submitted(db, user_id=43)
    repository = ApplicationRepository(db)
    application = await read_while_another_worker_writes(
        db,
        another_worker_accepts(db.path, application_id),
        lambda: repository.for_user(43),
    )
    assert application is not None
    assert_one_moment(application)


async def test_a_task_writing_waits_until_the_application_is_read(db: Database) -> None:
    """The same in one process: a task's change cannot land between the reads of another."""
    application_id = await submitted(db)
    repository = ApplicationRepository(db)
    writer: asyncio.Task[int] | None = None

    def trace(sql: str) -> None:
        nonlocal writer
        if writer is None and "FROM application_choices" in sql:
            writer = loop.create_task(repository.set_status(application_id, "accepted", NOW))

    loop = asyncio.get_running_loop()
    await db.conn.set_trace_callback(lambda sql: loop.call_soon_threadsafe(trace, sql))
    try:
        application = await repository.get(application_id)
    finally:
        await db.conn.set_trace_callback(None)
    assert writer is not None
    await writer
    assert application is not None
    assert application.status == application.history[-1].status


async def test_the_report_rows_are_read_as_of_one_moment_while_another_worker_writes(
    db: Database,
) -> None:
    """The applications and their choices come from two queries: another worker changing
    both between them must not give one applicant's name with another moment's choices."""
    application_id = await submitted(db)

    change_answers = another_worker(
        db.path,
        (
            "UPDATE applications SET full_name = 'Петрова Мария' WHERE id = ?",
            (application_id,),
        ),
        ("DELETE FROM application_choices WHERE application_id = ?", (application_id,)),
        (
            "INSERT INTO application_choices (application_id, priority, specialty_code) "
            "VALUES (?, 1, '21.02.18')",
            (application_id,),
        ),
    )
    [row] = await read_while_another_worker_writes(
        db, change_answers, lambda: ReportRepository(db).applications(2027), after="SELECT a.*"
    )
    assert (row.data.full_name, row.data.specialties) in (
        ("Иванова Анна", ("22.02.08",)),
        ("Петрова Мария", ("21.02.18",)),
    )


async def test_a_staff_queue_page_and_its_count_are_of_one_moment(db: Database) -> None:
    application_id = await submitted(db)
    page, total = await read_while_another_worker_writes(
        db,
        another_worker_accepts(db.path, application_id),
        lambda: StaffRepository(db).queue("submitted", 2027),
        after="SELECT count(*)",
    )
    assert (len(page), total) in ((1, 1), (0, 0))
