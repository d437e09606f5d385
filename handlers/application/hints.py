"""The hints of the form's typed answers, by the error code their parser raises."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.validation import AGE_MIN
from handlers.ui import fmt_score, h

Hint = Callable[[Mapping[str, object]], str]


def _count(value: object) -> int:
    """A number among an error's parameters, for the plural form of its hint."""
    return value if isinstance(value, int) else 0


NAME_HINTS: dict[str, Hint] = {
    "name_empty": lambda p: _("Please type your full name."),
    "name_chars": lambda p: _(
        "The name can contain only letters, spaces, hyphens and apostrophes; "
        "«{char}» is not allowed."
    ).format(char=h(str(p.get("char", "")))),
    "name_words": lambda p: _(
        "Please type your surname, first name and patronymic (if you have one): from 2 to 4 words."
    ),
    "name_length": lambda p: ngettext(
        "The name is too long: at most {max} character.",
        "The name is too long: at most {max} characters.",
        _count(p.get("max")),
    ).format(max=p.get("max")),
    "name_punctuation": lambda p: _(
        "A hyphen or an apostrophe may only join letters, as in «Rimsky-Korsakov»."
    ),
    "name_mixed_alphabet": lambda p: _(
        "A word mixes Russian and Latin letters. Please type the name in one alphabet."
    ),
}
DATE_HINTS: dict[str, Hint] = {
    "date_format": lambda p: _("Please type the date as DD.MM.YYYY, for example 05.03.2010."),
    "date_unreal": lambda p: _("There is no such date. Please check the day and the month."),
    "date_future": lambda p: _("This date is in the future. Please check the year."),
    "age_range": lambda p: age_hint(_count(p.get("age"))),
}


def age_hint(age: int) -> str:
    """Why an age is not taken: too young for a college, or a year that looks mistyped."""
    if age < AGE_MIN:
        return ngettext(
            "By this date you are {age} year old. Colleges admit after 9 classes, usually at "
            "15 or 16. Please check the year of birth.",
            "By this date you are {age} years old. Colleges admit after 9 classes, usually at "
            "15 or 16. Please check the year of birth.",
            age,
        ).format(age=age)
    return ngettext(
        "By this date you are {age} year old: that looks like a mistyped year. Please check "
        "it. If it is right, please apply at the college in person.",
        "By this date you are {age} years old: that looks like a mistyped year. Please check "
        "it. If it is right, please apply at the college in person.",
        age,
    ).format(age=age)


PHONE_HINTS: dict[str, Hint] = {
    "phone_format": lambda p: _(
        "Please type a phone number like +7 913 123-45-67 or 8 913 123 45 67, "
        "or press «Share my number»."
    ),
    "phone_invalid": lambda p: _("This number does not exist. Please check the digits."),
    "phone_not_russian": lambda p: _("Please give a Russian phone number (+7, 10 digits)."),
}
EMAIL_HINTS: dict[str, Hint] = {
    "email": lambda p: _(
        "This does not look like an e-mail address (name@example.ru). Please type it again."
    ),
}
SCORE_HINTS: dict[str, Hint] = {
    "score_format": lambda p: _(
        "Please type the average score as a number, for example {score}."
    ).format(score=fmt_score("4.25")),
    "score_range": lambda p: _("The average score is from {min} to {max}.").format(
        min=fmt_score(str(p.get("min", "2.00"))), max=fmt_score(str(p.get("max", "5.00")))
    ),
    "score_decimals": lambda p: _(
        "The certificate gives the average score with two decimals at most. Please type it "
        "rounded: {score}."
    ).format(score=fmt_score(str(p.get("rounded", "0")))),
}
