"""The one message that tells a follower of a specialty what became known about it
(bot/domain/catalog_news.py), rendered when it is sent: in the follower's language, from the
catalogue as it is then, about what they follow then. Nothing left to tell: no message."""

from __future__ import annotations

from typing import Any

from aiogram.methods import SendMessage, TelegramMethod
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.catalog import Catalog
from bot.domain.catalog_news import News, Subject
from bot.services.catalog import CatalogService
from db.outbox import OutboxMessage
from handlers.callbacks import SpecCardCb
from handlers.catalog_texts import button_label
from handlers.howto import dates_lines
from handlers.specialties import medical_label
from handlers.ui import current_language, h, home_button_row

CARDS_SHOWN = 3


def news_lines(news: list[News], catalog: Catalog) -> list[str]:
    """The news grouped by what it is about: each specialty, each college, the admission."""
    lang = current_language()
    lines: list[str] = []
    for subject, key in dict.fromkeys((item.subject, item.key) for item in news):
        items = [item for item in news if (item.subject, item.key) == (subject, key)]
        if subject is Subject.specialty:
            specialty = catalog.specialty(key)
            if specialty is None:
                continue
            lines += ["", f"<b>{specialty.code} {h(specialty.name.get(lang))}</b>"]
            for item in items:
                if item.field == "budget_places":
                    lines.append(_("💺 State-funded places: {value}").format(value=item.value))
                else:
                    lines.append(
                        _("🩺 Medical certificate: {value}").format(
                            value=medical_label(bool(item.value))
                        )
                    )
        elif subject is Subject.college:
            college = catalog.college(key)
            if college is not None and college.address:
                lines += [
                    "",
                    _("• {name}; address: {address}").format(
                        name=h(college.name.get(lang)), address=h(college.address)
                    ),
                ]
        else:
            campaign = catalog.campaign(int(key))
            if campaign is not None:
                lines += ["", _("<b>Admission {year}</b>").format(year=campaign.year)]
                lines += dates_lines(campaign)
    return lines


async def catalog_news(
    message: OutboxMessage, catalogs: CatalogService
) -> list[TelegramMethod[Any]] | None:
    """The message of an outbox row ``catalog_news``; None when nothing is left to tell."""
    news, catalog = await catalogs.news(message.chat_id, list(message.payload["versions"]))
    lines = news_lines(news, catalog)
    if not lines:
        return None
    text = "\n".join(
        [
            _("🔔 <b>News of the specialties you asked to be reminded of</b>"),
            *lines,
            "",
            _("<i>To stop these messages, press «Do not remind me» on the specialty's card.</i>"),
        ]
    )
    builder = InlineKeyboardBuilder()
    codes = list(dict.fromkeys(item.key for item in news if item.subject is Subject.specialty))
    for code in codes[:CARDS_SHOWN]:
        specialty = catalog.specialty(code)
        if specialty is not None:
            builder.button(text=button_label(specialty), callback_data=SpecCardCb(code=code))
    home_button_row(builder)
    builder.adjust(1)
    return [SendMessage(chat_id=message.chat_id, text=text, reply_markup=builder.as_markup())]
