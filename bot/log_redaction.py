"""Secrets never reach the log: a filter that takes the bot token out of every record.

The token is part of every Bot API address (``…/bot<TOKEN>/sendMessage``,
``…/file/bot<TOKEN>/photos/1.jpg``), and libraries put addresses into their errors: aiohttp's
``ClientResponseError`` prints its URL, so a failed file download writes the token into the
message and the traceback of whoever logs it. The filter works on the record itself, whatever
the library that raised and whatever the formatter (text or JSON): the message with its
arguments, the traceback, the stack, and any ``extra`` field.

Attach it to every handler (``Handler.addFilter``): a filter on a logger does not see the
records of its child loggers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["REDACTED", "SecretFilter", "secret_forms"]

REDACTED = "<redacted>"
# A secret part shorter than this is not hunted alone: it would match ordinary words.
MIN_SECRET_PART = 8

# Attributes every LogRecord has; anything else came in through ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}
_FORMATTER = logging.Formatter()


def secret_forms(token: str) -> list[str]:
    """Every form of a bot token that may appear in a log line, the longest first: as is,
    URL-encoded (``123%3AABC``, either case), and its secret part alone (the part after the
    colon: whoever has it and the public bot id has the token, and an id and a secret
    logged apart are still a leak)."""
    forms = {token}
    encoded = quote(token, safe="")
    forms |= {encoded, encoded.replace("%3A", "%3a")}
    _bot_id, colon, secret = token.partition(":")
    if colon and len(secret) >= MIN_SECRET_PART:
        forms.add(secret)
    return sorted((f for f in forms if f), key=len, reverse=True)


class SecretFilter(logging.Filter):
    """Replaces every form of the given secrets in a record with ``<redacted>``; never drops
    a record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms = sorted(
            {form for secret in secrets if secret for form in secret_forms(secret)},
            key=len,
            reverse=True,
        )
        self._pattern = re.compile("|".join(map(re.escape, forms))) if forms else None

    def redact(self, text: str) -> str:
        return text if self._pattern is None else self._pattern.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the message: keep both, redacted
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info:
            # Rendered now and kept as text: formatters (the JSON one too) use ``exc_text``
            # when ``exc_info`` is gone, and nothing renders the raw exception again.
            if not record.exc_text:
                record.exc_text = _FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key in _STANDARD or value is None or isinstance(value, (bool, int, float)):
                continue
            try:
                text = value if isinstance(value, str) else str(value)
            except Exception:  # an object that cannot say what it is holds no token either
                continue
            clean = self.redact(text)
            if clean != text:
                setattr(record, key, clean)
        return True
