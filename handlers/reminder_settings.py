"""Reminder settings: each kind of reminder can be switched off and on."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import Settings
from bot.domain.reminders import PREFERENCES
from db.reminders import ReminderRepository
from handlers.callbacks import MenuCb, ReminderCb, Section
from handlers.ui import home_button_row, show


def kind_label(kind: str) -> str:
    return {
        "deadlines": _("Admission deadlines"),
        "documents": _("Documents: original, medical certificate, corrections"),
        "practicum": _("Work placement dates and reports"),
        "opening": _("Start of admission (specialties you follow)"),
    }[kind]


def get_router() -> Router:
    router = Router(name=__name__)

    async def render(
        callback: CallbackQuery, reminders: ReminderRepository, settings: Settings
    ) -> None:
        off = await reminders.optouts(callback.from_user.id)
        builder = InlineKeyboardBuilder()
        for kind in PREFERENCES:
            mark = "🔕" if kind in off else "🔔"
            builder.button(text=f"{mark} {kind_label(kind)}", callback_data=ReminderCb(kind=kind))
        home_button_row(builder)
        builder.adjust(1)
        await show(
            callback,
            _(
                "<b>Reminders</b>\n\nThey come at {hour}:00 Norilsk time, never at night. "
                "Press a line to switch it off (🔕) or on (🔔)."
            ).format(hour=settings.reminder_hour),
            builder.as_markup(),
        )

    @router.callback_query(MenuCb.filter(F.to == Section.reminders))
    async def open_settings(
        callback: CallbackQuery, reminders: ReminderRepository, settings: Settings
    ) -> None:
        await render(callback, reminders, settings)

    @router.callback_query(ReminderCb.filter())
    async def toggle(
        callback: CallbackQuery,
        callback_data: ReminderCb,
        callback_answer: CallbackAnswer,
        reminders: ReminderRepository,
        settings: Settings,
    ) -> None:
        if callback_data.kind not in PREFERENCES:
            return
        enabled = callback_data.kind in await reminders.optouts(callback.from_user.id)
        await reminders.set_enabled(callback.from_user.id, callback_data.kind, enabled)
        await render(callback, reminders, settings)
        callback_answer.text = _("Switched on.") if enabled else _("Switched off.")

    return router
