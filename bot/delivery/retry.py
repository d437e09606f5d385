"""Retries of outgoing Bot API calls that Telegram asks us to repeat.

aiogram retries nothing but ``getUpdates``. For a reply to a user a short retry is what the
user would want: a 429 with a small ``retry_after`` is waited out, a 5xx or a network error is
tried again after a short pause. What is still failing after that reaches the caller (the error
handler tells the user; the sender of bulk messages has its own, slower policy).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger(__name__)


class RetryMiddleware(BaseRequestMiddleware):
    def __init__(
        self,
        *,
        attempts: int = 3,
        max_retry_after: float = 10,
        backoff: float = 0.5,
    ) -> None:
        self.attempts = attempts
        self.max_retry_after = max_retry_after
        self.backoff = backoff

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        polling = isinstance(method, GetUpdates)  # aiogram's polling loop has its own backoff
        if polling:
            return await make_request(bot, method)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt >= self.attempts or exc.retry_after > self.max_retry_after:
                    raise
                delay: float = exc.retry_after
                reason: Any = f"429, retry after {exc.retry_after} s"
            except (TelegramServerError, TelegramNetworkError) as exc:
                if attempt >= self.attempts:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                reason = type(exc).__name__
            log.warning(
                "%s failed (%s); attempt %d of %d in %.1f s",
                type(method).__name__,
                reason,
                attempt + 1,
                self.attempts,
                delay,
            )
            await asyncio.sleep(delay)
            attempt += 1
