"""Raw HTTP access to the emulator for its own tests."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.emulator import FakeBotAPI

CHAT = 1001


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    """An inline keyboard with one button per row."""
    return {"inline_keyboard": [[button] for button in buttons]}


class Api:
    """Raw HTTP access to the fake, asserting Telegram's envelope on every answer."""

    def __init__(self, http: aiohttp.ClientSession, fake: FakeBotAPI) -> None:
        self.http = http
        self.fake = fake

    def url(self, method: str, token: str | None = None) -> str:
        return f"{self.fake.base_url}/bot{token or self.fake.token}/{method}"

    async def raw(
        self, method: str, *, token: str | None = None, **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        async with self.http.post(self.url(method, token), **kwargs) as response:
            body = await response.json()
        if body["ok"]:
            assert response.status == 200
        else:
            assert response.status == body["error_code"]
        return response.status, body

    async def ok(self, method: str, **params: Any) -> Any:
        _, body = await self.raw(method, json=params)
        assert body["ok"], body
        return body["result"]

    async def error(self, method: str, code: int = 400, **params: Any) -> str:
        status, body = await self.raw(method, json=params)
        assert not body["ok"], body
        assert status == code, body
        return body["description"]

    async def send(self, text: str, chat_id: int = CHAT, **params: Any) -> dict[str, Any]:
        return await self.ok("sendMessage", chat_id=chat_id, text=text, **params)


def bot_for(fake: FakeBotAPI) -> Bot:
    return Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))
