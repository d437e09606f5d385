"""Online backups and restores of the SQLite database.

A backup uses SQLite's backup API, which copies a consistent snapshot while the bot keeps
writing (WAL readers do not block the writer). Each copy is checked with
``PRAGMA integrity_check`` before it counts, and old copies are rotated.

A restore needs the bot stopped: a running bot holds a shared lock on ``<database>.lock``,
and restore takes it exclusively or refuses. Before the copy takes the database's place, the
deletion ledger (``db/ledger.py``) erases from it again everyone who deleted their data after
the copy was made.

Everything is created for the bot's user alone (files 0600, folders 0700), whatever the umask
of the shell or cron job that runs ``python -m bot backup``.
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

from db.applications import ERASE_PERSON, PERSON_IDS
from db.database import migrate_connection, migration_scripts
from db.files import open_private, private_dir, private_file, tighten
from db.ledger import DeletionLedger, Erasure, LedgerError, digest, ledger_path

log = logging.getLogger(__name__)

BACKUP_GLOB = "bot-*.sqlite3"
DEFAULT_KEEP = 14


class BackupError(RuntimeError):
    """A copy that cannot be trusted, or a restore that must not run now."""


def lock_path(database_path: Path) -> Path:
    return database_path.with_name(database_path.name + ".lock")


@contextlib.contextmanager
def running_lock(database_path: Path) -> Iterator[None]:
    """Held by a running bot (shared: several workers may share one database)."""
    with _lock_file(database_path) as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _lock_file(database_path: Path) -> Iterator[int]:
    private_dir(database_path.parent)
    fd = open_private(lock_path(database_path), os.O_RDWR | os.O_CREAT | os.O_APPEND)
    try:
        yield fd
    finally:
        os.close(fd)


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
    private_file(partial)  # SQLite takes an empty file as an empty database, keeping its mode
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
    private_dir(directory)
    target = directory / f"bot-{now:%Y%m%d-%H%M%S}.sqlite3"
    copy_database(database_path, target)
    # The deletion ledger goes along: restoring onto a new server must still honour it.
    if ledger_path(database_path).exists():
        _copy_private(ledger_path(database_path), ledger_copy(directory, database_path))
    _rotate(directory, BACKUP_GLOB, keep)
    log.info("backup %s made and checked", target)
    return target


def _copy_private(source: Path, target: Path) -> None:
    """Copy a small file atomically, 0600, flushed to disk."""
    partial = target.with_name(target.name + ".partial")
    fd = open_private(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "wb") as handle:
        handle.write(source.read_bytes())
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(target)


def _rotate(directory: Path, pattern: str, keep: int) -> None:
    """Keep the ``keep`` newest files matching ``pattern`` (their names sort by time)."""
    for old in sorted(directory.glob(pattern), reverse=True)[max(keep, 1) :]:
        old.unlink()
        log.info("%s removed (keeping %d)", old.name, keep)


def restore(
    source: Path, database_path: Path, now: datetime, keep: int = DEFAULT_KEEP
) -> Path | None:
    """Replace the database with a checked copy; the bot must be stopped.

    The people the deletion ledger names are erased from the copy first (those who deleted
    their data after it was made). The replaced database is kept next to it as
    ``<name>.replaced-<time>`` (it holds personal data: delete it once the restore is
    confirmed); only the ``keep`` newest of those stay. Returns that path, or None if there
    was no database.
    """
    check(source)
    with _lock_file(database_path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError("the bot is running on this database: stop it first") from None
        try:
            incoming = database_path.with_name(database_path.name + ".restoring")
            copy_database(source, incoming)
            try:
                erased = apply_ledger(incoming, database_path, source)
                check(incoming)
            except BaseException:
                incoming.unlink(missing_ok=True)
                raise
            if erased:
                log.info("the deletion ledger erased %d person(s) from the restored copy", erased)
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
                tighten(kept)
            for suffix in ("-wal", "-shm"):
                Path(f"{database_path}{suffix}").unlink(missing_ok=True)
            incoming.replace(database_path)
            _rotate(database_path.parent, f"{database_path.name}.replaced-*", keep)
            # A new server: the ledger comes back from beside the backups, key and all.
            saved = ledger_copy(source.parent, database_path)
            if not ledger_path(database_path).exists() and saved.exists():
                _copy_private(saved, ledger_path(database_path))
            return kept
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _current_erasures(database_path: Path) -> list[Erasure]:
    """The erasures the database about to be replaced records (none if it has no table)."""
    if not database_path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{database_path}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT kind, digest, erased_at FROM erasures").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:  # no such table (an old schema), or a broken file
        log.warning("the erasures of %s cannot be read: %s", database_path, exc)
        return []
    return [Erasure(str(kind), str(value), str(at)) for kind, value, at in rows]


def ledger_copy(directory: Path, database_path: Path) -> Path:
    """Where backups keep a copy of the database's deletion ledger."""
    return directory / ledger_path(database_path).name


