"""Text lengths as Telegram counts them. No aiogram here.

Telegram measures every text limit (4096 for a message, 1024 for a caption, 200 for the text
of a callback answer) in UTF-16 code units, after the HTML of ``parse_mode=HTML`` is parsed:
the tags do not count, ``&lt;`` counts as one. Python's ``len`` counts code points, so an
emoji (two UTF-16 units: a surrogate pair) counts once in Python and twice for Telegram; a
text of 3000 emoji passes ``len(text) <= 4096`` and is refused. Every limit in the bot is
measured with these helpers.
"""

from __future__ import annotations

import re

__all__ = [
    "CALLBACK_ANSWER_LIMIT",
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "plain_text",
    "telegram_length",
    "truncate_utf16",
    "utf16_length",
]

MESSAGE_LIMIT = 4096  # sendMessage text, editMessageText
CAPTION_LIMIT = 1024  # sendPhoto, sendDocument captions (Premium users may send more; bots not)
CALLBACK_ANSWER_LIMIT = 200  # answerCallbackQuery text

_TAG = re.compile(r"<[^>]*>")
# Telegram's HTML knows only these named entities, and every numeric one; anything else
# (``&nbsp;``) stays as typed, so it is not unescaped here either.
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_length(text: str) -> int:
    """The length of ``text`` in UTF-16 code units: what Telegram counts."""
    # surrogatepass: a lone surrogate (from a surrogate-escaped byte) counts as one unit
    # instead of raising.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _unescape(match: re.Match[str]) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code > 0x10FFFF:
        return match.group(0)
    return chr(code)


def plain_text(html_text: str) -> str:
    """The text a reader sees of an HTML message: tags dropped, entities unescaped."""
    return _ENTITY.sub(_unescape, _TAG.sub("", html_text))


def telegram_length(html_text: str) -> int:
    """The length Telegram checks against its limits for a text sent with
    ``parse_mode=HTML``: after entity parsing, in UTF-16 code units."""
    return utf16_length(plain_text(html_text))


def truncate_utf16(text: str, limit: int, ellipsis: str = "…") -> str:
    """Plain ``text`` cut to at most ``limit`` UTF-16 units, ``ellipsis`` included when it is
    cut; never between the two halves of a surrogate pair (an emoji stays whole or goes).

    A text that fits is returned unchanged. Cut text is for plain text only: cut HTML first
    as plain text, then escape it.
    """
    if limit < 0:
        raise ValueError("limit must not be negative")
    if utf16_length(text) <= limit:
        return text
    room = limit - utf16_length(ellipsis)
    if room < 0:  # not even the ellipsis fits: cut without it
        room, ellipsis = limit, ""
    used = 0
    end = 0
    while end < len(text):
        size = 2 if ord(text[end]) > 0xFFFF else 1
        if used + size > room:
            break
        used += size
        end += 1
    # A zero-width joiner left at the end would glue the ellipsis to half an emoji sequence.
    kept = text[:end].rstrip("\u200d")
    return kept + ellipsis
