"""Staff reports: ranking lists per specialty, Excel and CSV exports, statistics with a chart.

Staff of one college see only its specialties and the applications that choose any of them,
in lists, files and numbers alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import CHANNELS, STATUSES
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.domain.telegram_text import MESSAGE_LIMIT
from bot.services.reports import (
    ALL_COLUMNS,
    RANK_COLUMNS,
    ChartLabels,
    ReportTexts,
    SpecialtyInfo,
    build_csv,
    build_xlsx,
    chunk_lines,
    render_chart,
)
from db.applications import ApplicationRepository, RankingEntry
from db.events import EventRepository
from db.reports import ReportRepository, Statistics
from db.staff import StaffRepository
from handlers.application_texts import status_label
from handlers.callbacks import OrderAction, OrderCb, QueueAction, QueueCb, ReportAction, ReportCb
from handlers.staff.posters import source_lines
from handlers.texts.ranking import places_text, ranking_messages
from handlers.ui import alert, current_language, fmt_date, h, show

STATS_DAYS = 14  # days listed in the statistics text; the chart shows every day


# --- texts and keyboards ----------------------------------------------------------------------


def visible_specialties(catalog: Catalog, scope: Scope) -> list[SpecialtyInfo]:
    """The catalogue's specialties this staff member sees, in catalogue order."""
    codes = scope.specialty_codes(catalog)
    language = current_language()
    return [
        SpecialtyInfo(s.code, s.short_name.get(language), s.budget_places, s.name.get(language))
        for s in catalog.specialties
        if codes is None or s.code in codes
    ]


def channel_name(channel: str) -> str:
    return {
        "bot": _("bot only"),
        "gosuslugi": _("bot + Gosuslugi"),
        "in_person": _("bot + in person"),
    }.get(channel, channel)


def report_texts() -> ReportTexts:
    headers = {
        "place": _("Place"),
        "number": _("Application"),
        "status": _("Status"),
        "full_name": _("Full name"),
        "birth_date": _("Date of birth"),
        "phone": _("Phone"),
        "email": _("E-mail"),
        "education_base": _("Classes"),
        "average_score": _("Average score"),
        "priority_1": _("Priority 1"),
        "priority_2": _("Priority 2"),
        "priority_3": _("Priority 3"),
        "priority": _("Priority"),
        "dormitory": _("Dormitory"),
        "channel": _("Channel"),
        "minor": _("Under 18"),
        "original": _("Original certificate"),
        "medical": _("Medical certificate"),
        "documents": _("Files"),
        "submitted_at": _("Submitted"),
        "updated_at": _("Updated"),
        "user_id": _("Telegram id"),
    }
    assert set(ALL_COLUMNS) | set(RANK_COLUMNS) <= set(headers)
    return ReportTexts(
        headers=headers,
        all_sheet=_("All applications"),
        statuses={s: status_label(s) for s in STATUSES},
        channels={c: channel_name(c) for c in CHANNELS},
        # Its own words: «yes» elsewhere reads «есть» (entrance tests: есть).
        yes=_("Yes"),
        no=_("No"),
        budget_places=_("State-funded places: {places}"),
        unknown=_("to be confirmed"),
        decimal_separator="," if current_language() == "ru" else ".",
    )


def chart_labels() -> ChartLabels:
    return ChartLabels(
        locale=current_language(),
        specialties=_("Applications per specialty"),
        days=_("Applications per day"),
        statuses=_("Applications per status"),
        channels=_("Applications per channel"),
        applications=_("competing, any priority"),
        first_priority=_("first priority"),
        budget_places=_("state-funded places"),
        no_data=_("No data yet"),
        status_names={s: status_label(s) for s in STATUSES},
        channel_names={c: channel_name(c) for c in CHANNELS},
    )


def menu(catalog: Catalog, clock: Clock, scope: Scope) -> tuple[str, InlineKeyboardMarkup]:
    year = catalog.recent_campaign(clock.today()).year
    lines = [_("<b>Reports: admission {year}</b>").format(year=year)]
    college = catalog.college(scope.college_id) if scope.college_id else None
    if college is not None:
        name = college.short_name.get(current_language())
        lines.append(_("Your college: {college}").format(college=h(name)))
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🏆 Ranking lists"), callback_data=ReportCb(action=ReportAction.lists))
    builder.button(text=_("📗 Excel"), callback_data=ReportCb(action=ReportAction.xlsx))
    builder.button(text=_("📄 CSV"), callback_data=ReportCb(action=ReportAction.csv))
    builder.button(text=_("📊 Statistics"), callback_data=ReportCb(action=ReportAction.stats))
    builder.button(text=_("⬅️ Panel"), callback_data=QueueCb(action=QueueAction.panel))
    builder.adjust(1, 2, 1, 1)
    return "\n".join(lines), builder.as_markup()


