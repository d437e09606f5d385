"""Administrators add practicum periods: a CSV/XLSX file sent to the bot, or one line with a
command.

A file with any bad row is refused whole, with every problem and its line number. Only
administrators (``ADMIN_IDS``) may do it; other staff, and anyone else (handlers/staff/
denied.py), are told the commands are not for them.
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
from bot.domain.practicum_import import HEADERS, PracticumRow, RowProblem, parse_practicum_file
from bot.services.reminders import ReminderService
from db.reminders import PracticumPeriod, ReminderRepository
from handlers.access import administrator

log = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 30
MAX_FILE_BYTES = 5 * 1024 * 1024
COMMANDS = ("practicum", "practicum_add")  # administrators' only


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
        )
        for r in rows
    ]


def problems_text(problems: list[RowProblem]) -> str:
    lines = [_("<b>Nothing was imported.</b> Fix these rows and send the file again:")]
    lines += [escape(str(p), quote=False) for p in problems[:MAX_PROBLEMS_SHOWN]]
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
        rows, problems = await asyncio.to_thread(
            parse_practicum_file,
            filename,
            content,
            known_colleges={c.id for c in catalog.colleges},
            known_specialties={s.code for s in catalog.specialties},
        )
        if problems:
            await message.answer(problems_text(problems))
            return
        if not rows:
            await message.answer(_("The file has no rows. Nothing was imported."))
            return
        assert message.from_user is not None
        count = await reminders.save_periods(_periods(rows), message.from_user.id, clock.now())
        log.info("user %s imported %d practicum period(s)", message.from_user.id, count)
        await reminder_service.plan_now()
        await message.answer(
            ngettext(
                "✅ Imported practicum periods: {count}.",
                "✅ Imported practicum periods: {count}.",
                count,
            ).format(count=count)
        )

    @router.message(Command("practicum"), administrator)
    async def practicum_help(message: Message) -> None:
        await message.answer(
            _(
                "<b>Practicum periods</b>\n\nSend a CSV or XLSX file with the columns:\n"
                "<code>{headers}</code>\n(dates as DD.MM.YYYY; the college as its id, e.g. "
                "ntpts). Or add one period with a line:\n<code>/practicum_add ntpts; "
                "МП-25-1; 22.02.08; 12.05.2027; 20.06.2027; Надеждинский завод; "
                "Иванов И. И.; 25.06.2027</code>"
            ).format(headers=", ".join(HEADERS))
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
        content = (";".join(HEADERS) + "\n" + line + "\n").encode()
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
        document = message.document
        assert document is not None
        if (document.file_size or 0) > MAX_FILE_BYTES:
            await message.answer(_("The file is too big: at most 5 MB."))
            return
        buffer = await bot.download(document.file_id)
        assert buffer is not None
        await import_bytes(
            message,
            document.file_name or "file.csv",
            buffer.read(),
            catalog,
            reminders,
            reminder_service,
            clock,
        )

    return router
