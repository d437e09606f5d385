"""Telegram's text formatting: UTF-16 lengths, the HTML ``parse_mode`` and message entities.

Offsets and lengths of entities are in UTF-16 code units, as in the Bot API; a character
outside the Basic Multilingual Plane (most emoji) counts twice. Error descriptions of the HTML
parser are Telegram's (``Bad Request: can't parse entities: ...``) with its byte offsets.

Entities a bot passes explicitly (``entities``/``caption_entities`` instead of ``parse_mode``) are
checked against the text (:func:`check_entities`). Here the emulator is stricter than Telegram,
which silently drops or clips an entity that does not fit: the user would see the message
formatted otherwise than the bot meant, usually because offsets were counted in Python
characters instead of UTF-16 units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.emulator.errors import ApiError, bad_request

JsonDict = dict[str, Any]

INT_RE = re.compile(r"-?\d+")


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


# MessageEntity.type values of the Bot API, and the field each type requires.
ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)
_URL_RE = re.compile(r"(?:https?|tg)://[^\s/?#]+\S*")


def _boundaries(text: str) -> set[int]:
    """UTF-16 offsets that fall between characters (not inside a surrogate pair)."""
    offsets = {0}
    position = 0
    for char in text:
        position += 2 if ord(char) > 0xFFFF else 1
        offsets.add(position)
    return offsets


def check_entities(text: str, entities: list[JsonDict]) -> None:
    """Refuse explicit entities that do not fit ``text`` (see the module docstring)."""
    boundaries = _boundaries(text)
    size = max(boundaries)
    for number, entity in enumerate(entities):
        kind, offset, length = entity["type"], entity["offset"], entity["length"]
        where = f"entity {number} ({kind}, offset {offset}, length {length})"
        if kind not in ENTITY_TYPES:
            raise bad_request(f"can't parse entities: {where} has an unsupported type")
        if offset < 0 or length <= 0 or offset + length > size:
            raise bad_request(
                f"can't parse entities: {where} is outside the text of {size} UTF-16 units"
            )
        if offset not in boundaries or offset + length not in boundaries:
            raise bad_request(f"can't parse entities: {where} splits a character in two")
        if kind == "text_link" and not (
            isinstance(entity.get("url"), str) and _URL_RE.fullmatch(entity["url"])
        ):
            raise bad_request(f"can't parse entities: {where} needs a valid url")
        if kind == "text_mention" and not (
            isinstance(entity.get("user"), dict) and isinstance(entity["user"].get("id"), int)
        ):
            raise bad_request(f"can't parse entities: {where} needs the mentioned user")
        if kind == "custom_emoji" and not INT_RE.fullmatch(str(entity.get("custom_emoji_id"))):
            raise bad_request(f"can't parse entities: {where} needs a custom_emoji_id")
        if kind == "date_time" and not isinstance(entity.get("unix_time"), int):
            raise bad_request(f"can't parse entities: {where} needs a unix_time")
