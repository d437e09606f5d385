"""Deep links: ``https://t.me/<bot>?start=<payload>`` opens the bot straight on a card.

A payload is at most 64 characters of ``A-Za-z0-9_-`` (Telegram's rule). Its parts are
joined by ``_`` (no reference below contains one):

    go[_s<N>]               the main menu
    sp_<code>[_s<N>]        a specialty: its FGOS code without the dots, ``sp_220208``
    co_<id>[_s<N>]          a college: its id, ``co_ntpts``
    ev_<id>[_s<N>]          an event: its id
    in_<token>              a registration's check-in code (the personal QR code)

``s<N>`` is a source label of the poster (``«школа 37»``, stored with its number N): it is
recorded with each new user who comes through it. ``staff_<token>`` (an invite) is not
parsed here: the invite router takes it first. Pure module: no aiogram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PAYLOAD_MAX = 64
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
_CODE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{2})$")
_DIGITS = re.compile(r"^(\d{2})(\d{2})(\d{2})$")
_TOKEN = re.compile(r"^[A-Za-z0-9-]{8,40}$")
_SOURCE = re.compile(r"^s([1-9]\d{0,8})$")


class LinkKind(StrEnum):
    menu = "go"
    specialty = "sp"
    college = "co"
    event = "ev"
    checkin = "in"


@dataclass(frozen=True, slots=True)
class Link:
    kind: LinkKind
    ref: str = ""  # a specialty code (with its dots), a college or event id, a token
    source: int | None = None


def payload(kind: LinkKind, ref: str = "", source: int | None = None) -> str:
    """The /start payload of a link; ``ValueError`` for a reference that cannot be one."""
    parts = [kind.value]
    if kind is LinkKind.specialty:
        match = _CODE.match(ref)
        if match is None:
            raise ValueError(f"{ref!r} is not a specialty code NN.NN.NN")
        parts.append("".join(match.groups()))
    elif kind in (LinkKind.college, LinkKind.event):
        if not _SLUG.match(ref):
            raise ValueError(f"{ref!r} is not an id")
        parts.append(ref)
    elif kind is LinkKind.checkin:
        if not _TOKEN.match(ref):
            raise ValueError("not a check-in token")
        parts.append(ref)
    if source is not None:
        if kind is LinkKind.checkin:
            raise ValueError("a check-in code carries no source")
        parts.append(f"s{source}")
    text = "_".join(parts)
    if not _PAYLOAD.match(text):
        raise ValueError(f"payload {text!r} is longer than {PAYLOAD_MAX} characters")
    return text


def parse_payload(text: str | None) -> Link | None:
    """The link a /start payload stands for; ``None`` for anything else (a plain /start, an
    invite, a payload of another version)."""
    if not text or not _PAYLOAD.match(text):
        return None
    head, *rest = text.split("_")
    try:
        kind = LinkKind(head)
    except ValueError:
        return None
    ref = ""
    if kind is not LinkKind.menu:
        if not rest:
            return None
        ref, *rest = rest
        if kind is LinkKind.specialty:
            match = _DIGITS.match(ref)
            if match is None:
                return None
            ref = ".".join(match.groups())
        elif kind is LinkKind.checkin:
            return Link(kind, ref) if _TOKEN.match(ref) and not rest else None
        elif not _SLUG.match(ref):
            return None
    source = None
    if rest:
        match = _SOURCE.match(rest[0]) if len(rest) == 1 else None
        if match is None:
            return None
        source = int(match.group(1))
    return Link(kind, ref, source)


def link_url(bot_username: str, start: str) -> str:
    return f"https://t.me/{bot_username}?start={start}"
