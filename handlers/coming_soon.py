"""Entries whose features land with later issues: they say what is coming, never nothing."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import MenuCb, Section
from handlers.ui import home_button_row, show


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(MenuCb.filter(F.to == Section.student))
    async def student(callback: CallbackQuery) -> None:
        builder = InlineKeyboardBuilder()
        home_button_row(builder)
        await show(
            callback,
            _(
                "<b>For students: coming soon.</b>\n\n"
                "You will register with your college, specialty and group, see your practicum "
                "dates, place and supervisor, and get reminders before the practicum and its "
                "report deadline."
            ),
            builder.as_markup(),
        )
        await callback.answer()

    return router
