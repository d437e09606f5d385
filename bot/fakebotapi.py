"""A fake Telegram Bot API server for end-to-end tests.

The fake is a small :mod:`aiohttp.web` application listening on ``127.0.0.1``. A real bot process
(aiogram with ``AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))``) long-polls it
exactly as it would poll ``api.telegram.org``; tests push updates on behalf of simulated users and
inspect what the bot sent.

Typical use::

    async with FakeBotAPI() as fake:
        ...  # start the bot against fake.base_url
        user = fake.user(42, first_name="Ivan")
        user.send("/start")
        reply = await user.wait_reply()          # first message sent/edited after send()
        query_id = user.click("Catalog")
        await fake.wait_callback_answered(query_id)

Fidelity notes:

* Responses use Telegram's envelope (``{"ok": true, "result": ...}`` or ``{"ok": false,
  "error_code": N, "description": "..."}``) and the HTTP status equals ``error_code``.
* Requests are accepted as multipart/form-data, ``application/x-www-form-urlencoded``, JSON and
  query strings; nested objects may be JSON-encoded strings (as aiogram sends them).
* HTML ``parse_mode`` is parsed with Telegram's rules and error messages. The fake is *stricter*
  than Telegram about ``&``: a ``&`` in text that does not start ``&lt;``, ``&gt;``, ``&amp;``,
  ``&quot;`` or a numeric reference terminated by ``;`` is rejected (Telegram would show it
  literally, which usually means the bot forgot to escape user-supplied text). Inside attribute
  values a bare ``&`` is accepted, as Telegram does.
* Text length limits (4096 for messages, 1024 for captions, 200 for callback answers) are counted
  in UTF-16 code units after entity parsing, which is never more lenient than Telegram.
* ``Markdown``/``MarkdownV2`` are accepted but not parsed: the text is stored verbatim.
* Only private chats exist: a chat is known once a test created its user with
  :meth:`FakeBotAPI.user` (or many at once with :meth:`FakeBotAPI.add_users`); sending to any
  other chat fails with ``Bad Request: chat not found``.
* Telegram's flood limits are off by default. ``FakeBotAPI(limits=TelegramLimits())`` turns them
  on for the sending methods (``sendMessage``, ``sendPhoto``, ``sendDocument``,
  ``sendMediaGroup``, ``copyMessage``, ``forwardMessage``): each answer comes after a random
  latency, and a request over the per-bot or per-chat rate is answered ``429 Too Many Requests:
  retry after N`` and not delivered (see :class:`TelegramLimits`).
"""

# The waiting helpers take ``timeout=`` on purpose: it is the interface the tests are written to.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import itertools
import json
import math
import mimetypes
import random
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, TypeVar

from aiohttp import MultipartReader, web

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "ChatEvent",
    "FakeBotAPI",
    "FakeUser",
    "RecordedRequest",
    "Rejection",
    "StoredFile",
    "TelegramLimits",
    "UploadedFile",
    "inline_buttons",
    "parse_html",
    "utf16_len",
]

JsonDict = dict[str, Any]
T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST-token"

MESSAGE_MAX_LEN = 4096
CAPTION_MAX_LEN = 1024
CALLBACK_ANSWER_MAX_LEN = 200
CALLBACK_DATA_MAX_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_COMMANDS = 100
GET_FILE_MAX_SIZE = 20 * 1024 * 1024
UPLOAD_MAX_SIZE = 50 * 1024 * 1024

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"

# Parameters that carry JSON-serialized objects/arrays (aiogram sends them as JSON strings).
_JSON_FIELDS = frozenset(
    {
        "allowed_updates",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "menu_button",
        "reply_markup",
        "reply_parameters",
        "scope",
        "suggested_post_parameters",
    }
)
_INT_FIELDS = frozenset(
    {
        "cache_time",
        "chat_id",
        "direct_messages_topic_id",
        "from_chat_id",
        "limit",
        "max_connections",
        "message_id",
        "message_thread_id",
        "offset",
        "reply_to_message_id",
        "timeout",
        "user_id",
        "video_start_timestamp",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "allow_paid_broadcast",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "disable_notification",
        "disable_web_page_preview",
        "drop_pending_updates",
        "has_spoiler",
        "protect_content",
        "show_alert",
        "show_caption_above_media",
    }
)
_INT_RE = re.compile(r"-?\d+")
_API_PATH_RE = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[^/]+)/?")
_FILE_PATH_RE = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
_LEADING_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")

# Methods that send a message: subject to :class:`TelegramLimits` when limits are on.
_LIMITED_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)

# Methods that edit a message: counted too with ``TelegramLimits(count_edits=True)``.
_EDIT_METHODS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})

_DEFAULT_ALLOWED_UPDATES_EXCLUDED = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
# Mutually exclusive "action" fields of an InlineKeyboardButton.
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
# Keys of a stored message that are bookkeeping of the fake, not part of the Telegram object.
_META_KEYS = frozenset(
    {"outgoing", "method", "parse_mode", "raw_text", "raw_caption", "edited", "deleted"}
)
# Keys that make up the content of a message (copied by copyMessage/forwardMessage).
_CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "video",
    "audio",
    "sticker",
    "contact",
)
# Keys saved in a message's ``edited`` history before each edit.
_EDITABLE_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "reply_markup",
    "parse_mode",
    "raw_text",
    "raw_caption",
    "edit_date",
)


# --------------------------------------------------------------------------------------------
# Errors and records
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answered to the bot in Telegram's error envelope."""

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        injected: bool = False,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        self.injected = injected

    def envelope(self) -> JsonDict:
        """Return the JSON body Telegram would send for this error."""
        body: JsonDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP call made to the fake (successful or not)."""

    method: str
    """Canonical method name (e.g. ``sendMessage``), or the name as sent if unknown."""
    params: JsonDict
    """Decoded parameters: JSON strings of nested fields are decoded, ints/bools coerced."""
    time: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    error_code: int | None = None
    description: str | None = None
    injected: bool = False
    """True when the error came from :meth:`FakeBotAPI.fail_next`."""
    result: Any = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (``None`` error code)."""
        return self.error_code is None


@dataclass
class Rejection:
    """A request the fake refused the way Telegram would (not injected faults)."""

    method: str
    params: JsonDict
    error_code: int
    description: str
    time: float


