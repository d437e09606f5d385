"""What a student reads about the practicum: a period on «My practicum», the first morning's
message, the calendar file, and the news when the staff load something (rendered when sent,
from ids, by the outbox's renderer handlers/texts/notices.py)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.methods import SendDocument, SendMessage, TelegramMethod
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.practicum_calendar import CalendarPeriod, practicum_calendar
from db.outbox import OutboxMessage
from db.reminders import PRACTICUM_CHANGED, PracticumPeriod, ReminderRepository
from handlers.callbacks import MenuCb, Section
from handlers.ui import fmt_date, h, unknown

CALENDAR_FILENAME = "practicum.ics"
MAX_PERIODS_SHOWN = 6  # in a message (each some 300 characters); the file has them all


def known(text: str) -> str:
    """A field of the work placement data, or «to be confirmed» when the staff left it empty."""
    return h(text) if text else unknown()


def period_lines(period: PracticumPeriod) -> list[str]:
    """A period as «My work placement» and the news of a change show it."""
    return [
        _("📅 {start} – {end}").format(start=fmt_date(period.start), end=fmt_date(period.end)),
        _("📍 Place: {place}").format(place=h(period.place)),
        _("🚪 Where to go on the first day: {address}").format(address=known(period.address)),
        _("🕗 At: {time}").format(time=known(period.meet_time)),
        _("🙋 Ask for: {contact}").format(contact=known(period.contact)),
        _("🎒 Bring: {bring}").format(bring=known(period.bring)),
        _("👷 Supervisor: {supervisor}").format(supervisor=h(period.supervisor)),
        _("📝 Report due: {date}").format(date=fmt_date(period.report_deadline)),
    ]


def first_day_text(period: PracticumPeriod) -> str:
    """The first morning: where to go, when, whom to ask for, what to bring."""
    return "\n".join(
        [
            _("🔔 <b>Your work placement starts today.</b>"),
            "",
            _("📍 Where: {place}, {address}").format(
                place=h(period.place), address=known(period.address)
            ),
            _("🕗 When: {time}").format(time=known(period.meet_time)),
            _("🙋 Ask for: {contact}").format(contact=known(period.contact)),
            _("🎒 Bring: {bring}").format(bring=known(period.bring)),
            _("👷 Supervisor: {supervisor}").format(supervisor=h(period.supervisor)),
            _("It lasts until {end}; the report is due {deadline}.").format(
                end=fmt_date(period.end), deadline=fmt_date(period.report_deadline)
            ),
        ]
    )


def _meet_time(text: str) -> time | None:
    try:
        return time.fromisoformat(text) if text else None
    except ValueError:
        return None


def _plain(text: str) -> str:
    return text or unknown()


def calendar_file(
    periods: list[PracticumPeriod], group_name: str, *, tz: ZoneInfo, hour: int, now: datetime
) -> BufferedInputFile:
    """Every period of the group as an .ics file, texts in the current language."""
    entries = []
    for period in periods:
        description = "\n".join(
            [
                _("Group: {group}").format(group=group_name),
                _("Where to go on the first day: {address}").format(address=_plain(period.address)),
                _("At: {time}").format(time=_plain(period.meet_time)),
                _("Ask for: {contact}").format(contact=_plain(period.contact)),
                _("Bring: {bring}").format(bring=_plain(period.bring)),
                _("Supervisor: {supervisor}").format(supervisor=period.supervisor),
                _("Report due: {date}").format(date=fmt_date(period.report_deadline)),
            ]
        )
        location = f"{period.place}, {period.address}" if period.address else period.place
        entries.append(
            CalendarPeriod(
                id=period.id,
                revision=period.revision,
                start=period.start,
                end=period.end,
                report_deadline=period.report_deadline,
                meet_time=_meet_time(period.meet_time),
                summary=_("Work placement: {place}").format(place=period.place),
                report_summary=_("Work placement report due ({place})").format(place=period.place),
                meeting_summary=_("First day of the work placement: {place}").format(
                    place=period.place
                ),
                location=location,
                description=description,
            )
        )
    data = practicum_calendar(
        entries,
        name=_("Work placement · {group}").format(group=group_name),
        tz=tz,
        hour=hour,
        now=now,
    )
    return BufferedInputFile(data, filename=CALENDAR_FILENAME)


def calendar_caption() -> str:
    return _(
        "📅 Open this file to add your work placement to the phone's calendar, with reminders. "
        "When the dates change, the bot sends a new file: open it too, and the events are "
        "updated."
    )


def practicum_button() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🧰 My work placement"), callback_data=MenuCb(to=Section.student))
    return builder.as_markup()


async def student_news(
    message: OutboxMessage,
    reminders: ReminderRepository,
    *,
    tz: ZoneInfo,
    hour: int,
    now: datetime,
) -> list[TelegramMethod[Any]] | None:
    """The news of a load for one student: the group they typed is listed now, or their
    group's periods changed (with the new calendar file). Nothing when it no longer concerns
    them (they left, changed group, or a newer change follows)."""
    group = await reminders.group(int(message.payload["group_id"]))
    student = await reminders.student(message.chat_id)
    if (
        group is None
        or student is None
        or (student.college_id, student.group_name) != (group.college_id, group.name)
    ):
        return None
    if message.kind != PRACTICUM_CHANGED:
        text = _(
            "✅ The college has listed your group {group}: its work placement dates and reminders "
            "will reach you here."
        ).format(group=h(group.name))
        return [SendMessage(chat_id=message.chat_id, text=text, reply_markup=practicum_button())]
    if int(message.payload["revision"]) < group.revision:
        return None  # a newer change is queued: that one tells
    periods = await reminders.periods_of_group(group.college_id, group.name)
    today = now.astimezone(tz).date()
    lines = [_("📅 <b>Your work placement dates are updated</b> (group {group}):").format(
        group=h(group.name)
    )]  # fmt: skip
    for period in [p for p in periods if p.report_deadline >= today][:MAX_PERIODS_SHOWN]:
        lines += ["", *period_lines(period)]
    calls: list[TelegramMethod[Any]] = [
        SendMessage(chat_id=message.chat_id, text="\n".join(lines), reply_markup=practicum_button())
    ]
    if periods:
        calls.append(
            SendDocument(
                chat_id=message.chat_id,
                document=calendar_file(periods, group.name, tz=tz, hour=hour, now=now),
                caption=calendar_caption(),
            )
        )
    return calls
