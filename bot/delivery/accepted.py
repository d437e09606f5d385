"""Recording what Telegram already accepted.

Telegram cannot take a message back. Once it accepted a call, what is left to retry is the
database write that records it (a progress message's id, a part of a delivery), never the call:
making the call again would show the person the same message twice. The background sender
keeps such facts across its passes (``bot/delivery/sender.py``); a handler, which has no next
pass, retries the write in place with :func:`record`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# Each attempt already waits the connection's busy_timeout (5 s) for a lock held elsewhere.
ATTEMPTS = 4
PAUSE_SECONDS = 1.0


async def record(write: Callable[[], Awaitable[T]], what: str) -> T:
    """Run ``write`` (a database write recording an accepted call) until it succeeds, at most
    ``ATTEMPTS`` times; the last failure is raised."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await write()
        except sqlite3.OperationalError as exc:  # locked, busy, disk full, I/O
            if attempt == ATTEMPTS:
                log.error("cannot record %s after %d attempts: %r", what, attempt, exc)
                raise
            log.warning("cannot record %s (%r); trying the write again", what, exc)
            await asyncio.sleep(PAUSE_SECONDS * attempt)
    raise AssertionError("unreachable")
