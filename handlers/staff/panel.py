"""The staff panel (/staff): applications per status, and the way to every staff screen."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.applications import STATUSES
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from db.questions import QuestionRepository
from db.staff import StaffRepository
from handlers.access import StaffFilter
from handlers.application_texts import status_label
from handlers.callbacks import (
    BroadcastAction,
    BroadcastCb,
    CatalogAction,
    CatalogCb,
    QuestionAction,
    QuestionCb,
    QueueAction,
    QueueCb,
    ReportAction,
    ReportCb,
    RolesAction,
    RolesCb,
    StaffEventAction,
    StaffEventCb,
    UnansweredCb,
)
from handlers.states import STAFF_DIALOGUES
from handlers.ui import current_language, h, show


async def panel(
    scope: Scope,
    staff: StaffRepository,
    questions: QuestionRepository,
    catalog: Catalog,
    clock: Clock,
) -> tuple[str, InlineKeyboardMarkup]:
    year = catalog.recent_campaign(clock.today()).year
    codes = scope.specialty_codes(catalog)
    counts = await staff.counts_by_status(year, codes)
    unanswered = await questions.count_unanswered(codes, scope.college_id)
    lines = [_("<b>Admission {year}: applications</b>").format(year=year)]
    college = catalog.college(scope.college_id) if scope.college_id else None
    if college is not None:
        lines.append(
            _("College: {value}").format(value=h(college.short_name.get(current_language())))
        )
    lines.append("")
    builder = InlineKeyboardBuilder()
    for status in STATUSES:
        n = counts.get(status, 0)
        lines.append(f"{status_label(status)}: {n}")
        if n:
            builder.button(
                text=f"{status_label(status)} ({n})",
                callback_data=QueueCb(action=QueueAction.queue, status=status),
            )
    total = sum(counts.values())
    lines += [
        "",
        ngettext("Total: {count} application", "Total: {count} applications", total).format(
            count=total
        ),
    ]
    statuses = len(list(builder.buttons))
    tools = tool_buttons(scope, unanswered)
    for text, data in tools:
        builder.button(text=text, callback_data=data)
    builder.adjust(*two_a_row(statuses), *two_a_row(len(tools)))
    return "\n".join(lines), builder.as_markup()


def tool_buttons(scope: Scope, unanswered: int) -> list[tuple[str, CallbackData]]:
    """The staff's tools under the queues, two a row, in this order: a new tool is a line
    here."""
    tools: list[tuple[str, CallbackData]] = [
        (_("📥 All applications"), QueueCb(action=QueueAction.queue)),
        (_("🔎 Search"), QueueCb(action=QueueAction.search)),
        (
            ngettext("❓ Question ({count})", "❓ Questions ({count})", unanswered).format(
                count=unanswered
            ),
            QuestionCb(action=QuestionAction.list),
        ),
        (_("📊 Reports"), ReportCb(action=ReportAction.menu)),
        (_("📣 Broadcast"), BroadcastCb(action=BroadcastAction.new)),
        (_("📅 Events"), StaffEventCb(action=StaffEventAction.list)),
        (_("📚 Catalogue"), CatalogCb(action=CatalogAction.menu)),
        (_("❔ Not understood"), UnansweredCb()),
    ]
    if scope.admin:
        tools.append((_("👥 Staff"), RolesCb(action=RolesAction.list)))
    return tools


def two_a_row(count: int) -> list[int]:
    return [2] * (count // 2) + [1] * (count % 2)


def get_cancel_router() -> Router:
    """/cancel of a staff member, in a staff dialogue or in none: back to the staff panel. Tried
    before the menu's /cancel (handlers/start.py), which the applicants' dialogues keep."""
    router = Router(name=__name__ + ".cancel")
    router.message.filter(F.chat.type == "private", StaffFilter())

    @router.message(Command("cancel"), StateFilter(None, *STAFF_DIALOGUES))
    async def cancel(
        message: Message,
        state: FSMContext,
        scope: Scope,
        staff: StaffRepository,
        questions: QuestionRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        if await state.get_state() is None:
            done = _("There is nothing to cancel.")
        else:
            await state.clear()
            done = _("Cancelled.")
        text, markup = await panel(scope, staff, questions, catalog, clock)
        await message.answer(done + "\n\n" + text, reply_markup=markup)

    return router


def get_router() -> Router:
    router = Router(name=__name__)

    @router.message(Command("staff"))
    async def staff_command(
        message: Message,
        scope: Scope,
        staff: StaffRepository,
        questions: QuestionRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        text, markup = await panel(scope, staff, questions, catalog, clock)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(QueueCb.filter(F.action == QueueAction.panel))
    async def to_panel(
        callback: CallbackQuery,
        scope: Scope,
        staff: StaffRepository,
        questions: QuestionRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        await show(callback, *await panel(scope, staff, questions, catalog, clock))

    return router
