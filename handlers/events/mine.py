"""«My registrations»: the entry code, cancelling, taking or declining a seat offered from the
waiting list."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import Settings
from bot.domain.catalog import Catalog, Event
from bot.services.events import EventService
from db.events import EventRepository, Registration
from handlers.callbacks import EventAction, EventsCb
from handlers.event_texts import title_line
from handlers.events.screens import mine_screen, registered_text, send_entry_code
from handlers.ui import alert, bot_of, home_button_row, show


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(EventsCb.filter(F.action == EventAction.mine))
    async def mine(
        callback: CallbackQuery,
        catalog: Catalog,
        settings: Settings,
        registrations: EventRepository,
    ) -> None:
        found = await registrations.of_user(callback.from_user.id)
        await show(callback, *mine_screen(found, catalog, settings))

    @router.callback_query(EventsCb.filter(F.action == EventAction.qr))
    async def entry_code(
        callback: CallbackQuery,
        callback_data: EventsCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        registrations: EventRepository,
    ) -> None:
        found = await own_registration(
            callback, callback_answer, callback_data, catalog, registrations
        )
        if found is None:
            return
        registration, event = found
        if not registration.has_seat:
            alert(callback_answer, _("The entry code comes with a seat."))
            return
        await send_entry_code(bot_of(callback), callback.from_user.id, event, registration)

    @router.callback_query(EventsCb.filter(F.action == EventAction.cancel))
    async def cancel_ask(
        callback: CallbackQuery,
        callback_data: EventsCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        registrations: EventRepository,
    ) -> None:
        found = await own_registration(
            callback, callback_answer, callback_data, catalog, registrations
        )
        if found is None:
            return
        registration, event = found
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("Yes, cancel it"),
            callback_data=EventsCb(action=EventAction.cancel_yes, reg=registration.id),
        )
        builder.button(
            text=_("⬅️ No, keep it"), callback_data=EventsCb(action=EventAction.card, event=event.id)
        )
        builder.adjust(1)
        text = _("Cancel your registration for {title}? Your seat goes to the next in line.")
        await show(callback, text.format(title=title_line(event)), builder.as_markup())

    @router.callback_query(EventsCb.filter(F.action == EventAction.cancel_yes))
    async def cancel_yes(
        callback: CallbackQuery,
        callback_data: EventsCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        settings: Settings,
        registrations: EventRepository,
        events: EventService,
    ) -> None:
        removed = await events.cancel(catalog, callback.from_user.id, callback_data.reg)
        if removed is None:
            alert(callback_answer, _("This registration no longer exists."))
        else:
            callback_answer.text = _("Your registration is cancelled.")
        found = await registrations.of_user(callback.from_user.id)
        await show(callback, *mine_screen(found, catalog, settings))

    @router.callback_query(EventsCb.filter(F.action == EventAction.accept))
    async def accept(
        callback: CallbackQuery,
        callback_data: EventsCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        settings: Settings,
        registrations: EventRepository,
        events: EventService,
    ) -> None:
        expired = _("This offer has expired: the seat went to the next in line.")
        registration = await registrations.get(callback_data.reg)
        event = catalog.event(registration.event_id) if registration else None
        user_id = callback.from_user.id
        if registration is None or event is None or registration.user_id != user_id:
            alert(callback_answer, expired)
            return
        if registration.has_seat:
            callback_answer.text = _("The seat is yours already.")
            return
        if not await events.confirm(user_id, registration.id):
            alert(callback_answer, expired)
            return
        seated = await registrations.get(registration.id)
        assert seated is not None
        await show(callback, registered_text(event, seated, settings))
        await send_entry_code(bot_of(callback), user_id, event, seated)

    @router.callback_query(EventsCb.filter(F.action == EventAction.decline))
    async def decline(
        callback: CallbackQuery,
        callback_data: EventsCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        events: EventService,
    ) -> None:
        removed = await events.cancel(
            catalog, callback.from_user.id, callback_data.reg, only_offered=True
        )
        if removed is None:
            alert(callback_answer, _("This offer is no longer open."))
            return
        builder = InlineKeyboardBuilder()
        builder.button(text=_("📅 Events"), callback_data=EventsCb(action=EventAction.list))
        home_button_row(builder)
        await show(
            callback,
            _("Understood: the seat goes to the next in line. You are no longer registered."),
            builder.as_markup(),
        )

    return router


async def own_registration(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: EventsCb,
    catalog: Catalog,
    registrations: EventRepository,
) -> tuple[Registration, Event] | None:
    """The pressed registration with its event, if it is the presser's and still there."""
    registration = await registrations.get(callback_data.reg)
    event = catalog.event(registration.event_id) if registration else None
    if registration is None or event is None or registration.user_id != callback.from_user.id:
        alert(callback_answer, _("This registration no longer exists."))
        return None
    return registration, event
