"""The campaign's closing steps, as rules. No aiogram here.

A ranking list published to its applicants: the next publication tells only those whose place
changed (or who are new in it). An enrolment order: pre-selected from the ranking, best first,
those who may be enrolled (documents accepted, the original certificate received), as many as
the state-funded places left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.review import TRANSITIONS, Decision
from db.applications import RankingEntry


def moved(previous: Mapping[int, int], ranking: Sequence[RankingEntry]) -> list[RankingEntry]:
    """The entries whose place differs from the one last published (``previous``: application
    id → place), new ones included, in ranking order."""
    return [
        entry
        for place, entry in enumerate(ranking, start=1)
        if previous.get(entry.application_id) != place
    ]


def may_enrol(entry: RankingEntry) -> bool:
    """Whether the state machine allows an enrolment from the entry's status (documents
    accepted)."""
    return Decision.enroll in TRANSITIONS.get(entry.status, {})


def places_left(budget: int | None, enrolled: int) -> int | None:
    """The state-funded places not yet taken by an order; None: the places are not known."""
    return None if budget is None else max(budget - enrolled, 0)


def preselected(ranking: Sequence[RankingEntry], left: int | None) -> list[int]:
    """The ids an order starts with: best first, those who may be enrolled and whose original
    certificate is received, up to the places left (none when those are not known: the staff
    choose)."""
    if not left:
        return []
    chosen = [e.application_id for e in ranking if may_enrol(e) and e.original_received]
    return chosen[:left]
