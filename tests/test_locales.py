"""Both languages are complete, and the template matches the strings in the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "__": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
TAG = re.compile(r"</?[a-z]+>")


def source_msgids() -> set[str]:
    """Every msgid in the code; a plural message counts by its singular."""
    found: set[str] = set()
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def singular(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def read(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as fp:
        return read_po(fp)


def test_the_template_lists_exactly_the_strings_in_the_code() -> None:
    template = {singular(m.id) for m in read(ROOT / "locales" / "messages.pot") if m.id}
    code = source_msgids()
    assert code - template == set(), "run the pybabel extract/update commands from the README"
    assert template - code == set(), "the template has strings the code no longer uses"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_string_is_translated(language: str) -> None:
    catalog = read(ROOT / "locales" / language / "LC_MESSAGES" / "messages.po")
    code = source_msgids()
    translated = {singular(m.id): m for m in catalog if m.id}
    assert code - set(translated) == set(), f"missing in {language}"
    forms = catalog.num_plurals
    for msgid in code:
        message = translated[msgid]
        assert not message.fuzzy, f"{language}: {msgid!r} is fuzzy"
        if message.pluralizable:
            # Every plural form is filled in and keeps the placeholders and tags of the msgid.
            strings = list(message.string)
            assert len(strings) == forms and all(strings), f"{language}: {msgid!r} plural forms"
            originals = list(message.id)
        else:
            assert message.string, f"{language}: {msgid!r} is not translated"
            strings, originals = [message.string], [message.id]
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == sorted(
                PLACEHOLDER.findall(originals[-1])
            ), msgid
            assert sorted(TAG.findall(string)) == sorted(TAG.findall(originals[-1])), msgid


def strings(language: str) -> list[tuple[str, str]]:
    """(msgid, translation) of every message, each plural form apart."""
    out = []
    for m in read(ROOT / "locales" / language / "LC_MESSAGES" / "messages.po"):
        if not m.id:
            continue
        forms = m.string if isinstance(m.string, tuple | list) else (m.string,)
        out += [(singular(m.id), form) for form in forms]
    return out


# Russian on purpose in the English interface: what the staff type into Russian data (a poster
# label, an event's title, a group name as in the timetable, a line of a file to send, a sheet
# of the workbook), and a Russian term after its translation.
ENGLISH_MAY_QUOTE = re.compile(
    r"<code>[^<]*</code>|«школа 37»|«ярмарка вакансий»|«День открытых дверей»"
    r"|«паспорт, сменная обувь»|МП-2\d-\d|«Колледжи»|\(профпроба\)"
)


def test_english_texts_have_no_russian_but_the_quoted_examples() -> None:
    found = [
        text
        for _msgid, text in strings("en")
        if re.search(r"[А-Яа-яЁё]", ENGLISH_MAY_QUOTE.sub("", text))
    ]
    assert found == []


ROBOTIC_RUSSIAN = re.compile(
    r"\{[a-z_]+\}\s*(?:дн|шт|мин|сек|ч|мес)\.|"  # «90 дн.»: a number needs ngettext and a word
    r"Убираю клавиатуру|Возвращаемся назад|[а-яё,]\s+Образовательно-производственн"
)


def test_russian_texts_have_no_abbreviated_units_or_robotic_lines() -> None:
    found = [text for _msgid, text in strings("ru") if ROBOTIC_RUSSIAN.search(text)]
    assert found == []


# One English term for each thing: the other words for it an English text may not use.
ENGLISH_TERMS = {
    "state-funded places": re.compile(r"\bbudget places?\b|\bfree places?\b", re.IGNORECASE),
    "admission office": re.compile(r"\badmissions? committee\b", re.IGNORECASE),
    "work placement": re.compile(r"(?<![/_\w])practicums?(?![_\w])|\binternships?\b", re.I),
}


def test_english_uses_one_term_for_each_thing() -> None:
    found = [
        (term, text)
        for _msgid, text in strings("en")
        for term, others in ENGLISH_TERMS.items()
        if others.search(text)
    ]
    assert found == []
