"""Events for the staff (/staff → «📅 Events»): the list, an event's card, the people
registered and the waiting list, attendance by tapping a name or by scanning a person's entry
code, the Excel file, cancelling an event (the editor: event_editor.py; posters: posters.py).

Staff of one college see and change the events of their college only; the cluster's events
(no college) are for staff of every college. Every change is a new version of the catalogue,
and everyone registered is told of it once (bot/services/events.py).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog, Event
from bot.domain.events import local_now
from bot.domain.links import LinkKind, link_url, payload
from bot.domain.roles import Scope
from bot.domain.telegram_text import MESSAGE_LIMIT
from bot.services.events import EventService, registrations_xlsx
from bot.services.reports import chunk_lines
from db.events import OFFERED, SEATED, WAITING, EventRepository, Registration
from db.staff import StaffRepository
from handlers.callbacks import (
    PosterCb,
    QueueAction,
    QueueCb,
    StaffEventAction,
    StaffEventCb,
)
from handlers.event_texts import (
    event_card_lines,
    fmt_instant,
    fmt_moment,
    short_label,
    title_line,
)
from handlers.ui import alert, current_language, fmt_phone, h, page_buttons, page_of, show

PEOPLE_PAGE = 8  # names to tap on one screen
RECENT_DAYS = 14  # events over for this long still show in the staff's list


def may_see(scope: Scope, event: Event) -> bool:
    """Staff of a college: its events; the cluster's events (no college): staff of all."""
    return scope.college_id is None or event.college == scope.college_id


def cb(action: StaffEventAction, event: str = "", **more: Any) -> StaffEventCb:
    return StaffEventCb(action=action, event=event, **more)


def back_button(builder: InlineKeyboardBuilder, event: Event | None = None) -> None:
    if event is None:
        builder.button(text=_("⬅️ Events"), callback_data=cb(StaffEventAction.list))
    else:
        builder.button(text=_("⬅️ The event"), callback_data=cb(StaffEventAction.card, event.id))


# --- the list and the card --------------------------------------------------------------------


EVENTS_PAGE = 10  # events on one screen: the list grows with every event the colleges add


