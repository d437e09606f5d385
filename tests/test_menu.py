"""The first screens: greeting, main menu, language, help, cancel, unexpected input, errors."""

from __future__ import annotations

from aiogram import Dispatcher

from db.database import Database
from tests.client import UserClient, labels


async def test_start_greets_in_russian_with_the_main_menu(user: UserClient) -> None:
    [reply] = await user.send("/start")
    assert "Металлургия" in reply["text"]
    assert "Здравствуйте" in reply["text"]
    assert labels(reply) == [
        "🎓 Специальности",
        "🏫 Колледжи",
        "📋 Как поступить",
        "📝 Подать заявление",
        "❓ Вопросы и контакты",
        "📅 Дни открытых дверей",
        "👷 Я студент",
        "🔔 Напоминания",
        "🌐 Язык",
    ]


async def test_start_greets_in_english_when_telegram_is_in_english(
    english_user: UserClient,
) -> None:
    [reply] = await english_user.send("/start")
    assert "Hello" in reply["text"]
    assert "🎓 Specialties" in labels(reply)


async def test_other_telegram_languages_get_russian(dp: Dispatcher, user: UserClient) -> None:
    kazakh = UserClient(dp, user.bot, user_id=3003, language_code="kk")
    [reply] = await kazakh.send("/start")
    assert "🎓 Специальности" in labels(reply)


async def test_language_switch_is_remembered(user: UserClient, db: Database) -> None:
    await user.send("/start")
    [screen] = await user.send("/language")
    [menu] = await user.click("English", screen)
    assert "🎓 Specialties" in labels(menu)
    assert user.answers()[-1]["text"] == "Language: English"
    [again] = await user.send("/menu")
    assert "🎓 Specialties" in labels(again)
    assert await db.fetchval("SELECT language FROM users WHERE id = ?", (1001,)) == "en"
    [screen] = await user.send("/language")
    await user.click("Русский", screen)
    assert user.answers()[-1]["text"] == "Язык: русский"


async def test_help_lists_the_commands(user: UserClient) -> None:
    [reply] = await user.send("/help")
    for command in ("/menu", "/language", "/cancel", "/help"):
        assert command in reply["text"]


async def test_cancel_without_a_dialogue_says_so_and_shows_the_menu(user: UserClient) -> None:
    [reply] = await user.send("/cancel")
    assert "Нечего отменять" in reply["text"]
    assert "🎓 Специальности" in labels(reply)


async def test_unexpected_text_gets_a_hint_and_the_menu(user: UserClient) -> None:
    [reply] = await user.send("ну и что дальше")
    assert "/menu" in reply["text"]
    assert "🎓 Специальности" in labels(reply)


async def test_a_specialty_typed_without_search_shows_its_card(user: UserClient) -> None:
    [reply] = await user.send("электроснабжение")
    assert reply["text"].startswith("<b>13.02.07 Электроснабжение</b>")
    assert "📝 Подать заявление" in labels(reply)


async def test_a_sticker_gets_a_hint_and_the_menu(user: UserClient) -> None:
    [reply] = await user.send_sticker()
    assert "стикер" in reply["text"].lower()
    assert "🎓 Специальности" in labels(reply)


async def test_an_unknown_command_is_named_in_the_answer(user: UserClient) -> None:
    [reply] = await user.send("/apply_now")
    assert "/apply_now" in reply["text"]


async def test_a_stale_button_is_answered_and_the_menu_shown(user: UserClient) -> None:
    [menu] = await user.send("/start")
    [reply] = await user.click_data("obsolete:button", menu)
    assert user.answers()[-1]["callback_query_id"] == user.last_query_id
    assert "🎓 Специальности" in labels(reply)


async def test_crafted_callback_data_for_a_missing_specialty_is_refused(user: UserClient) -> None:
    [menu] = await user.send("/start")
    await user.click_data("sc:99.99.99:0::0", menu)
    answer = user.answers()[-1]
    assert answer["show_alert"] is True


async def test_a_handler_error_tells_the_user_without_internals(user: UserClient) -> None:
    user.session.fail_next("editMessageText", 500, "Internal Server Error")
    [menu] = await user.send("/start")
    replies = await user.click("🎓 Специальности", menu)
    [apology] = [r for r in replies if r["method"] == "sendMessage"]
    assert "Что-то пошло не так" in apology["text"]
    assert "Internal" not in apology["text"] and "Traceback" not in apology["text"]
    assert user.answers()[-1]["callback_query_id"] == user.last_query_id


async def test_a_double_click_is_harmless(user: UserClient) -> None:
    [menu] = await user.send("/start")
    await user.click("🎓 Специальности", menu)
    user.session.fail_next(
        "editMessageText",
        400,
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message",
    )
    replies = await user.click("🎓 Специальности", menu)
    assert all(r["method"] == "editMessageText" for r in replies)
    assert user.answers()[-1]["callback_query_id"] == user.last_query_id


async def test_an_old_message_that_cannot_be_edited_gets_a_new_one(user: UserClient) -> None:
    [menu] = await user.send("/start")
    user.session.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
    before = len(user.session.calls)
    replies = await user.click("🏫 Колледжи", menu)
    calls = [c.method for c in user.session.calls[before:]]
    assert calls == ["editMessageText", "sendMessage", "answerCallbackQuery"]
    assert [r["method"] for r in replies] == ["sendMessage"]
    assert "Колледжи кластера" in replies[-1]["text"]
