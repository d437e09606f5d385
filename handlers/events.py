"""Events for applicants: the upcoming ones (also from a specialty's card), registering in two
taps, «My registrations», cancelling, taking a seat offered from the waiting list.

Registering asks a name and a phone: personal data, so a short consent of its own comes first
(152-ФЗ: a separate document, for this purpose only). Someone who registered before, or who
applied, confirms the name and phone shown: «📝 Register» and «✅ Yes, register me».
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog, Event
from bot.domain.events import EVENT_CONSENT_VERSION, OFFER_HOURS, local_now
from bot.domain.links import LinkKind, link_url, payload
from bot.domain.validation import Invalid, parse_full_name, parse_phone
from bot.services.events import EventService, RegistrationClosed
from bot.services.posters import qr_png
from db.applications import ApplicationRepository
from db.events import OFFERED, SEATED, Counts, EventRepository, Registration
from handlers.application.hints import NAME_HINTS, PHONE_HINTS
from handlers.callbacks import (
    ConsentAction,
    EventAction,
    EventConsentCb,
    EventsCb,
    MenuCb,
    Section,
    SpecCardCb,
)
from handlers.catalog_texts import operator_lines
from handlers.event_texts import (
    event_card_lines,
    fmt_moment,
    registration_line,
    short_label,
    title_line,
    when_text,
)
from handlers.states import EventForm
from handlers.ui import alert, bot_of, current_language, fmt_phone, h, home_button_row, show

LIST_SHOWN = 10  # events on the list; the rest come as they get nearer
EVENT_KEY = "event_id"  # the event being registered for, in the dialogue's data
NAME_KEY = "event_name"


# --- screens ----------------------------------------------------------------------------------


def now_of(clock: Clock) -> datetime:
    """The cluster's local time now, as the catalogue writes event times."""
    return local_now(clock.now(), clock.tz)


