"""/start, /menu, /help, /language, /cancel and the main menu."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.admission import admission_on, first_intake
from bot.domain.catalog import Catalog
from db.users import UserRepository
from handlers.application.draft_store import end_form
from handlers.callbacks import LanguageCb, MenuCb, Section
from handlers.howto import admission_lines
from handlers.states import Apply
from handlers.ui import alert, current_language, h, home_button_row, main_menu_keyboard, show

LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


def main_menu_text(catalog: Catalog, clock: Clock | None = None) -> str:
    """The welcome: the cluster, and with ``clock`` where its admission stands today (from the
    campaign calendar: never a year written into a text)."""
    language = current_language()
    parts = [
        f"<b>{h(catalog.cluster.name.get(language))}</b>",
        _("Hello! This is the cluster's bot.") + " " + h(catalog.cluster.about.get(language)),
    ]
    if clock is not None:
        today = clock.today()
        admission = admission_on(catalog, today)
        lines = admission_lines(admission)
        if admission.campaign is not None and admission.campaign.year == first_intake(catalog):
            lines.insert(
                0,
                _("The cluster's first intake is in {year}.").format(year=admission.campaign.year),
            )
        parts.append(" ".join(lines))
    parts.append(_("Choose a section:"))
    return "\n\n".join(parts)


def help_text() -> str:
    return "\n".join(
        [
            _("<b>What this bot can do</b>"),
            _("It tells about the specialties and colleges of the cluster, how and when to apply."),
            "",
            _("/start or /menu: the main menu"),
            _("/language: switch between Russian and English"),
            _("/cancel: stop what you are doing and go back to the menu"),
            _("/delete_my_data: erase everything the bot keeps about you"),
            _("/help: this help"),
            "",
            _("Use the buttons under the messages, or just type your question."),
        ]
    )


def language_keyboard() -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        builder.button(text=name, callback_data=LanguageCb(code=code))
    home_button_row(builder)
    builder.adjust(2, 1)
    return builder


async def leave_dialogue(state: FSMContext) -> None:
    """Back to the menu. An unfinished application keeps its answers (they are kept apart from
    the dialogue): «Apply» offers to go on."""
    await state.clear()


def get_router() -> Router:
    router = Router(name=__name__)

    @router.message(CommandStart())
    @router.message(Command("menu"))
    async def start(message: Message, state: FSMContext, catalog: Catalog, clock: Clock) -> None:
        await leave_dialogue(state)
        await message.answer(main_menu_text(catalog, clock), reply_markup=main_menu_keyboard())

    @router.callback_query(MenuCb.filter(F.to == Section.home))
    async def home(
        callback: CallbackQuery, state: FSMContext, catalog: Catalog, clock: Clock
    ) -> None:
        await leave_dialogue(state)
        await show(callback, main_menu_text(catalog, clock), main_menu_keyboard())

    @router.message(Command("help"))
    async def help_command(message: Message) -> None:
        await message.answer(help_text(), reply_markup=main_menu_keyboard())

    @router.message(Command("cancel"))
    async def cancel(message: Message, state: FSMContext, catalog: Catalog) -> None:
        current = await state.get_state()
        if current is None:
            text = _("There is nothing to cancel.")
        else:
            # Cancelling a side dialogue (a question, a search) keeps an unfinished
            # application; /cancel inside the form itself drops it, as it says.
            if current in Apply:
                await end_form(state)
            else:
                await state.clear()
            text = _("Cancelled.")
        await message.answer(
            text + "\n\n" + main_menu_text(catalog), reply_markup=main_menu_keyboard()
        )

    @router.message(Command("language"))
    async def language_command(message: Message) -> None:
        await message.answer(
            _("Choose the language of the bot:"), reply_markup=language_keyboard().as_markup()
        )

    @router.callback_query(MenuCb.filter(F.to == Section.language))
    async def language_screen(callback: CallbackQuery) -> None:
        await show(callback, _("Choose the language of the bot:"), language_keyboard().as_markup())

    @router.callback_query(LanguageCb.filter())
    async def choose_language(
        callback: CallbackQuery,
        callback_data: LanguageCb,
        callback_answer: CallbackAnswer,
        users: UserRepository,
        i18n: I18n,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        if callback_data.code not in i18n.available_locales:
            alert(callback_answer, _("This language is not available."))
            return
        await users.set_language(callback.from_user.id, callback_data.code)
        with i18n.use_locale(callback_data.code):
            await show(callback, main_menu_text(catalog, clock), main_menu_keyboard())
            callback_answer.text = _("Language: English")

    return router
