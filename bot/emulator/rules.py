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
from typing import Any

from bot.emulator.entities import check_entities, parse_html, utf16_len
from bot.emulator.errors import bad_request

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
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"

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
        check_entities(text, entities)
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


def media_group(params: JsonDict) -> list[JsonDict]:
    """``sendMediaGroup``: 2-10 items; documents and audio only with their own kind."""
    media = params.get("media")
    if not isinstance(media, list) or not all(isinstance(m, dict) for m in media):
        raise bad_request("can't parse media JSON object")
    if not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media specified: must include 2-10 items")
    kinds = {item.get("type") for item in media}
    if not kinds <= {"photo", "video", "document", "audio"}:
        raise bad_request("unsupported media type in the media group")
    for lonely in ("document", "audio"):
        if lonely in kinds and len(kinds) > 1:
            raise bad_request(f"{lonely} can't be mixed with other media types")
    for item in media:
        if item.get("media") in (None, ""):
            raise bad_request("there is no media in the request")
        caption(item)
    return media


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


# --------------------------------------------------------------------------------------------
# Every stateless rule of a method
# --------------------------------------------------------------------------------------------

# Methods that send one file, and the parameter that carries it.
FILE_PARAMETERS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendAnimation": "animation",
    "sendVoice": "voice",
}


def required_chat(params: JsonDict, key: str = "chat_id") -> None:
    value = params.get(key)
    if value is None or value == "":
        raise bad_request(f"{key} is empty")


def required_int(params: JsonDict, key: str, *, missing: str) -> int:
    value = params.get(key)
    if value is None or value == "":
        raise bad_request(missing)
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request(f"invalid {key} specified")
    return value


def _message_id(params: JsonDict) -> None:
    required_int(params, "message_id", missing="message identifier is not specified")


def check_request(method: str, params: JsonDict, files: dict[str, Any] | None = None) -> None:
    """Apply every rule of ``method`` that does not depend on the chat; raise :class:`ApiError`.

    ``params`` are the decoded parameters (nested objects as dicts and lists); ``files`` the
    uploaded parts of a multipart request (a recording session leaves them in ``params``). The
    emulator calls this for each request before the method's own checks of the chat; the
    handler tests' recording session calls only this.
    """
    files = files or {}
    if method == "sendMessage":
        required_chat(params)
        message_text(params)
        reply_markup(params.get("reply_markup"))
    elif method == "editMessageText":
        message_text(params)
        reply_markup(params.get("reply_markup"), inline_only=True)
    elif method == "editMessageCaption":
        caption(params)
        reply_markup(params.get("reply_markup"), inline_only=True)
    elif method == "editMessageReplyMarkup":
        reply_markup(params.get("reply_markup"), inline_only=True)
    elif method in FILE_PARAMETERS:
        required_chat(params)
        kind = FILE_PARAMETERS[method]
        if params.get(kind, files.get(kind)) in (None, ""):
            raise bad_request(f"there is no {kind} in the request")
        caption(params)
        reply_markup(params.get("reply_markup"))
    elif method == "sendMediaGroup":
        required_chat(params)
        media_group(params)
    elif method in ("copyMessage", "forwardMessage"):
        required_chat(params)
        required_chat(params, "from_chat_id")
        _message_id(params)
        if method == "copyMessage":
            caption(params)
            reply_markup(params.get("reply_markup"))
    elif method == "deleteMessage":
        required_chat(params)
        _message_id(params)
    elif method == "deleteMessages":
        required_chat(params)
        ids = params.get("message_ids")
        if (
            not isinstance(ids, list)
            or not 1 <= len(ids) <= 100
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        ):
            raise bad_request("message_ids must be a list of 1-100 message identifiers")
    elif method == "answerCallbackQuery":
        callback_answer(params)
    elif method == "sendChatAction":
        required_chat(params)
        chat_action(params)
    elif method == "setMyCommands":
        bot_commands(params)
        command_scope(params)
    elif method in ("getMyCommands", "deleteMyCommands"):
        command_scope(params)
