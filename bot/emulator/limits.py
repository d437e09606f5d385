"""Telegram's flood limits, as the emulator enforces them when given ``limits=``.

Telegram does not publish exact limits; its FAQ gives the figures used here: about 30 messages a
second for a bot in all, about one a second in one chat, 20 a minute in one group. A request over
a limit gets ``429 Too Many Requests: retry after N`` with ``parameters.retry_after`` and is not
delivered. The windows are exact (sliding, not per calendar second), so a sender that paces
itself right never sees a 429, and one that bursts always does.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from typing import Any

from bot.emulator.errors import ApiError

# Methods that send a message: subject to the limits when they are on.
LIMITED_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)


@dataclass(frozen=True)
class TelegramLimits:
    """Telegram's flood limits, as the emulator enforces them when given ``limits=``.

    Only accepted (delivered) requests count against the limits, at the moment they arrive:

    * ``per_bot_per_second`` - at most ``floor(rate)`` messages in any 1-second window for the
      whole bot (Telegram: about 30);
    * ``per_chat_per_second`` - the same for each chat (Telegram: about 1 for a private chat). A
      rate below 1 means one message per ``1 / rate`` seconds (e.g. ``20 / 60`` for a group);
    * ``retry_after`` - the ``parameters.retry_after`` of the 429 answer;
    * ``latency`` - every limited request is answered after a uniformly random delay in this
      range (seconds), whether it was delivered or refused;
    * ``seed`` - seeds the latency's random generator (``None``: unpredictable).
    """

    per_bot_per_second: float = 30
    per_chat_per_second: float = 1
    retry_after: int = 1
    latency: tuple[float, float] = (0.02, 0.05)
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.per_bot_per_second <= 0 or self.per_chat_per_second <= 0:
            raise ValueError("rates must be positive")
        if self.retry_after < 1:
            raise ValueError("retry_after must be at least 1 second")
        low, high = self.latency
        if not 0 <= low <= high:
            raise ValueError("latency must be a range (low, high) with 0 <= low <= high")


class SlidingWindow:
    """At most ``capacity`` events in any ``period``-second window (exact, O(1) amortised)."""

    __slots__ = ("_times", "capacity", "period")

    def __init__(self, rate: float) -> None:
        if rate >= 1:
            self.capacity, self.period = math.floor(rate), 1.0
        else:
            self.capacity, self.period = 1, 1.0 / rate
        self._times: deque[float] = deque()

    def allows(self, now: float) -> bool:
        """Whether one more event at ``now`` stays within the limit (forgets expired events)."""
        times = self._times
        horizon = now - self.period
        while times and times[0] <= horizon:
            times.popleft()
        return len(times) < self.capacity

    def add(self, now: float) -> None:
        self._times.append(now)


class FloodControl:
    """The windows of one emulator: one for the whole bot, one per chat."""

    def __init__(self, limits: TelegramLimits) -> None:
        self.limits = limits
        self._bot = SlidingWindow(limits.per_bot_per_second)
        self._chats: dict[Any, SlidingWindow] = {}
        self._random = random.Random(limits.seed)

    def admit(self, chat_id: Any, now: float) -> None:
        """Raise the 429 :class:`ApiError` if one more message to ``chat_id`` now would exceed
        the per-bot or the per-chat rate. Nothing is counted here: :meth:`count` counts the
        message once it is delivered (synchronously after this check, so the windows are
        exact)."""
        chat = self._chats.get(chat_id)
        if not self._bot.allows(now) or (chat is not None and not chat.allows(now)):
            retry_after = self.limits.retry_after
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )

    def count(self, chat_id: Any, now: float) -> None:
        """Count a delivered message in the per-bot and per-chat windows."""
        self._bot.add(now)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = SlidingWindow(self.limits.per_chat_per_second)
        chat.add(now)

    def latency(self) -> float:
        """A random network latency from the range of :attr:`limits` (seconds)."""
        low, high = self.limits.latency
        return self._random.uniform(low, high) if high > 0 else 0.0
