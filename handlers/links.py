"""Deep links: ``/start <payload>`` from a link or a QR code opens the bot straight on a
specialty, a college or an event (bot/domain/links.py); a poster's source label is recorded
with each new user. A personal entry code (``in_<token>``) scanned by a staff member's phone
marks its person as come.

Comes after the invite router (``staff_<token>``) and before /start: a payload it does not know
is left to /start, which shows the menu.
"""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.links import Link, LinkKind, parse_payload
from bot.services.staff import scope_of
from db.events import EventRepository
from db.reminders import ReminderRepository
from db.staff import StaffRepository
from handlers.callbacks import SpecListCb
from handlers.colleges import college_screen
from handlers.events.screens import event_card
from handlers.specialties import specialty_card
from handlers.staff.events import check_in
from handlers.start import main_menu_text
from handlers.ui import main_menu_keyboard


def known_link(message: Message, command: CommandObject) -> bool | dict[str, Any]:
    """After ``CommandStart(deep_link=True)``: a payload this module opens."""
    link = parse_payload(command.args)
    return False if link is None else {"link": link}


def get_router() -> Router:
    router = Router(name=__name__)

    @router.message(CommandStart(deep_link=True), known_link)
    async def open_link(
        message: Message,
        link: Link,
        state: FSMContext,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
        registrations: EventRepository,
        reminders: ReminderRepository,
        staff: StaffRepository,
    ) -> None:
        assert message.from_user is not None
        user_id = message.from_user.id
        if link.kind is LinkKind.checkin:
            scope = await scope_of(user_id, settings.admin_ids, staff)
            text, markup = await check_in(
                link.ref, user_id, scope, catalog, clock, settings, registrations
            )
            await message.answer(text, reply_markup=markup)
            return
        await state.clear()  # as /start does: a dialogue left (an application draft stays)
        if link.source is not None:
            await registrations.record_source(user_id, link.source, clock.now())
        if link.kind is LinkKind.specialty and (specialty := catalog.specialty(link.ref)):
            following = await reminders.subscribed(user_id, specialty.code)
            text, markup = specialty_card(specialty, catalog, clock, SpecListCb(), following)
        elif link.kind is LinkKind.college and (college := catalog.college(link.ref)):
            text, markup = college_screen(college, catalog)
        elif link.kind is LinkKind.event and (event := catalog.event(link.ref)):
            text, markup = await event_card(event, user_id, catalog, settings, clock, registrations)
        elif link.kind is LinkKind.menu:
            text, markup = main_menu_text(catalog), main_menu_keyboard()
        else:  # a link to something no longer in the catalogue
            text = _("This link leads to something no longer in the bot. Here is the menu.")
            text += "\n\n" + main_menu_text(catalog)
            markup = main_menu_keyboard()
        await message.answer(text, reply_markup=markup)

    return router