@dataclass
class StoredFile:
    """A file known to the fake (sent by a user or uploaded by the bot)."""

    file_id: str
    file_unique_id: str
    file_path: str
    file_size: int
    content: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None

    def read(self) -> bytes:
        """Return the content (zero bytes of ``file_size`` when none was given)."""
        return self.content if self.content is not None else bytes(self.file_size)

    def as_file(self) -> JsonDict:
        """The Telegram ``File`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


@dataclass
class ChatEvent:
    """Something the bot did to a message: ``sent``, ``edited`` or ``deleted``."""

    seq: int
    chat_id: int
    kind: Literal["sent", "edited", "deleted"]
    message: JsonDict
    """Snapshot of the stored message right after the event."""


@dataclass
class CallbackQueryRecord:
    """A callback query pushed by a test and, once answered, the bot's answer."""

    id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    answer: JsonDict | None = None

    @property
    def answered(self) -> bool:
        return self.answer is not None


@dataclass
class _Fault:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None


@dataclass
class _Delay:
    method: str
    seconds: float
    times: int


@dataclass(frozen=True)
class TelegramLimits:
    """Telegram's flood limits, as enforced by :class:`FakeBotAPI` when given ``limits=``.

    Only accepted (delivered) requests count against the limits, at the moment they arrive:

    * ``per_bot_per_second`` - at most ``floor(rate)`` messages in any 1-second window for the
      whole bot (Telegram: about 30);
    * ``per_chat_per_second`` - the same for each chat (Telegram: about 1 for a private chat). A
      rate below 1 means one message per ``1 / rate`` seconds (e.g. ``20 / 60`` for a group);
    * ``retry_after`` - the ``parameters.retry_after`` of the 429 answer;
    * ``latency`` - every limited request is answered after a uniformly random delay in this
      range (seconds), whether it was delivered or refused;
    * ``seed`` - seeds the latency's random generator (``None``: unpredictable);
    * ``count_edits`` - editing a message counts like sending one (Telegram answers frequent
      edits in one chat with 429 too);
    * ``every_call`` - every call, of any method, waits the latency (a real round trip), not
      only the limited ones.
    """

    per_bot_per_second: float = 30
    per_chat_per_second: float = 1
    retry_after: int = 1
    latency: tuple[float, float] = (0.02, 0.05)
    seed: int | None = None
    count_edits: bool = False
    every_call: bool = False

    def __post_init__(self) -> None:
        if self.per_bot_per_second <= 0 or self.per_chat_per_second <= 0:
            raise ValueError("rates must be positive")
        if self.retry_after < 1:
            raise ValueError("retry_after must be at least 1 second")
        low, high = self.latency
        if not 0 <= low <= high:
            raise ValueError("latency must be a range (low, high) with 0 <= low <= high")


class _SlidingWindow:
    """At most ``capacity`` events in any ``period``-second window (exact, O(1) amortised)."""

    __slots__ = ("_times", "capacity", "period")

    def __init__(self, rate: float) -> None:
        if rate >= 1:
            self.capacity, self.period = math.floor(rate), 1.0
        else:
            self.capacity, self.period = 1, 1.0 / rate
        self._times: deque[float] = deque()

    def allows(self, now: float) -> bool:
        """Whether one more event at ``now`` stays within the limit (forgets expired events)."""
        times = self._times
        horizon = now - self.period
        while times and times[0] <= horizon:
            times.popleft()
        return len(times) < self.capacity

    def add(self, now: float) -> None:
        self._times.append(now)


# --------------------------------------------------------------------------------------------
# Helpers: text, HTML, keyboards
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (Telegram's unit for offsets and lengths)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_STRICT_ENTITY_RE = re.compile(r"&(?:#x([0-9a-fA-F]{1,8})|#([0-9]{1,9})|([A-Za-z]+));")
_LENIENT_ENTITY_RE = re.compile(r"&(?:#x([0-9a-fA-F]{1,8})|#([0-9]{1,9})|([A-Za-z]+));?")


def _decode_entity(text: str, pos: int, *, strict: bool) -> tuple[str, int] | None:
    """Decode the HTML entity starting at ``text[pos] == '&'``; return (char, end) or None."""
    match = (_STRICT_ENTITY_RE if strict else _LENIENT_ENTITY_RE).match(text, pos)
    if match is None:
        return None
    hex_digits, dec_digits, name = match.groups()
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        return None if char is None else (char, match.end())
    code = int(hex_digits, 16) if hex_digits is not None else int(dec_digits)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _is_space(ch: str) -> bool:
    return ch in " \t\n\r\f\v"


def _is_name_token_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in ".-")


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str | None]
    offset: int
    """UTF-16 offset of the tag in the plain text."""
    start: int
    """Index of the tag in the list of plain-text characters."""


