"""Callback data: every button's data fits Telegram's 64 bytes and no two factories share a
prefix, whatever the action and however large the ids."""

from __future__ import annotations

import inspect
import itertools
from enum import Enum
from typing import Any, get_type_hints

import pytest
from aiogram.filters.callback_data import CallbackData

from bot.domain.applications import CHANNELS, DOCUMENT_KINDS, STATUSES
from bot.domain.reminders import PREFERENCES
from bot.services.broadcasts import SEGMENT_KINDS
from handlers import callbacks
from handlers.staff.event_editor import EDITED_FIELDS

CALLBACK_DATA_LIMIT = 64  # bytes (DOMAIN.md: callback_data is 1-64 bytes)
COLLEGE_ID = "c" * 16  # the longest id the catalogue accepts (bot/domain/catalog.py)
SPECIALTY_CODE = "22.02.08"
EVENT_ID = "e" * 24  # the longest event id (bot/domain/catalog.py)

# The longest value each text field may carry. A new text field must be listed here: its
# length is a decision, not an accident.
LONGEST_TEXT = {
    "code": SPECIALTY_CODE,
    "college": COLLEGE_ID,
    "spec": SPECIALTY_CODE,
    "status": max(STATUSES, key=len),
    "id": COLLEGE_ID,  # CollegeCb.id
    "kind": max((*DOCUMENT_KINDS, *SEGMENT_KINDS, *PREFERENCES), key=len),
    "value": max(
        (COLLEGE_ID, SPECIALTY_CODE, *CHANNELS, *DOCUMENT_KINDS, *STATUSES, *EDITED_FIELDS),
        key=len,
    ),
    "event": EVENT_ID,
    "ref": EVENT_ID,  # PosterCb: an event id, a college id or a specialty code
}
# The largest number each field may carry: Telegram user ids take up to 52 bits, row ids of
# the database stay far below a billion, pages and list places below ten thousand.
LARGEST_INT = {
    "user": 2**53,
    "id": 10**9,
    "page": 10**4,
    "index": 10**4,
    "base": 11,
    "reg": 10**9,
    "make": 1,
}


def factories() -> list[type[CallbackData]]:
    found = [
        cls
        for _name, cls in inspect.getmembers(callbacks, inspect.isclass)
        if issubclass(cls, CallbackData) and cls is not CallbackData
    ]
    assert len(found) >= 15, "every factory lives in handlers/callbacks.py"
    return found


def candidates(cls: type[CallbackData]) -> list[dict[str, Any]]:
    """Values of every field at their longest: each enum member, the largest int, the longest
    text listed above."""
    hints = get_type_hints(cls)
    choices: dict[str, list[Any]] = {}
    for name in cls.model_fields:
        kind = hints[name]
        if isinstance(kind, type) and issubclass(kind, Enum):
            choices[name] = list(kind)
        elif kind is int:
            assert name in LARGEST_INT, f"{cls.__name__}.{name}: add its largest value"
            choices[name] = [LARGEST_INT[name]]
        elif kind is str:
            assert name in LONGEST_TEXT, f"{cls.__name__}.{name}: add its longest value"
            choices[name] = [LONGEST_TEXT[name]]
        else:
            raise AssertionError(f"{cls.__name__}.{name}: unexpected type {kind!r}")
    names = list(choices)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices.values())]


def test_no_two_factories_share_a_prefix() -> None:
    prefixes = [cls.__prefix__ for cls in factories()]  # type: ignore[attr-defined]
    assert len(prefixes) == len(set(prefixes)), sorted(prefixes)


@pytest.mark.parametrize("cls", factories(), ids=lambda cls: cls.__name__)
def test_every_packed_value_fits_telegrams_64_bytes_and_unpacks_back(
    cls: type[CallbackData],
) -> None:
    for values in candidates(cls):
        packed = cls(**values).pack()
        assert len(packed.encode("utf-8")) <= CALLBACK_DATA_LIMIT, (cls.__name__, packed)
        assert cls.unpack(packed) == cls(**values)


def test_an_unknown_action_is_not_understood() -> None:
    """An old button whose action no longer exists is refused by the filter (the fallback then
    says the button is out of date), not handled as something else."""
    with pytest.raises(ValueError):
        callbacks.MyAppCb.unpack("ma:no_such_action:")
