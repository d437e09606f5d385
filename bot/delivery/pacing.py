"""Pacing of outgoing messages under Telegram's flood limits, in one process or in several.

Telegram counts every message of a bot against about 30 a second, whatever sends it and from
which process, and every chat against about one a second (20 a minute in a group). A
:class:`Pacer` hands out send slots from one budget of ``rate`` messages a second, in which
**replies go first** and **bulk takes what is left**:

* a *reply* (what a handler sends or edits in answer to what someone just did, a staff screen,
  a progress message, a notice about an application) takes the next free slot at once when
  the budget has room, even a few (:func:`reply_burst`) ahead of the even spacing, and queues
  (holding its place) when replies alone use the whole budget;
* *bulk* (reminders, broadcasts) never queues ahead: it takes a slot only when the even
  spacing of ``1 / rate`` has come round, so a reply arriving at any moment is served before
  the next bulk message, and bulk gets what replies leave, up to ``rate``.

Either way one chat gets a message at most every ``private_interval`` (``group_interval`` for
a group), counted from the slot and again from the end of the call (:meth:`Pacer.finished`);
and nobody gets one during a pause a 429 answer imposed.

The arithmetic is the generic cell rate algorithm: one "theoretical arrival time" ``tat`` for
the whole bot; a message may go at ``t >= tat - tolerance``, and then ``tat = max(tat, t) +
1 / rate``. Replies have a tolerance of ``reply_burst`` spacings, bulk of one (so that a late
wake-up does not cost bulk its slot, while it never bursts). In any second that lets through
at most ``rate + reply_burst + 1`` messages.

* :class:`LocalPacer` keeps the schedule in the process (one worker, or no Redis);
* :class:`RedisPacer` keeps it in Redis, so every process shares one budget. One Lua script
  reserves a slot atomically, with Redis ``TIME`` as the common clock;
* :class:`PacingMiddleware` paces the bot's own calls (replies) with the same pacer, the global
  budget and each chat's interval alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
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
TELEGRAM_BOT_RATE = 30  # messages a second Telegram lets a bot send, all chats together
# Bot API methods that Telegram counts against the flood limits (sending and editing messages).
PACED_PREFIXES = ("send", "copy", "forward", "edit")
UNPACED_METHODS = frozenset({"sendChatAction"})  # a "typing…" status is not a message


def reply_burst(rate: float) -> int:
    """How many replies may go ahead of the even spacing: what Telegram's ~30 a second leaves
    above ``rate``, less a margin for network jitter (2 at the default 25), at least 1."""
    return max(1, min(3, math.floor(TELEGRAM_BOT_RATE - rate) - 3))


@dataclass(frozen=True, slots=True)
class Reservation:
    """The answer of one attempt to take a slot.

    ``reserved``: the slot is taken, at ``wait`` seconds from now (0 for bulk: bulk never takes
    a slot ahead). Not reserved: try again in ``wait`` seconds; ``chat_busy`` tells whether the
    chat's interval is what holds it (other chats may go meanwhile) or the budget (nobody may).
    """

    reserved: bool
    wait: float
    instant: float  # the slot, or when to try again, on the pacer's clock (seconds)
    chat_busy: bool = False


class Pacer(Protocol):
    """Hands out send slots under the bot's budget and each chat's interval."""

    rate: float
    private_interval: float
    group_interval: float

    async def reserve(self, chat_id: int | None = None, *, bulk: bool = False) -> Reservation:
        """One attempt to take a slot (see :class:`Reservation`); never waits."""
        ...

    async def acquire(self, chat_id: int | None = None, *, bulk: bool = False) -> float:
        """Wait for a slot under the budget and, with ``chat_id``, the chat's interval.

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


async def acquire_from(pacer: Pacer, chat_id: int | None, bulk: bool) -> float:
    """Try ``pacer`` until it reserves a slot, sleeping in between; the slot's instant."""
    while True:
        reservation = await pacer.reserve(chat_id, bulk=bulk)
        if reservation.wait > 0:
            await asyncio.sleep(reservation.wait)
        if reservation.reserved:
            return reservation.instant


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
        self._tat = 0.0
        self._pause_until = 0.0
        self._chat_free: dict[int, float] = {}
        self._prune_at = self.PRUNE_AT

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    async def reserve(self, chat_id: int | None = None, *, bulk: bool = False) -> Reservation:
        now = self._now()
        spacing = 1 / self.rate
        tolerance = spacing * (1 if bulk else reply_burst(self.rate))
        slot = max(now, self._pause_until, self._tat - tolerance)
        if chat_id is not None:
            chat_free = self._chat_free.get(chat_id, 0.0)
            if chat_free > slot:
                return Reservation(False, chat_free - now, chat_free, chat_busy=True)
        if bulk and slot > now:  # bulk never holds a slot ahead: a reply may come first
            return Reservation(False, slot - now, slot)
        if chat_id is not None:
            interval = chat_interval(chat_id, self.private_interval, self.group_interval)
            self._chat_free[chat_id] = slot + interval
            if len(self._chat_free) > self._prune_at:
                self._prune(now)
        self._tat = max(self._tat, slot) + spacing
        return Reservation(True, slot - now, slot)

    def _prune(self, now: float) -> None:
        self._chat_free = {chat: free for chat, free in self._chat_free.items() if free > now}
        # Chats still waiting are kept; prune again when as many more have come.
        self._prune_at = len(self._chat_free) + self.PRUNE_AT

    async def acquire(self, chat_id: int | None = None, *, bulk: bool = False) -> float:
        return await acquire_from(self, chat_id, bulk)

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