def events_screen(
    catalog: Catalog, now_local: datetime, spec: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    upcoming = catalog.upcoming_events(now_local, specialty=spec)
    specialty = catalog.specialty(spec) if spec else None
    if specialty is not None:
        lines = [
            _("<b>Upcoming events: {code} {name}</b>").format(
                code=specialty.code, name=h(specialty.short_name.get(current_language()))
            )
        ]
    else:
        lines = [_("<b>Open days, excursions and meetings</b>")]
    builder = InlineKeyboardBuilder()
    if not upcoming:
        lines.append(
            _("No events are announced yet. The colleges will add them here: look in again later.")
        )
    for event in upcoming[:LIST_SHOWN]:
        lines.append(f"• {fmt_moment(event.start)} — {h(event.title.get(current_language()))}")
        builder.button(
            text=short_label(event),
            callback_data=EventsCb(action=EventAction.card, event=event.id, spec=spec),
        )
    builder.button(text=_("📋 My registrations"), callback_data=EventsCb(action=EventAction.mine))
    if specialty is not None:
        builder.button(text=_("⬅️ To the specialty"), callback_data=SpecCardCb(code=specialty.code))
    home_button_row(builder)
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def card_screen(
    event: Event,
    catalog: Catalog,
    settings: Settings,
    counts: Counts,
    registration: Registration | None,
    now_local: datetime,
    spec: str = "",
) -> tuple[str, InlineKeyboardMarkup]:
    lines = event_card_lines(event, catalog, counts)
    builder = InlineKeyboardBuilder()
    if registration is not None:
        lines += ["", registration_line(registration, settings.tz)]
        if registration.status == OFFERED:
            builder.button(
                text=_("✅ I will come"),
                callback_data=EventsCb(action=EventAction.accept, reg=registration.id),
            )
        if registration.status == SEATED:
            builder.button(
                text=_("🎫 My entry code"),
                callback_data=EventsCb(action=EventAction.qr, reg=registration.id),
            )
        if not event.cancelled and now_local < event.end:
            builder.button(
                text=_("❌ Cancel my registration"),
                callback_data=EventsCb(action=EventAction.cancel, reg=registration.id),
            )
    elif event.open_for_registration(now_local):
        builder.button(
            text=_("📝 Register"),
            callback_data=EventsCb(action=EventAction.register, event=event.id, spec=spec),
        )
    elif not event.cancelled:
        lines += ["", _("Registration is closed.")]
    builder.button(text=_("⬅️ Events"), callback_data=EventsCb(action=EventAction.list, spec=spec))
    home_button_row(builder)
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def consent_text(event: Event, catalog: Catalog, settings: Settings) -> str:
    return "\n".join(
        [
            _("<b>Consent to the processing of personal data: registration for events</b>"),
            _("Version {version}").format(version=EVENT_CONSENT_VERSION),
            "",
            _(
                "To register you for «{title}» and for other events of the cluster, the "
                "colleges of the cluster «Металлургия» (the operators) need your name and phone."
            ).format(title=h(event.title.get(current_language()))),
            _("<b>Operators:</b>"),
            *operator_lines(catalog),
            _(
                "<b>Purpose:</b> to keep your seat, to let you in, to remind you of the event "
                "and to tell you if it changes."
            ),
            _(
                "<b>How long:</b> until {days} days after the event; your registration and "
                "this consent are then deleted."
            ).format(days=settings.retention_days),
            _(
                "<b>How to withdraw:</b> cancel the registration, or /delete_my_data: "
                "everything is deleted."
            ),
            _("Under 18: register with a parent's agreement, or a parent registers for you."),
            _("This consent is separate from the consent for an application."),
        ]
    )


def consent_keyboard(event_id: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ I agree"), callback_data=EventConsentCb(action=ConsentAction.yes, event=event_id)
    )
    builder.button(
        text=_("I do not agree"),
        callback_data=EventConsentCb(action=ConsentAction.no, event=event_id),
    )
    builder.adjust(1)
    return builder.as_markup()


def phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Share my number"), request_contact=True)],
            [KeyboardButton(text=_("✖️ Cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def after_keyboard(registration: Registration) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📋 My registrations"), callback_data=EventsCb(action=EventAction.mine))
    builder.button(
        text=_("📅 The event"),
        callback_data=EventsCb(action=EventAction.card, event=registration.event_id),
    )
    home_button_row(builder)
    builder.adjust(2, 1)
    return builder.as_markup()


def registered_text(event: Event, registration: Registration, settings: Settings) -> str:
    lang = current_language()
    if registration.status == SEATED:
        lines = [
            _("✅ You are registered: {title}").format(title=title_line(event)),
            _("🗓 {when} (Norilsk time)").format(when=when_text(event)),
        ]
        if event.place:
            lines.append(_("📍 {place}").format(place=h(event.place.get(lang))))
        if event.bring:
            lines.append(_("🎒 Bring: {what}").format(what=h(event.bring.get(lang))))
        lines += [
            "",
            _(
                "Your personal entry code comes next: show it at the entrance. I will remind "
                "you the day before and 2 hours before."
            ),
        ]
        return "\n".join(lines)
    return "\n".join(
        [
            _("⏳ All seats of {title} are taken.").format(title=title_line(event)),
            _("You are on the waiting list: number {position}.").format(
                position=registration.position
            ),
            ngettext(
                "If a seat frees up, I will write to you: you will then have {hours} hour to "
                "confirm it.",
                "If a seat frees up, I will write to you: you will then have {hours} hours to "
                "confirm it.",
                OFFER_HOURS,
            ).format(hours=OFFER_HOURS),
        ]
    )


async def send_entry_code(bot: Bot, chat_id: int, event: Event, registration: Registration) -> None:
    """The personal QR code: a staff member's phone camera opens it in the bot, which marks
    the person as come."""
    me = await bot.me()
    url = link_url(me.username or "", payload(LinkKind.checkin, registration.token))
    caption = _("🎫 Your entry code: {title}\n🗓 {when}\nShow it at the entrance.").format(
        title=title_line(event), when=when_text(event)
    )
    await bot.send_photo(
        chat_id,
        BufferedInputFile(qr_png(url), filename="entry-code.png"),
        caption=caption,
        reply_markup=after_keyboard(registration),
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


def mine_screen(
    registrations: list[Registration], catalog: Catalog, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("<b>My registrations</b>")]
    builder = InlineKeyboardBuilder()
    if not registrations:
        lines.append(_("You are not registered for any event."))
    for registration in registrations:
        event = catalog.event(registration.event_id)
        if event is None:
            continue
        lines += ["", title_line(event), when_text(event)]
        lines.append(
            _("❌ Cancelled.") if event.cancelled else registration_line(registration, settings.tz)
        )
        builder.button(
            text=short_label(event), callback_data=EventsCb(action=EventAction.card, event=event.id)
        )
    builder.button(text=_("📅 All events"), callback_data=EventsCb(action=EventAction.list))
    home_button_row(builder)
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


async def event_card(
    event: Event,
    user_id: int,
    catalog: Catalog,
    settings: Settings,
    clock: Clock,
    registrations: EventRepository,
    spec: str = "",
) -> tuple[str, InlineKeyboardMarkup]:
    mine = next((r for r in await registrations.of_user(user_id) if r.event_id == event.id), None)
    counts = await registrations.counts(event.id)
    return card_screen(event, catalog, settings, counts, mine, now_of(clock), spec)


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
    if await registrations.consent(user_id) != EVENT_CONSENT_VERSION:
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


# --- the router -------------------------------------------------------------------------------


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
        await registrations.give_consent(callback.from_user.id, EVENT_CONSENT_VERSION, clock.now())
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
        if await registrations.consent(user_id) != EVENT_CONSENT_VERSION:
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
