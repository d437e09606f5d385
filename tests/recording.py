"""A bot session that records every request and answers like Telegram, without any network.

Used with ``Dispatcher.feed_update`` for fast handler tests; the end-to-end tests use the
Bot API emulator over HTTP instead (``bot.emulator``). Both apply the same rules
(:func:`bot.emulator.rules.check_request`): a request Telegram would refuse (text too long, HTML
that does not parse, callback data over 64 bytes...) is answered 400 like Telegram does, so the
handler gets aiogram's ``TelegramBadRequest``, and is recorded in :attr:`RecordingSession.rejected`;
the test fixtures fail a test with a refusal it did not declare (:meth:`expect_rejections`).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from bot.emulator import rules
from bot.emulator.errors import ApiError
from bot.emulator.records import Rejection, RejectionWatch

QUERY_ANSWERED = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BOT_ID = 42
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Металлургия", "username": "metall_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None
    error: str | None = None
    """Telegram's description when the request was refused."""


@dataclass
class Failure:
    method: str
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1


@dataclass
class RecordingSession(BaseSession):
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    network_failures: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    """Requests refused by Telegram's rules (not the injected failures)."""

    files: dict[str, bytes] = field(default_factory=dict)
    """What users sent, by ``file_id``: ``getFile`` and the download serve it."""

    def __post_init__(self) -> None:
        super().__init__()
        self._message_ids = itertools.count(1000)
        self._watch = RejectionWatch()
        self._answered: set[str] = set()  # callback queries answered (Telegram allows one)

    # --- test API --------------------------------------------------------------------

    def fail_next(
        self, method: str, status: int, description: str, retry_after: int | None = None
    ) -> None:
        self.failures.append(Failure(method, status, description, retry_after))

    def fail_network_next(self, method: str) -> None:
        """The next call of ``method`` times out (aiogram's ``TelegramNetworkError``)."""
        self.network_failures.append(method)

    def expect_rejections(self, *descriptions: str) -> None:
        """Declare that the test provokes refusals: those whose description contains one of
        ``descriptions`` (every refusal if none is given) do not fail the test."""
        self._watch.expect(*descriptions)

    def unexpected_rejections(self) -> list[Rejection]:
        return self._watch.unexpected(self.rejected)

    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def clear(self) -> None:
        self.calls.clear()

    # --- BaseSession -----------------------------------------------------------------

    async def close(self) -> None:
        pass

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """A file a user sent (``files``), by the ``file_path`` that ``getFile`` gave."""
        file_id = url.rpartition("/files/")[2]
        if file_id not in self.files:
            raise AssertionError(f"no such file: {url}")
        yield self.files[file_id]

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = type(method).__name__
        name = name[0].lower() + name[1:]
        params = _resolve(bot, method.model_dump(exclude_none=True))
        self.calls.append(Call(name, params))
        if name in self.network_failures:
            self.network_failures.remove(name)
            raise TelegramNetworkError(method=method, message="Request timeout error")
        for failure in self.failures:
            if failure.method == name:
                self.failures.remove(failure)
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": failure.status,
                    "description": failure.description,
                }
                if failure.retry_after is not None:
                    body["parameters"] = {"retry_after": failure.retry_after}
                response = self.check_response(bot, method, failure.status, json.dumps(body))
                raise AssertionError(f"check_response did not raise for {response}")
        try:
            rules.check_request(name, params)
        except ApiError as exc:
            self.calls[-1].error = exc.description
            self.rejected.append(
                Rejection(name, params, exc.error_code, exc.description, time.time())
            )
            response = self.check_response(bot, method, exc.error_code, json.dumps(exc.envelope()))
            raise AssertionError(f"check_response did not raise for {response}") from None
        if name == "answerCallbackQuery":
            # Telegram takes one answer per press; a second one is refused like this.
            query_id = str(params.get("callback_query_id"))
            if query_id in self._answered:
                self.calls[-1].error = QUERY_ANSWERED
                self.rejected.append(Rejection(name, params, 400, QUERY_ANSWERED, time.time()))
                body = {"ok": False, "error_code": 400, "description": QUERY_ANSWERED}
                self.check_response(bot, method, 400, json.dumps(body))
            self._answered.add(query_id)
        result = self._answer(name, params)
        self.calls[-1].result = result
        response = self.check_response(bot, method, 200, json.dumps({"ok": True, "result": result}))
        return response.result  # type: ignore[return-value]

    def _answer(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "getFile":
            file_id = str(params["file_id"])
            return {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(self.files.get(file_id, b"")),
                "file_path": f"files/{file_id}",
            }
        if name in {"sendMessage", "editMessageText", "sendDocument", "sendPhoto"}:
            chat_id = params.get("chat_id", 0)
            message: dict[str, Any] = {
                "message_id": params.get("message_id") or next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
            }
            if "text" in params:
                message["text"] = params["text"]
            if "inline_keyboard" in params.get("reply_markup", {}):
                message["reply_markup"] = params["reply_markup"]  # Telegram echoes inline only
            return message
        return True


def _resolve(bot: Bot, value: Any) -> Any:
    """Plain JSON-like values, with aiogram's ``Default`` placeholders resolved like the real
    session does (``parse_mode`` becomes the bot's default, ``HTML``)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = bot.default[item.name] if isinstance(item, Default) else item
            if item is not None:
                out[key] = _resolve(bot, item)
        return out
    if isinstance(value, (list, tuple)):
        return [_resolve(bot, item) for item in value]
    if isinstance(value, Default):
        return bot.default[value.name]
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        return value.value  # enums
    return value
