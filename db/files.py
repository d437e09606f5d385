"""Files that hold personal data are the bot user's alone, whatever the umask.

Run from cron or a shell (not from the systemd unit with ``UMask=0077``), the usual umask 022
would make the database, its WAL, the backups and their folder readable by every user of the
server. Files are created 0600 and folders 0700 explicitly instead. SQLite gives the ``-wal``,
``-shm`` and ``-journal`` files the mode of their database file, so a 0600 database is enough
for those.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents as 0700 folders. A folder that already exists is
    left as it is (it may be shared, like ``/var/backups``): its files are private anyway."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made by another process meanwhile
            folder.mkdir(mode=DIR_MODE)
            os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask


def private_file(path: Path) -> None:
    """Create ``path`` empty as a 0600 file, or make an existing one 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def tighten(path: Path) -> None:
    """Make an existing file 0600; a missing one is fine."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, FILE_MODE)


def open_private(path: Path, flags: int) -> int:
    """``os.open`` of a 0600 file (created if ``flags`` say so, tightened if it existed)."""
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd
