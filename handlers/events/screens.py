"""Events' screens: the list, an event's card, «My registrations», what registering tells, and
the personal entry code."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog, Event
from bot.domain.events import OFFER_HOURS, local_now
from bot.domain.links import LinkKind, link_url, payload
from bot.services.posters import qr_png
from db.events import OFFERED, SEATED, Counts, EventRepository, Registration
from handlers.callbacks import EventAction, EventsCb, SpecCardCb
from handlers.event_texts import (
    event_card_lines,
    fmt_moment,
    registration_line,
    short_label,
    title_line,
    when_text,
)
from handlers.ui import current_language, h, home_button_row

LIST_SHOWN = 10  # events on the list; the rest come as they get nearer


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
