"""Texts of the catalogue's honesty rules, shared by the screens that show specialties.

What is not known is said so, in the same words everywhere: a specialty whose membership of
the cluster is not confirmed (the list, the card, the form's choice), a filter's unknown group,
the source of a fact, and the operators of personal data named in the consent.
"""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.catalog import Catalog, Specialty
from handlers.ui import current_language, h, unknown

# Marks a specialty whose membership of the cluster is not confirmed, in lists of buttons.
UNCONFIRMED_MARK = "❔"


def button_label(specialty: Specialty) -> str:
    return f"{specialty.code} · {specialty.short_name.get(current_language())}"


def choice_label(specialty: Specialty) -> str:
    """A button of a list applicants choose from: unconfirmed ones carry the mark."""
    label = button_label(specialty)
    return label if specialty.confirmed else f"{UNCONFIRMED_MARK} {label}"


def membership_note() -> str:
    """The card's one line for a specialty not confirmed as the cluster's."""
    return _("Whether this specialty is part of the cluster is being confirmed.")


def unconfirmed_legend(count: int) -> str:
    """Under a list with marked buttons: what the mark means, and how many carry it."""
    return ngettext(
        "{mark} {count} specialty: whether it is part of the cluster is being confirmed.",
        "{mark} {count} specialties: whether they are part of the cluster is being confirmed.",
        count,
    ).format(mark=UNCONFIRMED_MARK, count=count)


def unknown_group_line(college: str, base: int, count: int) -> str:
    """A filter's unknown group: neither a match nor hidden, listed after the matches."""
    if college and base:
        text = ngettext(
            "College or education base still being confirmed: {count} (listed after the matches).",
            "College or education base still being confirmed: {count} (listed after the matches).",
            count,
        )
    elif college:
        text = ngettext(
            "College still being confirmed: {count} (listed after the matches).",
            "College still being confirmed: {count} (listed after the matches).",
            count,
        )
    else:
        text = ngettext(
            "Education base still being confirmed: {count} (listed after the matches).",
            "Education base still being confirmed: {count} (listed after the matches).",
            count,
        )
    return text.format(count=count)


def choice_notes(specialties: list[Specialty]) -> list[str]:
    """What an applicant reads before choosing among ``specialties`` in the form: which are
    not confirmed as the cluster's (they may still be chosen), and that the education base of
    some is not known yet. Empty when everything is known."""
    notes = []
    unconfirmed = [s.code for s in specialties if not s.confirmed]
    confirmed = [s.code for s in specialties if s.confirmed]
    if unconfirmed and len(unconfirmed) > 3 and confirmed:
        # Most are not confirmed yet: name the few that are, not a line of a dozen codes.
        notes.append(
            _(
                "{mark} Whether the specialties other than {codes} are part of the cluster is "
                "being confirmed; you can still choose any of them."
            ).format(mark=UNCONFIRMED_MARK, codes=", ".join(confirmed))
        )
    elif unconfirmed:
        notes.append(
            ngettext(
                "{mark} Whether {codes} is part of the cluster is being confirmed; you can "
                "still choose it.",
                "{mark} Whether these specialties are part of the cluster is being confirmed: "
                "{codes}. You can still choose them.",
                len(unconfirmed),
            ).format(mark=UNCONFIRMED_MARK, codes=", ".join(unconfirmed))
        )
    if any(not s.education_base for s in specialties):
        notes.append(
            _(
                "For some specialties it is not yet confirmed whether they admit after 9 or "
                "after 11 classes."
            )
        )
    return notes


def field_labels() -> dict[str, str]:
    """The names of a specialty's fields, as on its card, in the card's order."""
    return {
        "code": _("Code and name"),
        "qualification": _("Qualification"),
        "colleges": _("Where"),
        "education_base": _("Admission"),
        "duration": _("Duration"),
        "form_of_study": _("Form of study"),
        "budget_places": _("State-funded places"),
        "entrance_tests": _("Entrance tests"),
        "medical_certificate": _("Medical certificate"),
        "new_programme": _("New programme"),
    }


def source_name(catalog: Catalog, source: str) -> str:
    """A source as the user reads it: its English name for an English-speaking user where the
    catalogue gives one (``source_names``), else as written."""
    if current_language() == "en":
        return catalog.source_names.get(source, source)
    return source


def source_lines(specialty: Specialty, catalog: Catalog) -> list[str]:
    """«Source: …» of the card, and the source of each field that has its own."""
    lines = []
    if specialty.source:
        lines.append(
            _("<i>Source: {source}</i>").format(source=h(source_name(catalog, specialty.source)))
        )
    for field, label in field_labels().items():
        if field in specialty.sources:
            lines.append(
                _("<i>{field} — source: {source}</i>").format(
                    field=label, source=h(source_name(catalog, specialty.sources[field]))
                )
            )
    return lines


def operator_lines(catalog: Catalog) -> list[str]:
    """The operators of personal data for the consent (152-ФЗ ст. 9 ч. 4): each college of
    the cluster with its full name and address, «to be confirmed» until the catalogue has
    them."""
    lang = current_language()
    lines = []
    for college in catalog.colleges:
        if college.legal_name:
            name = h(college.legal_name.get(lang))
        else:
            name = _("{name} (the full official name is being confirmed)").format(
                name=h(college.name.get(lang))
            )
        lines.append(
            _("• {name}; address: {address}").format(
                name=name, address=h(college.address) if college.address else unknown()
            )
        )
    return lines
