"""The version a consent is given in: the version of its text, and a mark of the operators it
names. A consent names each operator with its full name and address (152-ФЗ ст. 9 ч. 4); when
the catalogue names other ones (a college added or gone, a full name or an address changed),
the consent given before names the wrong ones, and is asked again before the data is used
anew. No aiogram here."""

from __future__ import annotations

import hashlib

from bot.domain.catalog import Catalog


def operators_mark(catalog: Catalog) -> str:
    """Six hex digits that change with the operators the consents name (in Russian, the
    language of the legal names; a new English rendering changes nothing)."""
    parts = [
        "|".join(
            (
                college.id,
                college.legal_name.ru if college.legal_name else "",
                college.name.ru,
                college.address or "",
            )
        )
        for college in sorted(catalog.colleges, key=lambda c: c.id)
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:6]


def versioned(text_version: str, catalog: Catalog) -> str:
    """The version a consent is given in today: ``2026-11-28+1a2b3c``."""
    return f"{text_version}+{operators_mark(catalog)}"
