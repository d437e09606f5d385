"""Questions and contacts: frequent questions from the catalogue and how to reach the committee."""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.catalog import Catalog, FaqEntry
from handlers.callbacks import FaqCb, MenuCb, QuestionAction, Section
from handlers.catalog_texts import source_name
from handlers.howto import closed_text, dates_lines, gosuslugi_text
from handlers.questions import QuestionCb
from handlers.ui import alert, current_language, h, home_button_row, show

BUTTON_TEXT_LIMIT = 60


def short(text: str) -> str:
    """A text shortened to fit a button."""
    return text if len(text) <= BUTTON_TEXT_LIMIT else text[: BUTTON_TEXT_LIMIT - 1] + "…"


# In a catalogue answer, what changes every year is written as a placeholder and filled in
# from the campaign calendar when shown: never a fixed date that goes stale.
PLACEHOLDER = re.compile(r"\{(dates|gosuslugi)\}")


def filled(answer: str, catalog: Catalog, clock: Clock) -> str:
    """An answer of the catalogue, escaped, its placeholders filled: ``{dates}`` the dates of
    the admission applicants deal with today, ``{gosuslugi}`` whether Gosuslugi takes them."""
    campaign = catalog.campaign_for(clock.today())
    parts = PLACEHOLDER.split(answer)
    out = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            out.append(h(part))
        elif campaign is None:
            out.append(closed_text())
        elif part == "dates":
            out.append("\n".join(dates_lines(campaign)))
        else:
            out.append(gosuslugi_text(campaign))
    return "".join(out)


def faq_text(entry: FaqEntry, catalog: Catalog, clock: Clock) -> str:
    lang = current_language()
    answer = filled(entry.answer.get(lang), catalog, clock)
    text = f"<b>{h(entry.question.get(lang))}</b>\n\n{answer}"
    if entry.source:
        text += "\n\n" + _("<i>Source: {source}</i>").format(
            source=h(source_name(catalog, entry.source))
        )
    return text


def contacts_screen(catalog: Catalog) -> tuple[str, InlineKeyboardMarkup]:
    lang = current_language()
    lines = [_("<b>Questions and contacts</b>"), ""]
    if catalog.cluster.contacts:
        lines += [h(catalog.cluster.contacts.get(lang)), ""]
    lines.append(_("Ask the admission office right here, or see the frequent questions:"))
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✍️ Ask the admission office"),
        callback_data=QuestionCb(action=QuestionAction.ask),
    )
    for index, entry in enumerate(catalog.faq):
        builder.button(text=short(entry.question.get(lang)), callback_data=FaqCb(index=index))
    home_button_row(builder)
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(MenuCb.filter(F.to == Section.contacts))
    async def contacts(callback: CallbackQuery, catalog: Catalog) -> None:
        await show(callback, *contacts_screen(catalog))

    @router.callback_query(FaqCb.filter())
    async def answer(
        callback: CallbackQuery,
        callback_data: FaqCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        if not 0 <= callback_data.index < len(catalog.faq):
            alert(callback_answer, _("This question is no longer in the list."))
            return
        entry = catalog.faq[callback_data.index]
        builder = InlineKeyboardBuilder()
        builder.button(text=_("⬅️ Questions"), callback_data=MenuCb(to=Section.contacts))
        home_button_row(builder)
        builder.adjust(2)
        await show(callback, faq_text(entry, catalog, clock), builder.as_markup())

    return router
