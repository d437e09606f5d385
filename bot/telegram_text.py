"""How Telegram measures a message: its length after the HTML entities are parsed, in UTF-16
code units (an emoji outside the Basic Multilingual Plane counts twice)."""

from __future__ import annotations

import re
from html import unescape

MESSAGE_LIMIT = 4096  # characters of a message text, after entity parsing
CAPTION_LIMIT = 1024

_TAG = re.compile(r"<[^>]*>")


def telegram_length(html_text: str) -> int:
    """The length Telegram checks against its limits for a ``parse_mode=HTML`` text."""
    plain = unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2
