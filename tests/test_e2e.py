"""End to end: the real bot process, long-polling the fake Bot API over HTTP."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e import BotProcess
from tests.fakebotapi import FakeBotAPI


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
        assert [c["command"] for c in commands] == ["start", "menu", "help", "language", "cancel"]
        assert commands[0]["description"] == menu
    assert fake.rejected == []


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
    assert user.buttons(found)[:2] == ["22.02.06 · Welding production", "15.01.05 · Welder"]
    assert fake.rejected == [], fake.rejected

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


async def test_a_telegram_error_while_answering_is_survived(
    fake: FakeBotAPI, bot_process: BotProcess
) -> None:
    user = fake.user(504, language_code="en")
    fake.fail_next("sendMessage", 500, "Internal Server Error", chat_id=504)
    user.send("/start")
    apology = await user.wait_reply()
    assert "Sorry, something went wrong" in apology["text"]
    user.send("/start")
    menu = await user.wait_reply()
    assert "Hello" in menu["text"]
