"""The handler tests' recording session applies Telegram's rules, and a test whose bot had a
request refused fails unless it says it expects that."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tests.conftest import pytest_runtest_call
from tests.recording import RecordingSession


def button(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="A", callback_data=data)]]
    )


async def refused(call: Callable[[], Awaitable[object]]) -> str:
    with pytest.raises(TelegramBadRequest) as raised:
        await call()
    return raised.value.message


async def test_what_telegram_refuses_is_refused_with_its_description(bot: Bot) -> None:
    session = bot.session
    assert isinstance(session, RecordingSession)
    session.expect_rejections()
    cases: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("message is too long", lambda: bot.send_message(1, "Ж" * 4096 + "!")),
        ("message is too long", lambda: bot.send_message(1, "🏠" * 2049)),  # 4098 UTF-16 units
        ("can't parse entities", lambda: bot.send_message(1, "5 < 6")),
        ("Can't find end tag", lambda: bot.send_message(1, "<b>bold")),
        ("BUTTON_DATA_INVALID", lambda: bot.send_message(1, "x", reply_markup=button("я" * 33))),
        ("caption is too long", lambda: bot.send_photo(1, "photo-id", caption="Ж" * 1025)),
        ("MESSAGE_TOO_LONG", lambda: bot.answer_callback_query("1", text="Ж" * 201)),
        ("message text is empty", lambda: bot.edit_message_text(" ", chat_id=1, message_id=2)),
    ]
    for expected, call in cases:
        assert expected in await refused(call)
    assert [r.error_code for r in session.rejected] == [400] * len(cases)
    assert all(call.error for call in session.calls)
    # The rules are the emulator's: within them, everything goes through.
    await bot.send_message(1, "Ж" * 4096)
    await bot.send_message(1, "&lt;b&gt; <b>ok</b>", reply_markup=button("я" * 32))


def run_check(**funcargs: object) -> None:
    """Run the suite's check after a passing test that used these fixtures."""
    check = pytest_runtest_call(SimpleNamespace(funcargs=funcargs))  # type: ignore[arg-type]
    next(check)
    with pytest.raises(StopIteration):
        check.send(None)


async def test_a_refusal_fails_the_test_unless_the_test_expects_it(bot: Bot) -> None:
    session = bot.session
    assert isinstance(session, RecordingSession)
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(1, "a < b")
    with pytest.raises(AssertionError, match="can't parse entities"):
        run_check(bot=bot)
    session.expect_rejections("message is too long")
    with pytest.raises(AssertionError, match="can't parse entities"):
        run_check(bot=bot)  # expecting another refusal does not cover this one
    session.expect_rejections("can't parse entities")
    run_check(bot=bot)
