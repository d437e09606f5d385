"""Events and their registrations: pure rules over the catalogue's events and a snapshot of
the registrations. No aiogram, no database access.

- Seats: a registration takes a seat while seats are free and nobody waits; else it joins the
  waiting list. A seat freed (a cancellation, an offer not taken, more seats) is offered to the
  first in line, who has ``OFFER_HOURS`` to confirm, never past the start; an offer made during
  the quiet hours starts (and its notice goes) when they end.
- Reminders: the day before (at the reminder hour) and 2 hours before the start, to those with
  a seat; of several already due (the bot was down) only the latest; none due before the seat
  was taken; none after the start.
- A change staff make to an event is told once to everyone registered: the event's
  ``fingerprint`` covers what they rely on (title, times, place, what to bring, cancelled).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.catalog import Catalog, Event
from bot.domain.consent import versioned
from db.events import EventFacts, Seated, SeatOffer
from db.reminders import PlannedMessage

# The version of the short consent for events (152-ФЗ: its own document, its own purpose).
EVENT_CONSENT_VERSION = "events-2026-11"
OFFER_HOURS = 12
SOON = timedelta(hours=2)
# The reminder kinds: the day before, and shortly before the start.
REMINDERS = ("day", "soon")


def event_consent_version(catalog: Catalog) -> str:
    """The version of the events' consent in force: its text's and the operators'."""
    return versioned(EVENT_CONSENT_VERSION, catalog)


def local_now(now: datetime, tz: ZoneInfo) -> datetime:
    """The cluster's wall-clock time, naive, as the catalogue writes event times."""
    return now.astimezone(tz).replace(tzinfo=None)


def instant(local: datetime, tz: ZoneInfo) -> datetime:
    """A local time of the catalogue as an instant."""
    return local.replace(tzinfo=tz)


def fingerprint(event: Event) -> str:
    """What someone registered relies on: a change of any of it is told to them."""
    facts = {
        "title": event.title.model_dump(),
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "place": event.place.model_dump() if event.place else None,
        "bring": event.bring.model_dump() if event.bring else None,
        "cancelled": event.cancelled,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


def offer(now: datetime, event_start: datetime, quiet_end: datetime | None) -> SeatOffer | None:
    """The offer of a seat freed at ``now`` (instants); ``quiet_end`` is when the quiet hours
    end if they hold now. None once the event has started."""
    if now >= event_start:
        return None
    starts = min(max(now, quiet_end or now), event_start)
    return SeatOffer(starts, min(starts + timedelta(hours=OFFER_HOURS), event_start))


def facts(event: Event, tz: ZoneInfo) -> EventFacts:
    """What the database keeps of an event."""
    return EventFacts(
        id=event.id,
        title={"ru": event.title.ru, "en": event.title.get("en")},
        fingerprint=fingerprint(event),
        starts_at=instant(event.start, tz),
        ends_at=instant(event.end, tz),
        cancelled=event.cancelled,
        seats=event.seats,
    )


def reminder_times(event: Event, tz: ZoneInfo, hour: int) -> dict[str, datetime]:
    """When the two reminders of an event are due (instants)."""
    start = instant(event.start, tz)
    day_before = datetime.combine(event.start.date() - timedelta(days=1), time(hour), tz)
    return {"day": day_before, "soon": start - SOON}


def plan_reminders(
    now: datetime,
    tz: ZoneInfo,
    hour: int,
    events: dict[str, Event],
    seated: Iterable[Seated],
) -> list[PlannedMessage]:
    """The reminders owed to people with a seat; each has one key per event start, so planning
    twice adds nothing and a new start time plans anew (the old ones render to nothing)."""
    planned = []
    for seat in seated:
        event = events.get(seat.event_id)
        if event is None or event.cancelled:
            continue
        start = instant(event.start, tz)
        if now >= start:
            continue
        due = {
            which: at
            for which, at in reminder_times(event, tz, hour).items()
            if at > seat.seated_at and at < start
        }
        already = [which for which, at in due.items() if at <= now]
        for which in already[:-1]:  # of those already due, only the latest goes out
            del due[which]
        for which, at in due.items():
            planned.append(
                PlannedMessage(
                    key=f"ev:r:{event.id}:{event.start.isoformat()}:{which}:{seat.id}",
                    chat_id=seat.user_id,
                    kind="event_reminder",
                    payload={
                        "event_id": event.id,
                        "registration_id": seat.id,
                        "which": which,
                        "start": event.start.isoformat(),
                        "expires_at": start.isoformat(),
                    },
                    due_at=at,
                )
            )
    return planned


_MOMENT = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})[ ,]+(\d{1,2})[:.](\d{2})")
_ISO_MOMENT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")


def parse_moment(text: str, day: date | None = None) -> datetime:
    """A local date and time as staff type it: «14.03.2027 11:00» (or ISO «2027-03-14 11:00»);
    with ``day`` a time alone («13:00») is on that day. ``ValueError`` otherwise."""
    text = " ".join(text.split())
    if match := _MOMENT.fullmatch(text):
        d, m, y, hh, mm = (int(g) for g in match.groups())
    elif match := _ISO_MOMENT.fullmatch(text):
        y, m, d, hh, mm = (int(g) for g in match.groups())
    elif day is not None and (match := _TIME.fullmatch(text)):
        y, m, d = day.year, day.month, day.day
        hh, mm = (int(g) for g in match.groups())
    else:
        raise ValueError(text)
    return datetime(y, m, d, hh, mm)
