"""Pacing of outgoing messages under Telegram's flood limits, in one process or in several.

Telegram counts messages per bot (about 30 a second) and per chat (about one a second in a
private chat, 20 a minute in a group), whatever the number of processes sending them. A
:class:`Pacer` hands out send slots: evenly spaced ``1 / rate`` seconds apart for the whole bot
(never a burst), the chat's interval apart for one chat, and none at all during a pause that a
429 answer imposed.

* :class:`LocalPacer` keeps the schedule in the process (one worker, or no Redis);
* :class:`RedisPacer` keeps it in Redis, so every process shares one budget. One Lua script
  reserves a slot atomically, with Redis ``TIME`` as the common clock;
* :class:`PacingMiddleware` paces the bot's own calls (replies in handlers) with the same pacer.

Both pacers use the same arithmetic: a "next free instant" for the bot, one per chat and a
"pause until" instant. A slot is ``max(now, next free, pause until)``; taking it moves the next
free instant ``1 / rate`` further. A chat that is not free at that slot reserves nothing (its
wait would otherwise hold up every other chat) and tries again when it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

PRIVATE_CHAT_INTERVAL = 1.0  # seconds between two messages to one person
GROUP_CHAT_INTERVAL = 3.0  # 20 messages a minute in a group
# Bot API methods that Telegram counts against the flood limits (sending and editing messages).
PACED_PREFIXES = ("send", "copy", "forward", "edit")
UNPACED_METHODS = frozenset({"sendChatAction"})  # a "typing…" status is not a message


class Pacer(Protocol):
    """Hands out send slots under the bot's global rate and each chat's interval."""

    private_interval: float
    group_interval: float

    async def acquire(self, chat_id: int | None = None) -> float:
        """Wait for a slot under the global rate and, with ``chat_id``, the chat's interval.

        Returns the slot's instant on the pacer's clock (seconds), for tests and logs.
        """
        ...

    async def finished(self, chat_id: int) -> None:
        """A call to ``chat_id`` has ended: its interval counts again from now.

        Telegram counts a message when it arrives; measuring from the end of the previous
        call (as well as from its slot) keeps network jitter from bunching two up.
        """
        ...

    async def pause(self, seconds: float) -> None:
        """A 429: no slot for anyone (every chat, every process) for ``seconds``."""
        ...

    async def aclose(self) -> None:
        """Release what the pacer holds (connections it owns)."""
        ...


def chat_interval(chat_id: int, private_interval: float, group_interval: float) -> float:
    """The interval between two messages to ``chat_id`` (positive ids are private chats)."""
    return private_interval if chat_id > 0 else group_interval


class LocalPacer:
    """The schedule kept in this process: right for one worker, or without Redis."""

    # Chats whose next free instant has passed are forgotten once there are this many.
    PRUNE_AT = 10_000

    def __init__(
        self,
        rate: float,
        private_interval: float = PRIVATE_CHAT_INTERVAL,
        group_interval: float = GROUP_CHAT_INTERVAL,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.private_interval = private_interval
        self.group_interval = group_interval
        self._next_free = 0.0
        self._pause_until = 0.0
        self._chat_free: dict[int, float] = {}

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def _reserve(self, chat_id: int | None) -> tuple[bool, float, float]:
        """``(reserved, instant, now)``; when not reserved, ``instant`` is when to try again."""
        now = self._now()
        slot = max(now, self._next_free, self._pause_until)
        if chat_id is not None:
            chat_free = self._chat_free.get(chat_id, 0.0)
            if chat_free > slot:
                return False, chat_free, now
            interval = chat_interval(chat_id, self.private_interval, self.group_interval)
            self._chat_free[chat_id] = slot + interval
            if len(self._chat_free) > self.PRUNE_AT:
                self._prune(now)
        self._next_free = slot + 1 / self.rate
        return True, slot, now

    def _prune(self, now: float) -> None:
        self._chat_free = {chat: free for chat, free in self._chat_free.items() if free > now}

    async def acquire(self, chat_id: int | None = None) -> float:
        while True:
            reserved, instant, now = self._reserve(chat_id)
            if instant > now:
                await asyncio.sleep(instant - now)
            if reserved:
                return instant

    async def finished(self, chat_id: int) -> None:
        interval = chat_interval(chat_id, self.private_interval, self.group_interval)
        free = self._now() + interval
        if free > self._chat_free.get(chat_id, 0.0):
            self._chat_free[chat_id] = free

    async def pause(self, seconds: float) -> None:
        self._pause_until = max(self._pause_until, self._now() + seconds)

    async def aclose(self) -> None:
        return None


# Instants are integers of microseconds of Redis TIME. Lua numbers are doubles: exact up to
# 2**53 µs (year 2255). They are written with string.format("%d"), because Lua's default
# conversion of a number to a string keeps only 14 significant digits.
_TIME_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local keep_ms = tonumber(ARGV[#ARGV])
local function set_instant(key, instant)
  local ttl = math.ceil((instant - now) / 1000) + keep_ms
  redis.call('SET', key, string.format('%d', instant), 'PX', string.format('%d', ttl))
end
local function get_instant(key)
  return tonumber(redis.call('GET', key) or '0')
end
"""

