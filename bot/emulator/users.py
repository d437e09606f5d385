"""The simulated people on the other side: users in their private chats with the bot, and
groups where the bot is a member.

A test acts as a user (``user.send("/start")``, ``user.click("Catalog")``) and reads what the
bot sent back (``await user.wait_reply()``). Each action is an update queued for the bot, the
way Telegram would deliver it; in a group only the messages a bot in privacy mode gets.
"""

# The waiting helpers take ``timeout=`` on purpose: it is the interface the tests are written to.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
import re
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


class ChatView:
    """What a chat with the bot looks like from the user side: the bot's messages in it,
    waiting for them, and pressing their buttons. Every action records a marker first, so
    ``user.send("/start"); msg = await user.wait_reply()`` waits for the bot's reaction to that
    very action. Use :meth:`mark` to take a marker explicitly."""

    fake: FakeBotAPI
    _action_mark: int

    @property
    def chat_id(self) -> int:
        raise NotImplementedError

    def as_chat(self) -> JsonDict:
        raise NotImplementedError

    def _delivers(self, message: JsonDict) -> bool:
        """Whether the bot gets ``message`` (sent here by a user) as an update."""
        return True

    # -- markers and waiting ------------------------------------------------------------------

    def mark(self) -> int:
        """A marker for :meth:`wait_reply`: events after it count as replies."""
        return self.fake.mark()

    def _act(self) -> None:
        self._action_mark = self.fake.mark()

    async def wait_reply(self, after: int | None = None, timeout: float = 10) -> JsonDict:
        """Wait for the first message the bot sent or edited in this chat after a marker.

        ``after`` defaults to the marker taken by the latest action here. Returns a snapshot
        of the message as it was right after that send/edit.
        """
        (reply,) = await self.wait_replies(1, after=after, timeout=timeout)
        return reply

    async def wait_replies(
        self, count: int, after: int | None = None, timeout: float = 10
    ) -> list[JsonDict]:
        """Wait until the bot sent/edited ``count`` messages here after a marker; return them."""
        marker = self._action_mark if after is None else after
        events = await self.fake.wait_events(
            self.chat_id, after=marker, count=count, timeout=timeout
        )
        return [event.message for event in events]

    def replies(self, after: int | None = None) -> list[JsonDict]:
        """Snapshots of messages sent/edited in this chat after a marker (no waiting)."""
        marker = self._action_mark if after is None else after
        return [event.message for event in self.fake.events_since(self.chat_id, marker)]

    # -- reading the chat ---------------------------------------------------------------------

    def messages(self, *, include_deleted: bool = False) -> list[JsonDict]:
        """Copies of the bot's messages in this chat, oldest first."""
        return [
            copy.deepcopy(m)
            for m in self.fake.chats.get(self.chat_id, [])
            if m["outgoing"] and (include_deleted or not m["deleted"])
        ]

    def last(self) -> JsonDict:
        """A copy of the bot's latest (not deleted) message in this chat."""
        messages = self.messages()
        if not messages:
            raise AssertionError(f"the bot has not sent any message to chat {self.chat_id}")
        return messages[-1]

    def buttons(self, message: JsonDict | None = None) -> list[str]:
        """Texts of inline buttons of ``message`` (default: latest message with a keyboard)."""
        target = self._keyboard_message(message)
        return [b.get("text", "") for b in inline_buttons(target)]

    def _keyboard_message(self, message: JsonDict | None) -> JsonDict:
        """Current state of ``message`` or of the latest bot message with an inline keyboard."""
        stored = self.fake.chats.get(self.chat_id, [])
        if message is not None:
            for record in stored:
                if record["message_id"] == message["message_id"] and not record["deleted"]:
                    return record
            raise AssertionError(
                f"message {message['message_id']} does not exist (anymore) in chat {self.chat_id}"
            )
        for record in reversed(stored):
            if record["outgoing"] and not record["deleted"] and inline_buttons(record):
                return record
        raise AssertionError(f"no bot message with an inline keyboard in chat {self.chat_id}")

    # -- acting -------------------------------------------------------------------------------

    def _post(self, sender: FakeUser, content: JsonDict) -> JsonDict:
        """``sender`` writes ``content`` here; the bot gets it if :meth:`_delivers` says so."""
        self._act()
        message = {
            "message_id": self.fake._next_message_id(self.chat_id),
            "from": sender.as_user(),
            "chat": self.as_chat(),
            "date": int(self.fake.now()),
            **content,
        }
        record = {**message, "outgoing": False, "method": None, "deleted": False}
        self.fake.chats.setdefault(self.chat_id, []).append(record)
        if self._delivers(message):
            self.fake.push_update({"message": message})
        return copy.deepcopy(message)

    def _click(self, sender: FakeUser, button_text: str, message: JsonDict | None) -> str:
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
            return self._push_callback(sender, button["callback_data"], target)
        available = [b.get("text") for b in buttons]
        raise AssertionError(
            f"no inline button {button_text!r} in message {target['message_id']} "
            f"of chat {self.chat_id}; available: {available}"
        )

    def _push_callback(self, sender: FakeUser, data: str, message: JsonDict) -> str:
        self._act()
        query_id = str(next(self.fake._query_ids))
        self.fake.callback_queries[query_id] = CallbackQueryRecord(
            id=query_id,
            user_id=sender.id,
            chat_id=self.chat_id,
            message_id=message["message_id"],
            data=data,
        )
        query = {
            "id": query_id,
            "from": sender.as_user(),
            "message": public(message),
            "chat_instance": f"{self.chat_id * 7919 % 10**12}",
            "data": data,
        }
        self.fake.push_update({"callback_query": query})
        return query_id


