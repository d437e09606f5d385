"""Rules of the application: consent version, required documents, statuses, limits.

No aiogram here: these are tested without Telegram.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.domain.catalog import Catalog
from bot.domain.validation import age_on
from db.applications import (
    MAX_FILES_PER_APPLICATION,
    MAX_PAGES_PER_KIND,
    Application,
    Consent,
    StatusChange,
)

# Bump when the consent text changes: everyone is asked again before their data is used anew.
CONSENT_VERSION = "2026-11-27"


def consent_is_current(consent: Consent | None) -> bool:
    """Whether the person agreed to the consent text in force now. Everything that processes an
    applicant's data (the form, changes, documents, submitting again) asks this first."""
    return consent is not None and consent.version == CONSENT_VERSION


DOCUMENT_KINDS = ("passport", "certificate", "photo", "medical", "parent_consent")
REQUIRED_DOCUMENTS = ("passport", "certificate", "photo")

STATUSES = ("submitted", "needs_correction", "accepted", "rejected", "enrolled", "withdrawn")
CHANNELS = ("bot", "gosuslugi", "in_person")

# What the applicant may still change themselves.
EDITABLE_STATUSES = ("submitted", "needs_correction")
WITHDRAWABLE_STATUSES = ("submitted", "needs_correction", "accepted")

MAX_FILE_BYTES = 20 * 1024 * 1024  # what a bot can download with getFile
ACCEPTED_MIME_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_PAGES_PER_DOCUMENT = MAX_PAGES_PER_KIND  # files of one document (its pages)
MAX_FILES = MAX_FILES_PER_APPLICATION  # files of one application in all

# An applicant may withdraw their application this many times in a day (submitting again is
# always possible, so nobody is stuck withdrawn); each change is a message to the staff.
MAX_WITHDRAWALS = 3
WITHDRAWAL_WINDOW = timedelta(hours=24)
# The staff hear of an applicant's own changes this long after one; further changes in the
# meantime join that message.
STAFF_EVENT_DELAY = timedelta(minutes=2)
# Files sent to the staff at a time: with the post of a new application, and for one press of
# «📎 Documents» on its card (a group chat takes 20 messages a minute).
DOCUMENTS_PAGE = 10


def next_withdrawal_at(history: Iterable[StatusChange], now: datetime) -> datetime | None:
    """``None`` if the applicant may withdraw now, else the moment they may again: after
    ``MAX_WITHDRAWALS`` of their own withdrawals within ``WITHDRAWAL_WINDOW``."""
    recent = sorted(
        change.changed_at
        for change in history
        if change.status == "withdrawn"
        and change.actor_id is None
        and change.changed_at > now - WITHDRAWAL_WINDOW
    )
    if len(recent) < MAX_WITHDRAWALS:
        return None
    return recent[-MAX_WITHDRAWALS] + WITHDRAWAL_WINDOW


def file_cap_reached(kinds: Iterable[str], kind: str) -> str | None:
    """Whether one more file of ``kind`` passes a cap, given the kinds of the files already
    there: ``"kind"`` (the pages of that document), ``"total"`` (all files), or ``None``."""
    kinds = list(kinds)
    if kinds.count(kind) >= MAX_PAGES_PER_DOCUMENT:
        return "kind"
    if len(kinds) >= MAX_FILES:
        return "total"
    return None


def needs_medical(catalog: Catalog, codes: list[str] | tuple[str, ...]) -> bool:
    """A medical certificate is asked for when any chosen specialty requires it."""
    return any(
        (s := catalog.specialty(code)) is not None and s.medical_certificate for code in codes
    )


def document_steps(catalog: Catalog, codes: list[str] | tuple[str, ...], minor: bool) -> list[str]:
    """The documents the form asks for, in order; required ones first."""
    steps = list(REQUIRED_DOCUMENTS)
    if needs_medical(catalog, codes):
        steps.append("medical")
    if minor:
        steps.append("parent_consent")
    return steps


def missing_documents(catalog: Catalog, application: Application) -> list[str]:
    data = application.data
    return missing_kinds(
        catalog, data.specialties, data.minor, {d.kind for d in application.documents}
    )


def missing_kinds(
    catalog: Catalog, codes: tuple[str, ...], minor: bool, have: Iterable[str]
) -> list[str]:
    """The documents the form asks for that no file is uploaded of, in the form's order."""
    present = set(have)
    return [kind for kind in document_steps(catalog, codes, minor) if kind not in present]


def surname_initials(full_name: str) -> str:
    """«Иванова А. С.» for «Иванова Анна Сергеевна»: enough to tell people apart in a list."""
    words = full_name.split()
    return " ".join(words[:1] + [f"{name[0]}." for name in words[1:]])


@dataclass(frozen=True, slots=True)
class Position:
    specialty_code: str
    place: int | None  # None: not ranked (withdrawn, rejected)
    total: int
    budget_places: int | None


def is_minor(birth_date: date, today: date) -> bool:
    return age_on(birth_date, today) < 18


# Under 14 a child does not act on their own (ГК РФ ст. 28): a parent or legal representative
# applies for them and gives the consent to personal-data processing.
REPRESENTATIVE_AGE = 14


def representative_applies(birth_date: date, today: date) -> bool:
    """Whether the application must be made by a parent or legal representative."""
    return age_on(birth_date, today) < REPRESENTATIVE_AGE


def score_text(score: Decimal) -> str:
    return f"{score:.2f}"
