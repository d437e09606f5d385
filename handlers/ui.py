"""Small rendering helpers shared by the feature routers."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from html import escape

import phonenumbers
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date
from babel.numbers import format_decimal

from handlers.callbacks import MenuCb, Section

log = logging.getLogger(__name__)

# Whether the user of the update being handled has an application (set by a middleware):
# the main menu then offers «My application» instead of «Apply».
has_application: ContextVar[bool] = ContextVar("has_application", default=False)


def h(text: str) -> str:
    """User or catalogue text made safe inside an HTML message (shown exactly as typed)."""
    return escape(text, quote=False)


def telegram_length(text: str) -> int:
    """The length Telegram limits (4096 a message, 1024 a caption): UTF-16 code units, so an
    emoji outside the Basic Multilingual Plane counts two."""
    return len(text.encode("utf-16-le")) // 2


def current_language() -> str:
    return I18n.get_current().current_locale


def fmt_date(value: date) -> str:
    """«20 июня 2026» / «20 June 2026»: no trailing «г.» to clash with a sentence's full stop."""
    return format_date(value, format="d MMMM y", locale=current_language())


def fmt_score(score: Decimal | str) -> str:
    """An average score with two decimals in the reader's notation: «4,50» / «4.50»."""
    return format_decimal(Decimal(score), format="0.00", locale=current_language())


def fmt_phone(phone: str) -> str:
    """«+7 913 123-45-67» for a stored «+79131234567»."""
    try:
        number = phonenumbers.parse(phone, "RU")
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def unknown() -> str:
    return _("to be confirmed")


def home_button_row(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("🏠 Main menu"), callback_data=MenuCb(to=Section.home))


def main_menu_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🎓 Specialties"), callback_data=MenuCb(to=Section.specialties))
    builder.button(text=_("🏫 Colleges"), callback_data=MenuCb(to=Section.colleges))
    builder.button(text=_("📋 How to apply"), callback_data=MenuCb(to=Section.howto))
    if has_application.get():
        builder.button(text=_("📄 My application"), callback_data=MenuCb(to=Section.apply))
    else:
        builder.button(text=_("📝 Apply"), callback_data=MenuCb(to=Section.apply))
    builder.button(text=_("❓ Questions and contacts"), callback_data=MenuCb(to=Section.contacts))
    builder.button(text=_("👷 I am a student"), callback_data=MenuCb(to=Section.student))
    builder.button(text=_("🔔 Reminders"), callback_data=MenuCb(to=Section.reminders))
    builder.button(text=_("🌐 Language"), callback_data=MenuCb(to=Section.language))
    builder.adjust(2, 2, 1, 1, 2)
    return builder.as_markup()


async def stale(callback: CallbackQuery) -> None:
    """A button from a screen that is no longer current: say so and show the menu."""
    await callback.answer(_("This button is out of date. Here is the menu."))
    await callback.bot.send_message(
        callback.from_user.id, _("Choose a section:"), reply_markup=main_menu_keyboard()
    )


async def show(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show a screen: edit the pressed message in place, or send a new one.

    A repeated press (the same content) is not an error; a message that can no longer be
    edited (too old, deleted) gets a fresh message instead.
    """
    if isinstance(target, CallbackQuery):
        message = target.message
        if isinstance(message, Message):
            try:
                await message.edit_text(text, reply_markup=markup)
                return
            except TelegramBadRequest as exc:
                if "message is not modified" in exc.message:
                    return
                log.info("cannot edit message %s, sending a new one: %s", message.message_id, exc)
        await target.bot.send_message(target.from_user.id, text, reply_markup=markup)
        return
    await target.answer(text, reply_markup=markup)