def ranking_keyboard(code: str) -> InlineKeyboardMarkup:
    """Under a ranking list: the campaign's closing steps for the specialty, and the way back."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📢 Publish to applicants"),
        callback_data=ReportCb(action=ReportAction.publish, code=code),
    )
    builder.button(
        text=_("🎓 Enrolment order"), callback_data=OrderCb(action=OrderAction.open, code=code)
    )
    builder.button(text=_("⬅️ Specialties"), callback_data=ReportCb(action=ReportAction.lists))
    builder.button(text=_("⬅️ Reports"), callback_data=ReportCb(action=ReportAction.menu))
    builder.adjust(2, 2)
    return builder.as_markup()


def back_keyboard(to_lists: bool = False) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if to_lists:
        builder.button(text=_("⬅️ Specialties"), callback_data=ReportCb(action=ReportAction.lists))
    builder.button(text=_("⬅️ Reports"), callback_data=ReportCb(action=ReportAction.menu))
    builder.adjust(1)
    return builder.as_markup()


def lists_screen(specialties: list[SpecialtyInfo]) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for s in specialties:
        builder.button(
            text=f"{s.code} · {s.name}",
            callback_data=ReportCb(action=ReportAction.rank, code=s.code),
        )
    builder.button(text=_("⬅️ Reports"), callback_data=ReportCb(action=ReportAction.menu))
    builder.adjust(1)
    if not specialties:
        return _("No specialties of your college in the catalogue."), builder.as_markup()
    return _("<b>Ranking lists</b>: choose a specialty"), builder.as_markup()


def staff_ranking(specialty: SpecialtyInfo, year: int, ranking: list[RankingEntry]) -> list[str]:
    """The ranking list as the staff see it (the whole one is in the Excel file)."""
    heading = [
        f"<b>{specialty.code} · {h(specialty.name)}</b>",
        ngettext(
            "Ranking, admission {year}: {count} competing; state-funded places: {places}",
            "Ranking, admission {year}: {count} competing; state-funded places: {places}",
            len(ranking),
        ).format(year=year, count=len(ranking), places=places_text(specialty.budget_places)),
    ]
    note = _("… the list is cut here: the whole list is in the Excel file.")
    return ranking_messages(heading, ranking, specialty.budget_places, note)


def stats_text(
    stats: Statistics, specialties: list[SpecialtyInfo], year: int, more: Sequence[str] = ()
) -> str:
    lines = [
        _("<b>Statistics: admission {year}</b>").format(year=year),
        ngettext("Applications: {count}", "Applications: {count}", stats.total).format(
            count=stats.total
        ),
        "",
        _("<b>Per specialty</b> (competing / first priority / state-funded places)"),
    ]
    names = {s.code: s for s in specialties}
    codes = [*names, *sorted(set(stats.by_specialty) - set(names))]
    for code in codes:
        info = names.get(code)
        label = f"{code} · {h(info.name)}" if info else code
        places = places_text(info.budget_places if info else None)
        lines.append(
            f"{label}: {stats.by_specialty.get(code, 0)} / "
            f"{stats.first_priority.get(code, 0)} / {places}"
        )
    lines += ["", _("<b>Per day</b>")]
    days = list(stats.by_day.items())
    if len(days) > STATS_DAYS:
        lines.append(
            ngettext(
                "(the last {count} day; the chart shows every day)",
                "(the last {count} days; the chart shows every day)",
                STATS_DAYS,
            ).format(count=STATS_DAYS)
        )
    lines += [f"{fmt_date(day)}: {n}" for day, n in days[-STATS_DAYS:]]
    if not days:
        lines.append(_("None."))
    lines += ["", _("<b>Per status</b>")]
    lines += [f"{status_label(s)}: {stats.by_status.get(s, 0)}" for s in STATUSES]
    lines += ["", _("<b>Per channel</b>")]
    lines += [f"{channel_name(c)}: {stats.by_channel.get(c, 0)}" for c in CHANNELS]
    if more:
        lines += ["", *more]
    return chunk_lines(lines, MESSAGE_LIMIT)[0]


# --- the router -------------------------------------------------------------------------------


# The report buttons about one specialty (its ``code``).
OF_A_SPECIALTY = frozenset({ReportAction.rank, ReportAction.publish, ReportAction.publish_yes})


def visible_specialty(
    callback: CallbackQuery, callback_data: ReportCb | OrderCb, scope: Scope, catalog: Catalog
) -> bool | dict[str, Any]:
    """A filter after ``ReportCb.filter()`` or ``OrderCb.filter()``: the specialty pressed on,
    if the member sees it."""
    specialty = next(
        (s for s in visible_specialties(catalog, scope) if s.code == callback_data.code), None
    )
    return False if specialty is None else {"specialty": specialty}


def get_router() -> Router:
    router = Router(name=__name__)

    @router.message(Command("reports"))
    async def reports_command(
        message: Message, scope: Scope, catalog: Catalog, clock: Clock
    ) -> None:
        text, markup = menu(catalog, clock, scope)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(ReportCb.filter(F.action == ReportAction.menu))
    async def reports_menu(
        callback: CallbackQuery, scope: Scope, catalog: Catalog, clock: Clock
    ) -> None:
        await show(callback, *menu(catalog, clock, scope))

    @router.callback_query(ReportCb.filter(F.action == ReportAction.lists))
    async def lists(callback: CallbackQuery, scope: Scope, catalog: Catalog) -> None:
        await show(callback, *lists_screen(visible_specialties(catalog, scope)))

    # Answered at once: a long list takes several messages.
    @router.callback_query(
        ReportCb.filter(F.action == ReportAction.rank),
        visible_specialty,
        flags={"callback_answer": {"pre": True}},
    )
    async def rank(
        callback: CallbackQuery,
        specialty: SpecialtyInfo,
        bot: Bot,
        applications: ApplicationRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        year = catalog.recent_campaign(clock.today()).year
        ranking = await applications.ranking(specialty.code, year)
        await send_chunks(
            callback, bot, staff_ranking(specialty, year, ranking), ranking_keyboard(specialty.code)
        )

    # A specialty the member does not see (the closing steps of one are handled before this
    # router, by handlers/staff/closing.py).
    @router.callback_query(ReportCb.filter(F.action.in_(OF_A_SPECIALTY)))
    async def rank_not_visible(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
        alert(callback_answer, _("No access."))

    for kind in (ReportAction.xlsx, ReportAction.csv):
        router.callback_query.register(exporter(kind), ReportCb.filter(F.action == kind))

    # Answered at once: the chart takes a moment to draw.
    @router.callback_query(
        ReportCb.filter(F.action == ReportAction.stats), flags={"callback_answer": {"pre": True}}
    )
    async def stats(
        callback: CallbackQuery,
        scope: Scope,
        bot: Bot,
        reports: ReportRepository,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
        registrations: EventRepository,
    ) -> None:
        year = catalog.recent_campaign(clock.today()).year
        specialties = visible_specialties(catalog, scope)
        codes = scope.specialty_codes(catalog)
        statistics = await reports.statistics(year, settings.tz, codes)
        sources = source_lines(await registrations.sources(codes))
        await show(callback, stats_text(statistics, specialties, year, sources), back_keyboard())
        png = await asyncio.to_thread(render_chart, statistics, chart_labels(), specialties)
        await bot.send_photo(
            callback.from_user.id,
            BufferedInputFile(png, filename=f"statistics-{year}.png"),
            caption=_("Statistics: admission {year}").format(year=year),
        )

    return router


async def send_chunks(
    callback: CallbackQuery, bot: Bot, chunks: list[str], markup: InlineKeyboardMarkup
) -> None:
    """The first text replaces the pressed screen; the rest follow; the keyboard goes last."""
    await show(callback, chunks[0], markup if len(chunks) == 1 else None)
    for i, text in enumerate(chunks[1:], start=2):
        await bot.send_message(
            callback.from_user.id, text, reply_markup=markup if i == len(chunks) else None
        )


def exporter(kind: ReportAction) -> Callable[..., Awaitable[None]]:
    """The handler of an export (``xlsx`` or ``csv``): built off the event loop, audited (it
    carries personal data out of the bot), sent as a file."""

    async def export(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        scope: Scope,
        bot: Bot,
        reports: ReportRepository,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
    ) -> None:
        # Answered before the file is built, with a word of what is coming.
        callback_answer.disable()
        await callback.answer(_("Preparing the file…"))
        year = catalog.recent_campaign(clock.today()).year
        specialties = visible_specialties(catalog, scope)
        rows = await reports.applications(year, scope.specialty_codes(catalog))
        texts = report_texts()
        if kind == ReportAction.xlsx:
            data = await asyncio.to_thread(build_xlsx, rows, specialties, texts, settings.tz)
        else:
            data = await asyncio.to_thread(build_csv, rows, texts, settings.tz)
        suffix = f"-{scope.college_id}" if scope.college_id else ""
        filename = f"applications-{year}{suffix}.{kind.value}"
        await staff.audit(callback.from_user.id, f"export:{kind.value}", None, None, clock.now())
        await bot.send_document(
            callback.from_user.id,
            BufferedInputFile(data, filename=filename),
            caption=ngettext(
                "Admission {year}: {count} application",
                "Admission {year}: {count} applications",
                len(rows),
            ).format(year=year, count=len(rows)),
        )

    return export
