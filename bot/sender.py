"""The sender: delivers what the outbox holds, paced, retried, and never silently lost.

Each outbox row renders to one or more Bot API calls (e.g. an application's summary and its
documents for the staff). Delivery is at least once: a row is marked sent after Telegram
accepted it, so a crash in between may send that one row again, and never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod

from bot.clock import Clock
from db.outbox import OutboxMessage, OutboxRepository
from db.users import UserRepository

log = logging.getLogger(__name__)

# Renders a row into the calls to make; None when its subject is gone (e.g. data deleted).
Renderer = Callable[[OutboxMessage], Awaitable[list[TelegramMethod[Any]] | None]]

PRIVATE_CHAT_INTERVAL = 1.0  # seconds between two messages to one person
GROUP_CHAT_INTERVAL = 3.0  # 20 messages a minute in a group


class OutboxSender:
    def __init__(
        self,
        outbox: OutboxRepository,
        users: UserRepository,
        render: Renderer,
        clock: Clock,
        *,
        max_attempts: int = 8,
        poll_seconds: float = 1.0,
        private_interval: float = PRIVATE_CHAT_INTERVAL,
        group_interval: float = GROUP_CHAT_INTERVAL,
    ) -> None:
        self.outbox = outbox
        self.users = users
        self.render = render
        self.clock = clock
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.private_interval = private_interval
        self.group_interval = group_interval
        self._last_sent: dict[int, float] = {}
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- running in the background ---------------------------------------------------

    def start(self, bot: Bot) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(bot), name="outbox-sender")

    async def stop(self, grace_seconds: float = 20) -> None:
        """Finish the message in hand (bounded), then stop."""
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, grace_seconds)
            except TimeoutError:
                log.warning("sender did not stop in %s s; cancelled", grace_seconds)
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self, bot: Bot) -> None:
        while not self._stopping.is_set():
            try:
                await self.drain(bot)
            except Exception:
                log.exception("sender loop failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)

    # --- one pass --------------------------------------------------------------------

    async def drain(self, bot: Bot) -> int:
        """Deliver every row due now; return how many rows were handled."""
        handled = 0
        while not self._stopping.is_set():
            batch = await self.outbox.due(self.clock.now(), limit=50)
            if not batch:
                return handled
            for message in batch:
                if self._stopping.is_set():
                    return handled
                await self.deliver(bot, message)
                handled += 1
        return handled

    async def deliver(self, bot: Bot, message: OutboxMessage) -> None:
        try:
            calls = await self.render(message)
        except Exception as exc:
            log.exception("cannot render outbox row %s (%s)", message.id, message.kind)
            await self.outbox.finish(message.id, "failed", f"render: {exc!r}")
            return
        if calls is None:
            log.info("outbox row %s (%s) dropped: its subject is gone", message.id, message.kind)
            await self.outbox.finish(message.id, "dropped", None)
            return
        part = int(message.payload.get("part", 0))
        for index in range(part, len(calls)):
            await self._pace(message.chat_id)
            try:
                await bot(calls[index])
            except TelegramRetryAfter as exc:
                await self.outbox.retry_later(
                    message.id, self.clock.now() + timedelta(seconds=exc.retry_after), str(exc)
                )
                return
            except TelegramForbiddenError as exc:
                log.info("chat %s is unreachable: %s", message.chat_id, exc.message)
                await self.users.mark_unreachable(message.chat_id)
                await self.outbox.block_chat(message.chat_id, exc.message)
                return
            except TelegramBadRequest as exc:
                log.error(
                    "outbox row %s (%s) to chat %s refused by Telegram: %s",
                    message.id,
                    message.kind,
                    message.chat_id,
                    exc.message,
                )
                await self.outbox.finish(message.id, "failed", exc.message)
                return
            except (TelegramServerError, TelegramNetworkError) as exc:
                await self._failed_attempt(message, repr(exc))
                return
            finally:
                self._last_sent[message.chat_id] = time.monotonic()
            if index + 1 < len(calls):
                await self.outbox.set_part(message.id, index + 1)
        await self.outbox.mark_sent(message.id, self.clock.now())

    async def _failed_attempt(self, message: OutboxMessage, error: str) -> None:
        attempts = message.attempts + 1
        if attempts >= self.max_attempts:
            log.error(
                "outbox row %s (%s) to chat %s failed %d times, giving up: %s",
                message.id,
                message.kind,
                message.chat_id,
                attempts,
                error,
            )
            await self.outbox.finish(message.id, "failed", error)
            return
        delay = min(2**attempts, 600)
        log.warning(
            "outbox row %s (%s): attempt %d failed (%s); next in %s s",
            message.id,
            message.kind,
            attempts,
            error,
            delay,
        )
        await self.outbox.retry_later(
            message.id, self.clock.now() + timedelta(seconds=delay), error
        )

    async def _pace(self, chat_id: int) -> None:
        interval = self.private_interval if chat_id > 0 else self.group_interval
        last = self._last_sent.get(chat_id)
        if last is not None:
            wait = last + interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
