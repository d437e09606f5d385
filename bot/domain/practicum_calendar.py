"""A group's work placement as a calendar file (iCalendar, RFC 5545) for the student's phone.

Per period: the work placement itself as an all-day event over its days, the report deadline as an
all-day event, and, when the meeting time of the first day is known, that meeting as a timed
event in the cluster's zone (Asia/Krasnoyarsk, its VTIMEZONE included). The alarms are the
bot's own reminders (bot.domain.reminders: 7 days, 1 day before and the first morning; 3 and 1
days before the report), at the hour the bot sends them, as absolute UTC instants, so a phone
in another zone rings when the bot would write.

Each event's UID stays the same for the life of its period and its SEQUENCE is the period's
revision: opening the file again after a change updates the events instead of adding copies.

The texts come translated from the caller; no aiogram here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.reminders import PRACTICUM_REPORT_OFFSETS, PRACTICUM_START_OFFSETS, Planner

if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//Metallurgy cluster bot//practicum//RU"
UID_DOMAIN = "metallurgy-cluster-bot"
MEETING_MINUTES = 60


@dataclass(frozen=True, slots=True)
class CalendarPeriod:
    """One period with its texts already in the student's language."""

    id: int
    revision: int
    start: date
    end: date
    report_deadline: date
    meet_time: time | None
    summary: str  # «Practicum: Nadezhda plant»
    report_summary: str  # «Practicum report due»
    meeting_summary: str  # «First day of the practicum: ask for …»
    location: str
    description: str


def uid(period_id: int, part: str) -> str:
    return f"practicum-{period_id}-{part}@{UID_DOMAIN}"


def _alarms(event: Event, day: date, offsets: Iterable[int], planner: Planner) -> None:
    for offset in offsets:
        from icalendar import Alarm

        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", str(event["summary"]))
        moment = planner.morning(day - timedelta(days=offset)).astimezone(UTC)
        # An absolute trigger must say so (RFC 5545 3.8.6.3): the default type is a duration.
        alarm.add("trigger", moment, parameters={"VALUE": "DATE-TIME"})
        event.add_component(alarm)


def practicum_calendar(
    periods: Iterable[CalendarPeriod], *, name: str, tz: ZoneInfo, hour: int, now: datetime
) -> bytes:
    """The calendar file: ``name`` is the calendar's title; ``hour`` the local hour the bot's
    reminders go out (REMINDER_HOUR)."""
    # Loaded with the first calendar a student asks for, not at every start of the bot.
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(tz))
    planner = Planner(tz, hour)  # the alarms ring when the bot's reminders go out
    stamp = now.astimezone(UTC)
    first: date | None = None
    last: date | None = None
    for period in periods:
        first = min(first or period.start, period.start)
        last = max(last or period.report_deadline, period.report_deadline)
        practicum = Event()
        practicum.add("uid", uid(period.id, "period"))
        practicum.add("sequence", period.revision)
        practicum.add("dtstamp", stamp)
        practicum.add("summary", period.summary)
        practicum.add("dtstart", period.start)
        practicum.add("dtend", period.end + timedelta(days=1))  # exclusive for dates
        practicum.add("location", period.location)
        practicum.add("description", period.description)
        practicum.add("transp", "TRANSPARENT")
        _alarms(practicum, period.start, PRACTICUM_START_OFFSETS, planner)
        calendar.add_component(practicum)

        report = Event()
        report.add("uid", uid(period.id, "report"))
        report.add("sequence", period.revision)
        report.add("dtstamp", stamp)
        report.add("summary", period.report_summary)
        report.add("dtstart", period.report_deadline)
        report.add("dtend", period.report_deadline + timedelta(days=1))
        report.add("description", period.description)
        report.add("transp", "TRANSPARENT")
        _alarms(report, period.report_deadline, PRACTICUM_REPORT_OFFSETS, planner)
        calendar.add_component(report)

        if period.meet_time is not None:
            meeting = Event()
            meeting.add("uid", uid(period.id, "meeting"))
            meeting.add("sequence", period.revision)
            meeting.add("dtstamp", stamp)
            meeting.add("summary", period.meeting_summary)
            begins = datetime.combine(period.start, period.meet_time, tz)
            meeting.add("dtstart", begins)
            meeting.add("dtend", begins + timedelta(minutes=MEETING_MINUTES))
            meeting.add("location", period.location)
            meeting.add("description", period.description)
            calendar.add_component(meeting)
    if first is not None and last is not None:
        calendar.add_missing_timezones(
            first_date=first - timedelta(days=1), last_date=last + timedelta(days=1)
        )
    return calendar.to_ical()
