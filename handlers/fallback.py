"""What the bot does not expect: a short hint and the menu, never silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.catalog import Catalog
from handlers.callbacks import SpecCardCb
from handlers.specialties import button_label, search
from handlers.ui import h, home_button_row, main_menu_keyboard, stale

MIN_GUESS_LENGTH = 3


def get_router() -> Router:
    router = Router(name=__name__)

    @router.message(F.text)
    async def unexpected_text(message: Message, catalog: Catalog) -> None:
        text = (message.text or "").strip()
        if text.startswith("/"):
            await message.answer(
                _("I do not know the command {command}. Here is the menu:").format(
                    command=h(text.split()[0][:64])
                ),
                reply_markup=main_menu_keyboard(),
            )
            return
        found = search(catalog, text) if len(text) >= MIN_GUESS_LENGTH else []
        if found:
            builder = InlineKeyboardBuilder()
            for specialty in found[:10]:
                builder.button(
                    text=button_label(specialty), callback_data=SpecCardCb(code=specialty.code)
                )
            home_button_row(builder)
            builder.adjust(1)
            await message.answer(
                _("Perhaps you are looking for:"), reply_markup=builder.as_markup()
            )
            return
        await message.answer(
            _("I understand the buttons below and the commands /menu and /help."),
            reply_markup=main_menu_keyboard(),
        )

    @router.message()
    async def unexpected_message(message: Message) -> None:
        await message.answer(
            _("I cannot read stickers, pictures or files here. Please use the buttons below."),
            reply_markup=main_menu_keyboard(),
        )

    @router.callback_query()
    async def stale_button(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
        await stale(callback, callback_answer)

    return router
