"""Rules of the application: consent version, required documents, statuses, limits.

No aiogram here: these are tested without Telegram.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.domain.catalog import Catalog
from bot.domain.consent import versioned
from bot.domain.validation import age_on
from db.applications import (
    MAX_FILES_PER_APPLICATION,
    MAX_PAGES_PER_KIND,
    Application,
    ApplicationData,
    Consent,
    FieldChange,
    StatusChange,
)

# Bump when the consent text changes: everyone is asked again before their data is used anew.
CONSENT_VERSION = "2026-11-28"


def consent_version(catalog: Catalog) -> str:
    """The version of the consent in force: its text's, and the operators it names."""
    return versioned(CONSENT_VERSION, catalog)


def consent_is_current(consent: Consent | None, catalog: Catalog) -> bool:
    """Whether the person agreed to the consent in force now (its text, and the operators the
    catalogue names). Everything that processes an applicant's data (the form, changes,
    documents, submitting again) asks this first."""
    return consent is not None and consent.version == consent_version(catalog)


DOCUMENT_KINDS = ("passport", "certificate", "photo", "medical", "parent_consent")
# Everyone's documents; each may be sent later (after submitting, from «My application»), but
# the college needs them all before enrolment.
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


def next_document(kinds: list[str], current: str, have: Iterable[str]) -> str | None:
    """The document asked after ``current``: the first one after it in ``kinds`` that has no
    file yet; ``None`` when none is left (on to the review)."""
    have = set(have)
    after = kinds[kinds.index(current) + 1 :] if current in kinds else kinds
    return next((kind for kind in after if kind not in have), None)


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


# --- what an applicant changed ----------------------------------------------------------------

# The fields an applicant changes, in the order a list of changes shows them.
CHANGE_FIELDS = (
    "full_name",
    "birth_date",
    "phone",
    "email",
    "education_base",
    "average_score",
    "specialties",
    "dormitory",
    "channel",
)
DOCUMENT_CHANGE = "document:"  # the field of files added: «document:passport»


def raw_value(data: ApplicationData, field: str) -> str | None:
    """A field's value as stored in a change: ISO dates, E.164 phones, codes, «1»/«0»."""
    value = getattr(data, field)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(value) or None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return score_text(value)
    return str(value)


def data_changes(old: ApplicationData, new: ApplicationData) -> list[FieldChange]:
    """What differs between two versions of the answers, field by field."""
    changes = []
    for field in CHANGE_FIELDS:
        before, after = raw_value(old, field), raw_value(new, field)
        if before != after:
            changes.append(FieldChange(field, before, after))
    return changes


def documents_added(kinds: Iterable[str]) -> list[FieldChange]:
    """Files added, as changes: one per document with the number of its new files."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return [FieldChange(DOCUMENT_CHANGE + kind, None, str(n)) for kind, n in counts.items()]


def collapsed(changes: Iterable[FieldChange]) -> list[FieldChange]:
    """Many changes as few: one per field, from its first old value to its last new one (a
    field changed back is left out); the files added to each document summed. Fields first,
    in ``CHANGE_FIELDS`` order, then the documents."""
    first: dict[str, FieldChange] = {}
    last: dict[str, FieldChange] = {}
    files: dict[str, int] = {}
    for change in changes:
        if change.field.startswith(DOCUMENT_CHANGE):
            kind = change.field.removeprefix(DOCUMENT_CHANGE)
            files[kind] = files.get(kind, 0) + int(change.new or 0)
            continue
        first.setdefault(change.field, change)
        last[change.field] = change
    result = [
        FieldChange(field, first[field].old, last[field].new)
        for field in CHANGE_FIELDS
        if field in first and first[field].old != last[field].new
    ]
    result += [FieldChange(DOCUMENT_CHANGE + kind, None, str(n)) for kind, n in files.items()]
    return result
