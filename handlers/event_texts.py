"""Texts of events, shared by the applicant's screens, the staff's, and the notices: kinds,
who may come, when, the event's card, a registration's state. A leaf: it imports no router."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date

from bot.domain.catalog import Audience, Catalog, Event, EventKind
from bot.domain.events import local_now
from db.events import OFFERED, SEATED, Counts, Registration
from handlers.catalog_texts import source_name
from handlers.ui import current_language, h, unknown

EVENT_EMOJI = {
    EventKind.open_day: "🚪",
    EventKind.excursion: "🏭",
    EventKind.career_test: "🛠",
    EventKind.online: "💻",
}


def kind_label(kind: EventKind) -> str:
    return {
        EventKind.open_day: _("Open day"),
        EventKind.excursion: _("Excursion"),
        EventKind.career_test: _("Career test (профпроба)"),
        EventKind.online: _("Online meeting"),
    }[kind]


def audience_label(audience: Audience) -> str:
    return {
        Audience.grade9: _("9th graders"),
        Audience.grade11: _("11th graders"),
        Audience.parents: _("parents"),
    }[audience]


def fmt_moment(moment: datetime) -> str:
    """«сб, 14 марта 2027, 11:00» / «Sat, 14 March 2027, 11:00» (local time, naive)."""
    day = format_date(moment.date(), format="EEE, d MMMM y", locale=current_language())
    return f"{day}, {moment:%H:%M}"


def when_text(event: Event) -> str:
    """The start and the end, the end's day left out when it is the same."""
    end = f"{event.end:%H:%M}" if event.end.date() == event.start.date() else fmt_moment(event.end)
    return f"{fmt_moment(event.start)}–{end}"


def short_label(event: Event) -> str:
    """A button: «14.03 · День открытых дверей» (a button shows plain text)."""
    title = event.title.get(current_language())
    label = f"{event.start:%d.%m} · {title}"
    return label if len(label) <= 60 else label[:59] + "…"


def title_line(event: Event) -> str:
    emoji = EVENT_EMOJI[event.kind]
    return f"{emoji} <b>{h(event.title.get(current_language()))}</b>"


def seats_line(event: Event, counts: Counts | None) -> str:
    if event.seats is None:
        return _("💺 Seats: no limit")
    if counts is None:
        return _("💺 Seats: {seats}").format(seats=event.seats)
    free = max(event.seats - counts.taken, 0)
    if free and not counts.waiting:
        return _("💺 Seats: {free} of {seats} free").format(free=free, seats=event.seats)
    return ngettext(
        "💺 Seats: all {seats} taken; {count} person on the waiting list",
        "💺 Seats: all {seats} taken; {count} people on the waiting list",
        counts.waiting,
    ).format(seats=event.seats, count=counts.waiting)


def event_card_lines(event: Event, catalog: Catalog, counts: Counts | None = None) -> list[str]:
    """Everything an applicant needs to decide and to come: what, when, where, for whom."""
    lang = current_language()
    college = catalog.college(event.college) if event.college else None
    where = college.short_name.get(lang) if college else _("the Metallurgy cluster")
    lines = [title_line(event), f"<i>{kind_label(event.kind)} · {h(where)}</i>"]
    if event.cancelled:
        lines.append(_("❌ <b>Cancelled.</b>"))
    lines += [
        "",
        _("🗓 {when} (Norilsk time)").format(when=when_text(event)),
        _("📍 Place: {place}").format(place=h(event.place.get(lang)) if event.place else unknown()),
        _("👥 Who may come: {who}").format(
            who=", ".join(audience_label(a) for a in event.audience)
            if event.audience
            else _("anyone")
        ),
    ]
    specialties = [s for s in (catalog.specialty(code) for code in event.specialties) if s]
    if specialties:
        lines.append(
            _("🎓 Specialties: {list}").format(
                list="; ".join(f"{s.code} {h(s.short_name.get(lang))}" for s in specialties)
            )
        )
    if event.bring:
        lines.append(_("🎒 Bring: {what}").format(what=h(event.bring.get(lang))))
    lines.append(seats_line(event, counts))
    if not event.cancelled:
        lines.append(_("⏳ Registration until {moment}").format(moment=fmt_moment(event.closes_at)))
    if event.description:
        lines += ["", h(event.description.get(lang))]
    if event.source:
        lines += [
            "",
            _("<i>Source: {source}</i>").format(source=h(source_name(catalog, event.source))),
        ]
    return lines


def registration_line(registration: Registration, tz: ZoneInfo) -> str:
    """The person's own place: a seat, a seat offered until…, or the waiting list."""
    if registration.status == SEATED:
        return _("✅ You are registered.")
    if registration.status == OFFERED and registration.offered_until is not None:
        return _("🎟 A seat is yours if you confirm it by {moment}.").format(
            moment=fmt_instant(registration.offered_until, tz)
        )
    return _("⏳ You are on the waiting list: number {position}.").format(
        position=registration.position
    )


def fmt_instant(moment: datetime, tz: ZoneInfo) -> str:
    """An instant as the cluster's local time."""
    return fmt_moment(local_now(moment, tz))
