"""The simulated people on the other side: users in their private chats with the bot.

A test acts as a user (``user.send("/start")``, ``user.click("Catalog")``) and reads what the
bot sent back (``await user.wait_reply()``). Each action is an update queued for the bot, the
way Telegram would deliver it.
"""

# The waiting helpers take ``timeout=`` on purpose: it is the interface the tests are written to.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
import re
import time
from typing import TYPE_CHECKING, Any

from bot.emulator.entities import utf16_len
from bot.emulator.records import CallbackQueryRecord

if TYPE_CHECKING:
    from bot.emulator.server import FakeBotAPI

JsonDict = dict[str, Any]

LEADING_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")
# Keys of a stored message that are bookkeeping of the fake, not part of the Telegram object.
META_KEYS = frozenset(
    {"outgoing", "method", "parse_mode", "raw_text", "raw_caption", "edited", "deleted"}
)


def inline_buttons(message: JsonDict | None) -> list[JsonDict]:
    """All inline keyboard buttons of a message (row by row), or ``[]``."""
    if not message:
        return []
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    return [button for row in rows if isinstance(row, list) for button in row]


def public(record: JsonDict) -> JsonDict:
    """The Telegram ``Message`` object for a stored message (bookkeeping keys removed)."""
    message = {
        key: copy.deepcopy(value)
        for key, value in record.items()
        if key not in META_KEYS and key != "reply_markup"
    }
    markup = record.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        message["reply_markup"] = copy.deepcopy(markup)  # Telegram only echoes inline keyboards
    return message


