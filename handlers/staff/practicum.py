"""Administrators add work placement periods and student groups: a CSV/XLSX file sent to the bot
(a schedule, or a plain list of groups), or one line with a command.

A file with any bad row is refused whole, with every problem and its line number. Only
administrators (``ADMIN_IDS``) may do it; other staff, and anyone else (handlers/staff/
denied.py), are told the commands are not for them. ``/practicum`` also lists the groups
students typed that no list has, with the listed group each may mean, so they can be fixed:
loading the group attaches those students, and tells them.
"""

from __future__ import annotations

import asyncio
import logging
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.clock import Clock
from bot.domain.catalog import Catalog
from bot.domain.groups import group_key, match_group
from bot.domain.practicum_import import (
    COLUMN_NAMES,
    GROUP_HEADERS,
    HEADERS,
    OPTIONAL_HEADERS,
    Parsed,
    PracticumRow,
    RowProblem,
    parse_upload,
)
from bot.services.reminders import ReminderService
from db.reminders import PracticumPeriod, ReminderRepository, Saved, StudentGroup
from handlers.access import administrator
from handlers.staff.uploads import downloaded
from handlers.ui import current_language, h

log = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 30
MAX_UNKNOWN_SHOWN = 30
COMMANDS = ("practicum", "practicum_add", "practicum_groups")  # administrators' only


def _periods(rows: list[PracticumRow]) -> list[PracticumPeriod]:
    return [
        PracticumPeriod(
            id=0,
            college_id=r.college_id,
            group_name=r.group,
            specialty_code=r.specialty_code,
            start=r.start,
            end=r.end,
            place=r.place,
            supervisor=r.supervisor,
            report_deadline=r.report_deadline,
            address=r.address,
            meet_time=r.meet_time,
            contact=r.contact,
            bring=r.bring,
        )
        for r in rows
    ]


def parse(filename: str, content: bytes, catalog: Catalog) -> Parsed:
    """An upload checked against the catalogue: its colleges, its specialties, and where it
    places each specialty."""
    return parse_upload(
        filename,
        content,
        known_colleges={c.id for c in catalog.colleges},
        known_specialties={s.code for s in catalog.specialties},
        placed={s.code: frozenset(s.colleges) for s in catalog.specialties},
    )


def saved_text(saved: Saved, groups: bool) -> str:
    lines = [
        (
            ngettext("✅ Imported groups: {count}.", "✅ Imported groups: {count}.", saved.count)
            if groups
            else ngettext(
                "✅ Imported work placement periods: {count}.",
                "✅ Imported work placement periods: {count}.",
                saved.count,
            )
        ).format(count=saved.count)
    ]
    if saved.changed_groups:
        lines.append(
            ngettext(
                "Changed for {count} group: its students get the new dates and calendar file.",
                "Changed for {count} groups: their students get the new dates and calendar file.",
                saved.changed_groups,
            ).format(count=saved.changed_groups)
        )
    if saved.attached:
        lines.append(
            ngettext(
                "{count} student who had typed one of these groups is attached to it and told.",
                "{count} students who had typed one of these groups are attached and told.",
                saved.attached,
            ).format(count=saved.attached)
        )
    return "\n".join(lines)


async def unknown_groups_lines(reminders: ReminderRepository, catalog: Catalog) -> list[str]:
    """Groups students typed that no list has: to load, or to tell the students of."""
    unknown = await reminders.unknown_groups()
    if not unknown:
        return []
    lang = current_language()
    lines = [
        "",
        _(
            "<b>Groups students typed that no list has</b> (no dates or reminders reach them; "
            "load the group, or its periods, and they are attached):"
        ),
    ]
    listed: dict[str, list[StudentGroup]] = {}
    for item in unknown[:MAX_UNKNOWN_SHOWN]:
        if item.college_id not in listed:
            listed[item.college_id] = await reminders.groups_of(item.college_id)
        college = catalog.college(item.college_id)
        name = college.short_name.get(lang) if college else item.college_id
        line = ngettext(
            "• {college} · {group}: {count} student",
            "• {college} · {group}: {count} students",
            item.students,
        ).format(college=h(name), group=h(item.name), count=item.students)
        near = match_group(item.name, listed[item.college_id]).suggestions
        if near:
            line += " " + _("(perhaps {groups})").format(groups=", ".join(h(g.name) for g in near))
        lines.append(line)
    if len(unknown) > MAX_UNKNOWN_SHOWN:
        more = len(unknown) - MAX_UNKNOWN_SHOWN
        lines.append(
            ngettext("…and {count} more group.", "…and {count} more groups.", more).format(
                count=more
            )
        )
    return lines


def column_name(field: str) -> str:
    """A column as the staff member would head it: «начало» in Russian, «start» in English."""
    names = COLUMN_NAMES.get(field, (field,))
    return names[1] if current_language() == "ru" and len(names) > 1 else names[0]


def problem_line(problem: RowProblem) -> str:
    """One problem of a file, in the staff member's language, with its line and column."""
    params = dict(problem.params)
    if "name" in params:  # a column's name
        params["name"] = column_name(str(params["name"]))
    message = _(problem.template).format(**params) if problem.template else problem.message
    column = column_name(problem.column) if problem.column else ""
    if problem.line > 0 and column:
        return _("line {line}, {column}: {message}").format(
            line=problem.line, column=column, message=message
        )
    if problem.line > 0:
        return _("line {line}: {message}").format(line=problem.line, message=message)
    return f"{column}: {message}" if column else message