class FakeUser(ChatView):
    """A Telegram user talking to the bot in a private chat (chat id == user id).

    Telegram lets a bot write to a user only after the user wrote to it: until then every
    message to the user fails with 403 «bot can't initiate conversation with a user». A user
    has :attr:`started` the bot once they sent it anything (``FakeBotAPI.user(...,
    started=True)`` for someone who did before the test).
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
        started: bool = False,
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
        self.started = started
        """Whether the user ever wrote to the bot (before that, 403: see the class docstring)."""
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

    @property
    def reply_keyboard(self) -> JsonDict | None:
        """The reply keyboard currently shown to the user (``None`` if removed/never sent)."""
        return copy.deepcopy(self.fake.reply_keyboards.get(self.id))

    # -- actions ------------------------------------------------------------------------------

    def _new_message(self, content: JsonDict) -> JsonDict:
        self.started = True
        return self._post(self, content)

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

    def click(self, button_text: str, message: JsonDict | None = None) -> str:
        """Press the inline button with exactly this text; return the callback query id.

        ``message`` defaults to the latest bot message with an inline keyboard; the button is
        looked up in the message's *current* state (after edits).
        """
        return self._click(self, button_text, message)

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
        return self._push_callback(self, callback_data, target)

    def block(self) -> None:
        """Block the bot: its calls for this chat fail with 403 until :meth:`unblock`."""
        self.blocked = True

    def unblock(self) -> None:
        self.blocked = False


class FakeGroup(ChatView):
    """A group or supergroup with the bot in it, where its members (:class:`FakeUser`) write.

    What Telegram does there, and the emulator too:

    * privacy mode (on for every bot unless turned off with @BotFather; ``FakeBotAPI(
      privacy_mode=False)``): the bot gets a member's message only if it is a command (``/cmd``
      or ``/cmd@this_bot``), a reply to one of the bot's own messages, or mentions the bot;
      the others stay in :attr:`unseen`;
    * a reply carries the replied message in ``reply_to_message``; the bot never gets its own
      messages as updates;
    * the bot deletes its own messages, others' only as an administrator (``bot_admin``);
    * with ``limits=``, at most 20 messages a minute from the bot (``TelegramLimits``);
    * a bot removed from the group (:meth:`remove_bot`) gets 403 for everything there.

    Group ids are negative; a supergroup's start with -100.
    """

    def __init__(
        self, fake: FakeBotAPI, chat_id: int, title: str, *, supergroup: bool, bot_admin: bool
    ) -> None:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self.fake = fake
        self.id = chat_id
        self.title = title
        self.type = "supergroup" if supergroup else "group"
        self.bot_admin = bot_admin
        self.bot_member = True
        self.unseen: list[JsonDict] = []
        """Members' messages the bot did not get (privacy mode)."""
        self._action_mark = 0

    def __repr__(self) -> str:
        return f"FakeGroup(id={self.id}, title={self.title!r})"

    @property
    def chat_id(self) -> int:
        return self.id

    def as_chat(self) -> JsonDict:
        """The Telegram ``Chat`` object of the group."""
        return {"id": self.id, "type": self.type, "title": self.title}

    def remove_bot(self) -> None:
        """The bot is removed from the group: its calls here fail with 403."""
        self.bot_member = False

    def _delivers(self, message: JsonDict) -> bool:
        if not self.fake.privacy_mode:
            return True
        username = str(self.fake.bot_user["username"]).lower()
        text = str(message.get("text") or message.get("caption") or "")
        if match := LEADING_COMMAND_RE.match(text):
            addressee = match.group().partition("@")[2].lower()
            if addressee in ("", username):
                return True
        replied = message.get("reply_to_message") or {}
        if (replied.get("from") or {}).get("id") == self.fake.bot_user["id"]:
            return True
        if f"@{username}" in text.lower():
            return True
        self.unseen.append(copy.deepcopy(message))
        return False

    def send(self, member: FakeUser, text: str, *, reply_to: JsonDict | None = None) -> JsonDict:
        """``member`` writes ``text`` in the group, replying to ``reply_to`` if given."""
        content: JsonDict = {"text": text}
        if match := LEADING_COMMAND_RE.match(text):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}
            ]
        if reply_to is not None:
            replied = public(self._keyboard_message(reply_to))
            replied.pop("reply_to_message", None)
            content["reply_to_message"] = replied
        return self._post(member, content)

    def reply(self, member: FakeUser, message: JsonDict, text: str) -> JsonDict:
        """``member`` replies to ``message`` (the bot's or anyone's) in the group."""
        return self.send(member, text, reply_to=message)

    def click(self, member: FakeUser, button_text: str, message: JsonDict | None = None) -> str:
        """``member`` presses an inline button of a bot's message in the group."""
        return self._click(member, button_text, message)