class FakeUser:
    """A Telegram user talking to the bot in a private chat (chat id == user id).

    Every action (:meth:`send`, :meth:`click`, ...) records a marker first, so
    ``user.send("/start"); msg = await user.wait_reply()`` waits for the bot's reaction to that
    very action. Use :meth:`mark` to take a marker explicitly.
    """

    def __init__(
        self,
        fake: FakeBotAPI,
        user_id: int,
        *,
        first_name: str,
        language_code: str | None,
        last_name: str | None = None,
        username: str | None = None,
        phone_number: str | None = None,
    ) -> None:
        self.fake = fake
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone_number = phone_number or f"+7999{user_id % 10_000_000:07d}"
        self.blocked = False
        """While True, every bot call targeting this chat fails with 403 (bot blocked)."""
        self._action_mark = 0

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"

    @property
    def chat_id(self) -> int:
        return self.id

    def as_user(self) -> JsonDict:
        """The Telegram ``User`` object."""
        user: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def as_chat(self) -> JsonDict:
        """The Telegram ``Chat`` object of the private chat with the bot."""
        chat: JsonDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    # -- markers and waiting ------------------------------------------------------------------

    def mark(self) -> int:
        """A marker for :meth:`wait_reply`: events after it count as replies."""
        return self.fake.mark()

    def _act(self) -> None:
        self._action_mark = self.fake.mark()

    async def wait_reply(self, after: int | None = None, timeout: float = 10) -> JsonDict:
        """Wait for the first message the bot sent or edited in this chat after a marker.

        ``after`` defaults to the marker taken by this user's latest action. Returns a snapshot
        of the message as it was right after that send/edit.
        """
        (reply,) = await self.wait_replies(1, after=after, timeout=timeout)
        return reply

    async def wait_replies(
        self, count: int, after: int | None = None, timeout: float = 10
    ) -> list[JsonDict]:
        """Wait until the bot sent/edited ``count`` messages here after a marker; return them."""
        marker = self._action_mark if after is None else after
        events = await self.fake.wait_events(self.id, after=marker, count=count, timeout=timeout)
        return [event.message for event in events]

    def replies(self, after: int | None = None) -> list[JsonDict]:
        """Snapshots of messages sent/edited in this chat after a marker (no waiting)."""
        marker = self._action_mark if after is None else after
        return [event.message for event in self.fake.events_since(self.id, marker)]

    # -- reading the chat ---------------------------------------------------------------------

    def messages(self, *, include_deleted: bool = False) -> list[JsonDict]:
        """Copies of the bot's messages in this chat, oldest first."""
        return [
            copy.deepcopy(m)
            for m in self.fake.chats.get(self.id, [])
            if m["outgoing"] and (include_deleted or not m["deleted"])
        ]

    def last(self) -> JsonDict:
        """A copy of the bot's latest (not deleted) message in this chat."""
        messages = self.messages()
        if not messages:
            raise AssertionError(f"the bot has not sent any message to chat {self.id}")
        return messages[-1]

    def buttons(self, message: JsonDict | None = None) -> list[str]:
        """Texts of inline buttons of ``message`` (default: latest message with a keyboard)."""
        target = self._keyboard_message(message)
        return [b.get("text", "") for b in inline_buttons(target)]

    @property
    def reply_keyboard(self) -> JsonDict | None:
        """The reply keyboard currently shown to the user (``None`` if removed/never sent)."""
        return copy.deepcopy(self.fake.reply_keyboards.get(self.id))

    # -- actions ------------------------------------------------------------------------------

    def _new_message(self, content: JsonDict) -> JsonDict:
        self._act()
        message = {
            "message_id": self.fake._next_message_id(self.id),
            "from": self.as_user(),
            "chat": self.as_chat(),
            "date": int(time.time()),
            **content,
        }
        record = {**message, "outgoing": False, "method": None, "deleted": False}
        self.fake.chats.setdefault(self.id, []).append(record)
        self.fake.push_update({"message": message})
        return copy.deepcopy(message)

    def send(self, text: str) -> JsonDict:
        """Send a text message; a leading ``/command`` gets a ``bot_command`` entity."""
        content: JsonDict = {"text": text}
        if match := LEADING_COMMAND_RE.match(text):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}
            ]
        return self._new_message(content)

    def press(self, button_text: str) -> JsonDict:
        """Press a reply keyboard button: sends its text, or the own contact for
        ``request_contact`` buttons. Raises AssertionError if no such button is shown."""
        keyboard = self.fake.reply_keyboards.get(self.id)
        rows = (keyboard or {}).get("keyboard") or []
        for row in rows:
            for button in row:
                button = {"text": button} if isinstance(button, str) else button
                if button.get("text") != button_text:
                    continue
                if button.get("request_contact"):
                    return self.send_contact(self.phone_number)
                return self.send(button_text)
        available = [b if isinstance(b, str) else b.get("text") for row in rows for b in row]
        raise AssertionError(
            f"no reply keyboard button {button_text!r} in chat {self.id}; available: {available}"
        )

    def send_sticker(self, emoji: str = "👍") -> JsonDict:
        """Send a (static, regular) sticker."""
        stored = self.fake.add_file(None, kind="sticker", file_size=2048, file_name="sticker.webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.file_size,
        }
        return self._new_message({"sticker": sticker})

    def send_photo(
        self, caption: str | None = None, *, width: int = 1280, height: int = 960
    ) -> JsonDict:
        """Send a photo (two sizes, like Telegram) with an optional caption."""
        content: JsonDict = {"photo": self.fake._photo_sizes(None, width, height)}
        if caption:
            content["caption"] = caption
        return self._new_message(content)

    def send_document(
        self,
        file_name: str = "document.pdf",
        mime_type: str = "application/pdf",
        file_size: int = 1024,
        *,
        caption: str | None = None,
        content: bytes | None = None,
    ) -> JsonDict:
        """Send a document; ``content`` (default: ``file_size`` zero bytes) is downloadable."""
        stored = self.fake.add_file(
            content,
            kind="document",
            file_name=file_name,
            mime_type=mime_type,
            file_size=file_size if content is None else len(content),
        )
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": stored.file_size,
        }
        body: JsonDict = {"document": document}
        if caption:
            body["caption"] = caption
        return self._new_message(body)

    def send_contact(
        self, phone_number: str, user_id: int | None = None, *, first_name: str | None = None
    ) -> JsonDict:
        """Share a contact. ``user_id=None`` means the user's own id (as when sharing one's own
        contact via a ``request_contact`` button); pass ``user_id=0`` to omit it."""
        contact: JsonDict = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
        }
        contact_user_id = self.id if user_id is None else user_id
        if contact_user_id:
            contact["user_id"] = contact_user_id
        return self._new_message({"contact": contact})

    def _keyboard_message(self, message: JsonDict | None) -> JsonDict:
        """Current state of ``message`` or of the latest bot message with an inline keyboard."""
        stored = self.fake.chats.get(self.id, [])
        if message is not None:
            for record in stored:
                if record["message_id"] == message["message_id"] and not record["deleted"]:
                    return record
            raise AssertionError(
                f"message {message['message_id']} does not exist (anymore) in chat {self.id}"
            )
        for record in reversed(stored):
            if record["outgoing"] and not record["deleted"] and inline_buttons(record):
                return record
        raise AssertionError(f"no bot message with an inline keyboard in chat {self.id}")

    def click(self, button_text: str, message: JsonDict | None = None) -> str:
        """Press the inline button with exactly this text; return the callback query id.

        ``message`` defaults to the latest bot message with an inline keyboard; the button is
        looked up in the message's *current* state (after edits).
        """
        target = self._keyboard_message(message)
        buttons = inline_buttons(target)
        for button in buttons:
            if button.get("text") != button_text:
                continue
            if "callback_data" not in button:
                raise AssertionError(
                    f"button {button_text!r} has no callback_data (it is {button}); "
                    "it cannot be clicked"
                )
            return self._push_callback(button["callback_data"], target)
        available = [b.get("text") for b in buttons]
        raise AssertionError(
            f"no inline button {button_text!r} in message {target['message_id']} "
            f"of chat {self.id}; available: {available}"
        )

    def click_data(self, callback_data: str, message: JsonDict | None = None) -> str:
        """Push a callback query with arbitrary (possibly crafted) data; return its id.

        ``message`` defaults to the latest bot message with an inline keyboard, else the latest
        bot message.
        """
        try:
            target = self._keyboard_message(message)
        except AssertionError:
            if message is not None:
                raise
            target = self.last()
        return self._push_callback(callback_data, target)

    def _push_callback(self, data: str, message: JsonDict) -> str:
        self._act()
        query_id = str(next(self.fake._query_ids))
        self.fake.callback_queries[query_id] = CallbackQueryRecord(
            id=query_id,
            user_id=self.id,
            chat_id=self.id,
            message_id=message["message_id"],
            data=data,
        )
        query = {
            "id": query_id,
            "from": self.as_user(),
            "message": public(message),
            "chat_instance": f"{self.id * 7919 % 10**12}",
            "data": data,
        }
        self.fake.push_update({"callback_query": query})
        return query_id

    def block(self) -> None:
        """Block the bot: its calls for this chat fail with 403 until :meth:`unblock`."""
        self.blocked = True

    def unblock(self) -> None:
        self.blocked = False
