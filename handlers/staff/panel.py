"""The staff panel (/staff): applications per status, and the way to every staff screen."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.applications import STATUSES
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from db.questions import QuestionRepository
from db.staff import StaffRepository
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
    rows = [2] * (statuses // 2) + [1] * (statuses % 2)
    builder.button(text=_("📥 All applications"), callback_data=QueueCb(action=QueueAction.queue))
    builder.button(text=_("🔎 Search"), callback_data=QueueCb(action=QueueAction.search))
    builder.button(
        text=ngettext("❓ Question ({count})", "❓ Questions ({count})", unanswered).format(
            count=unanswered
        ),
        callback_data=QuestionCb(action=QuestionAction.list),
    )
    builder.button(text=_("📊 Reports"), callback_data=ReportCb(action=ReportAction.menu))
    builder.button(text=_("📣 Broadcast"), callback_data=BroadcastCb(action=BroadcastAction.new))
    builder.button(text=_("📅 Events"), callback_data=StaffEventCb(action=StaffEventAction.list))
    if scope.admin:
        builder.button(text=_("👥 Staff"), callback_data=RolesCb(action=RolesAction.list))
    builder.adjust(*rows, 2, 2, 2)
    builder.row(*content_buttons())
    return "\n".join(lines), builder.as_markup()


def content_buttons() -> list[InlineKeyboardButton]:
    """The catalogue (/catalog) and what the bot could not answer."""
    return [
        InlineKeyboardButton(
            text=_("📚 Catalogue"), callback_data=CatalogCb(action=CatalogAction.menu).pack()
        ),
        InlineKeyboardButton(text=_("❔ Not understood"), callback_data=UnansweredCb().pack()),
    ]


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
