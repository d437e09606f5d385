"""Validators of the application form: normalised values and stable error codes."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from bot.domain.validation import (
    NAME_MAX,
    SCORE_LOW,
    SCORE_MAX,
    SCORE_MIN,
    SKIP_WORDS,
    Invalid,
    age_on,
    is_skip,
    parse_birth_date,
    parse_email,
    parse_full_name,
    parse_phone,
    parse_score,
    score_is_low,
)

TODAY = date(2025, 6, 15)


def rejected(parse: Callable[[str], object], text: str) -> Invalid:
    """The Invalid raised by ``parse(text)``."""
    with pytest.raises(Invalid) as caught:
        parse(text)
    return caught.value


# --- Invalid -----------------------------------------------------------------


def test_invalid_carries_code_and_params() -> None:
    error = Invalid("name_words", min=2, max=4)
    assert isinstance(error, ValueError)
    assert error.code == "name_words"
    assert error.params == {"min": 2, "max": 4}
    assert str(error) == "name_words (min=2, max=4)"


def test_invalid_without_params_prints_its_code() -> None:
    error = Invalid("email")
    assert error.params == {}
    assert str(error) == "email"


def test_invalid_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(Invalid("age_range", min=13, max=60, age=12)))
    assert (error.code, error.params) == ("age_range", {"min": 13, "max": 60, "age": 12})


# --- full name ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Иванов Иван Иванович", "Иванов Иван Иванович"),
        ("Ёлкина Алёна", "Ёлкина Алёна"),
        ("Римский-Корсаков Николай Андреевич", "Римский-Корсаков Николай Андреевич"),
        ("Анна-Мария Петрова-Водкина", "Анна-Мария Петрова-Водкина"),
        ("John Smith", "John Smith"),
        ("Ali Ogly Mamedov Rustam", "Ali Ogly Mamedov Rustam"),
        ("José Muñoz", "José Muñoz"),
        ("Әлия Нұрланқызы", "Әлия Нұрланқызы"),
        ("Ivan Петров", "Ivan Петров"),
    ],
)
def test_valid_full_name_is_accepted(text: str, expected: str) -> None:
    assert parse_full_name(text) == expected


def test_name_keeps_the_users_capitalisation() -> None:
    assert parse_full_name("иванов ИВАН иВаНоВиЧ") == "иванов ИВАН иВаНоВиЧ"


def test_name_whitespace_is_stripped_and_collapsed() -> None:
    assert parse_full_name("  Иванов \t Иван\n\u00a0 Иванович  ") == "Иванов Иван Иванович"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D'Artagnan Charles", "D'Artagnan Charles"),
        ("O’Brien Patrick", "O'Brien Patrick"),
        ("Д’Артаньян Шарль", "Д'Артаньян Шарль"),
    ],
)
def test_name_apostrophes_are_accepted_and_normalised(text: str, expected: str) -> None:
    assert parse_full_name(text) == expected


def test_name_decomposed_letters_are_composed() -> None:
    decomposed = "Але\u0308на Хаи\u0306рова"  # ё and й typed as letter + combining mark
    assert parse_full_name(decomposed) == "Алёна Хайрова"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_name_is_rejected(text: str) -> None:
    assert rejected(parse_full_name, text).code == "name_empty"


@pytest.mark.parametrize(
    ("text", "char"),
    [
        ("Иванов Иван 2", "2"),
        ("Иван0в Иван", "0"),
        ("Иванов Иван 😀", "😀"),
        ("<b>Иванов</b> Иван", "<"),
        ("Иванов, Иван", ","),
        ("Иванов Иван.", "."),
        ("Иванов_Иван", "_"),
        ("Иванов\u200bИван", "\u200b"),
        ("Ιβανοβ Иван", "Ι"),  # Greek
    ],
)
def test_name_with_forbidden_character_reports_the_first_one(text: str, char: str) -> None:
    error = rejected(parse_full_name, text)
    assert error.code == "name_chars"
    assert error.params == {"char": char}


@pytest.mark.parametrize("text", ["Иванов", "Иванов Иван Иванович Петров Сидоров"])
def test_name_with_wrong_number_of_words_is_rejected(text: str) -> None:
    error = rejected(parse_full_name, text)
    assert error.code == "name_words"
    assert error.params == {"min": 2, "max": 4}


def test_name_of_four_words_is_accepted() -> None:
    assert parse_full_name("Иванов Иван Иванович Младший") == "Иванов Иван Иванович Младший"


def test_name_of_exactly_max_length_is_accepted() -> None:
    name = "А" * 50 + " " + "Б" * 49
    assert len(name) == NAME_MAX
    assert parse_full_name(name) == name


def test_name_one_char_too_long_is_rejected() -> None:
    name = "А" * 50 + " " + "Б" * 50
    assert len(name) == NAME_MAX + 1
    error = rejected(parse_full_name, name)
    assert error.code == "name_length"
    assert error.params == {"max": 100}


def test_name_length_is_measured_after_collapsing_whitespace() -> None:
    name = "А" * 50 + " " * 20 + "Б" * 49
    assert parse_full_name(name) == "А" * 50 + " " + "Б" * 49


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("-Иванов Иван", "-Иванов"),
        ("Иванов- Иван", "Иванов-"),
        ("Иванов Иван'", "Иван'"),
        ("'Brien Patrick", "'Brien"),
        ("Иванов - Иван", "-"),
        ("Римский--Корсаков Николай", "Римский--Корсаков"),
        ("D''Artagnan Charles", "D''Artagnan"),
    ],
)
def test_name_word_with_misplaced_hyphen_or_apostrophe_is_rejected(text: str, word: str) -> None:
    error = rejected(parse_full_name, text)
    assert error.code == "name_punctuation"
    assert error.params == {"word": word}


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Ивaнов Иван", "Ивaнов"),  # Latin 'a' inside a Cyrillic word
        ("Иванов Ivаn", "Ivаn"),  # Cyrillic 'а' inside a Latin word
        ("Petrova-Водкина Анна", "Petrova-Водкина"),
    ],
)
def test_name_word_mixing_alphabets_is_rejected(text: str, word: str) -> None:
    error = rejected(parse_full_name, text)
    assert error.code == "name_mixed_alphabet"
    assert error.params == {"word": word}


# --- birth date --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01.09.2009", date(2009, 9, 1)),
        ("1.9.2009", date(2009, 9, 1)),
        ("01-09-2009", date(2009, 9, 1)),
        ("01/09/2009", date(2009, 9, 1)),
        (" 1/9/2009 ", date(2009, 9, 1)),
        ("29.02.2008", date(2008, 2, 29)),
    ],
)
def test_valid_birth_date_is_parsed(text: str, expected: date) -> None:
    assert parse_birth_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "01.09.09",
        "01.09.02009",
        "2009.09.01",
        "2009-09-01",
        "01.09-2009",
        "001.09.2009",
        "01 09 2009",
        "1 сентября 2009",
        "01.09.2009г",
        "٠١.٠٩.٢٠٠٩",  # Arabic-Indic digits
    ],
)
def test_birth_date_in_wrong_shape_is_rejected(text: str) -> None:
    assert rejected(lambda t: parse_birth_date(t, TODAY), text).code == "date_format"


@pytest.mark.parametrize(
    "text", ["31.02.2010", "29.02.2009", "00.01.2010", "01.00.2010", "32.01.2010", "01.13.2010"]
)
def test_birth_date_that_does_not_exist_is_unreal(text: str) -> None:
    assert rejected(lambda t: parse_birth_date(t, TODAY), text).code == "date_unreal"


def test_birth_date_in_year_zero_is_unreal() -> None:
    assert rejected(lambda t: parse_birth_date(t, TODAY), "01.01.0000").code == "date_unreal"


@pytest.mark.parametrize("text", ["16.06.2025", "01.01.2030"])
def test_birth_date_in_the_future_is_rejected(text: str) -> None:
    assert rejected(lambda t: parse_birth_date(t, TODAY), text).code == "date_future"


def test_birth_date_today_is_out_of_age_range() -> None:
    error = rejected(lambda t: parse_birth_date(t, TODAY), "15.06.2025")
    assert error.code == "age_range"
    assert error.params == {"min": 13, "max": 60, "age": 0}


def test_applicant_turning_13_today_is_accepted() -> None:
    assert parse_birth_date("15.06.2012", TODAY) == date(2012, 6, 15)


def test_applicant_one_day_short_of_13_is_rejected() -> None:
    error = rejected(lambda t: parse_birth_date(t, TODAY), "16.06.2012")
    assert error.code == "age_range"
    assert error.params == {"min": 13, "max": 60, "age": 12}


def test_applicant_aged_60_is_accepted() -> None:
    assert parse_birth_date("16.06.1964", TODAY) == date(1964, 6, 16)


def test_applicant_turning_61_today_is_rejected() -> None:
    error = rejected(lambda t: parse_birth_date(t, TODAY), "15.06.1964")
    assert error.code == "age_range"
    assert error.params == {"min": 13, "max": 60, "age": 61}


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (date(2010, 6, 15), date(2025, 6, 14), 14),
        (date(2010, 6, 15), date(2025, 6, 15), 15),
        (date(2010, 12, 31), date(2025, 1, 1), 14),
        (date(2008, 2, 29), date(2021, 2, 28), 12),
        (date(2008, 2, 29), date(2021, 3, 1), 13),
        (date(2008, 2, 29), date(2024, 2, 28), 15),
        (date(2008, 2, 29), date(2024, 2, 29), 16),
    ],
)
def test_age_counts_full_years(birth: date, today: date, age: int) -> None:
    assert age_on(birth, today) == age


def test_leap_day_applicant_turns_13_on_first_of_march() -> None:
    assert rejected(lambda t: parse_birth_date(t, date(2021, 2, 28)), "29.02.2008").params == {
        "min": 13,
        "max": 60,
        "age": 12,
    }
    assert parse_birth_date("29.02.2008", date(2021, 3, 1)) == date(2008, 2, 29)


# --- phone -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "8 (913) 123-45-67",
        "+7 913 123 45 67",
        "+7 (913) 123-45-67",
        "89131234567",
        "79131234567",
        "+79131234567",
        "9131234567",
        "(913) 123-45-67",
        "8.913.123.45.67",
        " 8 913 123 45 67 ",
        "8\u00a0913\u00a0123–45–67",
    ],
)
def test_accepted_phone_forms_are_normalised_to_e164(text: str) -> None:
    assert parse_phone(text) == "+79131234567"


def test_phone_starting_with_8_is_normalised() -> None:
    assert parse_phone("8 (913) 123-45-67") == "+79131234567"


def test_ten_digit_phone_starting_with_9_is_a_russian_mobile() -> None:
    assert parse_phone("9001234567") == "+79001234567"


def test_russian_landline_is_accepted() -> None:
    assert parse_phone("8 (3919) 12-34-56") == "+73919123456"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "телефон",
        "+7 913 abc 45 67",
        "8 913 123 45 67 доб. 12",
        "12345",
        "913123456",
        "891312345678",
        "4951234567",
        "99131234567",
        "+7",
        "+7913",
        "+7 913 123 45 67 89 01 23",
        "++79131234567",
        "8+9131234567",
        "+8 913 123 45 67",
        "#79131234567",
    ],
)
def test_phone_that_is_not_a_number_of_the_right_length_is_rejected(text: str) -> None:
    assert rejected(parse_phone, text).code == "phone_format"


@pytest.mark.parametrize("text", ["+7 123 456 78 90", "8 (000) 000-00-00", "+7 913 123 45 6"])
def test_phone_that_parses_but_is_not_a_valid_number_is_invalid(text: str) -> None:
    assert rejected(parse_phone, text).code == "phone_invalid"


@pytest.mark.parametrize(
    "text",
    [
        "+7 701 123 45 67",  # Kazakhstan shares +7
        "87011234567",
        "77011234567",
        "+380 50 123 45 67",  # Ukraine
        "+1 202 555 0123",
        "+375 29 123 45 67",  # Belarus
    ],
)
def test_foreign_phone_is_not_russian(text: str) -> None:
    assert rejected(parse_phone, text).code == "phone_not_russian"


# --- e-mail ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ivanov@mail.ru", "ivanov@mail.ru"),
        ("  ivanov@mail.ru  ", "ivanov@mail.ru"),
        ("Ivanov@Mail.RU", "Ivanov@mail.ru"),
        ("first.last+tag@sub.domain.org", "first.last+tag@sub.domain.org"),
        ("user@пример.рф", "user@пример.рф"),
        ("почта@пример.рф", "почта@пример.рф"),
        ("user@ПРИМЕР.РФ", "user@пример.рф"),
        ("ivan_petrov-2008@yandex.ru", "ivan_petrov-2008@yandex.ru"),
        ("_ivanov@mail.ru", "_ivanov@mail.ru"),
        ("tom&jerry@mail.ru", "tom&jerry@mail.ru"),  # odd inside, harmless: not at the start
    ],
)
def test_valid_email_is_normalised(text: str, expected: str) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ivanov",
        "ivanov@",
        "@mail.ru",
        "ivanov@mail",
        "ivanov@@mail.ru",
        "iva nov@mail.ru",
        "ivanov..petrov@mail.ru",
        ".ivanov@mail.ru",
        "ivanov@mail..ru",
        "ivanov@-mail.ru",
        "ivanov@localhost",
        "ivanov@mail.ru, petrov@mail.ru",
        "<b>ivanov@mail.ru</b>",
        "a" * 65 + "@mail.ru",
        "-",
        "нет",
        # Valid for RFC 5322, a formula for Excel, and no mailbox anyone is given:
        "=cmd|'/ccalc'!A1@x.ru",
        "+79131234567@x.ru",
        "-ivanov@mail.ru",
        "@SUM(1+1)@x.ru",
        '"=1+1"@mail.ru',
    ],
)
def test_invalid_email_is_rejected(text: str) -> None:
    error = rejected(parse_email, text)
    assert error.code == "email"
    assert error.params == {}


@pytest.mark.parametrize(
    "text", ["-", "нет", "НЕТ", "Нет", "no", "No", "skip", "SKIP", "пропустить", " Пропустить "]
)
def test_skip_words_mean_skip_regardless_of_case(text: str) -> None:
    assert is_skip(text)


@pytest.mark.parametrize("text", ["", "да", "ivanov@mail.ru", "не", "нет, спасибо", "--"])
def test_other_answers_do_not_mean_skip(text: str) -> None:
    assert not is_skip(text)


def test_skip_words_are_exactly_the_documented_set() -> None:
    assert frozenset({"-", "нет", "no", "skip", "пропустить"}) == SKIP_WORDS


# --- average score -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4,5", "4.50"),
        ("4.5", "4.50"),
        ("4", "4.00"),
        (" 4.75 ", "4.75"),
        ("4,500", "4.50"),
        ("4.7500000", "4.75"),
        ("2.00", "2.00"),
        ("2", "2.00"),
        ("5.00", "5.00"),
        ("5", "5.00"),
    ],
)
def test_valid_score_has_two_decimals(text: str, expected: str) -> None:
    score = parse_score(text)
    assert score == Decimal(expected)
    assert str(score) == expected


@pytest.mark.parametrize(
    ("text", "rounded"),
    [
        ("4.567", "4.57"),
        ("4,754", "4.75"),
        ("4.755", "4.76"),
        ("4,125", "4.13"),
        ("4.995", "5.00"),
        ("3.1415926535897932384626433832795028841971", "3.14"),
    ],
)
def test_a_third_decimal_is_refused_with_the_rounded_score_as_a_hint(
    text: str, rounded: str
) -> None:
    error = rejected(parse_score, text)
    assert (error.code, error.params) == ("score_decimals", {"rounded": rounded})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "четыре",
        "4..5",
        "4,5,6",
        "4.5.6",
        "-4",
        "-4.5",
        "+4",
        "4.",
        ".5",
        "4 ,5",
        "4 5",
        "4e0",
        "NaN",
        "Infinity",
        "4½",
        "٤",  # Arabic-Indic four
    ],
)
def test_score_that_is_not_a_number_is_rejected(text: str) -> None:
    assert rejected(parse_score, text).code == "score_format"


@pytest.mark.parametrize(
    "text",
    ["1.99", "5.01", "5.005", "1.994", "1.995", "0", "10", "45", "1" * 40, "100000000000000000.5"],
)
def test_score_out_of_range_is_rejected(text: str) -> None:
    error = rejected(parse_score, text)
    assert error.code == "score_range"
    assert error.params == {"min": "2.00", "max": "5.00"}


def test_score_bounds_are_the_documented_ones() -> None:
    assert (SCORE_MIN, SCORE_MAX, SCORE_LOW) == (Decimal("2.00"), Decimal("5.00"), Decimal("3.00"))


@pytest.mark.parametrize(
    ("score", "low"),
    [("2.00", True), ("2.99", True), ("3.00", False), ("3.01", False), ("5.00", False)],
)
def test_score_below_three_is_low(score: str, low: bool) -> None:
    assert score_is_low(Decimal(score)) is low


def test_a_score_just_below_three_is_low() -> None:
    assert score_is_low(parse_score("2.99"))
