"""What the bot does not expect: a short hint and the menu, never silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.domain.catalog import Catalog
from bot.services.catalog import CatalogService
from db.unanswered import UnansweredRepository
from handlers.typed import answer_typed
from handlers.ui import h, main_menu_keyboard, stale


def get_router() -> Router:
    router = Router(name=__name__)

    @router.message(F.text)
    async def unexpected_text(
        message: Message,
        state: FSMContext,
        catalog: Catalog,
        catalogs: CatalogService,
        clock: Clock,
        unanswered: UnansweredRepository,
    ) -> None:
        text = (message.text or "").strip()
        if text.startswith("/"):
            await message.answer(
                _("I do not know the command {command}. Here is the menu:").format(
                    command=h(text.split()[0][:64])
                ),
                reply_markup=main_menu_keyboard(),
            )
            return
        if await state.get_state() is None:  # a question typed outside any dialogue
            await answer_typed(
                message,
                state,
                text,
                catalog=catalog,
                catalogs=catalogs,
                clock=clock,
                unanswered=unanswered,
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
