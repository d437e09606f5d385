"""Student groups: how a group typed by a student (or by the staff) is matched to the groups a
college knows, forgivingly.

Two spellings are one group when they differ only in case, spaces, dashes or underscores, ё/е,
or Latin letters that look like Cyrillic ones («MП-26-1» with a Latin M is «МП-26-1»):
:func:`group_key`. A spelling one letter or digit away from a known group is offered as
«did you mean…?», never taken silently (МП-26-2 may be a real group not loaded yet).

Pure module: no aiogram, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from rapidfuzz.distance import Levenshtein

GROUP_MAX = 20
MAX_SUGGESTIONS = 3

# Latin letters that look like Cyrillic ones, upper case (the key is taken after upper()).
_LOOKALIKES = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_GROUP = re.compile(r"[\w\- ]+")


class Named(Protocol):
    @property
    def name(self) -> str: ...


G = TypeVar("G", bound=Named)


def clean_group(text: str) -> str | None:
    """A group as typed, tidied: upper case, single spaces, one kind of dash. None when it
    cannot be a group (empty, too long, other characters)."""
    group = _DASHES.sub("-", " ".join(unicodedata.normalize("NFKC", text).split())).upper()
    if not group or len(group) > GROUP_MAX or not _GROUP.fullmatch(group):
        return None
    return group if any(ch.isalnum() for ch in group) else None


def group_key(text: str) -> str:
    """What two spellings of one group share: letters and digits only, upper case, Latin
    look-alikes as Cyrillic, Ё as Е."""
    folded = unicodedata.normalize("NFKC", text).upper().translate(_LOOKALIKES)
    return "".join(ch for ch in folded.replace("Ё", "Е") if ch.isalnum())


@dataclass(frozen=True, slots=True)
class GroupMatch(Generic[G]):
    """``exact``: the group as typed (up to case and spaces); else ``suggestions`` to offer
    («did you mean…?»), closest first; neither: a group the college has not listed."""

    exact: G | None
    suggestions: list[G]


def match_group(typed: str, groups: Sequence[G]) -> GroupMatch[G]:
    cleaned = clean_group(typed) or " ".join(typed.split()).upper()
    for group in groups:
        if group.name == cleaned:
            return GroupMatch(group, [])
    key = group_key(typed)
    same = [g for g in groups if group_key(g.name) == key]
    if same:
        return GroupMatch(None, same[:MAX_SUGGESTIONS])
    if len(key) < 3:
        return GroupMatch(None, [])
    near = sorted(
        (
            (distance, group.name, group)
            for group in groups
            if (distance := Levenshtein.distance(key, group_key(group.name), score_cutoff=1)) <= 1
        ),
        key=lambda item: (item[0], item[1]),
    )
    return GroupMatch(None, [group for _d, _n, group in near[:MAX_SUGGESTIONS]])
