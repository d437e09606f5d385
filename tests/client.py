"""Drive a Dispatcher in-process like a user would: send text, press buttons by label."""

from __future__ import annotations

import itertools
import time
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from tests.recording import RecordingSession

_update_ids = itertools.count(1)
_query_ids = itertools.count(1)
_user_message_ids = itertools.count(1)


class UserClient:
    """One Telegram user in a private chat with the bot."""

    def __init__(
        self, dp: Dispatcher, bot: Bot, user_id: int = 1001, language_code: str | None = "ru"
    ) -> None:
        self.dp = dp
        self.bot = bot
        self.user = {"id": user_id, "is_bot": False, "first_name": "Аня"}
        if language_code:
            self.user["language_code"] = language_code
        self.chat = {"id": user_id, "type": "private", "first_name": "Аня"}
        self.screen: dict[int, dict[str, Any]] = {}  # the chat as the user sees it
        self.last_query_id = ""

    @property
    def session(self) -> RecordingSession:
        session = self.bot.session
        assert isinstance(session, RecordingSession)
        return session

    async def _feed(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(_update_ids)
        await self.dp.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot})
        )

    def _message(self, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": next(_user_message_ids),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **fields,
        }

    async def send(self, text: str) -> list[dict[str, Any]]:
        """Send text; return what the bot sent or edited in response."""
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._act({"message": self._message(**fields)})

    async def send_sticker(self) -> list[dict[str, Any]]:
        sticker = {
            "file_id": "CAACAgIAAxkBAAE",
            "file_unique_id": "AgAD",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self._act({"message": self._message(sticker=sticker)})

    async def send_photo(self, unique: str = "p1", size: int = 200_000) -> list[dict[str, Any]]:
        photo = [
            {"file_id": f"small-{unique}", "file_unique_id": f"s-{unique}", "width": 90,
             "height": 90, "file_size": 2_000},
            {"file_id": f"photo-{unique}", "file_unique_id": f"u-{unique}", "width": 1280,
             "height": 960, "file_size": size},
        ]  # fmt: skip
        return await self._act({"message": self._message(photo=photo)})

    async def send_document(
        self, name: str = "scan.pdf", mime: str = "application/pdf", size: int = 300_000,
        unique: str = "d1", content: bytes | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Send a document; ``content`` is what the bot downloads (its size counts then)."""
        document = {
            "file_id": f"doc-{unique}",
            "file_unique_id": f"u-{unique}",
            "file_name": name,
            "mime_type": mime,
            "file_size": size if content is None else len(content),
        }
        if content is not None:
            self.session.files[document["file_id"]] = content
        return await self._act({"message": self._message(document=document)})

    async def send_contact(self, phone: str, user_id: int | None = None) -> list[dict[str, Any]]:
        contact = {
            "phone_number": phone,
            "first_name": "Аня",
            "user_id": self.user["id"] if user_id is None else user_id,
        }
        return await self._act({"message": self._message(contact=contact)})

    async def click(
        self, label: str, message: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        message = message or self.last_with_keyboard()
        data = find_button(message, label)
        return await self.click_data(data, message)

    async def click_data(self, data: str, message: dict[str, Any]) -> list[dict[str, Any]]:
        self.last_query_id = str(next(_query_ids))
        shown = {
            "message_id": message["message_id"],
            "date": int(time.time()),
            "chat": self.chat,
            "from": {"id": 42, "is_bot": True, "first_name": "bot"},
            "text": message.get("text", ""),
        }
        if message.get("reply_markup"):
            shown["reply_markup"] = message["reply_markup"]
        query = {
            "id": self.last_query_id,
            "from": self.user,
            "chat_instance": "ci",
            "data": data,
            "message": shown,
        }
        return await self._act({"callback_query": query})

    async def _act(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        before = len(self.session.calls)
        await self._feed(update)
        replies = []
        calls = self.session.calls[before:]
        # A message the bot deleted at once (the removal of a reply keyboard) is not seen.
        deleted = {c.params.get("message_id") for c in calls if c.method == "deleteMessage"}
        for call in calls:
            if call.method in {"sendMessage", "editMessageText"} and call.result is not None:
                message_id = call.result["message_id"]
                if message_id in deleted:
                    continue
                reply = {**call.params, "method": call.method, "message_id": message_id}
                self.screen[message_id] = reply
                replies.append(reply)
        return replies

    def last_with_keyboard(self) -> dict[str, Any]:
        for message_id in sorted(self.screen, reverse=True):
            message = self.screen[message_id]
            if message.get("reply_markup", {}).get("inline_keyboard"):
                return message
        raise AssertionError("the bot has shown no inline keyboard")

    def answers(self) -> list[dict[str, Any]]:
        return self.session.of("answerCallbackQuery")


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def labels(message: dict[str, Any]) -> list[str]:
    """The texts of a message's inline buttons, in order."""
    return [text for text, _ in buttons(message)]


def find_button(message: dict[str, Any], label: str) -> str:
    for text, data in buttons(message):
        if text == label:
            return data
    raise AssertionError(f"no button {label!r}; the message has {labels(message)}")
