"""The deletion ledger: who deleted their data, as keyed hashes, so that a restore of an older
copy of the database erases them again.

It is a file beside the database, ``<database>.deleted``: a restore replaces the database,
not this file. Each line is ``user <digest> <when>`` or ``application <digest> <when>``, the
digest an HMAC-SHA256 of the Telegram id or of the application number under a random key kept
on the file's ``key`` line. The same entries go into the database's ``erasures`` table (in the
erasure's transaction), which tells whether a restored copy already reflects a deletion: a
person may delete their data, come back and apply again, and a copy made after that must keep
their new application.

The key is in this file only (and in its copy beside the backups), never inside the database or
its copies: the hashes there cannot be reversed by trying every Telegram id. The file is written
before the erasure commits, so a crash in between can only leave an entry for data that was not
yet erased (and will be).
"""

from __future__ import annotations

import fcntl
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from pathlib import Path

from db.database import Database
from db.files import open_private
from db.outbox import utc

HEADER = (
    "# Deletion ledger of the Metallurgy cluster bot: people who deleted their data, as keyed\n"
    "# hashes (HMAC-SHA256), no personal data. `python -m bot restore` erases them again from\n"
    "# a restored copy. Keep this file beside the database; do not edit it.\n"
)
KINDS = ("user", "application")


class LedgerError(RuntimeError):
    """The ledger file cannot be read."""


@dataclass(frozen=True, slots=True)
class Erasure:
    kind: str  # user | application
    digest: str
    erased_at: str  # UTC, ISO 8601

    @property
    def line(self) -> str:
        return f"{self.kind} {self.digest} {self.erased_at}\n"


def digest(key: bytes, kind: str, value: object) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), sha256).hexdigest()


def ledger_path(database_path: Path) -> Path:
    return database_path.with_name(database_path.name + ".deleted")


class DeletionLedger:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(cls, database_path: Path) -> DeletionLedger | None:
        """The ledger of a database file; None for an in-memory database."""
        if str(database_path) == ":memory:":
            return None
        return cls(ledger_path(database_path))

    def record(
        self, user_id: int, application_numbers: Iterable[str], now: datetime
    ) -> list[Erasure]:
        """Append the person's entries (creating the file and its key if needed), flushed to
        disk before returning. Several processes may append at once: the file is locked."""
        fd = open_private(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
        with os.fdopen(fd, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            key, _entries = _parse(handle.read(), self.path)
            if key is None:
                key = secrets.token_bytes(32)
                handle.write(HEADER + f"key {key.hex()}\n")
            stamp = utc(now)
            entries = [Erasure("user", digest(key, "user", user_id), stamp)]
            entries += [
                Erasure("application", digest(key, "application", number), stamp)
                for number in application_numbers
            ]
            handle.write("".join(e.line for e in entries))
            handle.flush()
            os.fsync(handle.fileno())
        return entries

    def read(self) -> tuple[bytes | None, list[Erasure]]:
        """The key (None: no ledger yet) and every entry."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, []
        return _parse(text, self.path)


def _parse(text: str, path: Path) -> tuple[bytes | None, list[Erasure]]:
    key: bytes | None = None
    entries: list[Erasure] = []
    lines = text.split("\n")
    # A last line without its newline was never completed (a crash while writing): its
    # erasure never committed either.
    for number, line in enumerate(lines[:-1], start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(" ")
        try:
            if parts[0] == "key" and len(parts) == 2 and key is None:
                key = bytes.fromhex(parts[1])
                continue
            if parts[0] in KINDS and len(parts) == 3:
                datetime.fromisoformat(parts[2])
                int(parts[1], 16)
                entries.append(Erasure(parts[0], parts[1], parts[2]))
                continue
        except ValueError:
            pass
        raise LedgerError(f"{path}, line {number}: not a ledger line")
    if entries and key is None:
        raise LedgerError(f"{path}: entries without a key")
    return key, entries


async def write_erasures(db: Database, entries: Iterable[Erasure]) -> None:
    """The entries into the database's ``erasures`` table, inside the caller's transaction."""
    for entry in entries:
        await db.execute(
            "INSERT INTO erasures (kind, digest, erased_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (entry.kind, entry.digest, entry.erased_at),
        )
