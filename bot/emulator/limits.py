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

# Methods that edit a message: counted too with ``TelegramLimits(count_edits=True)``.
EDIT_METHODS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})


@dataclass(frozen=True)
class TelegramLimits:
    """Telegram's flood limits, as the emulator enforces them when given ``limits=``.

    Only accepted (delivered) requests count against the limits, at the moment they arrive:

    * ``per_bot_per_second`` - at most ``floor(rate)`` messages in any 1-second window for the
      whole bot (Telegram: about 30);
    * ``per_chat_per_second`` - the same for each chat (Telegram: about 1). A rate below 1 means
      one message per ``1 / rate`` seconds;
    * ``per_group_per_minute`` - in a group or supergroup, besides, at most this many messages in
      any 60-second window (Telegram: 20); the 429 answer's ``retry_after`` is then the time
      until the window lets one more through;
    * ``retry_after`` - the ``parameters.retry_after`` of the other 429 answers;
    * ``latency`` - every limited request is answered after a uniformly random delay in this
      range (seconds), whether it was delivered or refused;
    * ``seed`` - seeds the latency's random generator (``None``: unpredictable);
    * ``count_edits`` - editing a message counts like sending one (Telegram answers frequent
      edits in one chat with 429 too);
    * ``every_call`` - every call, of any method, waits the latency (a real round trip), not
      only the limited ones.
    """

    per_bot_per_second: float = 30
    per_chat_per_second: float = 1
    per_group_per_minute: int = 20
    retry_after: int = 1
    latency: tuple[float, float] = (0.02, 0.05)
    seed: int | None = None
    count_edits: bool = False
    every_call: bool = False

    def __post_init__(self) -> None:
        if min(self.per_bot_per_second, self.per_chat_per_second, self.per_group_per_minute) <= 0:
            raise ValueError("rates must be positive")
        if self.retry_after < 1:
            raise ValueError("retry_after must be at least 1 second")
        low, high = self.latency
        if not 0 <= low <= high:
            raise ValueError("latency must be a range (low, high) with 0 <= low <= high")


class SlidingWindow:
    """At most ``capacity`` events in any ``period``-second window (exact, O(1) amortised)."""

    __slots__ = ("_times", "capacity", "period")

    def __init__(self, rate: float, *, period: float | None = None) -> None:
        """``rate`` events a second; with ``period``, ``rate`` events in that many seconds."""
        if period is not None:
            self.capacity, self.period = math.floor(rate), period
        elif rate >= 1:
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

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until one more event is allowed (0 if it is now)."""
        if self.allows(now):
            return 0.0
        return self._times[len(self._times) - self.capacity] + self.period - now


class FloodControl:
    """The windows of one emulator: one for the whole bot, one per chat."""

    def __init__(self, limits: TelegramLimits) -> None:
        self.limits = limits
        self._bot = SlidingWindow(limits.per_bot_per_second)
        self._chats: dict[Any, SlidingWindow] = {}
        self._groups: dict[Any, SlidingWindow] = {}
        self._random = random.Random(limits.seed)

    def admit(self, chat_id: Any, now: float, *, group: bool = False) -> None:
        """Raise the 429 :class:`ApiError` if one more message to ``chat_id`` now would exceed
        the per-bot, the per-chat or (``group``) the per-group rate. Nothing is counted here:
        :meth:`count` counts the message once it is delivered (synchronously after this check,
        so the windows are exact)."""
        retry_after = self.limits.retry_after
        chat = self._chats.get(chat_id)
        refused = not self._bot.allows(now) or (chat is not None and not chat.allows(now))
        minute = self._groups.get(chat_id) if group else None
        if minute is not None and not minute.allows(now):
            refused = True
            retry_after = max(retry_after, math.ceil(minute.wait(now)))
        if refused:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )

    def count(self, chat_id: Any, now: float, *, group: bool = False) -> None:
        """Count a delivered message in the per-bot, per-chat and per-group windows."""
        self._bot.add(now)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = SlidingWindow(self.limits.per_chat_per_second)
        chat.add(now)
        if group:
            minute = self._groups.get(chat_id)
            if minute is None:
                minute = self._groups[chat_id] = SlidingWindow(
                    self.limits.per_group_per_minute, period=60.0
                )
            minute.add(now)

    def latency(self) -> float:
        """A random network latency from the range of :attr:`limits` (seconds)."""
        low, high = self.limits.latency
        return self._random.uniform(low, high) if high > 0 else 0.0
