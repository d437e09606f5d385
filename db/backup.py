"""Online backups and restores of the SQLite database.

A backup uses SQLite's backup API, which copies a consistent snapshot while the bot keeps
writing (WAL readers do not block the writer). Each copy is checked with
``PRAGMA integrity_check`` before it counts, and old copies are rotated.

A restore needs the bot stopped: a running bot holds a shared lock on ``<database>.lock``,
and restore takes it exclusively or refuses.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from db.database import migration_scripts

log = logging.getLogger(__name__)

BACKUP_GLOB = "bot-*.sqlite3"


class BackupError(RuntimeError):
    """A copy that cannot be trusted, or a restore that must not run now."""


def lock_path(database_path: Path) -> Path:
    return database_path.with_name(database_path.name + ".lock")


@contextlib.contextmanager
def running_lock(database_path: Path) -> Iterator[None]:
    """Held by a running bot (shared: several workers may share one database)."""
    database_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path(database_path).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check(path: Path) -> None:
    """Raise BackupError unless ``path`` is an intact database this code can open."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a usable SQLite database ({exc})") from None
    if result != ["ok"]:
        raise BackupError(f"{path}: integrity check failed: {'; '.join(result[:5])}")
    latest = len(migration_scripts())
    if not 1 <= version <= latest:
        raise BackupError(
            f"{path}: schema version {version} is not one this bot knows (1..{latest})"
        )


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of ``source`` in ``target`` (a single file, no WAL), checked."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # In one step: a single read transaction, which in WAL mode never blocks the
            # bot's writes; a stepwise copy would restart after each of them.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    try:
        check(partial)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    partial.replace(target)


def make_backup(database_path: Path, directory: Path, keep: int, now: datetime) -> Path:
    """Copy the database into ``directory`` as ``bot-YYYYMMDD-HHMMSS.sqlite3`` and keep only
    the ``keep`` newest copies. Returns the new copy's path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"bot-{now:%Y%m%d-%H%M%S}.sqlite3"
    copy_database(database_path, target)
    for old in sorted(directory.glob(BACKUP_GLOB), reverse=True)[max(keep, 1) :]:
        old.unlink()
        log.info("backup %s removed (keeping %d)", old.name, keep)
    log.info("backup %s made and checked", target)
    return target


def restore(source: Path, database_path: Path, now: datetime) -> Path | None:
    """Replace the database with a checked copy; the bot must be stopped.

    The replaced database is kept next to it as ``<name>.replaced-<time>`` (it holds personal
    data: delete it once the restore is confirmed). Returns that path, or None if there was
    no database.
    """
    check(source)
    database_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path(database_path).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError("the bot is running on this database: stop it first") from None
        try:
            incoming = database_path.with_name(database_path.name + ".restoring")
            copy_database(source, incoming)
            kept = None
            if database_path.exists():
                # Fold the WAL in first, so that the kept file is complete by itself.
                conn = sqlite3.connect(database_path)
                try:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    conn.close()
                kept = database_path.with_name(f"{database_path.name}.replaced-{now:%Y%m%d-%H%M%S}")
                database_path.replace(kept)
            for suffix in ("-wal", "-shm"):
                Path(f"{database_path}{suffix}").unlink(missing_ok=True)
            incoming.replace(database_path)
            return kept
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
