"""Backups made while the bot writes, checked and rotated; restores that refuse bad copies
and a running bot."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import prepare_database
from db.backup import BackupError, make_backup, restore, running_lock
from db.database import Database
from tests.e2e import ROOT

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def write_rows(db: Database, stop: asyncio.Event) -> int:
    """Keep writing, one transaction after another, until told to stop."""
    n = 0
    while not stop.is_set():
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO counters (name, value) VALUES (?, ?)", (f"load-{n}", n))
            await conn.execute("UPDATE counters SET value = value + 1 WHERE name = 'load-total'")
        n += 1
        await asyncio.sleep(0)
    return n


def rows_in(path: Path) -> tuple[int, int]:
    """(rows written, the running total): equal in any consistent snapshot."""
    conn = sqlite3.connect(path)
    try:
        written = conn.execute("SELECT count(*) FROM counters WHERE name GLOB 'load-[0-9]*'")
        total = conn.execute("SELECT value FROM counters WHERE name = 'load-total'")
        return written.fetchone()[0], total.fetchone()[0]
    finally:
        conn.close()


async def test_a_backup_made_under_write_load_is_consistent_and_restores(
    tmp_path: Path,
) -> None:
    live = tmp_path / "bot.sqlite3"
    db = await prepare_database(live)
    await db.execute("INSERT INTO counters (name, value) VALUES ('load-total', 0)")
    stop = asyncio.Event()
    writer = asyncio.create_task(write_rows(db, stop))
    try:
        await asyncio.sleep(0.2)
        copy = await asyncio.to_thread(make_backup, live, tmp_path / "backups", 3, NOW)
        await asyncio.sleep(0.1)
    finally:
        stop.set()
        written = await writer
        await db.close()
    in_copy, total_in_copy = rows_in(copy)
    assert in_copy == total_in_copy, "the copy is a snapshot between two transactions"
    assert 0 < in_copy < written, "the copy was made while rows were being written"
    # Restore it in place of the live database (the bot is stopped now).
    kept = restore(copy, live, NOW)
    assert kept is not None and rows_in(kept)[0] == written
    assert rows_in(live) == (in_copy, in_copy)
    db = await prepare_database(live)  # opens, migrates (nothing to do) and works
    try:
        assert await db.fetchval("SELECT count(*) FROM counters WHERE name GLOB 'load-[0-9]*'") == (
            in_copy
        )
    finally:
        await db.close()


async def test_old_backups_are_rotated(tmp_path: Path) -> None:
    live = tmp_path / "bot.sqlite3"
    db = await prepare_database(live)
    await db.close()
    made = [
        make_backup(live, tmp_path / "b", keep=2, now=NOW + timedelta(days=i)) for i in range(4)
    ]
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [made[2].name, made[3].name]


def test_a_damaged_copy_is_refused_and_the_database_is_untouched(tmp_path: Path) -> None:
    live = tmp_path / "bot.sqlite3"
    conn = sqlite3.connect(live)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    before = live.read_bytes()
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 + b"garbage" * 500)
    with pytest.raises(BackupError):
        restore(bad, live, NOW)
    newer = tmp_path / "newer.sqlite3"
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(BackupError, match="schema version 999"):
        restore(newer, live, NOW)
    assert live.read_bytes() == before


async def test_restore_refuses_while_the_bot_runs(tmp_path: Path) -> None:
    live = tmp_path / "bot.sqlite3"
    db = await prepare_database(live)
    await db.close()
    copy = make_backup(live, tmp_path / "b", keep=1, now=NOW)
    with running_lock(live), pytest.raises(BackupError, match="stop it first"):
        restore(copy, live, NOW)
    assert restore(copy, live, NOW) is not None  # stopped: it goes ahead


async def test_the_backup_and_restore_commands(tmp_path: Path) -> None:
    live = tmp_path / "bot.sqlite3"
    db = await prepare_database(live)
    await db.execute("INSERT INTO counters (name, value) VALUES ('marker', 7)")
    await db.close()
    env = {"DATABASE_PATH": str(live), "PYTHONPATH": str(ROOT), "BACKUP_KEEP": "5"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    made = run("backup", str(tmp_path / "copies"))
    assert made.returncode == 0, made.stderr
    [copy] = (tmp_path / "copies").glob("bot-*.sqlite3")
    conn = sqlite3.connect(live)
    conn.execute("UPDATE counters SET value = 8 WHERE name = 'marker'")
    conn.commit()
    conn.close()
    restored = run("restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    assert "replaced database is kept" in restored.stdout
    conn = sqlite3.connect(live)
    assert conn.execute("SELECT value FROM counters WHERE name = 'marker'").fetchone() == (7,)
    conn.close()
    refused = run("restore", str(tmp_path / "missing.sqlite3"))
    assert refused.returncode == 1 and "no such file" in refused.stderr
