"""Registering for an event: «📝 Register», the consent, «register as …?» with the name and
phone known, else the name and the phone asked."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog, Event
from bot.domain.events import event_consent_version
from bot.domain.validation import Invalid, parse_full_name, parse_phone
from bot.services.events import EventService, RegistrationClosed
from db.applications import ApplicationRepository
from db.events import EventRepository
from handlers.application.hints import NAME_HINTS, PHONE_HINTS
from handlers.callbacks import ConsentAction, EventAction, EventConsentCb, EventsCb
from handlers.event_texts import title_line
from handlers.events.consent import consent_keyboard, consent_text
from handlers.events.screens import (
    after_keyboard,
    event_card,
    events_screen,
    now_of,
    registered_text,
    send_entry_code,
)
from handlers.states import EventForm
from handlers.ui import alert, bot_of, fmt_phone, h, home_button_row, show

EVENT_KEY = "event_id"  # the event being registered for, in the dialogue's data
NAME_KEY = "event_name"


def phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Share my number"), request_contact=True)],
            [KeyboardButton(text=_("✖️ Cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def known_details(
    user_id: int, registrations: EventRepository, applications: ApplicationRepository
) -> tuple[str, str] | None:
    """The name and phone the person gave last time (an event, or their application)."""
    details = await registrations.latest_details(user_id)
    if details is not None:
        return details
    application = await applications.for_user(user_id)
    if application is None:
        return None
    return application.data.full_name, application.data.phone


async def finish(
    target: Message | CallbackQuery,
    event: Event,
    name: str,
    phone: str,
    events: EventService,
    settings: Settings,
) -> None:
    """Register, then say where the person stands (and send the entry code with a seat)."""
    user_id = target.from_user.id if target.from_user else 0
    bot = bot_of(target)
    try:
        registration, _new = await events.register(event, user_id, name, phone)
    except RegistrationClosed:
        await bot.send_message(user_id, _("Registration for this event is closed."))
        return
    text = registered_text(event, registration, settings)
    markup = None if registration.has_seat else after_keyboard(registration)
    if isinstance(target, CallbackQuery):
        await show(target, text, markup)
    elif markup is None:
        await target.answer(text, reply_markup=ReplyKeyboardRemove())
    else:
        # The phone's keyboard goes, and the buttons come under a message of their own.
        await target.answer(
            _("Phone saved: {phone}").format(phone=fmt_phone(phone)),
            reply_markup=ReplyKeyboardRemove(),
        )
        await target.answer(text, reply_markup=markup)
    if registration.has_seat:
        await send_entry_code(bot, user_id, event, registration)


async def start_registration(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    event_id: str,
    state: FSMContext,
    catalog: Catalog,
    settings: Settings,
    clock: Clock,
    registrations: EventRepository,
    applications: ApplicationRepository,
) -> None:
    """«📝 Register»: the consent first if not given; then «register as …?» with the name and
    phone known, else the name is asked."""
    user_id = callback.from_user.id
    event = catalog.event(event_id)
    if event is None or not event.open_for_registration(now_of(clock)):
        alert(callback_answer, _("Registration for this event is closed."))
        return
    if any(r.event_id == event.id for r in await registrations.of_user(user_id)):
        callback_answer.text = _("You are registered already.")
        await show(
            callback, *await event_card(event, user_id, catalog, settings, clock, registrations)
        )
        return
    if await registrations.consent(user_id) != event_consent_version(catalog):
        await show(callback, consent_text(event, catalog, settings), consent_keyboard(event.id))
        return
    details = await known_details(user_id, registrations, applications)
    if details is None:
        await ask_name(callback, state, event.id)
        return
    name, phone = details
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ Yes, register me"), callback_data=EventsCb(action=EventAction.go, event=event.id)
    )
    builder.button(
        text=_("✏️ Another name or phone"),
        callback_data=EventsCb(action=EventAction.details, event=event.id),
    )
    builder.button(
        text=_("⬅️ Back"), callback_data=EventsCb(action=EventAction.card, event=event.id)
    )
    builder.adjust(1)
    text = _("Register for {title} as <b>{name}</b>, phone {phone}?").format(
        title=title_line(event), name=h(name), phone=fmt_phone(phone)
    )
    await show(callback, text, builder.as_markup())


async def ask_name(callback: CallbackQuery, state: FSMContext, event_id: str) -> None:
    await state.set_state(EventForm.name)
    await state.update_data({EVENT_KEY: event_id})
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("⬅️ Back"), callback_data=EventsCb(action=EventAction.card, event=event_id)
    )
    await show(
        callback,
        _("<b>Your name and surname</b> (of whoever comes: a parent may register for a child):"),
        builder.as_markup(),
    )


async def take_phone(
    message: Message,
    text: str,
    state: FSMContext,
    catalog: Catalog,
    settings: Settings,
    events: EventService,
) -> None:
    if text == _("✖️ Cancel"):
        await state.clear()
        await message.answer(
            _("Cancelled: you are not registered."), reply_markup=ReplyKeyboardRemove()
        )
        text, markup = events_screen(catalog, now_of(events.clock))
        await message.answer(text, reply_markup=markup)
        return
    try:
        phone = parse_phone(text)
    except Invalid as error:
        hint = PHONE_HINTS.get(error.code)
        await message.answer(hint(error.params) if hint else _("Please check the number."))
        return
    data = await state.get_data()
    event = catalog.event(str(data.get(EVENT_KEY, "")))
    name = str(data.get(NAME_KEY, ""))
    await state.clear()
    if event is None or not name:
        await message.answer(
            _("This event is no longer in the list."), reply_markup=ReplyKeyboardRemove()
        )
        return
    await finish(message, event, name, phone, events, settings)


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(EventsCb.filter(F.action == EventAction.register))
    async def register(
        callback: CallbackQuery,
        callback_data: EventsCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
        registrations: EventRepository,
        applications: ApplicationRepository,
    ) -> None:
        await start_registration(
            callback,
            callback_answer,
            callback_data.event,
            state,
            catalog,
            settings,
            clock,
            registrations,
            applications,
        )

    @router.callback_query(EventConsentCb.filter(F.action == ConsentAction.yes))
    async def consent_given(
        callback: CallbackQuery,
        callback_data: EventConsentCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
        registrations: EventRepository,
        applications: ApplicationRepository,
    ) -> None:
        await registrations.give_consent(
            callback.from_user.id, event_consent_version(catalog), clock.now()
        )
        await start_registration(
            callback,
            callback_answer,
            callback_data.event,
            state,
            catalog,
            settings,
            clock,
            registrations,
            applications,
        )

    @router.callback_query(EventConsentCb.filter(F.action == ConsentAction.no))
    async def consent_declined(callback: CallbackQuery, callback_data: EventConsentCb) -> None:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("⬅️ The event"),
            callback_data=EventsCb(action=EventAction.card, event=callback_data.event),
        )
        home_button_row(builder)
        builder.adjust(1)
        text = _(
            "Understood: nothing was saved. Without the consent I cannot register you, but you "
            "can ask the college to register you by phone or at its admission office."
        )
        await show(callback, text, builder.as_markup())

    @router.callback_query(EventsCb.filter(F.action == EventAction.go))
    async def go(
        callback: CallbackQuery,
        callback_data: EventsCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        settings: Settings,
        registrations: EventRepository,
        applications: ApplicationRepository,
        events: EventService,
    ) -> None:
        event = catalog.event(callback_data.event)
        user_id = callback.from_user.id
        details = await known_details(user_id, registrations, applications)
        if event is None or details is None:
            alert(callback_answer, _("This event is no longer in the list."))
            return
        if await registrations.consent(user_id) != event_consent_version(catalog):
            await show(callback, consent_text(event, catalog, settings), consent_keyboard(event.id))
            return
        await finish(callback, event, *details, events, settings)

    @router.callback_query(EventsCb.filter(F.action == EventAction.details))
    async def other_details(
        callback: CallbackQuery, callback_data: EventsCb, state: FSMContext
    ) -> None:
        await ask_name(callback, state, callback_data.event)

    @router.message(StateFilter(EventForm.name), F.text)
    async def name_typed(message: Message, state: FSMContext) -> None:
        try:
            name = parse_full_name(message.text or "")
        except Invalid as error:
            hint = NAME_HINTS.get(error.code)
            await message.answer(hint(error.params) if hint else _("Please type your name."))
            return
        await state.update_data({NAME_KEY: name})
        await state.set_state(EventForm.phone)
        await message.answer(
            _("<b>Your phone number</b>, so that the college can reach you about the event:"),
            reply_markup=phone_keyboard(),
        )

    @router.message(StateFilter(EventForm.name))
    async def name_needs_text(message: Message) -> None:
        await message.answer(_("Please type your name and surname, or /cancel."))

    @router.message(StateFilter(EventForm.phone), F.contact)
    async def phone_shared(
        message: Message,
        state: FSMContext,
        catalog: Catalog,
        settings: Settings,
        events: EventService,
    ) -> None:
        contact = message.contact
        assert contact is not None and message.from_user is not None
        if contact.user_id != message.from_user.id:
            await message.answer(
                _("This is someone else's contact. Please share your own number or type it.")
            )
            return
        await take_phone(message, contact.phone_number, state, catalog, settings, events)

    @router.message(StateFilter(EventForm.phone), F.text)
    async def phone_typed(
        message: Message,
        state: FSMContext,
        catalog: Catalog,
        settings: Settings,
        events: EventService,
    ) -> None:
        await take_phone(message, message.text or "", state, catalog, settings, events)

    @router.message(StateFilter(EventForm.phone))
    async def phone_needs_text(message: Message) -> None:
        await message.answer(PHONE_HINTS["phone_format"]({}), reply_markup=phone_keyboard())

    return router
