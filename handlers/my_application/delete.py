"""«Delete my data» (in «My application», or /delete_my_data for anyone): the question, the
erasure, and honestly what the bot cannot reach."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.catalog import Catalog
from bot.services.erasure import PersonEraser
from db.applications import PersonErased
from handlers.callbacks import MenuCb, MyAppAction, MyAppCb, Section
from handlers.start import main_menu_text
from handlers.ui import has_application, main_menu_keyboard, show


def delete_question(back: CallbackData) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Yes, delete everything"), callback_data=MyAppCb(action=MyAppAction.delete_yes)
    )
    builder.button(text=_("No"), callback_data=back)
    builder.adjust(1)
    text = _(
        "<b>Delete all your personal data?</b>\n\nYour application, its documents, "
        "your consent and your answers will be erased for good, and your application "
        "leaves the ranking. This cannot be undone. If you have also applied at the "
        "college or on Gosuslugi, ask them separately."
    )
    more = _(
        "Your questions to the admission office, your reminders and your student "
        "registration are erased too."
    )
    text += "\n" + more
    return text, builder.as_markup()


def deleted_text(erased: PersonErased) -> str:
    """The confirmation, and honestly what the bot cannot reach."""
    lines = [_("🗑 <b>Your personal data has been deleted.</b>")]
    if erased.staff_posts:
        lines.append(
            ngettext(
                "The bot is also deleting its {count} message about you from the admission "
                "office's chat.",
                "The bot is also deleting its {count} messages about you from the admission "
                "office's chat.",
                erased.staff_posts,
            ).format(count=erased.staff_posts)
        )
    lines += [
        "",
        _("What the admission office may still have:"),
        _(
            "• what the staff downloaded, printed or forwarded, and documents you gave them "
            "in person;"
        ),
        _(
            "• the bot's messages about you older than 48 hours: Telegram does not let the bot "
            "delete them after that;"
        ),
        _("• the staff's own messages in their chat;"),
        _(
            "• backup copies of the bot's database, until newer ones replace them; if a copy "
            "is ever restored, your data is deleted from it again."
        ),
        _("To have these erased too, write to the admission office of the college."),
    ]
    return "\n".join(lines)


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.delete))
    async def delete_asked(callback: CallbackQuery) -> None:
        await show(callback, *delete_question(MyAppCb(action=MyAppAction.show)))

    @router.message(Command("delete_my_data"))
    async def delete_command(message: Message) -> None:
        """For everyone, with an application or without (questions, reminders, a consent)."""
        text, markup = delete_question(MenuCb(to=Section.home))
        await message.answer(text, reply_markup=markup)

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.delete_yes))
    async def delete_confirmed(
        callback: CallbackQuery,
        state: FSMContext,
        eraser: PersonEraser,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        await state.clear()  # the eraser takes the draft and every other dialogue too
        erased = await eraser.erase(callback.from_user.id)
        has_application.set(False)
        await show(
            callback,
            deleted_text(erased) + "\n\n" + main_menu_text(catalog, clock),
            main_menu_keyboard(),
        )

    return router
