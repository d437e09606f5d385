"""Keeping aiogram's answer types alive, so that each is built once, not on every call.

aiogram reads every answer of the Bot API as ``Response[<the method's result type>]``, a
pydantic generic model. pydantic caches such a class only weakly: with nothing else holding
it, it is collected and built again (its schema and validator) on the next call, some 70 µs
of CPU each time, the largest single cost of sending a message after the network itself.
:class:`KeepResponseTypes` holds one reference per method, so pydantic's cache keeps it.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType


class KeepResponseTypes(BaseRequestMiddleware):
    """Holds ``Response[...]`` of every method the bot has called (a few dozen classes)."""

    def __init__(self) -> None:
        self.kept: dict[type[TelegramMethod[Any]], Any] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        kind = type(method)
        if kind not in self.kept:
            # A class built at run time: mypy reads the subscript as a type.
            self.kept[kind] = Response[method.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)
