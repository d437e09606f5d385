"""The list of upcoming events (/events, the menu, a specialty's card) and an event's card."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from db.events import EventRepository
from handlers.callbacks import EventAction, EventsCb, MenuCb, Section
from handlers.events.screens import event_card, events_screen, now_of
from handlers.ui import alert, show


def get_router() -> Router:
    router = Router(name=__name__)

    @router.message(Command("events"))
    async def events_command(message: Message, catalog: Catalog, clock: Clock) -> None:
        text, markup = events_screen(catalog, now_of(clock))
        await message.answer(text, reply_markup=markup)

    @router.callback_query(MenuCb.filter(F.to == Section.events))
    async def from_menu(callback: CallbackQuery, catalog: Catalog, clock: Clock) -> None:
        await show(callback, *events_screen(catalog, now_of(clock)))

    @router.callback_query(EventsCb.filter(F.action == EventAction.list))
    async def listing(
        callback: CallbackQuery, callback_data: EventsCb, catalog: Catalog, clock: Clock
    ) -> None:
        await show(callback, *events_screen(catalog, now_of(clock), callback_data.spec))

    @router.callback_query(EventsCb.filter(F.action == EventAction.card))
    async def card(
        callback: CallbackQuery,
        callback_data: EventsCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
        registrations: EventRepository,
    ) -> None:
        event = catalog.event(callback_data.event)
        if event is None:
            alert(callback_answer, _("This event is no longer in the list."))
            await show(callback, *events_screen(catalog, now_of(clock)))
            return
        await show(
            callback,
            *await event_card(
                event,
                callback.from_user.id,
                catalog,
                settings,
                clock,
                registrations,
                callback_data.spec,
            ),
        )

    return router
