"""Validation of what an applicant types into the application form.

Every parser returns the normalised value or raises :class:`Invalid` with a stable
``code`` (and ``params`` for the hint); handlers map the codes to localized hints.
No aiogram imports here: these are pure functions.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import phonenumbers
from email_validator import EmailNotValidError, validate_email

__all__ = [
    "AGE_MAX",
    "AGE_MIN",
    "NAME_MAX",
    "NAME_WORDS_MAX",
    "NAME_WORDS_MIN",
    "SCORE_LOW",
    "SCORE_MAX",
    "SCORE_MIN",
    "SKIP_WORDS",
    "Invalid",
    "age_on",
    "is_skip",
    "parse_birth_date",
    "parse_email",
    "parse_full_name",
    "parse_phone",
    "parse_score",
    "score_is_low",
]


class Invalid(ValueError):
    """A rejected input: ``code`` names the problem, ``params`` fill in the hint."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code: str = code
        self.params: dict[str, object] = dict(params)

    def __str__(self) -> str:
        if not self.params:
            return self.code
        details = ", ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"{self.code} ({details})"

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return functools.partial(Invalid, self.code, **self.params), ()


# --- full name ---------------------------------------------------------------

NAME_MAX = 100
NAME_WORDS_MIN = 2
NAME_WORDS_MAX = 4

_APOSTROPHES = {"'": "'", "\u2019": "'"}
_NAME_PUNCTUATION = "-'"


def _script(char: str) -> str | None:
    """``"cyrillic"``, ``"latin"`` or None for a character that is not an accepted letter."""
    if not char.isalpha():
        return None
    code = ord(char)
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if char.isascii() or 0x00C0 <= code <= 0x024F:
        return "latin"
    return None


def _is_name_word(word: str) -> bool:
    """Letters, optionally joined by single hyphens/apostrophes between letters."""
    return all(part and all(_script(c) for c in part) for part in re.split(r"[-']", word))


def parse_full_name(text: str) -> str:
    """Full name: 2–4 words of Cyrillic or Latin letters, hyphens and apostrophes."""
    text = unicodedata.normalize("NFC", text)
    name = " ".join(text.split())
    if not name:
        raise Invalid("name_empty")
    name = "".join(_APOSTROPHES.get(c, c) for c in name)
    for char in name:
        if char != " " and char not in _NAME_PUNCTUATION and _script(char) is None:
            raise Invalid("name_chars", char=char)
    if len(name) > NAME_MAX:
        raise Invalid("name_length", max=NAME_MAX)
    words = name.split(" ")
    if not NAME_WORDS_MIN <= len(words) <= NAME_WORDS_MAX:
        raise Invalid("name_words", min=NAME_WORDS_MIN, max=NAME_WORDS_MAX)
    for word in words:
        if not _is_name_word(word):
            raise Invalid("name_punctuation", word=word)
        if len({_script(c) for c in word if c not in _NAME_PUNCTUATION}) > 1:
            raise Invalid("name_mixed_alphabet", word=word)
    return name


# --- birth date --------------------------------------------------------------

AGE_MIN = 13
AGE_MAX = 60

_DATE_RE = re.compile(r"([0-9]{1,2})([./-])([0-9]{1,2})\2([0-9]{4})")


def age_on(birth: date, today: date) -> int:
    """Full years on ``today`` (a 29 Feb birthday counts from 1 Mar in common years)."""
    before_birthday = (today.month, today.day) < (birth.month, birth.day)
    return today.year - birth.year - int(before_birthday)


def parse_birth_date(text: str, today: date) -> date:
    """Birth date as ДД.ММ.ГГГГ (or with ``-``/``/``); age must be 13–60 on ``today``."""
    match = _DATE_RE.fullmatch(text.strip())
    if match is None:
        raise Invalid("date_format")
    day, _, month, year = match.groups()
    try:
        birth = date(int(year), int(month), int(day))
    except ValueError:
        raise Invalid("date_unreal") from None
    if birth > today:
        raise Invalid("date_future")
    age = age_on(birth, today)
    if not AGE_MIN <= age <= AGE_MAX:
        raise Invalid("age_range", min=AGE_MIN, max=AGE_MAX, age=age)
    return birth


