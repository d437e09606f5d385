"""Rendering of the outbox rows about events: reminders, a seat offered from the waiting list,
an offer not taken in time, a changed or cancelled event.

Rendered when sent, in the recipient's language, from ids: a row whose registration or event
is gone, or whose news is out of date (a reminder of a start since moved, an offer since
taken), renders to nothing. Other rows go to the renderer this one wraps.
"""

from __future__ import annotations

from typing import Any

from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import Settings
from bot.delivery.sender import Renderer
from bot.domain.catalog import Event
from bot.services.catalog import CatalogService
from db.events import OFFERED, SEATED, EventRepository, Registration
from db.outbox import OutboxMessage
from db.users import UserRepository
from handlers.callbacks import EventAction, EventsCb
from handlers.event_texts import fmt_instant, title_line, when_text
from handlers.ui import current_language, h

EVENT_KINDS = frozenset(
    {"event_reminder", "event_offer", "event_lapsed", "event_changed", "event_cancelled"}
)


class EventNotices:
    def __init__(
        self,
        *,
        i18n: I18n,
        users: UserRepository,
        catalogs: CatalogService,
        registrations: EventRepository,
        settings: Settings,
        other: Renderer,
    ) -> None:
        self.i18n = i18n
        self.users = users
        self.catalogs = catalogs
        self.registrations = registrations
        self.settings = settings
        self.other = other

    async def __call__(self, message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
        if message.kind not in EVENT_KINDS:
            return await self.other(message)
        user = await self.users.get(message.chat_id)
        locale = user.language if user else self.settings.default_locale
        catalog = await self.catalogs.current()
        event_id = str(message.payload["event_id"])
        event = catalog.event(event_id)
        registration = None
        if "registration_id" in message.payload:
            registration = await self.registrations.get(int(message.payload["registration_id"]))
            if registration is None or registration.user_id != message.chat_id:
                return None
        with self.i18n.context(), self.i18n.use_locale(locale):
            if message.kind == "event_cancelled":
                text = await self.cancelled(message, event, event_id)
            elif event is None:
                return None
            elif message.kind == "event_reminder":
                text = self.reminder(message, event, registration)
            elif message.kind == "event_offer":
                text = self.offer(message, event, registration)
            elif message.kind == "event_lapsed":
                text = _(
                    "⌛ You did not confirm the seat at {title} in time: it went to the next in "
                    "line. If seats free up, you can register again."
                ).format(title=title_line(event))
            else:
                text = await self.changed(message, event)
            if text is None:
                return None
            return [
                SendMessage(
                    chat_id=message.chat_id,
                    text=text,
                    reply_markup=self.keyboard(message.kind, event, registration),
                )
            ]

    def reminder(
        self, message: OutboxMessage, event: Event, registration: Registration | None
    ) -> str | None:
        if (
            registration is None
            or registration.status != SEATED
            or event.cancelled
            or event.start.isoformat() != message.payload.get("start")
        ):
            return None  # no seat any more, or the start moved: a new reminder is planned
        lines = [
            (
                _("🔔 Tomorrow: {title}")
                if message.payload.get("which") == "day"
                else _("🔔 In 2 hours: {title}")
            ).format(title=title_line(event)),
            *self.details(event),
            _("Show your entry code at the entrance: «🎫 My entry code»."),
        ]
        return "\n".join(lines)

    def offer(
        self, message: OutboxMessage, event: Event, registration: Registration | None
    ) -> str | None:
        if (
            registration is None
            or registration.status != OFFERED
            or registration.offered_until is None
            or registration.offered_until.isoformat() != message.payload.get("until")
            or event.cancelled
        ):
            return None
        return "\n".join(
            [
                _("🎟 A seat is free at {title}, and it is yours if you want it.").format(
                    title=title_line(event)
                ),
                *self.details(event),
                _("Please confirm by {moment}; then the seat goes to the next in line.").format(
                    moment=fmt_instant(registration.offered_until, self.settings.tz)
                ),
            ]
        )

    async def changed(self, message: OutboxMessage, event: Event) -> str | None:
        if event.cancelled or not await self.registered(message.chat_id, event.id):
            return None  # a cancellation says so itself; a cancelled registration hears nothing
        return "\n".join(
            [
                _("✏️ {title} has changed. Here is what holds now:").format(title=title_line(event)),
                *self.details(event),
            ]
        )

    async def cancelled(
        self, message: OutboxMessage, event: Event | None, event_id: str
    ) -> str | None:
        if event is not None and not event.cancelled:
            return None  # called off and then restored: the change notice tells it
        if not await self.registered(message.chat_id, event_id):
            return None
        if event is not None:
            title = title_line(event)
        else:
            known = await self.registrations.title(event_id)
            name = known.get(current_language()) or known.get("ru") or ""
            title = f"<b>{h(name)}</b>"
        return _(
            "❌ Cancelled: {title}. We are sorry. Other events: «📅 Open days and events» in "
            "the menu."
        ).format(title=title)

    async def registered(self, user_id: int, event_id: str) -> bool:
        return any(r.event_id == event_id for r in await self.registrations.of_user(user_id))

    def details(self, event: Event) -> list[str]:
        lang = current_language()
        lines = [_("🗓 {when} (Norilsk time)").format(when=when_text(event))]
        if event.place:
            lines.append(_("📍 {place}").format(place=h(event.place.get(lang))))
        if event.bring:
            lines.append(_("🎒 Bring: {what}").format(what=h(event.bring.get(lang))))
        return lines

    def keyboard(
        self, kind: str, event: Event | None, registration: Registration | None
    ) -> InlineKeyboardMarkup:
        builder = InlineKeyboardBuilder()
        if kind == "event_offer" and registration is not None:
            builder.button(
                text=_("✅ I will come"),
                callback_data=EventsCb(action=EventAction.accept, reg=registration.id),
            )
            builder.button(
                text=_("✖️ I cannot come"),
                callback_data=EventsCb(action=EventAction.decline, reg=registration.id),
            )
        elif kind == "event_reminder" and registration is not None:
            builder.button(
                text=_("🎫 My entry code"),
                callback_data=EventsCb(action=EventAction.qr, reg=registration.id),
            )
            builder.button(
                text=_("❌ I cannot come"),
                callback_data=EventsCb(action=EventAction.cancel, reg=registration.id),
            )
        elif event is not None and kind != "event_cancelled":
            builder.button(
                text=_("📅 The event"),
                callback_data=EventsCb(action=EventAction.card, event=event.id),
            )
        else:
            builder.button(
                text=_("📅 Other events"), callback_data=EventsCb(action=EventAction.list)
            )
        builder.adjust(1)
        return builder.as_markup()