def problems_text(problems: list[RowProblem]) -> str:
    lines = [_("<b>Nothing was imported.</b> Fix these rows and send the file again:")]
    lines += [escape(problem_line(p), quote=False) for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        more = len(problems) - MAX_PROBLEMS_SHOWN
        lines.append(
            ngettext("…and {count} more problem.", "…and {count} more problems.", more).format(
                count=more
            )
        )
    return "\n".join(lines)


def get_router() -> Router:
    """Inside the staff tree (``scope`` is given); administrators only."""
    router = Router(name=__name__)

    async def import_bytes(
        message: Message,
        filename: str,
        content: bytes,
        catalog: Catalog,
        reminders: ReminderRepository,
        reminder_service: ReminderService,
        clock: Clock,
    ) -> None:
        # In a worker thread: reading a workbook is CPU-bound and would stop every other
        # update meanwhile (the reading itself is bounded: MAX_LINES).
        parsed = await asyncio.to_thread(parse, filename, content, catalog)
        if parsed.problems:
            await message.answer(problems_text(parsed.problems))
            return
        if not parsed.periods and not parsed.groups:
            await message.answer(_("The file has no rows. Nothing was imported."))
            return
        assert message.from_user is not None
        if parsed.groups:
            rows = [(g.college_id, g.group, g.specialty_code) for g in parsed.groups]
            saved = await reminders.save_groups(rows, clock.now(), key=group_key)
        else:
            saved = await reminders.save_periods(
                _periods(parsed.periods), message.from_user.id, clock.now(), key=group_key
            )
        log.info(
            "user %s imported %d work placement %s",
            message.from_user.id,
            saved.count,
            "group(s)" if parsed.groups else "period(s)",
        )
        await reminder_service.plan_now()
        await message.answer(saved_text(saved, bool(parsed.groups)))

    @router.message(Command("practicum"), administrator)
    async def practicum_help(
        message: Message, reminders: ReminderRepository, catalog: Catalog
    ) -> None:
        text = _(
            "<b>Work placement periods</b>\n\nSend a CSV or XLSX file with the columns:\n"
            "<code>{headers}</code>\nand, if known, what a student needs on the first day: "
            "<code>{optional}</code> (where to go, the time HH:MM, whom to ask for, what to "
            "bring; empty: «to be confirmed»). Dates as DD.MM.YYYY; the college as its id, "
            "e.g. ntpts. Or add one period with a line:\n<code>/practicum_add ntpts; "
            "МП-25-1; 22.02.08; 12.05.2027; 20.06.2027; Надеждинский завод; "
            "Иванов И. И.; 25.06.2027</code> (the first day's fields may follow, in the "
            "same order).\n\n<b>Groups</b> students choose from: they come "
            "with the periods, or from a file with the columns <code>{group_headers}</code>, "
            "or a line:\n<code>/practicum_groups ntpts; 22.02.08; МП-26-1, МП-26-2</code>"
        ).format(
            headers=", ".join(HEADERS),
            optional=", ".join(OPTIONAL_HEADERS),
            group_headers=", ".join(GROUP_HEADERS),
        )
        lines = await unknown_groups_lines(reminders, catalog)
        await message.answer("\n".join([text, *lines]))

    @router.message(Command("practicum_groups"), administrator)
    async def practicum_groups(
        message: Message,
        command: CommandObject,
        catalog: Catalog,
        reminders: ReminderRepository,
        reminder_service: ReminderService,
        clock: Clock,
    ) -> None:
        parts = [part.strip() for part in (command.args or "").split(";")]
        if len(parts) != 3 or not parts[2]:
            await message.answer(
                _("Write the college, the specialty and the groups after the command; see "
                  "/practicum.")
            )  # fmt: skip
            return
        college, specialty, names = parts
        lines = [";".join(GROUP_HEADERS)]
        lines += [
            f"{college};{name.strip()};{specialty}"
            for name in names.replace("\n", ",").split(",")
            if name.strip()
        ]
        content = ("\n".join(lines) + "\n").encode()
        await import_bytes(
            message, "groups.csv", content, catalog, reminders, reminder_service, clock
        )

    @router.message(Command("practicum_add"), administrator)
    async def practicum_add(
        message: Message,
        command: CommandObject,
        catalog: Catalog,
        reminders: ReminderRepository,
        reminder_service: ReminderService,
        clock: Clock,
    ) -> None:
        line = (command.args or "").strip()
        if not line:
            await message.answer(_("Add the period after the command; see /practicum."))
            return
        # The first day's fields may follow the eight of the period, in their order.
        extra = min(max(line.count(";") + 1 - len(HEADERS), 0), len(OPTIONAL_HEADERS))
        header = ";".join((*HEADERS, *OPTIONAL_HEADERS[:extra]))
        content = (header + "\n" + line + "\n").encode()
        await import_bytes(
            message, "line.csv", content, catalog, reminders, reminder_service, clock
        )

    @router.message(Command(*COMMANDS))
    async def not_administrator(message: Message) -> None:
        await message.answer(_("This command is for the admission staff."))

    @router.message(F.document.file_name.lower().endswith((".csv", ".xlsx")), administrator)
    async def practicum_file(
        message: Message,
        bot: Bot,
        catalog: Catalog,
        reminders: ReminderRepository,
        reminder_service: ReminderService,
        clock: Clock,
    ) -> None:
        content = await downloaded(message, bot)
        if content is None:
            return
        assert message.document is not None
        await import_bytes(
            message,
            message.document.file_name or "file.csv",
            content,
            catalog,
            reminders,
            reminder_service,
            clock,
        )

    return router