# KEYS: the bot's next free instant, the pause end[, the chat's next free instant].
# ARGV: spacing (µs)[, the chat's interval (µs)], keep_ms.
# Returns {1, slot, now} for a reserved slot, {0, retry_at, now} when the chat is not free.
_ACQUIRE_LUA = (
    _TIME_LUA
    + """
local slot = math.max(now, get_instant(KEYS[1]), get_instant(KEYS[2]))
if #KEYS == 3 then
  local chat_free = get_instant(KEYS[3])
  if chat_free > slot then
    return {0, chat_free, now}
  end
  set_instant(KEYS[3], slot + tonumber(ARGV[2]))
end
set_instant(KEYS[1], slot + tonumber(ARGV[1]))
return {1, slot, now}
"""
)

# KEYS: an instant. ARGV: delay (µs), keep_ms. Moves the instant to at least now + delay.
_PUSH_LUA = (
    _TIME_LUA
    + """
local target = now + tonumber(ARGV[1])
if target > get_instant(KEYS[1]) then
  set_instant(KEYS[1], target)
end
return target
"""
)


class RedisPacer:
    """The schedule kept in Redis: every process with the same ``prefix`` shares one budget.

    The pacer does not own ``redis``: the caller closes the client (``aclose`` is a no-op).
    """

    # Keys outlive their instant by this long, then expire: nothing piles up in Redis.
    KEEP_MS = 60_000

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        rate: float,
        private_interval: float = PRIVATE_CHAT_INTERVAL,
        group_interval: float = GROUP_CHAT_INTERVAL,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.redis = redis
        self.prefix = prefix
        self.rate = rate
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.next_key = f"{prefix}:next"
        self.pause_key = f"{prefix}:pause"
        self._acquire = redis.register_script(_ACQUIRE_LUA)
        self._push = redis.register_script(_PUSH_LUA)

    def chat_key(self, chat_id: int) -> str:
        return f"{self.prefix}:chat:{chat_id}"

    async def _reserve(self, chat_id: int | None) -> tuple[bool, int, int]:
        """``(reserved, instant, now)`` in µs of Redis time (see :meth:`LocalPacer._reserve`)."""
        keys = [self.next_key, self.pause_key]
        args: list[int] = [_micros(1 / self.rate)]
        if chat_id is not None:
            keys.append(self.chat_key(chat_id))
            interval = chat_interval(chat_id, self.private_interval, self.group_interval)
            args.append(_micros(interval))
        args.append(self.KEEP_MS)
        reserved, instant, now = await self._acquire(keys=keys, args=args)
        return bool(reserved), int(instant), int(now)

    async def acquire(self, chat_id: int | None = None) -> float:
        while True:
            reserved, instant, now = await self._reserve(chat_id)
            if instant > now:
                await asyncio.sleep((instant - now) / 1_000_000)
            if reserved:
                return instant / 1_000_000

    async def finished(self, chat_id: int) -> None:
        interval = chat_interval(chat_id, self.private_interval, self.group_interval)
        await self._push(keys=[self.chat_key(chat_id)], args=[_micros(interval), self.KEEP_MS])

    async def pause(self, seconds: float) -> None:
        await self._push(keys=[self.pause_key], args=[_micros(seconds), self.KEEP_MS])

    async def aclose(self) -> None:
        return None


def _micros(seconds: float) -> int:
    return math.ceil(seconds * 1_000_000)


# Set while the sender makes a call it has already paced (with the chat's interval), so that
# the middleware of the same bot does not take a second slot for it.
_already_paced: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "already_paced", default=False
)


@contextlib.contextmanager
def already_paced() -> Iterator[None]:
    """Calls made inside this block took their slot already; the middleware lets them pass."""
    token = _already_paced.set(True)
    try:
        yield
    finally:
        _already_paced.reset(token)


def is_paced_method(method: TelegramMethod[Any]) -> bool:
    """Whether Telegram counts ``method`` against the flood limits (sending or editing)."""
    name = method.__api_method__
    return name.startswith(PACED_PREFIXES) and name not in UNPACED_METHODS


class PacingMiddleware(BaseRequestMiddleware):
    """Paces the bot's calls that send or edit messages with a shared :class:`Pacer`.

    Register it after :class:`~bot.delivery.retry.RetryMiddleware` (so it is the inner one and
    every retry takes a slot again). Only the global rate applies here: the per-chat interval
    is the sender's business. A 429 pauses every sender in every process, then goes on up.
    """

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not is_paced_method(method):
            return await make_request(bot, method)
        if not _already_paced.get():
            await self.pacer.acquire()
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as exc:
            name = type(method).__name__
            log.warning("429 from Telegram on %s: every sender waits %s s", name, exc.retry_after)
            try:
                await self.pacer.pause(exc.retry_after)
            except Exception:  # the 429 is the error to report, not the pacer's
                log.exception("cannot share the pause of %s s", exc.retry_after)
            raise
