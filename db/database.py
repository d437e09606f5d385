"""The database object: owns the aiosqlite connection, PRAGMAs, transactions and migrations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import aiosqlite

from db.files import private_dir, private_file, tighten

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# A checkpoint that finds a reader in the way gives up after this long and is tried again
# later, without holding the connection (and so every handler) meanwhile.
CHECKPOINT_WAIT_MS = 100
# Pauses between further attempts after an erasure (about 50 s in all); then the retention
# job takes over.
CHECKPOINT_DELAYS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
CHECKPOINT_OWED = "wal_checkpoint_owed"

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# The first line of a migration that must run outside a transaction: SQLite ignores a change
# of ``PRAGMA foreign_keys`` inside one (the way to rebuild a table that others refer to) and
# refuses ``VACUUM``. Such a file may hold its own BEGIN … COMMIT. If it fails half-way the
# version stays where it was and the file runs again next time: write it to allow that.
NO_TRANSACTION = "-- migrate: no-transaction"
# What every connection has, set again after a migration outside a transaction (which may have
# switched it off and failed before switching it back).
_RESTORE_AFTER_MIGRATION = "PRAGMA foreign_keys=ON"


class DatabaseTooNewError(RuntimeError):
    """The database file was written by a newer version of the bot than this one."""


class Migration(NamedTuple):
    version: int
    name: str
    sql: str

    @property
    def transactional(self) -> bool:
        """False for a file whose first line is :data:`NO_TRANSACTION`."""
        first = self.sql.lstrip().partition("\n")[0].strip()
        return first.lower() != NO_TRANSACTION

    def steps(self) -> list[str]:
        """The statements to run, the new ``user_version`` last."""
        return [*_split_statements(self.sql), f"PRAGMA user_version={self.version:d}"]


def migration_scripts() -> list[Migration]:
    """Every migration shipped with the package, in order."""
    found: list[Migration] = []
    for entry in resources.files("db").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(
                Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8"))
            )
    found.sort()
    versions = [version for version, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {versions}")
    return found


@dataclass(slots=True)
class _Held:
    """A transaction in progress: its database, connection and task, how deep it is nested."""

    db: Database
    conn: aiosqlite.Connection
    task: asyncio.Task[Any] | None
    write: bool
    depth: int = 0


# The transactions the running code is inside of (one per database at most). A task started
# inside a transaction inherits this variable with the rest of its context, so a transaction
# is joined only by the task that began it (``_Held.task``): any other task waits for the lock.
_HELD: ContextVar[tuple[_Held, ...]] = ContextVar("db_transactions", default=())


class Database:
    """One SQLite database file, one connection, serialised access.

    Transaction state belongs to the connection, so every statement runs under one
    asyncio lock: a coroutine's transaction can never be committed or rolled back by another.

    Transactions nest. Inside :meth:`transaction` (or :meth:`snapshot`) every statement of
    the same task, through this object or a repository over it, runs on that transaction's
    connection without taking the lock again: a repository method that opens a transaction
    can be called from inside another one. A nested :meth:`transaction` is a ``SAVEPOINT``:
    when its block raises, only its own statements are rolled back and the exception goes
    on; if the outer block catches it, the outer transaction commits the rest. Other tasks
    (a task started inside the transaction too) wait for the lock as before; so a transaction
    must never wait for another task that uses the database.

    Never await a Telegram call inside :meth:`transaction`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self.checkpoint_delays: tuple[float, ...] = CHECKPOINT_DELAYS
        self._retry: asyncio.Task[bool] | None = None

    async def connect(self) -> None:
        if self._conn is not None:
            return
        if str(self.path) != ":memory:":
            # Personal data: the bot user's alone, whatever the umask. SQLite gives the -wal
            # and -shm files the mode of the database file; older ones are tightened too.
            private_dir(self.path.parent)
            private_file(self.path)
            for suffix in ("-wal", "-shm"):
                tighten(Path(f"{self.path}{suffix}"))
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA synchronous=NORMAL")
            # Deleted rows are overwritten with zeros: "delete my data" leaves no trace in the file.
            await conn.execute("PRAGMA secure_delete=ON")
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

    async def close(self) -> None:
        if self._retry is not None and not self._retry.done():
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    # --- statements -------------------------------------------------------------------
    # Inside a transaction of this task they run on its connection; outside, a read runs
    # alone under the lock and a write in a transaction of its own.

    async def fetchall(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[aiosqlite.Row]:
        held = self._joined()
        if held is not None:
            return list(await held.conn.execute_fetchall(sql, params))
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))

    async def fetchone(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
        """Run one writing statement; return the number of changed rows."""
        cursor = await self._write(sql, params)
        return cursor.rowcount

    async def insert(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
        """Run one ``INSERT``; return the id of the new row."""
        cursor = await self._write(sql, params)
        return int(cursor.lastrowid or 0)

    async def _write(self, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> aiosqlite.Cursor:
        held = self._joined()
        if held is None:
            async with self.transaction() as conn:
                return await conn.execute(sql, params)
        if not held.write:
            raise RuntimeError("a write inside a read snapshot: use transaction()")
        # One statement is atomic by itself: no savepoint needed.
        return await held.conn.execute(sql, params)

    # --- transactions -----------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception; inside a
        transaction of the same task, a ``SAVEPOINT`` of it (see the class)."""
        held = self._joined()
        if held is None:
            async with self._hold("BEGIN IMMEDIATE", write=True) as held:
                yield held.conn
            return
        if not held.write:
            raise RuntimeError("a write transaction inside a read snapshot")
        conn = held.conn
        held.depth += 1
        name = f"nested_{held.depth}"
        try:
            await self._start(conn, f"SAVEPOINT {name}", f"RELEASE {name}")
            try:
                yield conn
            except BaseException:
                await asyncio.shield(self._run(conn, f"ROLLBACK TO {name}"))
                await asyncio.shield(self._run(conn, f"RELEASE {name}"))
                raise
            await asyncio.shield(self._run(conn, f"RELEASE {name}"))
        finally:
            held.depth -= 1

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read transaction (``BEGIN DEFERRED``): every read inside sees the database as it
        was at the first one, whatever other tasks or processes write meanwhile. Inside a
        transaction of the same task, that transaction (it is a snapshot already)."""
        held = self._joined()
        if held is not None:
            yield held.conn
            return
        async with self._hold("BEGIN DEFERRED", write=False) as held:
            yield held.conn

    def _joined(self) -> _Held | None:
        """The transaction of this database that the running task is inside, if any."""
        held = _HELD.get()
        if not held:
            return None
        task = asyncio.current_task()
        for entry in held:
            if entry.db is self and entry.task is task:
                return entry
        return None

    @asynccontextmanager
    async def _hold(self, begin: str, *, write: bool) -> AsyncIterator[_Held]:
        """Take the lock and begin; make the transaction this task's; commit or roll back."""
        async with self._lock:
            conn = self.conn
            await self._start(conn, begin, "ROLLBACK")
            held = _Held(self, conn, asyncio.current_task(), write)
            token = _HELD.set((*_HELD.get(), held))
            try:
                yield held
            except BaseException:
                await asyncio.shield(self._run(conn, "ROLLBACK"))
                raise
            finally:
                _HELD.reset(token)
            await asyncio.shield(self._run(conn, "COMMIT"))

    async def _start(self, conn: aiosqlite.Connection, sql: str, undo: str) -> None:
        """Run ``BEGIN`` or ``SAVEPOINT``. The statement runs in aiosqlite's thread whether or
        not we are cancelled while waiting for it: a cancelled start must still be followed by
        its ``undo``, or the connection stays inside a transaction and every later write
        fails."""
        start = asyncio.ensure_future(self._run(conn, sql))
        try:
            await asyncio.shield(start)
        except BaseException:
            with contextlib.suppress(Exception):
                await start
                await asyncio.shield(self._run(conn, undo))
            raise

    @staticmethod
    async def _run(conn: aiosqlite.Connection, sql: str) -> None:
        await conn.execute(sql)

    async def checkpoint(self) -> bool:
        """One attempt to fold the WAL into the main file and truncate it, so that no old copy
        of a page remains in either. True when done; False while another connection (a second
        worker, a running backup) still reads an older snapshot."""
        if self._joined() is not None:
            raise RuntimeError("a checkpoint cannot run inside a transaction")
        async with self._lock:
            conn = self.conn
            await conn.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            try:
                rows = list(await conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)"))
            finally:
                await asyncio.shield(self._run(conn, f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}"))
        # (busy, frames in the log, frames checkpointed): busy = 1 means not done.
        return not rows or int(rows[0][0]) == 0

    async def erased(self) -> bool:
        """Personal data was just deleted: fold the WAL now so that no copy of it stays in the
        files. If a reader is in the way, the checkpoint is owed: it is retried in the
        background with backoff, and then by the retention job (:meth:`settle`) until done.
        Returns whether it was done at once."""
        if await self.checkpoint():
            return True
        await self.execute(
            "INSERT INTO meta (key, value) VALUES (?, 'erasure') ON CONFLICT (key) DO NOTHING",
            (CHECKPOINT_OWED,),
        )
        if self._retry is None or self._retry.done():
            self._retry = asyncio.create_task(self._retry_checkpoint(), name="wal-checkpoint")
        return False

    async def _retry_checkpoint(self) -> bool:
        for delay in self.checkpoint_delays:
            await asyncio.sleep(delay)
            if await self._checkpoint_owed_done():
                return True
        log.error(
            "the WAL still holds erased personal data: a reader kept it busy for %.0f s; "
            "the retention job will try again",
            sum(self.checkpoint_delays),
        )
        return False

    async def _checkpoint_owed_done(self) -> bool:
        if not await self.checkpoint():
            return False
        await self.execute("DELETE FROM meta WHERE key = ?", (CHECKPOINT_OWED,))
        # The line above wrote to the WAL: fold that too (a page of meta, nothing personal).
        await self.checkpoint()
        return True

    async def wait_checkpoint(self) -> None:
        """Wait until a background retry after an erasure has finished (tests, shutdown)."""
        if self._retry is not None:
            await asyncio.wait([self._retry])

    async def settle(self) -> bool:
        """If a checkpoint after an erasure is still owed (even by another process, or before a
        restart), try again with backoff. True when nothing is owed any more."""
        await self.wait_checkpoint()
        if await self.fetchval("SELECT 1 FROM meta WHERE key = ?", (CHECKPOINT_OWED,)) is None:
            return True
        if await self._checkpoint_owed_done():
            log.info("the WAL checkpoint owed after an erasure is done")
            return True
        if await self._retry_checkpoint():
            log.info("the WAL checkpoint owed after an erasure is done")
            return True
        return False

    # --- migrations -------------------------------------------------------------------

    async def user_version(self) -> int:
        return int(await self.fetchval("PRAGMA user_version"))

    async def migrate(
        self, target: int | None = None, *, scripts: Sequence[Migration] | None = None
    ) -> list[int]:
        """Apply the numbered migrations the database lacks (``scripts``: those shipped with
        the package), each in a transaction of its own unless marked :data:`NO_TRANSACTION`;
        return the versions applied."""
        if self._joined() is not None:
            raise RuntimeError("migrations cannot run inside a transaction")
        scripts = migration_scripts() if scripts is None else scripts
        latest = len(scripts)
        target = latest if target is None else target
        current = await self.user_version()
        if current > latest:
            raise DatabaseTooNewError(
                f"database {self.path} has schema version {current}, "
                f"this bot knows up to {latest}: upgrade the bot"
            )
        applied: list[int] = []
        for migration in scripts:
            if migration.version <= current or migration.version > target:
                continue
            if migration.transactional:
                async with self.transaction() as conn:
                    for statement in migration.steps():
                        await conn.execute(statement)
            else:
                async with self._lock:
                    await self._migrate_outside_transaction(self.conn, migration)
            log.info("applied migration %s", migration.name)
            applied.append(migration.version)
        return applied

    async def _migrate_outside_transaction(
        self, conn: aiosqlite.Connection, migration: Migration
    ) -> None:
        try:
            for statement in migration.steps():
                await conn.execute(statement)
            if conn.in_transaction:
                raise RuntimeError(f"migration {migration.name} leaves a transaction open")
        except BaseException:
            # A transaction of the file's own left open by the failure (none: nothing to undo).
            # Queued after a statement still running if we were cancelled.
            with contextlib.suppress(sqlite3.OperationalError):
                await asyncio.shield(self._run(conn, "ROLLBACK"))
            raise
        finally:
            await asyncio.shield(self._run(conn, _RESTORE_AFTER_MIGRATION))


def migrate_connection(
    conn: sqlite3.Connection, scripts: Sequence[Migration] | None = None
) -> None:
    """:meth:`Database.migrate` for a plain ``sqlite3`` connection in autocommit mode (a
    restored copy is brought to this code's schema before the deletion ledger is applied)."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for migration in migration_scripts() if scripts is None else scripts:
        if migration.version <= current:
            continue
        try:
            if migration.transactional:
                conn.execute("BEGIN IMMEDIATE")
            for statement in migration.steps():
                conn.execute(statement)
            if not migration.transactional and conn.in_transaction:
                raise RuntimeError(f"migration {migration.name} leaves a transaction open")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            if not migration.transactional:
                conn.execute(_RESTORE_AFTER_MIGRATION)
        if migration.transactional:
            conn.execute("COMMIT")
        log.info("applied migration %s", migration.name)


def _split_statements(sql: str) -> Iterable[str]:
    """Split a migration file into statements (sqlite3.complete_statement aware)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if statement and not all(
                part.strip().startswith("--") or not part.strip() for part in statement.splitlines()
            ):
                yield statement
            buffer = ""
    if buffer.strip() and not all(
        p.strip().startswith("--") or not p.strip() for p in buffer.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer[:80]!r}")
