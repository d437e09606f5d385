"""The staff's decisions on an application, as a state machine. No aiogram here.

One table (``TRANSITIONS``) says, for every status, which decisions the staff may take and the
status each leads to; the card offers those only, and the service refuses any other (a card
left open, or pressed twice, while the application moved on). A paper received keeps the
status (``SAME``); an administrator's cancellation returns to the status before the decision
(``PREVIOUS``), with a reason, if the latest change was a staff decision (not the applicant's
own, not a cancellation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Final

from bot.domain.applications import needs_medical
from bot.domain.catalog import Catalog
from db.applications import Application, StatusChange


class Decision(StrEnum):
    accept = "accept"  # documents accepted
    correct = "correct"  # the applicant is asked to correct something (a comment)
    reject = "reject"  # with a reason
    enroll = "enroll"  # to one of the applicant's specialties, confirmed
    original = "original"  # the original certificate received
    medical = "medical"  # the medical certificate received
    undo = "undo"  # an administrator cancels the latest decision, with a reason


SAME: Final = "same"  # the status stays (a paper received)
PREVIOUS: Final = "previous"  # the status before the decision cancelled

TRANSITIONS: Final[Mapping[str, Mapping[Decision, str]]] = {
    "submitted": {
        Decision.accept: "accepted",
        Decision.correct: "needs_correction",
        Decision.reject: "rejected",
        Decision.original: SAME,
        Decision.medical: SAME,
    },
    # Waiting for the applicant: accepted as it is (brought in person), or rejected; asked
    # again only once they have answered (the status is «submitted» again then).
    "needs_correction": {
        Decision.accept: "accepted",
        Decision.reject: "rejected",
        Decision.original: SAME,
        Decision.medical: SAME,
        Decision.undo: PREVIOUS,
    },
    # Enrolment only from here: the documents are checked first.
    "accepted": {
        Decision.correct: "needs_correction",
        Decision.reject: "rejected",
        Decision.enroll: "enrolled",
        Decision.original: SAME,
        Decision.medical: SAME,
        Decision.undo: PREVIOUS,
    },
    "rejected": {Decision.undo: PREVIOUS},
    # The papers may come after the order (the enrolment warned of them).
    "enrolled": {Decision.original: SAME, Decision.medical: SAME, Decision.undo: PREVIOUS},
    # The applicant's own decision: theirs to change (submitting again).
    "withdrawn": {},
}

# Decisions the applicant is told the reason of: typed by the staff member first.
NEEDS_COMMENT: Final = frozenset({Decision.correct, Decision.reject, Decision.undo})
# Which paper each «received» decision marks (the flag of ``ApplicationRepository``).
PAPERS: Final[Mapping[Decision, str]] = {
    Decision.original: "original_received",
    Decision.medical: "medical_received",
}


def cancellable(history: Sequence[StatusChange]) -> StatusChange | None:
    """The change a cancellation would undo: the latest one, if a staff member made it, it
    is not itself a cancellation, and there is a status before it to return to."""
    if len(history) < 2:
        return None
    latest = history[-1]
    if latest.actor_id is None or latest.undoes is not None or latest.id is None:
        return None
    return latest


def new_status(application: Application, decision: Decision) -> str | None:
    """The status ``decision`` leads to from where the application is now; None if the
    table does not allow it (or, for a cancellation, there is nothing to cancel)."""
    target = TRANSITIONS.get(application.status, {}).get(decision)
    if target is None:
        return None
    if target == SAME:
        return application.status
    if target == PREVIOUS:
        return application.history[-2].status if cancellable(application.history) else None
    return target


def available(application: Application, catalog: Catalog, *, admin: bool) -> list[Decision]:
    """The decisions to offer on the card, in the table's order: the allowed ones, but not a
    paper already received, the medical certificate only where a chosen specialty needs it,
    a cancellation for administrators only."""
    offered = []
    for decision in TRANSITIONS.get(application.status, {}):
        if new_status(application, decision) is None:
            continue
        if decision == Decision.original and application.original_received:
            continue
        if decision == Decision.medical and (
            application.medical_received or not needs_medical(catalog, application.data.specialties)
        ):
            continue
        if decision == Decision.undo and not admin:
            continue
        offered.append(decision)
    return offered


def enrolment_warnings(application: Application, code: str, catalog: Catalog) -> list[str]:
    """What is missing to enrol ``application`` to the specialty ``code``: ``"original"`` (the
    original certificate not received), ``"medical"`` (the specialty needs a medical
    certificate and it is not received)."""
    warnings = []
    if not application.original_received:
        warnings.append("original")
    if needs_medical(catalog, [code]) and not application.medical_received:
        warnings.append("medical")
    return warnings