def _parse_attributes(
    text: str, pos: int, tag: str, begin: int
) -> tuple[dict[str, str | None], int]:
    """Parse attributes of a start tag from ``pos``; return them and the index after ``>``."""

    def unclosed() -> ApiError:
        return _bad_request(
            f"can't parse entities: Unclosed start tag at byte offset {_byte_offset(text, begin)}"
        )

    attrs: dict[str, str | None] = {}
    n = len(text)
    i = pos
    while True:
        while i < n and _is_space(text[i]):
            i += 1
        if i >= n:
            raise unclosed()
        if text[i] == ">":
            return attrs, i + 1
        name_begin = i
        while i < n and not _is_space(text[i]) and text[i] not in "=>":
            i += 1
        if i >= n:
            raise unclosed()
        name = text[name_begin:i].lower()
        if not name:
            raise _bad_request(
                f'can\'t parse entities: Empty attribute name in the tag "{tag}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        while i < n and _is_space(text[i]):
            i += 1
        if i >= n:
            raise unclosed()
        if text[i] != "=":
            attrs[name] = None  # valueless attribute, e.g. <blockquote expandable>
            continue
        i += 1
        while i < n and _is_space(text[i]):
            i += 1
        if i >= n:
            raise unclosed()
        if text[i] in "\"'":
            quote = text[i]
            i += 1
            chunks: list[str] = []
            while i < n and text[i] != quote:
                if text[i] == "&" and (decoded := _decode_entity(text, i, strict=False)):
                    chunks.append(decoded[0])
                    i = decoded[1]
                    continue
                chunks.append(text[i])
                i += 1
            if i >= n:
                raise unclosed()
            i += 1
            attrs[name] = "".join(chunks)
        else:
            token_begin = i
            while i < n and _is_name_token_char(text[i]):
                i += 1
            if i >= n or not (_is_space(text[i]) or text[i] == ">"):
                raise _bad_request(
                    "can't parse entities: Unexpected end of name token at byte offset "
                    f"{_byte_offset(text, token_begin)}"
                )
            attrs[name] = text[token_begin:i].lower()


def _make_entity(tag: _OpenTag, end_offset: int, inner_text: str) -> JsonDict:
    entity: JsonDict = {
        "type": _HTML_TAGS[tag.name],
        "offset": tag.offset,
        "length": end_offset - tag.offset,
    }
    if tag.name == "a":
        entity["url"] = tag.attrs.get("href") or inner_text
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "code":
        language = tag.attrs.get("class") or ""
        if language.startswith("language-"):
            entity["language"] = language.removeprefix("language-")
    return entity


def parse_html(text: str) -> tuple[str, list[JsonDict]]:
    """Parse Telegram-flavoured HTML into plain text and entities (UTF-16 offsets).

    Raises :class:`ApiError` (400, ``Bad Request: can't parse entities: ...``) for unsupported or
    unbalanced tags, a ``<`` that does not start a tag, and a ``&`` that does not start a
    supported entity (stricter than Telegram, see the module docstring).
    """
    out: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[JsonDict] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_entity(text, i, strict=True)
            if decoded is None:
                raise _bad_request(
                    f'can\'t parse entities: Character "&" at byte offset '
                    f"{_byte_offset(text, i)} does not start an HTML entity; escape it as &amp;"
                )
            out.append(decoded[0])
            utf16 += utf16_len(decoded[0])
            i = decoded[1]
            continue
        if ch != "<":
            out.append(ch)
            utf16 += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            if not stack:
                raise _bad_request(
                    "can't parse entities: Unexpected end tag at byte offset "
                    f"{_byte_offset(text, begin)}"
                )
            j = i + 1
            while j < n and not _is_space(text[j]) and text[j] != ">":
                j += 1
            end_name = text[i + 1 : j].lower()
            while j < n and _is_space(text[j]):
                j += 1
            if j >= n or text[j] != ">":
                raise _bad_request(
                    "can't parse entities: Unclosed end tag at byte offset "
                    f"{_byte_offset(text, begin)}"
                )
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise _bad_request(
                    "can't parse entities: Unmatched end tag at byte offset "
                    f'{_byte_offset(text, begin)}, expected "</{tag.name}>", found "</{end_name}>"'
                )
            i = j + 1
            if utf16 > tag.offset:
                entity = _make_entity(tag, utf16, "".join(out[tag.start :]))
                last = entities[-1] if entities else None
                if (
                    tag.name == "pre"
                    and last is not None
                    and last["type"] == "code"
                    and last["offset"] == entity["offset"]
                    and last["length"] == entity["length"]
                ):
                    entities.pop()
                    if "language" in last:
                        entity["language"] = last["language"]
                entities.append(entity)
            continue

        j = i
        while j < n and not _is_space(text[j]) and text[j] != ">":
            j += 1
        name = text[i:j].lower()
        if name not in _HTML_TAGS:
            raise _bad_request(
                f'can\'t parse entities: Unsupported start tag "{name}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        attrs, i = _parse_attributes(text, j, name, begin)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _bad_request(
                'can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        if name == "tg-emoji" and not _INT_RE.fullmatch(attrs.get("emoji-id") or ""):
            raise _bad_request(
                "can't parse entities: Custom emoji entity must contain a valid custom emoji "
                f"identifier at byte offset {_byte_offset(text, begin)}"
            )
        stack.append(_OpenTag(name, attrs, utf16, len(out)))

    if stack:
        raise _bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1].name}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def inline_buttons(message: JsonDict | None) -> list[JsonDict]:
    """All inline keyboard buttons of a message (row by row), or ``[]``."""
    if not message:
        return []
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    return [button for row in rows if isinstance(row, list) for button in row]


def _public(record: JsonDict) -> JsonDict:
    """The Telegram ``Message`` object for a stored message (bookkeeping keys removed)."""
    message = {
        key: copy.deepcopy(value)
        for key, value in record.items()
        if key not in _META_KEYS and key != "reply_markup"
    }
    markup = record.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        message["reply_markup"] = copy.deepcopy(markup)  # Telegram only echoes inline keyboards
    return message


def _new_file_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(30)


def _new_unique_id() -> str:
    return "AgAD" + secrets.token_urlsafe(9)


