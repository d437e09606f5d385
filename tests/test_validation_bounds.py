"""The edges of what the form accepts: the first and last letter of each accepted alphabet
block, the first letter past it, and the shortest and longest international phone numbers."""

from __future__ import annotations

import pytest

from bot.domain.validation import Invalid, parse_full_name, parse_phone


@pytest.mark.parametrize(
    "name",
    [
        "Ѐлена Иванова",  # U+0400, the first Cyrillic letter
        "Иваноӿ Анна",  # U+04FF, the last one
        "Àlain Dupont",  # U+00C0, the first Latin-1 letter
        "Smiɏ Jones",  # U+024F, the last Latin Extended-B letter
    ],
)
def test_letters_at_the_edges_of_the_accepted_alphabets_are_accepted(name: str) -> None:
    assert parse_full_name(name) == name


@pytest.mark.parametrize(
    ("name", "char"),
    [("Ԁлена Иванова", "Ԁ"), ("ɐlain Dupont", "ɐ"), ("Anna Ѐvans", None)],
)
def test_letters_just_past_the_edges_are_refused(name: str, char: str | None) -> None:
    with pytest.raises(Invalid) as refused:
        parse_full_name(name)
    if char is None:  # Latin and Cyrillic in one word
        assert refused.value.code == "name_mixed_alphabet"
    else:
        assert (refused.value.code, refused.value.params) == ("name_chars", {"char": char})


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("+1234567", "phone_format"),  # 7 digits: shorter than any number
        ("+12345678", "phone_not_russian"),  # 8 digits: a number, not a Russian one
        ("+79131234", "phone_invalid"),  # 8 digits of +7: a number, not a valid one
        ("+791312345678901", "phone_invalid"),  # 15 digits: the longest E.164 length
        ("+7913123456789012", "phone_format"),  # 16 digits: longer than any number
    ],
)
def test_international_numbers_are_measured_by_their_digits(text: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_phone(text)
    assert refused.value.code == code
