"""How a typed answer is taken into the draft: one function per typed step, calling its parser
of ``bot/domain/validation.py`` (which raises ``Invalid``), and what it says or asks next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aiogram.fsm.state import State
from aiogram.utils.i18n import gettext as _

from bot.domain.applications import is_minor, representative_applies
from bot.domain.draft import Draft
from bot.domain.validation import (
    is_skip,
    parse_birth_date,
    parse_email,
    parse_full_name,
    parse_phone,
    parse_score,
    score_is_low,
)
from handlers.states import Apply
from handlers.ui import fmt_phone


@dataclass(frozen=True)
class Taken:
    """A typed answer taken into the draft."""

    draft: Draft
    said: str | None = None  # told at once, in a message of its own
    detour: State | None = None  # asked instead of the next step (a low score to confirm)


def take_full_name(draft: Draft, text: str, today: date) -> Taken:
    return Taken(draft.model_copy(update={"full_name": parse_full_name(text)}))


def take_birth_date(draft: Draft, text: str, today: date) -> Taken:
    """The date of birth; under 18 is derived from it (a parent's consent is needed), under 14
    the representative confirms first that they apply."""
    birth = parse_birth_date(text, today)
    if representative_applies(birth, today) and not draft.representative:
        # Under 14 nobody applies alone (ГК РФ ст. 28): the representative confirms first.
        return Taken(
            draft.model_copy(update={"pending_birth_date": birth}), detour=Apply.representative
        )
    minor = is_minor(birth, today)
    draft = draft.model_copy(update={"birth_date": birth, "minor": minor})
    if minor:
        return Taken(draft, said=minor_notice())
    return Taken(draft)


def minor_notice() -> str:
    return _(
        "You are under 18, so a parent or legal representative also signs a consent to the "
        "processing of your data. You can send a photo of it with the documents, or the college "
        "will ask for it."
    )


def take_phone(draft: Draft, text: str, today: date) -> Taken:
    phone = parse_phone(text)
    said = _("Phone number: {phone} ✅").format(phone=fmt_phone(phone))
    return Taken(draft.model_copy(update={"phone": phone}), said=said)


def take_email(draft: Draft, text: str, today: date) -> Taken:
    email = "" if is_skip(text) else parse_email(text)
    return Taken(draft.model_copy(update={"email": email}))


def take_score(draft: Draft, text: str, today: date) -> Taken:
    score = parse_score(text)
    if score_is_low(score):
        return Taken(draft.model_copy(update={"pending_score": score}), detour=Apply.score_confirm)
    return Taken(draft.model_copy(update={"average_score": score, "pending_score": None}))