def events_list(
    catalog: Catalog, scope: Scope, clock: Clock, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    since = local_now(clock.now() - timedelta(days=RECENT_DAYS), clock.tz)
    listed = sorted(
        (e for e in catalog.events if may_see(scope, e) and e.end > since),
        key=lambda e: (e.start, e.id),
    )
    shown, page, pages = page_of(listed, page, EVENTS_PAGE)
    lines = [_("<b>Events</b>")]
    if pages > 1:
        lines.append(_("page {page} of {pages}").format(page=page + 1, pages=pages))
    if not shown:
        lines.append(_("No events yet. Add one: «➕ New event»."))
    builder = InlineKeyboardBuilder()
    for event in shown:
        mark = "❌ " if event.cancelled else ""
        builder.button(
            text=mark + short_label(event), callback_data=cb(StaffEventAction.card, event.id)
        )
    nav = page_buttons(builder, page, pages, lambda p: cb(StaffEventAction.list, page=p))
    builder.button(text=_("➕ New event"), callback_data=cb(StaffEventAction.new))
    builder.button(text=_("🖨 Posters with a QR code"), callback_data=PosterCb())
    builder.button(text=_("⬅️ Panel"), callback_data=QueueCb(action=QueueAction.panel))
    builder.adjust(*([1] * len(shown)), *([nav] if nav else []), 1, 1, 1)
    return "\n".join(lines), builder.as_markup()


async def event_screen(
    event: Event, catalog: Catalog, registrations: EventRepository, bot: Bot
) -> tuple[str, InlineKeyboardMarkup]:
    counts = await registrations.counts(event.id)
    me = await bot.me()
    lines = event_card_lines(event, catalog, counts)
    lines += [
        "",
        _("👥 Seats taken: {seated}; offered: {offered}; waiting: {waiting}; came: {came}").format(
            seated=counts.seated,
            offered=counts.offered,
            waiting=counts.waiting,
            came=counts.attended,
        ),
        _("🔗 Link: {url}").format(
            url=h(link_url(me.username or "", payload(LinkKind.event, event.id)))
        ),
    ]
    builder = InlineKeyboardBuilder()
    total = counts.taken + counts.waiting
    builder.button(
        text=_("👥 People ({count})").format(count=total),
        callback_data=cb(StaffEventAction.people, event.id),
    )
    builder.button(text=_("📗 Excel"), callback_data=cb(StaffEventAction.xlsx, event.id))
    builder.button(text=_("🖨 Poster"), callback_data=PosterCb(kind=LinkKind.event, ref=event.id))
    builder.button(text=_("✏️ Edit"), callback_data=cb(StaffEventAction.edit, event.id))
    if not event.cancelled:
        builder.button(
            text=_("❌ Cancel the event"), callback_data=cb(StaffEventAction.cancel, event.id)
        )
    back_button(builder)
    builder.adjust(1, 2, 1, 1, 1)
    return "\n".join(lines), builder.as_markup()


def status_label(registration: Registration, settings: Settings) -> str:
    if registration.status == SEATED:
        return _("seat")
    if registration.status == OFFERED and registration.offered_until is not None:
        return _("seat offered until {moment}").format(
            moment=fmt_instant(registration.offered_until, settings.tz)
        )
    return _("waiting list, {position}").format(position=registration.position)


def person_line(number: int, registration: Registration, settings: Settings) -> str:
    came = (
        _(" · ✅ came {time}").format(
            time=registration.attended_at.astimezone(settings.tz).strftime("%H:%M")
        )
        if registration.attended_at
        else ""
    )
    return (
        f"{number}. {h(registration.full_name)}, {fmt_phone(registration.phone)} — "
        f"{status_label(registration, settings)}{came}"
    )


async def people_screen(
    event: Event, page: int, registrations: EventRepository, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    people = await registrations.of_event(event.id)
    seats = [r for r in people if r.status != WAITING]
    waiting = [r for r in people if r.status == WAITING]
    lines = [title_line(event), _("Tap a name to mark that the person came (again: to unmark).")]
    lines += ["", _("<b>With a seat</b>")]
    lines += [person_line(i, r, settings) for i, r in enumerate(seats, start=1)] or [_("None.")]
    if waiting:
        lines += ["", _("<b>Waiting list</b>")]
        lines += [person_line(i, r, settings) for i, r in enumerate(waiting, start=1)]
    pages = max(1, -(-len(people) // PEOPLE_PAGE))
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    start = page * PEOPLE_PAGE
    for number, registration in enumerate(people[start : start + PEOPLE_PAGE], start=start + 1):
        mark = "✅" if registration.attended_at else "☐"
        name = (
            registration.full_name
            if len(registration.full_name) <= 40
            else (registration.full_name[:39] + "…")
        )
        builder.button(
            text=f"{mark} {number}. {name}",
            callback_data=cb(StaffEventAction.mark, event.id, page=page, reg=registration.id),
        )
    sizes = [1] * min(PEOPLE_PAGE, max(len(people) - start, 0))
    nav = 0
    if page > 0:
        builder.button(
            text=_("◀️ Back"), callback_data=cb(StaffEventAction.people, event.id, page=page - 1)
        )
        nav += 1
    if page < pages - 1:
        builder.button(
            text=_("Next ▶️"), callback_data=cb(StaffEventAction.people, event.id, page=page + 1)
        )
        nav += 1
    builder.button(text=_("📗 Excel"), callback_data=cb(StaffEventAction.xlsx, event.id))
    back_button(builder, event)
    builder.adjust(*sizes, *([nav] if nav else []), 2)
    note = _("… the list goes on in the Excel file.")
    text = chunk_lines(lines, MESSAGE_LIMIT - len(note) - 1)
    return (text[0] + ("\n" + note if len(text) > 1 else "")), builder.as_markup()


async def check_in(
    token: str,
    user_id: int,
    scope: Scope | None,
    catalog: Catalog,
    clock: Clock,
    settings: Settings,
    registrations: EventRepository,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A scanned entry code: staff who see the event mark its person as come; its person is
    reminded what it is; anyone else learns it is not theirs to use."""
    registration = await registrations.by_token(token)
    event = catalog.event(registration.event_id) if registration else None
    if registration is None or event is None:
        return _("This entry code is not valid: the registration was cancelled or deleted."), None
    if scope is None or not may_see(scope, event):
        if registration.user_id == user_id:
            return _("This is your entry code for {title}: show it at the entrance.").format(
                title=title_line(event)
            ), None
        return _("This is a personal entry code: it is scanned at the entrance."), None
    marked = await registrations.mark_attended(registration.id, True, user_id, clock.now())
    current = await registrations.get(registration.id)
    assert current is not None and current.attended_at is not None
    lines = [
        (
            _("✅ {name} came: marked.") if marked else _("☑️ {name} was marked already, at {time}.")
        ).format(
            name=f"<b>{h(current.full_name)}</b>",
            time=current.attended_at.astimezone(settings.tz).strftime("%H:%M"),
        ),
        title_line(event),
        fmt_moment(event.start),
    ]
    if current.status != SEATED:
        lines.append(
            _("⚠️ No confirmed seat: {status}.").format(status=status_label(current, settings))
        )
    if event.cancelled:
        lines.append(_("⚠️ The event is cancelled."))
    elif event.start.date() != local_now(clock.now(), clock.tz).date():
        lines.append(_("⚠️ The event is not today."))
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("↩️ Undo"), callback_data=cb(StaffEventAction.mark, event.id, reg=current.id, page=-1)
    )
    builder.button(text=_("👥 People"), callback_data=cb(StaffEventAction.people, event.id))
    builder.adjust(2)
    return "\n".join(lines), builder.as_markup()


# --- the editor -------------------------------------------------------------------------------

# --- the router -------------------------------------------------------------------------------


def visible_event(
    callback: CallbackQuery, callback_data: StaffEventCb, scope: Scope, catalog: Catalog
) -> bool | dict[str, Any]:
    """A filter after ``StaffEventCb.filter()``: the event pressed on, if the member sees it."""
    event = catalog.event(callback_data.event)
    return False if event is None or not may_see(scope, event) else {"event": event}


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(StaffEventCb.filter(F.action == StaffEventAction.list))
    async def listing(
        callback: CallbackQuery,
        callback_data: StaffEventCb,
        scope: Scope,
        catalog: Catalog,
        clock: Clock,
        state: FSMContext,
    ) -> None:
        await state.set_state(None)
        await show(callback, *events_list(catalog, scope, clock, callback_data.page))

    @router.callback_query(StaffEventCb.filter(F.action == StaffEventAction.card), visible_event)
    async def card(
        callback: CallbackQuery,
        event: Event,
        catalog: Catalog,
        registrations: EventRepository,
        bot: Bot,
    ) -> None:
        await show(callback, *await event_screen(event, catalog, registrations, bot))

    @router.callback_query(StaffEventCb.filter(F.action == StaffEventAction.people), visible_event)
    async def people(
        callback: CallbackQuery,
        callback_data: StaffEventCb,
        event: Event,
        registrations: EventRepository,
        settings: Settings,
    ) -> None:
        await show(
            callback, *await people_screen(event, callback_data.page, registrations, settings)
        )

    @router.callback_query(StaffEventCb.filter(F.action == StaffEventAction.mark), visible_event)
    async def mark(
        callback: CallbackQuery,
        callback_data: StaffEventCb,
        callback_answer: CallbackAnswer,
        event: Event,
        registrations: EventRepository,
        settings: Settings,
        clock: Clock,
    ) -> None:
        registration = await registrations.get(callback_data.reg)
        if registration is None or registration.event_id != event.id:
            alert(callback_answer, _("This registration no longer exists."))
            return
        came = registration.attended_at is None
        await registrations.mark_attended(registration.id, came, callback.from_user.id, clock.now())
        callback_answer.text = (
            _("Marked: {name} came.") if came else _("Unmarked: {name}.")
        ).format(name=registration.full_name[:80])
        page = max(callback_data.page, 0)
        await show(callback, *await people_screen(event, page, registrations, settings))

    @router.callback_query(StaffEventCb.filter(F.action == StaffEventAction.xlsx), visible_event)
    async def export(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        event: Event,
        registrations: EventRepository,
        staff: StaffRepository,
        settings: Settings,
        clock: Clock,
        bot: Bot,
    ) -> None:
        callback_answer.disable()
        await callback.answer(_("Preparing the file…"))
        people = await registrations.of_event(event.id)
        headers = {
            "place": _("No."),
            "status": _("Status"),
            "full_name": _("Name"),
            "phone": _("Phone"),
            "registered_at": _("Registered"),
            "seated_at": _("Seat since"),
            "attended_at": _("Came"),
        }
        statuses = {SEATED: _("seat"), OFFERED: _("seat offered"), WAITING: _("waiting list")}
        title = event.title.get(current_language())
        data = await asyncio.to_thread(
            registrations_xlsx, title, people, headers, statuses, settings.tz
        )
        await staff.audit(callback.from_user.id, "export:event", None, event.id, clock.now())
        await bot.send_document(
            callback.from_user.id,
            BufferedInputFile(data, filename=f"event-{event.id}.xlsx"),
            caption=ngettext(
                "{title}: {count} person", "{title}: {count} people", len(people)
            ).format(title=h(title), count=len(people)),
        )

    @router.callback_query(StaffEventCb.filter(F.action == StaffEventAction.cancel), visible_event)
    async def cancel_ask(callback: CallbackQuery, event: Event) -> None:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("❌ Yes, cancel it"), callback_data=cb(StaffEventAction.cancel_yes, event.id)
        )
        back_button(builder, event)
        builder.adjust(1)
        text = _("Cancel {title}? Everyone registered is told at once.").format(
            title=title_line(event)
        )
        await show(callback, text, builder.as_markup())

    @router.callback_query(
        StaffEventCb.filter(F.action == StaffEventAction.cancel_yes), visible_event
    )
    async def cancel_yes(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        event: Event,
        events: EventService,
        registrations: EventRepository,
        staff: StaffRepository,
        clock: Clock,
        bot: Bot,
    ) -> None:
        if not event.cancelled:
            cancelled = event.model_copy(update={"cancelled": True})
            catalog, _problems = await events.save_event(
                cancelled, f"staff:{callback.from_user.id}"
            )
            await staff.audit(callback.from_user.id, "event:cancel", None, event.id, clock.now())
        else:
            catalog = None
        callback_answer.text = _("The event is cancelled; everyone registered is told.")
        current = await events.catalogs.current() if catalog is None else catalog
        found = current.event(event.id) or event
        await show(callback, *await event_screen(found, current, registrations, bot))

    @router.callback_query(StaffEventCb.filter())
    async def not_visible(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
        alert(callback_answer, _("This event is not in the list (or not of your college)."))

    return router
