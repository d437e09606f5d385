"""A real aiogram bot against the emulator."""

from __future__ import annotations

import asyncio
import io

import pytest
from aiogram import Dispatcher, F
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.emulator import FakeBotAPI, FakeUser
from tests.emulator.api import CHAT, bot_for

# --- a real aiogram bot -------------------------------------------------------------------------


async def test_real_aiogram_bot_talks_to_the_fake(fake: FakeBotAPI, user: FakeUser) -> None:
    bot = bot_for(fake)
    try:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Далее", callback_data="next")]]
        )
        sent = await bot.send_message(CHAT, "<b>Привет</b>", parse_mode="HTML", reply_markup=markup)
        assert sent.text == "Привет"
        assert sent.entities[0].type == "bold"
        assert sent.reply_markup.inline_keyboard[0][0].callback_data == "next"

        edited = await bot.edit_message_text(
            "Пока", chat_id=CHAT, message_id=sent.message_id, reply_markup=markup
        )
        assert edited.text == "Пока"
        assert user.last()["edited"][0]["text"] == "Привет"

        query_id = user.click("Далее")
        assert await bot.answer_callback_query(query_id, text="ok") is True
        assert (await fake.wait_callback_answered(query_id))["text"] == "ok"

        commands = [BotCommand(command="start", description="Начать")]
        assert await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=CHAT))
        assert fake.commands_for({"type": "chat", "chat_id": CHAT}) == [
            {"command": "start", "description": "Начать"}
        ]

        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(
                CHAT,
                "x",
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="я" * 40)]]
                ),
            )
        with pytest.raises(TelegramBadRequest, match="message is not modified"):
            await bot.edit_message_text(
                "Пока", chat_id=CHAT, message_id=sent.message_id, reply_markup=markup
            )

        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
        with pytest.raises(TelegramRetryAfter) as retry:
            await bot.send_message(CHAT, "flood")
        assert retry.value.retry_after == 7
        fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(CHAT, "blocked")

        document = await bot.send_document(CHAT, BufferedInputFile(b"data", filename="a.csv"))
        buffer = io.BytesIO()
        await bot.download(document.document.file_id, destination=buffer)
        assert buffer.getvalue() == b"data"

        fake.delay("getMe", 5)
        with pytest.raises(TelegramNetworkError):
            await bot.get_me(request_timeout=0.1)
    finally:
        await bot.session.close()


async def test_aiogram_dispatcher_polls_the_fake_end_to_end(
    fake: FakeBotAPI, user: FakeUser
) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Ещё", callback_data="more")]]
        )
        await message.answer(f"Привет, {message.from_user.first_name}!", reply_markup=markup)

    @dp.callback_query(F.data == "more")
    async def more(query: CallbackQuery) -> None:
        await query.message.edit_text("Ещё немного")
        await query.answer("Готово")

    bot = bot_for(fake)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, polling_timeout=1, close_bot_session=True)
    )
    try:
        user.send("/start")
        greeting = await user.wait_reply()
        assert greeting["text"] == "Привет, Аня!"
        query_id = user.click("Ещё")
        assert (await user.wait_reply())["text"] == "Ещё немного"
        assert (await fake.wait_callback_answered(query_id))["text"] == "Готово"
        assert user.buttons(greeting) == []  # the edit dropped the keyboard
        await fake.wait_for(lambda: fake.pending_updates() == 0)
        assert fake.rejected == []
    finally:
        await dp.stop_polling()
        await polling


async def test_take_updates_of_one_user_leaves_the_others_queued() -> None:
    async with FakeBotAPI() as fake:
        one, two = fake.user(1, "A", language_code="en"), fake.user(2, "B", language_code="en")
        one.send("/start")
        two.send("/start")
        one.send("hello")
        mine = fake.take_updates_of(1)
        assert [u["message"]["text"] for u in mine] == ["/start", "hello"]
        [left] = fake.take_updates()
        assert left["message"]["from"]["id"] == 2
