"""End to end: the real bot process, long-polling the fake Bot API over HTTP."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import FakeBotAPI
from tests.e2e import BotProcess


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot_process(fake: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(fake, tmp_path)
    await process.start()
    try:
        yield process
    finally:
        if process.process and process.process.returncode is None:
            await process.kill()


def texts(buttons: list[str]) -> list[str]:
    return buttons


async def test_commands_are_registered_in_both_languages(
    fake: FakeBotAPI, bot_process: BotProcess
) -> None:
    scope = {"type": "all_private_chats"}
    for language, menu in (("ru", "Главное меню"), ("en", "Main menu"), ("", "Главное меню")):
        commands = fake.commands_for(scope, language)
        assert [c["command"] for c in commands] == [
            "start",
            "menu",
            "help",
            "events",
            "language",
            "cancel",
            "delete_my_data",
        ]
        assert commands[0]["description"] == menu


async def test_browse_to_a_card_switch_language_and_survive_a_restart_mid_dialogue(
    fake: FakeBotAPI, bot_process: BotProcess, tmp_path: Path
) -> None:
    user = fake.user(501, "Аня", language_code="ru")

    user.send("/start")
    menu = await user.wait_reply()
    assert "Здравствуйте" in menu["text"]

    query = user.click("🎓 Специальности", menu)
    listing = await user.wait_reply()
    await fake.wait_callback_answered(query)
    assert listing["message_id"] == menu["message_id"]  # edited in place

    query = user.click("22.02.08 · Металлургия", listing)
    card = await user.wait_reply()
    await fake.wait_callback_answered(query)
    assert "Металлургическое производство" in card["text"]
    assert "Бюджетных мест: уточняется" in card["text"]

    user.send("/language")
    chooser = await user.wait_reply()
    query = user.click("English", chooser)
    english_menu = await user.wait_reply()
    answer = await fake.wait_callback_answered(query)
    assert answer.get("text") == "Language: English"
    assert "🎓 Specialties" in user.buttons(english_menu)

    user.click("🎓 Specialties", english_menu)
    listing = await user.wait_reply()
    user.click("🔎 Search", listing)
    prompt = await user.wait_reply()
    assert "Type a part" in prompt["text"]

    await bot_process.restart()  # kill -9 in the middle of the search dialogue

    user.send("weld")
    found = await user.wait_reply()
    assert found["text"].startswith("Found: 2")
    assert user.buttons(found)[:2] == ["❔ 15.02.19 · Welding production", "❔ 15.01.05 · Welder"]

    with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
        language, first_seen, last_seen = conn.execute(
            "SELECT language, first_seen, last_seen FROM users WHERE id = 501"
        ).fetchone()
    assert language == "en"
    assert first_seen < last_seen


async def test_sigterm_shuts_down_cleanly(fake: FakeBotAPI, bot_process: BotProcess) -> None:
    user = fake.user(502, language_code="en")
    user.send("/start")
    await user.wait_reply()
    assert await bot_process.stop() == 0
    assert "Traceback" not in bot_process.log()
    assert "stopped" in bot_process.log()


async def test_unexpected_input_always_gets_an_answer(
    fake: FakeBotAPI, bot_process: BotProcess
) -> None:
    user = fake.user(503, language_code="en")
    user.send_sticker()
    hint = await user.wait_reply()
    assert "🎓 Specialties" in user.buttons(hint)
    user.send_document("scan.pdf", "application/pdf", 1000)
    hint = await user.wait_reply()
    assert "🎓 Specialties" in user.buttons(hint)


def sends_to(fake: FakeBotAPI, chat_id: int) -> int:
    return sum(
        1 for r in fake.requests if r.method == "sendMessage" and r.params.get("chat_id") == chat_id
    )


async def test_a_passing_server_error_is_retried_and_the_user_gets_the_answer(
    fake: FakeBotAPI, bot_process: BotProcess
) -> None:
    user = fake.user(504, language_code="en")
    fake.fail_next("sendMessage", 502, "Bad Gateway", times=2, chat_id=504)
    user.send("/start")
    menu = await user.wait_reply()
    assert "Hello" in menu["text"]
    assert sends_to(fake, 504) == 3


async def test_a_lasting_server_error_ends_in_an_apology(
    fake: FakeBotAPI, bot_process: BotProcess
) -> None:
    user = fake.user(505, language_code="en")
    fake.fail_next("sendMessage", 500, "Internal Server Error", times=3, chat_id=505)
    user.send("/start")
    apology = await user.wait_reply()
    assert "Sorry, something went wrong" in apology["text"]
    assert "Internal Server Error" not in apology["text"]
    user.send("/start")
    menu = await user.wait_reply()
    assert "Hello" in menu["text"]


async def test_too_many_requests_is_waited_out(fake: FakeBotAPI, bot_process: BotProcess) -> None:
    user = fake.user(506, language_code="en")
    fake.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, chat_id=506
    )
    user.send("/start")
    menu = await user.wait_reply()
    assert "Hello" in menu["text"]
    assert sends_to(fake, 506) == 2


async def test_a_user_who_blocked_the_bot_is_marked_unreachable_until_they_write_again(
    fake: FakeBotAPI, bot_process: BotProcess, tmp_path: Path
) -> None:
    fake.expect_rejections("Forbidden: bot was blocked by the user")
    user = fake.user(507, language_code="en")
    user.block()
    user.send("/start")
    await fake.wait_for(lambda: sends_to(fake, 507) == 1)

    def unreachable() -> bool:
        with sqlite3.connect(tmp_path / "bot.sqlite3") as conn:
            row = conn.execute("SELECT unreachable_at FROM users WHERE id = 507").fetchone()
        return row is not None and row[0] is not None

    await fake.wait_for(unreachable, what="the user to be marked unreachable")
    user.unblock()
    user.send("/start")
    menu = await user.wait_reply()
    assert "Hello" in menu["text"]
    assert not unreachable()
    assert "Traceback" not in bot_process.log()


async def test_a_timed_out_request_is_retried(fake: FakeBotAPI, tmp_path: Path) -> None:
    process = BotProcess(fake, tmp_path, TELEGRAM_TIMEOUT="1")
    await process.start()
    try:
        user = fake.user(508, language_code="en")
        fake.delay("sendMessage", 3)
        user.send("/start")
        menu = await user.wait_reply()
        assert "Hello" in menu["text"]
        assert "TelegramNetworkError" in process.log()
    finally:
        await process.kill()