def _read_ledger(path: Path) -> tuple[bytes | None, list[Erasure]]:
    try:
        return DeletionLedger(path).read()
    except LedgerError as exc:
        raise BackupError(f"the deletion ledger cannot be read: {exc}") from None


def apply_ledger(copy: Path, database_path: Path, source: Path | None = None) -> int:
    """Erase again from ``copy`` everyone the deletion ledgers name and the copy does not know
    as erased (it was made before they deleted their data); record those erasures in it.

    The ledgers: the one beside ``database_path``, and the copy backups keep beside
    ``source`` (the only one left when the server itself was lost). Returns how many people
    were erased."""
    groups: list[tuple[bytes, list[Erasure]]] = []
    seen: set[Erasure] = set()
    paths = [ledger_path(database_path)]
    if source is not None:
        paths.append(ledger_copy(source.parent, database_path))
    for index, path in enumerate(paths):
        key, entries = _read_ledger(path)
        if index == 0:
            # Erasures the database records but its ledger lacks: the same key, or none.
            own = set(entries)
            entries += [e for e in _current_erasures(database_path) if e not in own]
            if key is None and entries:
                raise BackupError(
                    f"the deletion ledger {path} is missing, but the database records "
                    f"{len(entries)} erasure(s): the restored copy could bring those people "
                    "back. Put the ledger file back first"
                )
        if key is not None:
            groups.append((key, [e for e in entries if e not in seen]))
            seen.update(entries)
    erased = 0
    for key, entries in groups:
        erased += _erase_again(copy, key, entries)
    return erased


def _erase_again(copy: Path, key: bytes, entries: list[Erasure]) -> int:
    """Apply one ledger's entries (hashed under ``key``) to the copy; people erased."""
    conn = sqlite3.connect(copy, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA secure_delete=ON")
        migrate_connection(conn)  # an older copy: this code's schema, with the erasures table
        present = set(conn.execute("SELECT kind, digest, erased_at FROM erasures").fetchall())
        missing = [e for e in entries if (e.kind, e.digest, e.erased_at) not in present]
        if not missing:
            return 0
        users = {digest(key, "user", row[0]): row[0] for row in conn.execute(PERSON_IDS)}
        numbers = {
            digest(key, "application", row[0]): row[0]
            for row in conn.execute(
                "SELECT number FROM applications UNION "
                "SELECT application_no FROM audit_log WHERE application_no IS NOT NULL"
            )
        }
        erased = 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            for entry in missing:
                if entry.kind == "user" and entry.digest in users:
                    for statement in ERASE_PERSON:
                        conn.execute(statement, {"user": users[entry.digest]})
                    erased += 1
                elif entry.kind == "application" and entry.digest in numbers:
                    conn.execute(
                        "UPDATE audit_log SET comment = NULL WHERE application_no = ?",
                        (numbers[entry.digest],),
                    )
                conn.execute(
                    "INSERT INTO erasures (kind, digest, erased_at) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (entry.kind, entry.digest, entry.erased_at),
                )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return erased
    finally:
        conn.close()
