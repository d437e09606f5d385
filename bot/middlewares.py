"""Middlewares: who the user is, which language they read, which catalogue is current; which
presses were answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.clock import Clock
from bot.services.catalog import CatalogService
from db.users import UserRepository

# Whether the user of the update being handled has an application (set by UserMiddleware): the
# main menu then offers «My application» instead of «Apply».
has_application: ContextVar[bool] = ContextVar("has_application", default=False)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def language_from_telegram(language_code: str | None, default: str) -> str:
    """The bot's language for a new user: English if their Telegram is in English."""
    if language_code:
        code = language_code.lower()
        if code.startswith("en"):
            return "en"
        if code.startswith("ru"):
            return "ru"
    return default


class UserMiddleware(BaseMiddleware):
    """Records every user the bot hears from and puts their row in ``data["user_record"]``.

    Most updates come from someone seen a moment ago: their row is read, and written only when
    that changes something (a newcomer, someone marked unreachable who writes again) or when
    ``last_seen`` is older than ``SEEN_EVERY`` (it is kept to that precision). Browsing costs
    no write, so it goes on while another process holds the database's write lock.
    """

    SEEN_EVERY = timedelta(hours=1)

    def __init__(
        self,
        users: UserRepository,
        clock: Clock,
        default_locale: str,
    ) -> None:
        self.users = users
        self.clock = clock
        self.default_locale = default_locale

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            now = self.clock.now()
            record, applied = await self.users.get_with_application(user.id)
            if record is None or record.unreachable or now - record.last_seen >= self.SEEN_EVERY:
                language = language_from_telegram(user.language_code, self.default_locale)
                record = await self.users.touch(user.id, language, now)
            data["user_record"] = record
            token = has_application.set(applied)
            try:
                return await handler(event, data)
            finally:
                has_application.reset(token)
        return await handler(event, data)


class CatalogMiddleware(BaseMiddleware):
    """Puts the current catalogue in ``data["catalog"]`` for every update."""

    def __init__(self, catalogs: CatalogService) -> None:
        self.catalogs = catalogs

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        data["catalog"] = await self.catalogs.current()
        return await handler(event, data)


class StoredLocaleMiddleware(I18nMiddleware):
    """The user's language is the one stored with them (set on first contact or by /language)."""

    def __init__(self, i18n: I18n) -> None:
        super().__init__(i18n)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        record = data.get("user_record")
        if record is not None and record.language in self.i18n.available_locales:
            return record.language
        return self.i18n.default_locale


class UserIsolation(BaseEventIsolation):
    """One update of a person at a time (two quick clicks run one after the other), like
    aiogram's ``SimpleEventIsolation``, whose lock per key is kept for ever (a lock for each of
    the campaign's tens of thousands of people): here a key's lock goes once nobody holds it or
    waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @property
    def held(self) -> int:
        """Keys with a lock (held or waited for), for tests."""
        return len(self._locks)

    async def close(self) -> None:
        self._locks.clear()


# The presses answered while the current update is handled (Telegram takes one answer per
# press): the error handler answers a press only if nothing did before it failed.
_answered: ContextVar[set[str] | None] = ContextVar("answered_presses", default=None)


class RememberAnswers(BaseRequestMiddleware):
    """On the bot's session: notes each press Telegram accepted an answer for."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        answered = _answered.get()
        if answered is not None and isinstance(method, AnswerCallbackQuery):
            answered.add(method.callback_query_id)
        return response


class TrackAnswers(BaseMiddleware):
    """Outermost on updates: a fresh record of answered presses for each update (each update
    runs in a task of its own, so records never mix)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        _answered.set(set())
        return await handler(event, data)


def press_answered(query_id: str) -> bool:
    """Whether the press was answered while this update was handled (needs TrackAnswers on
    the dispatcher and RememberAnswers on the bot)."""
    answered = _answered.get()
    return answered is not None and query_id in answered
