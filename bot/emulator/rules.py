"""Telegram's rules for what a bot may send, shared by every test double of the project.

The emulator (:mod:`bot.emulator.server`) and the handler tests' recording session
(``tests/recording.py``) both call these functions, so a message that Telegram would refuse
fails the test that produced it, whichever double the test uses. Nothing here keeps state: a
rule that needs to know the chat (does the message exist, did the user start the bot) lives in
the emulator.

Each check raises :class:`ApiError` with Telegram's status and description. Where the emulator is
*stricter* than Telegram it says so; it is strict only where Telegram's leniency would hide a bug
a user sees (text shown with a stray ``&amp;``, formatting silently dropped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

JsonDict = dict[str, Any]

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

INT_RE = re.compile(r"-?\d+")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")

CHAT_ACTIONS = frozenset(
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
SCOPE_TYPES = frozenset(
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


# --------------------------------------------------------------------------------------------
# Errors
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


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------------------------
# Text, HTML
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
        return bad_request(
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
            raise bad_request(
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
                raise bad_request(
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
                raise bad_request(
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
                raise bad_request(
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
                raise bad_request(
                    "can't parse entities: Unclosed end tag at byte offset "
                    f"{_byte_offset(text, begin)}"
                )
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise bad_request(
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
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "{name}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        attrs, i = _parse_attributes(text, j, name, begin)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise bad_request(
                'can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        if name == "tg-emoji" and not INT_RE.fullmatch(attrs.get("emoji-id") or ""):
            raise bad_request(
                "can't parse entities: Custom emoji entity must contain a valid custom emoji "
                f"identifier at byte offset {_byte_offset(text, begin)}"
            )
        stack.append(_OpenTag(name, attrs, utf16, len(out)))

    if stack:
        raise bad_request(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1].name}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# --------------------------------------------------------------------------------------------
# Message text and captions
# --------------------------------------------------------------------------------------------


def format_text(
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
        raise bad_request("unsupported parse_mode")
    parsed: list[JsonDict] | None = None
    if entities is not None:
        if not isinstance(entities, list) or not all(
            isinstance(e, dict)
            and isinstance(e.get("type"), str)
            and isinstance(e.get("offset"), int)
            and isinstance(e.get("length"), int)
            for e in entities
        ):
            raise bad_request("can't parse entities JSON object")
        plain, parsed = text, entities or None
    elif mode == "html":
        plain, parsed = parse_html(text)
        parsed = parsed or None
    else:
        plain = text
    if utf16_len(plain) > limit:
        raise bad_request(too_long)
    return plain, parsed


def message_text(params: JsonDict) -> tuple[str, list[JsonDict] | None]:
    """The ``text`` of ``sendMessage``/``editMessageText``: 1-4096 characters after parsing."""
    text = params.get("text")
    if not isinstance(text, str) or not text:
        raise bad_request("message text is empty")
    plain, entities = format_text(
        text,
        params.get("parse_mode"),
        params.get("entities"),
        limit=MESSAGE_MAX_LEN,
        too_long="message is too long",
    )
    if not plain.strip():
        raise bad_request("message text is empty")
    return plain, entities


def caption(params: JsonDict) -> tuple[str | None, list[JsonDict] | None]:
    """The optional ``caption`` of a media message: 0-1024 characters after parsing."""
    value = params.get("caption")
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        raise bad_request("caption must be a string")
    plain, entities = format_text(
        value,
        params.get("parse_mode"),
        params.get("caption_entities"),
        limit=CAPTION_MAX_LEN,
        too_long="message caption is too long",
    )
    return (plain or None), entities


def callback_answer(params: JsonDict) -> None:
    """``answerCallbackQuery``: the notification text is at most 200 characters."""
    text = params.get("text")
    if text is not None and utf16_len(str(text)) > CALLBACK_ANSWER_MAX_LEN:
        raise bad_request("MESSAGE_TOO_LONG")


def chat_action(params: JsonDict) -> None:
    """``sendChatAction``: one of Telegram's actions."""
    if params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")


# --------------------------------------------------------------------------------------------
# Keyboards
# --------------------------------------------------------------------------------------------


def reply_markup(markup: Any, *, inline_only: bool = False) -> JsonDict | None:
    """Validate ``reply_markup`` the way Telegram does; return it (or None)."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        inline_keyboard(markup["inline_keyboard"])
        return markup
    if inline_only:
        raise bad_request("reply markup must be an inline keyboard")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "keyboard" must be an Array of Arrays')
        for row in rows:
            for button in row:
                text = button if isinstance(button, str) else None
                if isinstance(button, dict):
                    text = button.get("text")
                if not isinstance(text, str) or not text:
                    raise bad_request("keyboard button text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def inline_keyboard(rows: Any) -> None:
    """Telegram's checks for ``InlineKeyboardMarkup.inline_keyboard``."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")
    for button in buttons:
        if not isinstance(button, dict):
            raise bad_request("can't parse inline keyboard button: InlineKeyboardButton expected")
        text = button.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("can't parse inline keyboard button: Text buttons must be non-empty")
        actions = [key for key in _BUTTON_ACTIONS if button.get(key) is not None]
        if not actions:
            raise bad_request("text buttons are unallowed in the inline keyboard")
        if len(actions) > 1:
            raise bad_request(
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
                raise bad_request("BUTTON_DATA_INVALID")
        elif action == "url":
            url = button["url"]
            if not isinstance(url, str) or not re.fullmatch(r"(?:https?|tg)://[^\s/?#]+\S*", url):
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
        elif action == "web_app":
            url = (
                (button["web_app"] or {}).get("url")
                if isinstance(button["web_app"], dict)
                else None
            )
            if not isinstance(url, str) or not url.startswith("https://"):
                raise bad_request(
                    f"inline keyboard button Web App URL '{url}' is invalid: "
                    "Only HTTPS links are allowed"
                )


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def bot_commands(params: JsonDict) -> list[JsonDict]:
    """``setMyCommands``: at most 100 commands, names ``[a-z0-9_]{1,32}``, descriptions 1-256."""
    commands = params.get("commands")
    if commands is None:
        raise bad_request('parameter "commands" is required')
    if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        name = command.get("command")
        description = command.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return [{"command": c["command"], "description": c["description"]} for c in commands]


def command_scope(params: JsonDict) -> JsonDict | None:
    """The ``scope`` and ``language_code`` of the ``*MyCommands`` methods (the chat of a
    ``chat*`` scope is the emulator's to resolve)."""
    scope = params.get("scope")
    if scope is not None:
        if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
            raise bad_request("unsupported bot command scope type")
        if scope["type"] == "chat_member" and not isinstance(scope.get("user_id"), int):
            raise bad_request("user_id is empty")
    language = params.get("language_code") or ""
    if language and (not isinstance(language, str) or not _LANGUAGE_RE.fullmatch(language)):
        raise bad_request("invalid language code specified")
    return scope
