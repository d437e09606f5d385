"""Students' registration: the consent it needs (152-ФЗ).

A student gives the Telegram id (the bot has it anyway), the college, the group and, through
the group, the specialty: with the id these identify a person, so they are personal data. The
project's rule for personal data is a separate consent, its text versioned, given before
anything is stored; so a short consent screen of its own comes before the college is asked,
and its version is stored with the registration (students.consent_version). A new version of
the text is asked for at the next visit to «My work placement»; declining it removes the
registration. Leaving («I have graduated or left») removes it at once.

Pure module: no aiogram, no database.
"""

from __future__ import annotations

from bot.domain.catalog import Catalog
from bot.domain.consent import versioned

# Change it with the text of the students' consent (handlers/student/screens.py consent_text).
STUDENT_CONSENT_VERSION = "2026-11-27"


def student_consent_version(catalog: Catalog) -> str:
    """The version of the students' consent in force: its text's and the operators'."""
    return versioned(STUDENT_CONSENT_VERSION, catalog)


def consent_current(version: str | None, catalog: Catalog) -> bool:
    return version == student_consent_version(catalog)