# --- phone -------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s().\-\u2010\u2011\u2012\u2013\u2014]+")
_PHONE_DIGITS = re.compile(r"\+?[0-9]+")
_E164_MIN_DIGITS = 8
_E164_MAX_DIGITS = 15


def parse_phone(text: str) -> str:
    """Russian phone number normalised to ``+7XXXXXXXXXX``."""
    compact = _PHONE_SEPARATORS.sub("", text)
    if _PHONE_DIGITS.fullmatch(compact) is None:
        raise Invalid("phone_format")
    if compact.startswith("+"):
        digits = compact[1:]
        if not _E164_MIN_DIGITS <= len(digits) <= _E164_MAX_DIGITS:
            raise Invalid("phone_format")
        candidate = compact
    elif len(compact) == 11 and compact[0] in "78":
        candidate = "+7" + compact[1:]
    elif len(compact) == 10 and compact[0] == "9":
        candidate = "+7" + compact
    else:
        raise Invalid("phone_format")
    try:
        number = phonenumbers.parse(candidate, "RU")
    except phonenumbers.NumberParseException:
        raise Invalid("phone_format") from None
    if number.country_code != 7:
        raise Invalid("phone_not_russian")
    if not phonenumbers.is_valid_number(number):
        raise Invalid("phone_invalid")
    if phonenumbers.region_code_for_number(number) != "RU":
        raise Invalid("phone_not_russian")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- e-mail ------------------------------------------------------------------

SKIP_WORDS: frozenset[str] = frozenset({"-", "нет", "no", "skip", "пропустить"})


def is_skip(text: str) -> bool:
    """Whether the answer means "skip" (for the optional e-mail)."""
    return text.strip().casefold() in SKIP_WORDS


# The local part (before the @) must start with a letter (any alphabet), a digit or "_". RFC
# 5322 lets it start with "=", "+", "-" and the like (``=cmd|'/ccalc'!A1@x.ru`` is valid),
# which makes it a formula in Excel; no mail service hands out such an address.
_EMAIL_LOCAL = re.compile(r"\w.*", re.DOTALL)


def parse_email(text: str) -> str:
    """Syntactically valid e-mail (no DNS lookups), normalised; IDN allowed; the local part
    starts with a letter, a digit or "_" (see ``_EMAIL_LOCAL``)."""
    try:
        # strict: also enforce RFC 5321's 64-character limit before the @-sign.
        result = validate_email(text.strip(), check_deliverability=False, strict=True)
    except EmailNotValidError:
        raise Invalid("email") from None
    if _EMAIL_LOCAL.fullmatch(result.local_part) is None:
        raise Invalid("email")
    return result.normalized


# --- average certificate score -----------------------------------------------

SCORE_MIN = Decimal("2.00")
SCORE_MAX = Decimal("5.00")
SCORE_LOW = Decimal("3.00")

_SCORE_RE = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?")
_CENT = Decimal("0.01")


def parse_score(text: str) -> Decimal:
    """Average score like ``4,5``/``4.75`` within 2.00–5.00, with two decimals at most (a
    certificate gives it so; a third decimal is refused with the score rounded half-up as
    ``rounded``, never rounded silently). Trailing zeros do not count: ``4,500`` is 4.50."""
    match = _SCORE_RE.fullmatch(text.strip())
    if match is None:
        raise Invalid("score_format")
    whole, fraction = match.groups()
    fraction = (fraction or "").rstrip("0")
    value = Decimal(f"{whole}.{fraction or '0'}")
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise Invalid("score_range", min=str(SCORE_MIN), max=str(SCORE_MAX))
    score = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    if len(fraction) > 2:
        raise Invalid("score_decimals", rounded=str(score))
    return score


def score_is_low(score: Decimal) -> bool:
    """Below 3.00: the bot asks the applicant to double-check."""
    return score < SCORE_LOW