# The same arithmetic as LocalPacer.reserve.
# KEYS: the bot's theoretical arrival time, the pause end[, the chat's next free instant].
# ARGV: spacing (µs), tolerance (µs), bulk (0/1)[, the chat's interval (µs)], keep_ms.
# Returns {reserved, instant, now, chat_busy}.
_RESERVE_LUA = (
    _TIME_LUA
    + """
local spacing = tonumber(ARGV[1])
local tat = get_instant(KEYS[1])
local slot = math.max(now, get_instant(KEYS[2]), tat - tonumber(ARGV[2]))
if #KEYS == 3 then
  local chat_free = get_instant(KEYS[3])
  if chat_free > slot then
    return {0, chat_free, now, 1}
  end
end
if ARGV[3] == '1' and slot > now then
  return {0, slot, now, 0}
end
if #KEYS == 3 then
  set_instant(KEYS[3], slot + tonumber(ARGV[4]))
end
set_instant(KEYS[1], math.max(tat, slot) + spacing)
return {1, slot, now, 0}
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
        self._reserve = redis.register_script(_RESERVE_LUA)
        self._push = redis.register_script(_PUSH_LUA)

    def chat_key(self, chat_id: int) -> str:
        return f"{self.prefix}:chat:{chat_id}"

    async def reserve(self, chat_id: int | None = None, *, bulk: bool = False) -> Reservation:
        spacing = 1 / self.rate
        tolerance = spacing * (1 if bulk else reply_burst(self.rate))
        keys = [self.next_key, self.pause_key]
        args: list[int] = [_micros(spacing), _micros(tolerance), int(bulk)]
        if chat_id is not None:
            keys.append(self.chat_key(chat_id))
            interval = chat_interval(chat_id, self.private_interval, self.group_interval)
            args.append(_micros(interval))
        args.append(self.KEEP_MS)
        reserved, instant, now, chat_busy = await self._reserve(keys=keys, args=args)
        return Reservation(
            bool(reserved),
            (int(instant) - int(now)) / 1_000_000,
            int(instant) / 1_000_000,
            chat_busy=bool(chat_busy),
        )

    async def acquire(self, chat_id: int | None = None, *, bulk: bool = False) -> float:
        return await acquire_from(self, chat_id, bulk)

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


def paced_chat(method: TelegramMethod[Any]) -> int | None:
    """The chat a sending or editing call goes to (None: a message of an inline query, or a
    channel named by its @username, which only the budget paces)."""
    chat_id = getattr(method, "chat_id", None)
    return chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None


class PacingMiddleware(BaseRequestMiddleware):
    """Paces the bot's calls that send or edit messages with a shared :class:`Pacer`, as
    replies: before any bulk message, within the chat's interval (a handler sending several
    messages to one person sends them a second apart, as Telegram allows).

    Register it after :class:`~bot.delivery.retry.RetryMiddleware` (so it is the inner one and
    every retry takes a slot again). A 429 pauses every sender in every process, then goes on
    up. Calls the sender makes took their slot already (:func:`already_paced`).
    """

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not is_paced_method(method) or _already_paced.get():
            return await make_request(bot, method)
        chat_id = paced_chat(method)
        await self.pacer.acquire(chat_id)
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as exc:
            name = type(method).__name__
            log.warning("429 from Telegram on %s: every sender waits %s s", name, exc.retry_after)
            await tell_pacer(self.pacer.pause(exc.retry_after))  # the 429 is the error to report
            raise
        finally:
            if chat_id is not None:
                await tell_pacer(self.pacer.finished(chat_id))


async def tell_pacer(news: Awaitable[None]) -> None:
    """Report a pause or a finished call. A pacer that fails (Redis down) must not cost a call
    Telegram accepted its outcome (the sender would send it again, a handler apologise)."""
    try:
        await news
    except Exception:
        log.exception("cannot update the pacer")