# --------------------------------------------------------------------------------------------
# Simulated user
# --------------------------------------------------------------------------------------------


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
        if match := _LEADING_COMMAND_RE.match(text):
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
            "message": _public(message),
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


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotAPI:
    """A fake Telegram Bot API server (see the module docstring).

    State for tests (all plain attributes):

    * ``requests`` - every call as :class:`RecordedRequest`;
    * ``rejected`` - calls refused like Telegram would (not the injected faults);
    * ``chats`` - per chat id, every message (user's and bot's) as a dict with the Telegram
      fields plus ``outgoing`` (sent by the bot), ``method``, ``parse_mode``, ``raw_text`` /
      ``raw_caption`` (as sent, before entity parsing), ``edited`` (previous versions) and
      ``deleted``. ``text`` holds the plain text after entity parsing, like Telegram returns;
      ``reply_markup`` holds whatever markup was sent (reply keyboards included);
    * ``events`` - :class:`ChatEvent` log of sends/edits/deletions;
    * ``my_commands`` - ``{(scope_key, language_code): [BotCommand, ...]}``;
    * ``menu_buttons`` - ``{chat_id or None: MenuButton}``;
    * ``callback_queries``, ``files``, ``reply_keyboards``, ``webhook_url``, ``allowed_updates``,
      ``dropped_updates`` (updates not delivered because of ``allowed_updates``);
    * ``limits`` (:class:`TelegramLimits` or ``None``), ``too_many_requests`` (429 answers due to
      the limits) and ``delivered_total`` (messages the bot sent); see also
      :meth:`delivered_count`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "fake_test_bot",
        bot_first_name: str = "Test Bot",
        limits: TelegramLimits | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self._requested_port = port
        bot_id = token.split(":", 1)[0]
        self.bot_user: JsonDict = {
            "id": int(bot_id) if bot_id.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }

        self.requests: list[RecordedRequest] = []
        self.rejected: list[Rejection] = []
        self.chats: dict[int, list[JsonDict]] = {}
        self.events: list[ChatEvent] = []
        self.my_commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.files: dict[str, StoredFile] = {}
        self.reply_keyboards: dict[int, JsonDict] = {}
        self.webhook_url = ""
        self.allowed_updates: list[str] | None = None
        self.dropped_updates: list[JsonDict] = []
        self.limits = limits
        self.too_many_requests = 0
        """Requests answered 429 because of :attr:`limits` (injected faults are not counted)."""
        self.delivered_total = 0
        """Messages the bot successfully sent, all chats together."""

        self._users: dict[int, FakeUser] = {}
        self._delivered: dict[int, int] = {}
        self._bot_window = _SlidingWindow(limits.per_bot_per_second) if limits else None
        self._chat_windows: dict[Any, _SlidingWindow] = {}
        self._latency_random = random.Random(limits.seed if limits else None)
        self._updates: list[JsonDict] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_numbers = itertools.count(1)
        self._media_group_ids = itertools.count(13_000_000_000_000_001)
        self._seq = 0
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        handlers: dict[str, Callable[[JsonDict, dict[str, UploadedFile]], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "logOut": self._true,
            "close": self._true,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }
        self._handlers = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening (on a free port unless one was given)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already started")
        self._stopping.clear()
        app = web.Application(client_max_size=UPLOAD_MAX_SIZE + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop the server; pending long polls and delays end immediately."""
        self._stopping.set()
        self._signal()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Base URL for ``TelegramAPIServer.from_base``."""
        return f"http://{self.host}:{self.port}"

    # -- test-side API ------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "ru",
        *,
        last_name: str | None = None,
        username: str | None = None,
        phone_number: str | None = None,
    ) -> FakeUser:
        """Return the simulated user ``user_id`` (created on first call; its chat is known)."""
        if user_id not in self._users:
            self._users[user_id] = FakeUser(
                self,
                user_id,
                first_name=first_name,
                language_code=language_code,
                last_name=last_name,
                username=username,
                phone_number=phone_number,
            )
            self.chats.setdefault(user_id, [])
        return self._users[user_id]

    def add_users(self, ids: Iterable[int], first_name: str = "Test") -> None:
        """Create many users at once (their chats become known); existing ones are kept."""
        for user_id in ids:
            if user_id not in self._users:
                self._users[user_id] = FakeUser(
                    self, user_id, first_name=first_name, language_code="ru"
                )
                self.chats.setdefault(user_id, [])

    def delivered_count(self, chat_id: int) -> int:
        """How many messages the bot successfully sent to ``chat_id`` (deleted ones included)."""
        return self._delivered.get(chat_id, 0)

    def push_update(self, update: JsonDict) -> JsonDict:
        """Queue an arbitrary update (``update_id`` is assigned); return it."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._signal()
        return update

    def take_updates(self) -> list[JsonDict]:
        """Remove and return the queued updates: what Telegram would POST to a webhook."""
        updates, self._updates = list(self._updates), type(self._updates)()
        return updates

    def take_updates_of(self, user_id: int) -> list[JsonDict]:
        """Remove and return the queued updates from one user (others stay queued)."""

        def sender(update: JsonDict) -> int | None:
            for value in update.values():
                if isinstance(value, dict) and isinstance(value.get("from"), dict):
                    return int(value["from"]["id"])
            return None

        mine = [u for u in self._updates if sender(u) == user_id]
        self._updates = type(self._updates)(u for u in self._updates if sender(u) != user_id)
        return mine

    def pending_updates(self) -> int:
        """Number of updates not yet confirmed by ``getUpdates`` (offset)."""
        return len(self._updates)

    def mark(self) -> int:
        """Current position in :attr:`events`; see :meth:`wait_events`."""
        return self._seq

    def events_since(
        self,
        chat_id: int,
        after: int,
        kinds: Iterable[str] = ("sent", "edited"),
    ) -> list[ChatEvent]:
        """Events of ``kinds`` in ``chat_id`` with ``seq > after``."""
        wanted = set(kinds)
        return [
            e for e in self.events if e.seq > after and e.chat_id == chat_id and e.kind in wanted
        ]

    async def wait_events(
        self,
        chat_id: int,
        *,
        after: int,
        count: int = 1,
        kinds: Iterable[str] = ("sent", "edited"),
        timeout: float = 10,
    ) -> list[ChatEvent]:
        """Wait for ``count`` events in ``chat_id`` after marker ``after``; return the first
        ``count`` of them."""
        kinds = tuple(kinds)

        def found() -> list[ChatEvent] | None:
            events = self.events_since(chat_id, after, kinds)
            return events[:count] if len(events) >= count else None

        return await self.wait_for(
            found,
            timeout=timeout,
            what=f"{count} bot message(s) ({'/'.join(kinds)}) in chat {chat_id} after #{after}",
        )

    async def wait_callback_answered(self, query_id: str, timeout: float = 10) -> JsonDict:
        """Wait until the bot answered callback query ``query_id``; return the answer params."""

        def answer() -> JsonDict | None:
            record = self.callback_queries.get(query_id)
            return None if record is None else record.answer

        return await self.wait_for(
            answer, timeout=timeout, what=f"answerCallbackQuery for {query_id}"
        )

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float = 10, *, what: str | None = None
    ) -> T:
        """Wait until ``predicate()`` is truthy and return its value.

        The predicate is re-evaluated whenever the fake's state changes (each request, update
        and processed call). Raises :class:`TimeoutError` with recent activity on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_report(what or repr(predicate), timeout))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def calls(self, method: str) -> list[JsonDict]:
        """Params of every recorded call of ``method`` (case-insensitive), rejected ones too."""
        canonical = self._canonical(method) or method
        return [r.params for r in self.requests if r.method == canonical]

    def commands_for(
        self, scope: JsonDict | None = None, language_code: str = ""
    ) -> list[JsonDict]:
        """Commands set with ``setMyCommands`` for exactly this scope and language."""
        return copy.deepcopy(self.my_commands.get((self.scope_key(scope), language_code), []))

    @staticmethod
    def scope_key(scope: JsonDict | None) -> str:
        """Canonical JSON of a ``BotCommandScope`` (``None`` means the default scope)."""
        return json.dumps(scope or {"type": "default"}, sort_keys=True, separators=(",", ":"))

    def add_file(
        self,
        content: bytes | None,
        *,
        kind: str = "document",
        file_name: str | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
    ) -> StoredFile:
        """Register a file (as if uploaded to Telegram) and return it; use its ``file_id``."""
        number = next(self._file_numbers)
        prefix = {"photo": "AgAC", "sticker": "CAAC", "video": "BAAC", "audio": "CQAC"}
        extension = {"photo": ".jpg", "sticker": ".webp", "video": ".mp4", "audio": ".mp3"}
        suffix = extension.get(kind, "")
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        size = file_size if file_size is not None else len(content or b"")
        stored = StoredFile(
            file_id=_new_file_id(prefix.get(kind, "BQAC")),
            file_unique_id=_new_unique_id(),
            file_path=f"{kind}s/file_{number}{suffix}",
            file_size=size,
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

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
        self._faults.append(_Fault(canonical, error_code, description, retry_after, times, chat_id))

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the responses of the next ``times`` calls of ``method`` by ``seconds``.

        The call is processed after the delay even if the client gave up (as on Telegram).
        """
        self._delays.append(_Delay(self._require_method(method), seconds, times))

    def clear_faults(self) -> None:
        """Forget pending :meth:`fail_next` and :meth:`delay` rules."""
        self._faults.clear()
        self._delays.clear()

    # -- internals: state helpers -------------------------------------------------------------

    def _signal(self) -> None:
        """Wake everything waiting in :meth:`wait_for` (and long polls)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _canonical(self, method: str) -> str | None:
        entry = self._handlers.get(method.lower())
        return None if entry is None else entry[0]

    def _require_method(self, method: str) -> str:
        canonical = self._canonical(method)
        if canonical is None:
            raise ValueError(f"{method!r} is not a method implemented by FakeBotAPI")
        return canonical

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _event(
        self, chat_id: int, kind: Literal["sent", "edited", "deleted"], rec: JsonDict
    ) -> None:
        self._seq += 1
        self.events.append(ChatEvent(self._seq, chat_id, kind, copy.deepcopy(rec)))

    def _timeout_report(self, what: str, timeout: float) -> str:
        recent = [
            f"  {r.method} {json.dumps(r.params, ensure_ascii=False)[:200]}"
            + ("" if r.ok else f" -> {r.error_code} {r.description}")
            for r in self.requests[-8:]
        ]
        rejected = [f"  {r.method}: {r.description}" for r in self.rejected[-5:]]
        lines = [
            f"timed out after {timeout}s waiting for {what}",
            f"pending updates: {self.pending_updates()}, "
            f"dropped (allowed_updates): {len(self.dropped_updates)}",
            "recent requests:",
            *(recent or ["  (none)"]),
            "rejected requests:",
            *(rejected or ["  (none)"]),
        ]
        return "\n".join(lines)

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; return False if interrupted by :meth:`stop`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return not self._stopping.is_set()

    # -- internals: HTTP ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if (match := _FILE_PATH_RE.fullmatch(request.path)) is not None:
            return self._handle_file(match["token"], match["path"])
        match = _API_PATH_RE.fullmatch(request.path)
        if match is None:
            return self._error_response(ApiError(404, "Not Found"))
        raw_method = match["method"]
        method = self._canonical(raw_method) or raw_method
        raw_params: JsonDict = {}
        files: dict[str, UploadedFile] = {}
        decode_error: ApiError | None = None
        try:
            raw_params, files = await self._read_body(request)
            params = self._normalize(raw_params)
        except ApiError as exc:
            params, decode_error = raw_params, exc
        record = RecordedRequest(method=method, params=params, time=time.time(), files=files)
        self.requests.append(record)
        self._signal()
        limited = self.limits is not None and (
            method in _LIMITED_METHODS or (self.limits.count_edits and method in _EDIT_METHODS)
        )
        slow = limited or (self.limits is not None and self.limits.every_call)
        try:
            if match["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if method.lower() not in self._handlers:
                raise ApiError(404, "Not Found")
            if decode_error is not None:
                raise decode_error
            if not await self._apply_delay(method):
                raise ApiError(500, "Internal Server Error: the fake server is stopping")
            self._apply_fault(method, params)
            arrival = self._admit(params) if limited else None
            try:
                result = self._handlers[method.lower()][1](params, files)
                if inspect.isawaitable(result):
                    result = await result
            except ApiError:
                raise
            except Exception as exc:  # a bug in the fake: answer (and record) it as a 500
                raise ApiError(500, f"Internal Server Error: {type(exc).__name__}: {exc}") from exc
            if arrival is not None:
                self._count_sent(params, arrival)
        except ApiError as exc:
            record.error_code, record.description = exc.error_code, exc.description
            record.injected = exc.injected
            # A long poll whose client is already gone (e.g. the bot was restarted) and that got
            # terminated by the new poll is not a rejection anybody saw.
            abandoned = request.transport is None or request.transport.is_closing()
            if not exc.injected and not (exc.error_code == 409 and abandoned):
                self.rejected.append(
                    Rejection(method, params, exc.error_code, exc.description, record.time)
                )
            self._signal()
            if slow:
                await self._latency()
            return self._error_response(exc)
        record.result = result
        self._signal()
        if slow:
            await self._latency()
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        return web.json_response(error.envelope(), status=error.error_code)

    def _handle_file(self, token: str, path: str) -> web.StreamResponse:
        if token != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.read(), content_type="application/octet-stream")
        return self._error_response(ApiError(404, "Not Found"))

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[JsonDict, dict[str, UploadedFile]]:
        """Read query string + body (multipart, urlencoded or JSON) into raw params and files."""
        params: JsonDict = dict(request.query)
        files: dict[str, UploadedFile] = {}
        content_type = request.content_type
        if content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if isinstance(part, MultipartReader) or part.name is None:
                    raise _bad_request("unsupported multipart body")
                data = await part.read(decode=True)
                if part.filename is not None:
                    files[part.name] = UploadedFile(
                        part.name,
                        part.filename,
                        part.headers.get("Content-Type"),
                        bytes(data),
                    )
                else:
                    params[part.name] = bytes(data).decode(part.get_charset("utf-8"))
        elif content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise _bad_request("can't parse JSON request body") from exc
            if body is not None:
                if not isinstance(body, dict):
                    raise _bad_request("request body must be a JSON object")
                params.update(body)
        elif request.can_read_body:
            params.update(await request.post())
        return params, files

    @staticmethod
    def _normalize(params: JsonDict) -> JsonDict:
        """JSON-decode nested fields sent as strings and coerce int/bool scalars."""
        result: JsonDict = {}
        for key, value in params.items():
            if isinstance(value, str):
                if key in _JSON_FIELDS:
                    try:
                        value = json.loads(value)
                    except ValueError as exc:
                        what = "reply keyboard markup" if key == "reply_markup" else key
                        raise _bad_request(f"can't parse {what} JSON object") from exc
                elif key in _INT_FIELDS and _INT_RE.fullmatch(value):
                    value = int(value)
                elif key in _BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
                    value = value.lower() in ("true", "1")
            result[key] = value
        return result

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

    # -- internals: Telegram's limits ---------------------------------------------------------

    def _admit(self, params: JsonDict) -> float:
        """Check a sending request against :attr:`limits`; return its arrival time.

        Raises the 429 :class:`ApiError` if one more message now would exceed the per-bot or the
        per-chat rate. Nothing is counted here: :meth:`_count_sent` counts the request once it is
        delivered (synchronously after this check, so the windows are exact).
        """
        assert self.limits is not None and self._bot_window is not None
        now = asyncio.get_running_loop().time()
        chat_window = self._chat_windows.get(params.get("chat_id"))
        if not self._bot_window.allows(now) or (
            chat_window is not None and not chat_window.allows(now)
        ):
            self.too_many_requests += 1
            retry_after = self.limits.retry_after
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        return now

    def _count_sent(self, params: JsonDict, arrival: float) -> None:
        """Count a delivered request in the per-bot and per-chat windows."""
        assert self.limits is not None and self._bot_window is not None
        self._bot_window.add(arrival)
        chat_id = params.get("chat_id")
        window = self._chat_windows.get(chat_id)
        if window is None:
            window = self._chat_windows[chat_id] = _SlidingWindow(self.limits.per_chat_per_second)
        window.add(arrival)

    async def _latency(self) -> None:
        """Wait the random network latency of :attr:`limits` (cut short by :meth:`stop`)."""
        assert self.limits is not None
        low, high = self.limits.latency
        if high > 0:
            await self._sleep(self._latency_random.uniform(low, high))

    # -- internals: validation helpers --------------------------------------------------------

    def _chat(self, params: JsonDict, key: str = "chat_id", *, check_blocked: bool = True) -> int:
        """Resolve a required chat id parameter to a known private chat."""
        chat_id = params.get(key)
        if chat_id is None or chat_id == "":
            raise _bad_request(f"{key} is empty")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool) or chat_id not in self._users:
            raise _bad_request("chat not found")
        if check_blocked and self._users[chat_id].blocked:
            raise ApiError(403, BLOCKED)
        return chat_id

    @staticmethod
    def _int(params: JsonDict, key: str, *, missing: str) -> int:
        value = params.get(key)
        if value is None or value == "":
            raise _bad_request(missing)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad_request(f"invalid {key} specified")
        return value

    def _find_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        for record in self.chats.get(chat_id, []):
            if record["message_id"] == message_id and not record["deleted"]:
                return record
        return None

    @staticmethod
    def _format(
        text: str,
        parse_mode: Any,
        entities: Any,
        *,
        limit: int,
        too_long: str,
    ) -> tuple[str, list[JsonDict] | None]:
        """Apply ``parse_mode``/``entities`` to ``text``; check the length limit."""
        mode = parse_mode.lower() if isinstance(parse_mode, str) else parse_mode
        if mode not in (None, "", "html", "markdown", "markdownv2"):
            raise _bad_request("unsupported parse_mode")
        parsed: list[JsonDict] | None = None
        if entities is not None:
            if not isinstance(entities, list) or not all(
                isinstance(e, dict)
                and isinstance(e.get("type"), str)
                and isinstance(e.get("offset"), int)
                and isinstance(e.get("length"), int)
                for e in entities
            ):
                raise _bad_request("can't parse entities JSON object")
            plain, parsed = text, entities or None
        elif mode == "html":
            plain, parsed = parse_html(text)
            parsed = parsed or None
        else:
            plain = text
        if utf16_len(plain) > limit:
            raise _bad_request(too_long)
        return plain, parsed

    def _text(self, params: JsonDict) -> tuple[str, list[JsonDict] | None]:
        text = params.get("text")
        if not isinstance(text, str) or not text:
            raise _bad_request("message text is empty")
        plain, entities = self._format(
            text,
            params.get("parse_mode"),
            params.get("entities"),
            limit=MESSAGE_MAX_LEN,
            too_long="message is too long",
        )
        if not plain.strip():
            raise _bad_request("message text is empty")
        return plain, entities

    def _caption(self, params: JsonDict) -> tuple[str | None, list[JsonDict] | None]:
        caption = params.get("caption")
        if caption is None or caption == "":
            return None, None
        if not isinstance(caption, str):
            raise _bad_request("caption must be a string")
        plain, entities = self._format(
            caption,
            params.get("parse_mode"),
            params.get("caption_entities"),
            limit=CAPTION_MAX_LEN,
            too_long="message caption is too long",
        )
        return (plain or None), entities

    @staticmethod
    def _validate_markup(markup: Any, *, inline_only: bool = False) -> JsonDict | None:
        """Validate ``reply_markup`` the way Telegram does; return it (or None)."""
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _validate_inline_keyboard(markup["inline_keyboard"])
            return markup
        if inline_only:
            raise _bad_request("reply markup must be an inline keyboard")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request('field "keyboard" must be an Array of Arrays')
            for row in rows:
                for button in row:
                    text = button if isinstance(button, str) else None
                    if isinstance(button, dict):
                        text = button.get("text")
                    if not isinstance(text, str) or not text:
                        raise _bad_request("keyboard button text must be non-empty")
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise _bad_request("can't parse reply keyboard markup JSON object")

    # -- internals: storing bot messages ------------------------------------------------------

    def _store_bot_message(
        self,
        chat_id: int,
        method: str,
        content: JsonDict,
        params: JsonDict,
        *,
        reply_markup: JsonDict | None,
        raw_key: str | None = None,
        raw_value: Any = None,
        extra: JsonDict | None = None,
    ) -> JsonDict:
        reply_to = self._reply_target(chat_id, params)
        record: JsonDict = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._users[chat_id].as_chat(),
            "date": int(time.time()),
        }
        if reply_to is not None:
            record["reply_to_message"] = _public(reply_to)
            record["reply_to_message"].pop("reply_to_message", None)
        record.update({k: v for k, v in content.items() if v is not None})
        if extra:
            record.update(extra)
        if reply_markup is not None:
            record["reply_markup"] = reply_markup
            if "keyboard" in reply_markup:
                self.reply_keyboards[chat_id] = reply_markup
            elif reply_markup.get("remove_keyboard"):
                self.reply_keyboards.pop(chat_id, None)
        record.update(
            {
                "outgoing": True,
                "method": method,
                "parse_mode": params.get("parse_mode"),
                "edited": [],
                "deleted": False,
            }
        )
        if raw_key is not None and raw_value is not None:
            record[raw_key] = raw_value
        self.chats.setdefault(chat_id, []).append(record)
        self._delivered[chat_id] = self._delivered.get(chat_id, 0) + 1
        self.delivered_total += 1
        self._event(chat_id, "sent", record)
        return record

    def _reply_target(self, chat_id: int, params: JsonDict) -> JsonDict | None:
        reply = params.get("reply_parameters")
        message_id: Any = params.get("reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        if message_id is None:
            return None
        target = self._find_message(chat_id, message_id) if isinstance(message_id, int) else None
        if target is None and not allow_missing:
            raise _bad_request("message to be replied not found")
        return target

    def _resolve_input_file(
        self,
        value: Any,
        files: dict[str, UploadedFile],
        *,
        kind: str,
    ) -> StoredFile:
        """Turn an ``InputFile``/file_id/URL parameter into a stored file."""
        if isinstance(value, UploadedFile):
            upload = value
        elif isinstance(value, str) and value.startswith("attach://"):
            name = value.removeprefix("attach://")
            if name not in files:
                raise _bad_request(f"file attach://{name} not found in the request")
            upload = files[name]
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            return self.add_file(None, kind=kind, file_size=4096, file_name=value.rsplit("/")[-1])
        elif isinstance(value, str) and value in self.files:
            return self.files[value]
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        if not upload.data:
            raise _bad_request("file must be non-empty")
        if len(upload.data) > UPLOAD_MAX_SIZE:
            raise ApiError(413, "Request Entity Too Large")
        mime_type = upload.content_type
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(upload.filename or "")[0] or mime_type
        return self.add_file(upload.data, kind=kind, file_name=upload.filename, mime_type=mime_type)

    def _photo_sizes(self, stored: StoredFile | None, width: int, height: int) -> list[JsonDict]:
        """PhotoSize array: a thumbnail plus the full size (``stored`` or a new file)."""
        thumb = self.add_file(None, kind="photo", file_size=1500)
        full = stored or self.add_file(None, kind="photo", file_size=width * height // 10)
        scale = 90 / max(width, height)
        return [
            {
                "file_id": thumb.file_id,
                "file_unique_id": thumb.file_unique_id,
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "file_size": thumb.file_size,
            },
            {
                "file_id": full.file_id,
                "file_unique_id": full.file_unique_id,
                "width": width,
                "height": height,
                "file_size": full.file_size,
            },
        ]

    def _media_content(self, kind: str, stored: StoredFile) -> JsonDict:
        base = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if kind == "photo":
            return {"photo": self._photo_sizes(stored, 800, 600)}
        if kind == "document":
            document = {**base, "file_size": stored.file_size}
            if stored.file_name:
                document["file_name"] = stored.file_name
            if stored.mime_type:
                document["mime_type"] = stored.mime_type
            return {"document": document}
        if kind == "video":
            return {"video": {**base, "width": 640, "height": 360, "duration": 1}}
        return {"audio": {**base, "duration": 1}}

    # -- method handlers ----------------------------------------------------------------------

    def _true(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        return True

    def _get_me(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _allowed(self, update: JsonDict) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _DEFAULT_ALLOWED_UPDATES_EXCLUDED

    async def _get_updates(
        self, params: JsonDict, files: dict[str, UploadedFile]
    ) -> list[JsonDict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        timeout = params.get("timeout") or 0
        if not all(isinstance(v, int) for v in (offset, limit, timeout)):
            raise _bad_request("wrong parameter in getUpdates request")
        limit = min(max(limit, 1), 100)
        if "allowed_updates" in params:
            allowed = params["allowed_updates"]
            if not isinstance(allowed, list):
                raise _bad_request("can't parse allowed_updates JSON object")
            self.allowed_updates = list(allowed) or None

        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._signal()

        self._poll_generation += 1
        generation = self._poll_generation
        self._signal()  # terminate an older poll still waiting

        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0)
        while True:
            if self._stopping.is_set():
                return []
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            for update in [u for u in self._updates if not self._allowed(u)]:
                self._updates.remove(update)
                self.dropped_updates.append(update)
            if self._updates:
                return copy.deepcopy(self._updates[:limit])
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _set_webhook(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        url = params.get("url") or ""
        if url and not str(url).startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = str(url)
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _commands_key(self, params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope")
        if scope is not None:
            if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
                raise _bad_request("unsupported bot command scope type")
            if scope["type"].startswith("chat"):
                self._chat(scope, check_blocked=False)
            if scope["type"] == "chat_member" and not isinstance(scope.get("user_id"), int):
                raise _bad_request("user_id is empty")
        language = params.get("language_code") or ""
        if language and (not isinstance(language, str) or not _LANGUAGE_RE.fullmatch(language)):
            raise _bad_request("invalid language code specified")
        return self.scope_key(scope), language

    def _set_my_commands(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if commands is None:
            raise _bad_request('parameter "commands" is required')
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        self.my_commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, params: JsonDict, files: dict[str, UploadedFile]) -> list[JsonDict]:
        return copy.deepcopy(self.my_commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        self.my_commands.pop(self._commands_key(params), None)
        return True

    def _send_message(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id = self._chat(params)
        text, entities = self._text(params)
        markup = self._validate_markup(params.get("reply_markup"))
        record = self._store_bot_message(
            chat_id,
            "sendMessage",
            {"text": text, "entities": entities},
            params,
            reply_markup=markup,
            raw_key="raw_text",
            raw_value=params["text"],
        )
        return _public(record)

    def _message_to_edit(self, params: JsonDict) -> tuple[int, JsonDict]:
        if params.get("inline_message_id"):
            raise _bad_request("MESSAGE_ID_INVALID")
        chat_id = self._chat(params)
        message_id = self._int(params, "message_id", missing="message identifier is not specified")
        record = self._find_message(chat_id, message_id)
        if record is None:
            raise _bad_request("message to edit not found")
        if not record["outgoing"]:
            raise _bad_request("message can't be edited")
        return chat_id, record

    def _apply_edit(self, chat_id: int, record: JsonDict, changes: JsonDict) -> JsonDict:
        previous = {k: copy.deepcopy(record[k]) for k in _EDITABLE_KEYS if k in record}
        for key, value in changes.items():
            if value is None:
                record.pop(key, None)
            else:
                record[key] = value
        record["edit_date"] = int(time.time())
        record["edited"].append(previous)
        self._event(chat_id, "edited", record)
        return _public(record)

    @staticmethod
    def _inline(markup: JsonDict | None) -> JsonDict | None:
        return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None

    def _edit_message_text(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id, record = self._message_to_edit(params)
        text, entities = self._text(params)
        markup = self._validate_markup(params.get("reply_markup"), inline_only=True)
        if "text" not in record:
            raise _bad_request("there is no text in the message to edit")
        if (
            record["text"] == text
            and (record.get("entities") or None) == entities
            and self._inline(record.get("reply_markup")) == markup
        ):
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        changes = {
            "text": text,
            "entities": entities,
            "parse_mode": params.get("parse_mode"),
            "raw_text": params["text"],
            # Telegram drops an inline keyboard that is not repeated in the edit.
            "reply_markup": markup if markup is not None else self._non_inline(record),
        }
        return self._apply_edit(chat_id, record, changes)

    def _non_inline(self, record: JsonDict) -> JsonDict | None:
        markup = record.get("reply_markup")
        return None if self._inline(markup) is not None else markup

    def _edit_message_reply_markup(
        self, params: JsonDict, files: dict[str, UploadedFile]
    ) -> JsonDict:
        chat_id, record = self._message_to_edit(params)
        markup = self._validate_markup(params.get("reply_markup"), inline_only=True)
        if self._inline(record.get("reply_markup")) == markup:
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        changes = {"reply_markup": markup if markup is not None else self._non_inline(record)}
        return self._apply_edit(chat_id, record, changes)

    def _delete_message(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        chat_id = self._chat(params, check_blocked=False)
        message_id = self._int(params, "message_id", missing="message identifier is not specified")
        record = self._find_message(chat_id, message_id)
        if record is None:
            raise _bad_request("message to delete not found")
        record["deleted"] = True
        self._event(chat_id, "deleted", record)
        return True

    def _answer_callback_query(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        query = self.callback_queries.get(str(params.get("callback_query_id", "")))
        if query is None or query.answered:
            raise _bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > CALLBACK_ANSWER_MAX_LEN:
            raise _bad_request("MESSAGE_TOO_LONG")
        query.answer = dict(params)
        return True

    def _send_chat_action(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _send_file(self, params: JsonDict, files: dict[str, UploadedFile], kind: str) -> JsonDict:
        chat_id = self._chat(params)
        value = params.get(kind, files.get(kind))
        if value is None or value == "":
            raise _bad_request(f"there is no {kind} in the request")
        caption, caption_entities = self._caption(params)
        markup = self._validate_markup(params.get("reply_markup"))
        stored = self._resolve_input_file(value, files, kind=kind)
        content = {
            **self._media_content(kind, stored),
            "caption": caption,
            "caption_entities": caption_entities,
        }
        method = "sendDocument" if kind == "document" else "sendPhoto"
        record = self._store_bot_message(
            chat_id,
            method,
            content,
            params,
            reply_markup=markup,
            raw_key="raw_caption",
            raw_value=params.get("caption"),
        )
        return _public(record)

    def _send_document(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        return self._send_file(params, files, "document")

    def _send_photo(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        return self._send_file(params, files, "photo")

    def _send_media_group(self, params: JsonDict, files: dict[str, UploadedFile]) -> list[JsonDict]:
        chat_id = self._chat(params)
        media = params.get("media")
        if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
            raise _bad_request("can't parse media JSON object")
        if not 2 <= len(media) <= 10:
            raise _bad_request("wrong number of media specified: must include 2-10 items")
        kinds = {item.get("type") for item in media}
        if not kinds <= {"photo", "video", "document", "audio"}:
            raise _bad_request("unsupported media type in the media group")
        for lonely in ("document", "audio"):
            if lonely in kinds and len(kinds) > 1:
                raise _bad_request(f"{lonely} can't be mixed with other media types")
        prepared = []
        for item in media:
            caption, caption_entities = self._caption(item)
            stored = self._resolve_input_file(item.get("media"), files, kind=item["type"])
            prepared.append((item, caption, caption_entities, stored))
        self._reply_target(chat_id, params)
        group_id = str(next(self._media_group_ids))
        results = []
        for item, caption, caption_entities, stored in prepared:
            content = {
                **self._media_content(item["type"], stored),
                "caption": caption,
                "caption_entities": caption_entities,
                "media_group_id": group_id,
            }
            record = self._store_bot_message(
                chat_id,
                "sendMediaGroup",
                content,
                {**params, "parse_mode": item.get("parse_mode")},
                reply_markup=None,
                raw_key="raw_caption",
                raw_value=item.get("caption"),
            )
            results.append(_public(record))
        return results

    def _source_message(self, params: JsonDict, action: str) -> JsonDict:
        from_chat_id = self._chat(params, "from_chat_id", check_blocked=False)
        message_id = self._int(params, "message_id", missing="message identifier is not specified")
        source = self._find_message(from_chat_id, message_id)
        if source is None:
            raise _bad_request(f"message to {action} not found")
        return source

    def _copy_message(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id = self._chat(params)
        source = self._source_message(params, "copy")
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT_KEYS if k in source}
        raw_key: str | None = None
        if "caption" in params and "text" not in source:
            content["caption"], content["caption_entities"] = self._caption(params)
            raw_key = "raw_caption"
        markup = self._validate_markup(params.get("reply_markup"))
        record = self._store_bot_message(
            chat_id,
            "copyMessage",
            content,
            params,
            reply_markup=markup,
            raw_key=raw_key,
            raw_value=params.get("caption"),
        )
        return {"message_id": record["message_id"]}

    def _forward_message(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id = self._chat(params)
        source = self._source_message(params, "forward")
        content = {k: copy.deepcopy(source[k]) for k in _CONTENT_KEYS if k in source}
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        record = self._store_bot_message(
            chat_id,
            "forwardMessage",
            content,
            {},
            reply_markup=None,
            extra={"forward_origin": origin},
        )
        return _public(record)

    def _get_file(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        stored = self.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.file_size > GET_FILE_MAX_SIZE:
            raise _bad_request("file is too big")
        return stored.as_file()

    def _get_chat(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id = self._chat(params, check_blocked=False)
        user = self._users[chat_id]
        return {
            **user.as_chat(),
            "accent_color_id": chat_id % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    def _set_chat_menu_button(self, params: JsonDict, files: dict[str, UploadedFile]) -> bool:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._chat(params, check_blocked=False)
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "default",
            "web_app",
        ):
            raise _bad_request("unsupported menu button type")
        if button["type"] == "web_app":
            url = (button.get("web_app") or {}).get("url", "")
            if not button.get("text") or not str(url).startswith("https://"):
                raise _bad_request("web app menu button needs text and an HTTPS web_app.url")
        self.menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, params: JsonDict, files: dict[str, UploadedFile]) -> JsonDict:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._chat(params, check_blocked=False)
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}


def _validate_inline_keyboard(rows: Any) -> None:
    """Telegram's checks for ``InlineKeyboardMarkup.inline_keyboard``."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_INLINE_BUTTONS:
        raise _bad_request("reply markup is too long")
    for button in buttons:
        if not isinstance(button, dict):
            raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton expected")
        text = button.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("can't parse inline keyboard button: Text buttons must be non-empty")
        actions = [key for key in _BUTTON_ACTIONS if button.get(key) is not None]
        if not actions:
            raise _bad_request("text buttons are unallowed in the inline keyboard")
        if len(actions) > 1:
            raise _bad_request(
                "can't parse inline keyboard button: exactly one of the optional fields must be "
                f"used, got {', '.join(actions)}"
            )
        action = actions[0]
        if action == "callback_data":
            data = button["callback_data"]
            if (
                not isinstance(data, str)
                or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES
            ):
                raise _bad_request("BUTTON_DATA_INVALID")
        elif action == "url":
            url = button["url"]
            if not isinstance(url, str) or not re.fullmatch(r"(?:https?|tg)://[^\s/?#]+\S*", url):
                raise _bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
        elif action == "web_app":
            url = (
                (button["web_app"] or {}).get("url")
                if isinstance(button["web_app"], dict)
                else None
            )
            if not isinstance(url, str) or not url.startswith("https://"):
                raise _bad_request(
                    f"inline keyboard button Web App URL '{url}' is invalid: "
                    "Only HTTPS links are allowed"
                )
