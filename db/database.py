"""The database object: owns the aiosqlite connection, PRAGMAs, transactions and migrations."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class DatabaseTooNewError(RuntimeError):
    """The database file was written by a newer version of the bot than this one."""


def migration_scripts() -> list[tuple[int, str, str]]:
    """Return ``(version, name, sql)`` for every migration shipped with the package, in order."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files("db").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..N without gaps, found {versions}")
    return found


class Database:
    """One SQLite database file, one connection, serialised access.

    Transaction state belongs to the connection, so every statement runs under one
    asyncio lock: a coroutine's transaction can never be committed or rolled back by another.
    Never await a Telegram call inside :meth:`transaction`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        if self._conn is not None:
            return
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA synchronous=NORMAL")
            # Deleted rows are overwritten with zeros: "delete my data" leaves no trace in the file.
            await conn.execute("PRAGMA secure_delete=ON")
        except BaseException:
            await conn.close()
            raise
        self._conn = conn

    async def close(self) -> None:
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

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in its own transaction; return the number of changed rows."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception."""
        async with self._lock:
            conn = self.conn
            # The statement runs in aiosqlite's thread whether or not we are cancelled while
            # waiting for it: a cancelled BEGIN must still be followed by a ROLLBACK, or the
            # connection stays inside a transaction and every later write fails.
            begin = asyncio.ensure_future(self._run(conn, "BEGIN IMMEDIATE"))
            try:
                await asyncio.shield(begin)
            except BaseException:
                with contextlib.suppress(Exception):
                    await begin
                    await asyncio.shield(self._run(conn, "ROLLBACK"))
                raise
            try:
                yield conn
            except BaseException:
                await asyncio.shield(self._run(conn, "ROLLBACK"))
                raise
            await asyncio.shield(self._run(conn, "COMMIT"))

    @staticmethod
    async def _run(conn: aiosqlite.Connection, sql: str) -> None:
        await conn.execute(sql)

    async def checkpoint(self) -> None:
        """Fold the WAL into the main file and truncate it (no old page copies remain)."""
        async with self._lock:
            await self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- migrations -------------------------------------------------------------------

    async def user_version(self) -> int:
        return int(await self.fetchval("PRAGMA user_version"))

    async def migrate(self, target: int | None = None) -> list[int]:
        """Apply the numbered migrations the database lacks; return the versions applied."""
        scripts = migration_scripts()
        latest = len(scripts)
        target = latest if target is None else target
        current = await self.user_version()
        if current > latest:
            raise DatabaseTooNewError(
                f"database {self.path} has schema version {current}, "
                f"this bot knows up to {latest}: upgrade the bot"
            )
        applied: list[int] = []
        for version, name, sql in scripts:
            if version <= current or version > target:
                continue
            async with self.transaction() as conn:
                for statement in _split_statements(sql):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version={version:d}")
            log.info("applied migration %s", name)
            applied.append(version)
        return applied


def _split_statements(sql: str) -> Iterable[str]:
    """Split a migration file into statements (sqlite3.complete_statement aware)."""
    import sqlite3

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
