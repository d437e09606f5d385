"""Faults a test injects into the emulator: errors Telegram may answer (429, 5xx, 403) and
slow answers, for the next calls of a method. They are not refusals (``FakeBotAPI.rejected``):
the test asked for them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bot.emulator.errors import ApiError
from bot.emulator.records import Delay, Fault

JsonDict = dict[str, Any]


class FaultMethods:
    """:meth:`fail_next`, :meth:`delay` and their application to each request."""

    _faults: list[Fault]
    _delays: list[Delay]
    _stopping: asyncio.Event

    if TYPE_CHECKING:

        def _require_method(self, method: str) -> str: ...
        async def _sleep(self, seconds: float) -> bool: ...

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (only for ``chat_id`` if given) fail.

        ``description`` is sent verbatim (e.g. ``"Forbidden: bot was blocked by the user"``).
        For 429, ``retry_after`` (default 1) goes to ``parameters.retry_after``.
        """
        canonical = self._require_method(method)
        if retry_after is not None and error_code != 429:
            raise ValueError("retry_after is only meaningful with error_code 429")
        if error_code == 429 and retry_after is None:
            retry_after = 1
        self._faults.append(Fault(canonical, error_code, description, retry_after, times, chat_id))

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the responses of the next ``times`` calls of ``method`` by ``seconds``.

        The call is processed after the delay even if the client gave up (as on Telegram).
        """
        self._delays.append(Delay(self._require_method(method), seconds, times))

    def clear_faults(self) -> None:
        """Forget pending :meth:`fail_next` and :meth:`delay` rules."""
        self._faults.clear()
        self._delays.clear()

    # -- applied by the server to each request --------------------------------------------------

    async def _apply_delay(self, method: str) -> bool:
        for rule in self._delays:
            if rule.method == method:
                rule.times -= 1
                if rule.times <= 0:
                    self._delays.remove(rule)
                return await self._sleep(rule.seconds)
        return True

    def _apply_fault(self, method: str, params: JsonDict) -> None:
        for fault in self._faults:
            if fault.method != method:
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            raise ApiError(
                fault.error_code,
                fault.description,
                retry_after=fault.retry_after,
                injected=True,
            )
