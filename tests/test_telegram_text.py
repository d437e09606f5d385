"""Lengths as Telegram counts them: UTF-16 code units after the HTML is parsed."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiogram.utils.i18n import I18n

from bot.domain.telegram_text import (
    CALLBACK_ANSWER_LIMIT,
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    plain_text,
    telegram_length,
    truncate_utf16,
    utf16_length,
)

FAMILY = "👨\u200d👩\u200d👧"  # one picture on the screen: three emoji glued by joiners
FLAG = "🇷🇺"  # two regional indicators, each outside the BMP


def test_the_limits_are_telegrams() -> None:
    assert (MESSAGE_LIMIT, CAPTION_LIMIT, CALLBACK_ANSWER_LIMIT) == (4096, 1024, 200)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("", 0),
        ("abc", 3),
        ("Приём", 5),  # Cyrillic: one unit a letter (two bytes in UTF-8, but one unit)
        ("😀", 2),  # outside the BMP: a surrogate pair
        ("a😀b", 4),
        (FLAG, 4),
        (FAMILY, 8),  # 3 emoji of 2 units and 2 joiners of 1
        ("✅", 1),  # inside the BMP
        ("\udc80", 1),  # a lone surrogate (a surrogate-escaped byte) does not raise
    ],
)
def test_utf16_length_counts_code_units(text: str, units: int) -> None:
    assert utf16_length(text) == units


def test_an_emoji_text_under_len_is_over_the_limit() -> None:
    text = "😀" * 3000
    assert len(text) <= MESSAGE_LIMIT < utf16_length(text) == 6000


@pytest.mark.parametrize(
    ("html_text", "shown"),
    [
        ("<b>Bold</b> text", "Bold text"),
        ('<a href="https://x.ru/?a=1&amp;b=2">link</a>', "link"),
        ("a &lt;b&gt; &amp; &quot;c&quot;", 'a <b> & "c"'),
        ("&#128512; &#x1F600; &#65;", "😀 😀 A"),
        ("&nbsp;", "&nbsp;"),  # Telegram knows only lt, gt, amp, quot by name
        ("&#99999999;", "&#99999999;"),  # not a code point: left as typed
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("<blockquote expandable>q</blockquote>", "q"),
        ("line\nline", "line\nline"),
    ],
)
def test_plain_text_is_what_the_reader_sees(html_text: str, shown: str) -> None:
    assert plain_text(html_text) == shown


def test_telegram_length_counts_after_entity_parsing_in_utf16_units() -> None:
    assert telegram_length("<b>Приём</b> 😀 &lt;") == 5 + 1 + 2 + 1 + 1
    assert telegram_length("&lt;" * 1024) == 1024  # 4096 characters of HTML, 1024 shown
    assert telegram_length("&#128512;") == 2


def test_truncate_keeps_a_text_that_fits() -> None:
    assert truncate_utf16("abc", 3) == "abc"
    assert truncate_utf16("😀😀", 4) == "😀😀"
    assert truncate_utf16("", 0) == ""


def test_truncate_cuts_to_the_limit_with_the_ellipsis_inside_it() -> None:
    cut = truncate_utf16("abcdef", 4)
    assert cut == "abc…" and utf16_length(cut) == 4
    assert truncate_utf16("abcdef", 4, ellipsis="") == "abcd"


@pytest.mark.parametrize("limit", range(0, 12))
def test_truncate_never_splits_a_surrogate_pair(limit: int) -> None:
    text = "a😀😀😀😀😀"  # 11 units
    cut = truncate_utf16(text, limit)
    assert utf16_length(cut) <= limit
    cut.encode("utf-16-le")  # a lone surrogate would raise here
    assert cut.rstrip("…") == text[: len(cut.rstrip("…"))]  # a prefix of whole characters


def test_truncate_does_not_leave_an_odd_unit_when_an_emoji_does_not_fit() -> None:
    # 1 unit of room after "a" and the ellipsis: the emoji (2 units) goes whole.
    assert truncate_utf16("a😀b", 3) == "a…"


def test_truncate_drops_a_dangling_joiner() -> None:
    cut = truncate_utf16(FAMILY + "!", 4)  # room for 3 units: the man (2) and a joiner (1)
    assert cut == "👨…"


def test_truncate_without_room_for_the_ellipsis() -> None:
    assert truncate_utf16("abc", 0) == ""
    assert truncate_utf16("😀abc", 1) == "…"
    assert truncate_utf16("abc", 1, ellipsis="...") == "a"


def test_truncate_refuses_a_negative_limit() -> None:
    with pytest.raises(ValueError):
        truncate_utf16("abc", -1)


# --- the bot's own texts -----------------------------------------------------------------


def _answer_texts(node: ast.AST) -> Iterator[ast.expr]:
    """The expressions ``node`` gives as the text of a button's answer: passed to
    ``callback.answer`` (or any ``.answer`` with ``show_alert``), set as
    ``callback_answer.text`` (aiogram's CallbackAnswerMiddleware sends it), or given to the
    ``alert`` helper (handlers/ui.py)."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "answer":
            receiver = func.value
            is_callback = isinstance(receiver, ast.Name) and receiver.id == "callback"
            if is_callback or any(k.arg == "show_alert" for k in node.keywords):
                yield node.args[0]
        elif isinstance(func, ast.Name) and func.id == "alert" and len(node.args) > 1:
            yield node.args[1]
    elif isinstance(node, ast.Assign):
        for target in node.targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "text"
                and isinstance(target.value, ast.Name)
                and target.value.id == "callback_answer"
            ):
                yield node.value


def _callback_answer_msgids() -> set[str]:
    """Every text the handlers answer a button press with (answerCallbackQuery)."""
    root = Path(__file__).resolve().parent.parent / "handlers"
    found: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            for text in _answer_texts(node):
                for inner in ast.walk(text):
                    if (
                        isinstance(inner, ast.Call)
                        and isinstance(inner.func, ast.Name)
                        and inner.func.id == "_"
                        and isinstance(inner.args[0], ast.Constant)
                    ):
                        found.add(inner.args[0].value)
    return found


def test_every_callback_answer_fits_telegrams_200_units_in_every_language(i18n: I18n) -> None:
    msgids = _callback_answer_msgids()
    assert len(msgids) > 10  # the scan found the handlers' answers
    filler = "Ж" * 40  # a long status name, date or count in a placeholder
    for msgid in sorted(msgids):
        for locale in ("ru", "en"):
            text = re.sub(r"\{\w*\}", filler, i18n.gettext(msgid, locale=locale))
            assert utf16_length(text) <= CALLBACK_ANSWER_LIMIT, (locale, msgid)
