"""One leader among the bot's processes: the one that runs the scheduler and the sender.

Several webhook workers answer users; only one of them may fire reminders and drain the
outbox. :class:`LeaderLock` is a Redis key holding its owner's id with an expiry, renewed while
the owner lives; :class:`LeaderElection` keeps trying to take it and tells the process when it
becomes the leader and when it stops being one. A process that dies (``kill -9``) stops
renewing: the key expires and another process takes over within ``ttl_seconds``.
Without Redis, :class:`AlwaysLeader` makes the only process the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

Callback = Callable[[], Awaitable[None]]


def unreachable_errors() -> tuple[type[Exception], ...]:
    """Errors that leave the lock's state unknown (Redis unreachable, a timeout). redis is
    imported here, by an election: without REDIS_URL the bot never loads it (some 20 MB)."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)


# Extends the expiry only if the key still holds our id.
_RENEW_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# Deletes the key only if it still holds our id.
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def process_owner() -> str:
    """An id for this process, unique across hosts, restarts and reused pids."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class LeaderLock:
    """A Redis key ``key`` = ``owner`` that expires unless renewed within ``ttl_seconds``."""

    def __init__(self, redis: Redis, key: str, owner: str, ttl_seconds: float = 15) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.redis = redis
        self.key = key
        self.owner = owner
        self.ttl_seconds = ttl_seconds
        self._renew = redis.register_script(_RENEW_LUA)
        self._release = redis.register_script(_RELEASE_LUA)

    @property
    def ttl_ms(self) -> int:
        return max(1, round(self.ttl_seconds * 1000))

    async def acquire(self) -> bool:
        """Take the lock if nobody holds it (``SET NX PX``)."""
        return bool(await self.redis.set(self.key, self.owner, nx=True, px=self.ttl_ms))

    async def renew(self) -> bool:
        """Extend the expiry by ``ttl_seconds``; ``False`` if the lock is no longer ours."""
        return bool(await self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]))

    async def release(self) -> bool:
        """Give the lock up if it is still ours; ``False`` if it was not."""
        return bool(await self._release(keys=[self.key], args=[self.owner]))

    async def holder(self) -> str | None:
        """The owner holding the lock now, or ``None``."""
        value = await self.redis.get(self.key)
        return None if value is None else value.decode() if isinstance(value, bytes) else value


class Election(Protocol):
    """Runs ``on_gain`` when this process becomes the leader, ``on_loss`` when it stops."""

    @property
    def is_leader(self) -> bool: ...

    async def run(self, on_gain: Callback, on_loss: Callback) -> None: ...

    def stop(self) -> None: ...


class LeaderElection:
    """Keeps trying to hold ``lock``; run :meth:`run` in a task, end it with :meth:`stop`.

    ``on_gain()`` runs once the lock is ours (start the scheduler and the sender);
    ``on_loss()`` when a renewal finds it taken, when Redis stays unreachable for two thirds of
    the ttl (so the work stops before another process may take over), and when the election
    ends (stop or cancel), before the lock is released. ``on_loss`` never runs without an
    ``on_gain`` before it.
    """

    def __init__(
        self,
        lock: LeaderLock,
        *,
        renew_seconds: float | None = None,
        retry_seconds: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = lock
        self._unreachable = unreachable_errors()
        self.renew_seconds = renew_seconds or lock.ttl_seconds / 3
        self.retry_seconds = retry_seconds or lock.ttl_seconds / 3
        self._now = monotonic
        self._leader = False
        self._renewed_at = 0.0  # monotonic time the last good renewal was sent
        # When some process (this one or another) was last seen holding the lock; a process
        # that just started gives the others one ttl to show up.
        self._led_at = monotonic()
        self._stopping = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        return self._leader

    def leaderless_seconds(self) -> float:
        """How long no process has been seen holding the lock (0 while this one does)."""
        return 0.0 if self._leader else max(0.0, self._now() - self._led_at)

    async def probe(self) -> bool:
        """Ask Redis whether some process holds the lock now; False if Redis does not answer
        (the health check's view: with Redis down nobody can lead)."""
        try:
            holder = await self.lock.holder()
        except self._unreachable as exc:
            log.warning("cannot reach Redis: %r", exc)
            return False
        if holder is not None:
            self._led_at = self._now()
        return True

    def stop(self) -> None:
        """Ask :meth:`run` to finish: ``on_loss()`` if leading, release, return."""
        self._stopping.set()

    async def run(self, on_gain: Callback, on_loss: Callback) -> None:
        try:
            while not self._stopping.is_set():
                if self._leader:
                    await self._wait(self.renew_seconds)
                    if not self._stopping.is_set() and not await self._still_leader():
                        self._leader = False
                        await on_loss()
                elif await self._try_acquire():
                    self._leader = True
                    log.info("leader lock %s taken by %s", self.lock.key, self.lock.owner)
                    await on_gain()
                else:
                    await self._wait(self.retry_seconds)
        finally:
            if self._leader:
                self._leader = False
                try:
                    await on_loss()
                finally:
                    with contextlib.suppress(*self._unreachable):
                        await self.lock.release()
                    log.info("leader lock %s released by %s", self.lock.key, self.lock.owner)

    async def _try_acquire(self) -> bool:
        sent_at = self._now()
        try:
            taken = await self.lock.acquire()
        except self._unreachable as exc:
            log.warning("cannot reach Redis for the leader lock: %r", exc)
            return False
        self._led_at = sent_at  # taken now, or held by another process
        if taken:
            self._renewed_at = sent_at
        return taken

    async def _still_leader(self) -> bool:
        sent_at = self._now()
        try:
            renewed = await self.lock.renew()
        except self._unreachable as exc:
            # The lock holds for the ttl after the last good renewal: keep working through a
            # short outage, and stop with a third of the ttl to spare.
            if self._now() - self._renewed_at < self.lock.ttl_seconds * 2 / 3:
                log.warning("cannot renew the leader lock (%r); trying again", exc)
                return True
            log.error("cannot renew the leader lock (%r); no longer the leader", exc)
            return False
        if not renewed:
            log.warning("leader lock %s lost: another process holds it", self.lock.key)
            return False
        self._renewed_at = self._led_at = sent_at
        return True

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


class AlwaysLeader:
    """The election of a process that runs alone (no Redis): it leads until stopped."""

    def __init__(self) -> None:
        self._leader = False
        self._stopping = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        return self._leader

    def stop(self) -> None:
        self._stopping.set()

    async def run(self, on_gain: Callback, on_loss: Callback) -> None:
        try:
            self._leader = True
            await on_gain()
            await self._stopping.wait()
        finally:
            if self._leader:
                self._leader = False
                await on_loss()
