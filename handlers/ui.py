"""Small rendering helpers shared by the feature routers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any, TypeVar, cast

import phonenumbers
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date
from babel.numbers import format_decimal

from bot.middlewares import has_application
from handlers.callbacks import MenuCb, QuestionAction, QuestionCb, Section

log = logging.getLogger(__name__)

T = TypeVar("T")


def h(text: str) -> str:
    """User or catalogue text made safe inside an HTML message (shown exactly as typed)."""
    return escape(text, quote=False)


def current_language() -> str:
    return I18n.get_current(no_error=False).current_locale


def bot_of(event: Message | CallbackQuery) -> Bot:
    """The bot an update came through (aiogram sets it on every update it feeds)."""
    bot = event.bot
    if bot is None:
        raise RuntimeError("the update was not fed through a dispatcher")
    return bot


def fmt_date(value: date) -> str:
    """«20 июня 2026» / «20 June 2026»: no trailing «г.» to clash with a sentence's full stop."""
    return format_date(value, format="d MMMM y", locale=current_language())


def fmt_score(score: Decimal | str) -> str:
    """An average score with two decimals in the reader's notation: «4,50» / «4.50»."""
    return format_decimal(Decimal(score), format="0.00", locale=current_language())


def fmt_number(number: str) -> str:
    """An application number as its reader writes it: «М-2027-0008» in Russian, with a Latin
    «M» in English (the number is stored with the Cyrillic letter; the staff's search takes
    either)."""
    if number.startswith("М") and current_language() == "en":
        return "M" + number[1:]
    return number


def fmt_size_mb(size: int) -> str:
    """A file's size in megabytes with one decimal, in the reader's notation: «20,5» / «20.5»."""
    return format_decimal(size / 1024 / 1024, format="0.0", locale=current_language())


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


def ask_button(builder: InlineKeyboardBuilder) -> None:
    """The way to a person: a question to the admission office."""
    builder.button(
        text=_("✍️ Ask the admission office"), callback_data=QuestionCb(action=QuestionAction.ask)
    )


class Screens:
    """Screens that are the same for everyone who sees them in a language (the main menu, a
    page of the specialty list): built once and handed out as they are (nobody changes a
    keyboard once built). aiogram's keyboard builder copies every button it is given, which
    made building these the largest part of handling a press.

    An entry is kept with what it was built from (``source``, e.g. the catalogue): a new
    catalogue builds it again.
    """

    LIMIT = 512  # entries; all are dropped when there are more (languages × pages × filters)

    def __init__(self) -> None:
        self._built: dict[Hashable, tuple[object, Any]] = {}

    def get(self, key: Hashable, source: object, build: Callable[[], T]) -> T:
        entry = self._built.get(key)
        if entry is not None and entry[0] is source:
            return cast(T, entry[1])
        if len(self._built) >= self.LIMIT:
            self._built.clear()
        value = build()
        self._built[key] = (source, value)
        return value


screens = Screens()


def main_menu_keyboard() -> InlineKeyboardMarkup:
    applied = has_application.get()
    return screens.get(
        ("main menu", current_language(), applied), None, lambda: _main_menu_keyboard(applied)
    )


def _main_menu_keyboard(applied: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🎓 Specialties"), callback_data=MenuCb(to=Section.specialties))
    builder.button(text=_("🏫 Colleges"), callback_data=MenuCb(to=Section.colleges))
    builder.button(text=_("📋 How to apply"), callback_data=MenuCb(to=Section.howto))
    if applied:
        builder.button(text=_("📄 My application"), callback_data=MenuCb(to=Section.apply))
    else:
        builder.button(text=_("📝 Apply"), callback_data=MenuCb(to=Section.apply))
    builder.button(text=_("❓ Questions and contacts"), callback_data=MenuCb(to=Section.contacts))
    builder.button(text=_("📅 Open days and events"), callback_data=MenuCb(to=Section.events))
    builder.button(text=_("👷 I am a student"), callback_data=MenuCb(to=Section.student))
    builder.button(text=_("🔔 Reminders"), callback_data=MenuCb(to=Section.reminders))
    builder.button(text=_("🌐 Language"), callback_data=MenuCb(to=Section.language))
    builder.adjust(2, 2, 1, 1, 1, 2)
    return builder.as_markup()


def alert(callback_answer: CallbackAnswer, text: str) -> None:
    """Answer the press with a window the user closes, not a passing toast (sent once the
    handler returns, by aiogram's CallbackAnswerMiddleware)."""
    callback_answer.text = text
    callback_answer.show_alert = True


async def stale(callback: CallbackQuery, callback_answer: CallbackAnswer | None = None) -> None:
    """A button from a screen that is no longer current: say so and show the menu. Without
    ``callback_answer`` (a router that answers by hand) the press is answered here."""
    if callback_answer is None:
        await callback.answer(_("This button is out of date. Here is the menu."))
    else:
        callback_answer.text = _("This button is out of date. Here is the menu.")
    await bot_of(callback).send_message(
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
        await bot_of(target).send_message(target.from_user.id, text, reply_markup=markup)
        return
    await target.answer(text, reply_markup=markup)


def page_of(items: list[T], page: int, size: int) -> tuple[list[T], int, int]:
    """One screen of a list that grows: its ``size`` items of ``page`` (clamped to the pages
    there are), the page, and the number of pages (at least 1)."""
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def page_buttons(
    builder: InlineKeyboardBuilder, page: int, pages: int, to: Callable[[int], CallbackData]
) -> int:
    """«◀️» and «▶️» where there is a page before or after; how many were added (one row)."""
    added = 0
    for target, text in ((page - 1, "◀️"), (page + 1, "▶️")):
        if 0 <= target < pages:
            builder.button(text=text, callback_data=to(target))
            added += 1
    return added
