"""The review queue: applications a page of 10 at a time, the oldest first or the highest score
first, filtered by status, college and specialty; each line with the number, the surname and
initials, the specialty, the score, the date and a mark for missing documents. And the search
by application number or surname."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import STATUSES, missing_kinds, surname_initials
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from db.applications import ApplicationRepository
from db.staff import QueueRow, StaffRepository
from handlers.application_texts import status_label
from handlers.callbacks import CardAction, CardCb, QueueAction, QueueCb, QueueSort
from handlers.staff.card_screens import card_keyboard, card_text
from handlers.states import StaffForm
from handlers.ui import current_language, fmt_number, fmt_score, h, show

QUEUE_SIZE = 10
SEARCH_LIMIT = 20
MISSING_MARK = "⚠️"


@dataclass(frozen=True, slots=True)
class Filters:
    """The queue's filters, checked against the catalogue and the member's scope."""

    status: str = ""
    spec: str = ""
    college: str = ""
    sort: QueueSort = QueueSort.date

    @classmethod
    def of(cls, data: QueueCb, scope: Scope, catalog: Catalog) -> Filters:
        status = data.status if data.status in STATUSES else ""
        college = scope.college_id or (data.college if catalog.college(data.college) else "")
        specialty = catalog.specialty(data.spec)
        spec = data.spec if specialty and scope.sees(catalog, [data.spec]) else ""
        if spec and college and specialty and college not in specialty.colleges:
            spec = ""
        return cls(status, spec, college, data.sort)

    def codes(self, catalog: Catalog) -> list[str] | None:
        """The specialties an application must choose one of; None: any."""
        if self.spec:
            return [self.spec]
        if self.college:
            return [s.code for s in catalog.specialties_of(self.college)]
        return None

    def cb(self, action: QueueAction, **changes: Any) -> QueueCb:
        fields = {
            "status": self.status,
            "spec": self.spec,
            "college": self.college,
            "page": 0,
            "sort": self.sort,
        }
        return QueueCb(action=action, **{**fields, **changes})


async def queue_screen(
    filters: Filters,
    page: int,
    scope: Scope,
    staff: StaffRepository,
    catalog: Catalog,
    year: int,
    tz: tzinfo,
) -> tuple[str, InlineKeyboardMarkup]:
    """Applications matching the filters in the chosen order, a page at a time: a line each in
    the text, a button each to its card."""  # fmt: skip
    codes = filters.codes(catalog)
    codes_or_scope: Collection[str] | None = (
        scope.specialty_codes(catalog)
        if codes is None
        else [c for c in codes if scope.sees(catalog, [c])]
    )
    page = max(page, 0)
    by_score = filters.sort == QueueSort.score
    items, total = await staff.queue(
        filters.status, year, QUEUE_SIZE, codes=codes_or_scope, offset=page * QUEUE_SIZE,
        order="score" if by_score else "date",
    )  # fmt: skip
    pages = max(1, -(-total // QUEUE_SIZE))
    builder = InlineKeyboardBuilder()
    rows = []
    first = page * QUEUE_SIZE + 1
    for place, item in enumerate(items, start=first):
        rows.append(f"{place}. " + queue_line(item, filters.spec, catalog, tz))
        builder.button(
            text=f"{fmt_number(item.number)} · {surname_initials(item.full_name)}",
            callback_data=CardCb(action=CardAction.card, id=item.id),
        )
    nav = []
    if page > 0:
        builder.button(text="◀️", callback_data=filters.cb(QueueAction.queue, page=page - 1))
        nav.append(1)
    if page + 1 < pages:
        builder.button(text="▶️", callback_data=filters.cb(QueueAction.queue, page=page + 1))
        nav.append(1)
    builder.button(
        text=_("⇅ By date") if by_score else _("⇅ By score"),
        callback_data=filters.cb(
            QueueAction.queue, sort=QueueSort.date if by_score else QueueSort.score
        ),
    )
    builder.button(text=_("📌 Status"), callback_data=filters.cb(QueueAction.f_status))
    if scope.college_id is None:
        builder.button(text=_("🏫 College"), callback_data=filters.cb(QueueAction.f_college))
    builder.button(text=_("🎓 Specialty"), callback_data=filters.cb(QueueAction.f_spec))
    builder.button(text=_("⬅️ Panel"), callback_data=QueueCb(action=QueueAction.panel))
    filters_row = 3 if scope.college_id is None else 2
    builder.adjust(*([1] * len(items)), *([len(nav)] if nav else []), 1, filters_row, 1)
    counts = found_line(total)
    if items:
        counts += f" · {first}–{first + len(items) - 1}"
    if pages > 1:
        counts += " · " + _("page {page} of {pages}").format(page=page + 1, pages=pages)
    lines = [
        _("<b>Applications</b>, the highest score first")
        if by_score
        else _("<b>Applications</b>, the oldest first"),
        _("Status: {value}").format(
            value=status_label(filters.status) if filters.status else _("any")
        ),
        _("College: {value}").format(value=college_name(catalog, filters.college)),
        _("Specialty: {value}").format(value=specialty_name(catalog, filters.spec)),
        counts,
        "",
        *rows,
    ]
    if not items:
        lines.append(_("None."))
    elif any(MISSING_MARK in row for row in rows):
        lines += ["", _("{mark} documents missing").format(mark=MISSING_MARK)]
    return "\n".join(lines), builder.as_markup()


def queue_line(item: QueueRow, spec: str, catalog: Catalog, tz: tzinfo) -> str:
    """«М-2027-0001 Иванова А. С. · 22.02.08 Металлургия · 4,50 · 20 нояб. ⚠️»: the specialty
    filtered on, else the first priority; the mark when a document the form asks for is
    missing."""
    code = spec if spec in item.specialties else (item.specialties[:1] or ("",))[0]
    specialty = catalog.specialty(code)
    name = f"{code} {h(specialty.short_name.get(current_language()))}" if specialty else code
    day = format_date(item.submitted_at.astimezone(tz).date(), "d MMM", locale=current_language())
    missing = missing_kinds(catalog, item.specialties, item.minor, item.kinds)
    parts = [
        f"<b>{fmt_number(item.number)}</b> {h(surname_initials(item.full_name))}",
        name,
        fmt_score(item.average_score),
        day,
    ]
    return " · ".join(parts) + (f" {MISSING_MARK}" if missing else "")


def status_chooser(filters: Filters) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Any"), callback_data=filters.cb(QueueAction.queue, status=""))
    for status in STATUSES:
        builder.button(
            text=status_label(status), callback_data=filters.cb(QueueAction.queue, status=status)
        )
    return _("Show applications with the status:"), chooser(builder, filters)


def college_chooser(filters: Filters, catalog: Catalog) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Any"), callback_data=filters.cb(QueueAction.queue, college="", spec=""))
    for college in catalog.colleges:
        builder.button(
            text=college.short_name.get(current_language()),
            callback_data=filters.cb(QueueAction.queue, college=college.id, spec=""),
        )
    return _("Show applications to the college:"), chooser(builder, filters)


def specialty_chooser(
    filters: Filters, scope: Scope, catalog: Catalog
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Any"), callback_data=filters.cb(QueueAction.queue, spec=""))
    college_id = filters.college or scope.college_id
    specialties = catalog.specialties_of(college_id) if college_id else catalog.specialties
    for specialty in specialties:
        builder.button(
            text=f"{specialty.code} {specialty.short_name.get(current_language())}",
            callback_data=filters.cb(QueueAction.queue, spec=specialty.code),
        )
    return _("Show applications to the specialty:"), chooser(builder, filters)


def chooser(builder: InlineKeyboardBuilder, filters: Filters) -> InlineKeyboardMarkup:
    """A filter's choices, one a line, and the way back to the queue as it was."""
    builder.button(text=_("⬅️ Back"), callback_data=filters.cb(QueueAction.queue))
    builder.adjust(1)
    return builder.as_markup()


def found_line(count: int) -> str:
    return ngettext("Found: {count} application", "Found: {count} applications", count).format(
        count=count
    )


def college_name(catalog: Catalog, college_id: str) -> str:
    college = catalog.college(college_id) if college_id else None
    return h(college.short_name.get(current_language())) if college else _("any")


def specialty_name(catalog: Catalog, code: str) -> str:
    specialty = catalog.specialty(code) if code else None
    if specialty is None:
        return _("any specialty")  # Russian agrees in gender: «любая»
    return f"{specialty.code} {h(specialty.short_name.get(current_language()))}"


def found_screen(found: list[tuple[int, str, str]], query: str) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for application_id, number, status in found:
        builder.button(
            text=f"{fmt_number(number)} · {status_label(status)}",
            callback_data=CardCb(action=CardAction.card, id=application_id),
        )
    builder.button(text=_("🔎 Search again"), callback_data=QueueCb(action=QueueAction.search))
    builder.button(text=_("⬅️ Panel"), callback_data=QueueCb(action=QueueAction.panel))
    builder.adjust(1)
    text = (
        found_line(len(found))
        if found
        else _("Nothing found for «{query}».").format(query=h(query))
    )
    return text, builder.as_markup()


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(QueueCb.filter(F.action == QueueAction.queue))
    async def queue(
        callback: CallbackQuery,
        callback_data: QueueCb,
        scope: Scope,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
    ) -> None:
        filters = Filters.of(callback_data, scope, catalog)
        year = catalog.recent_campaign(clock.today()).year
        screen = await queue_screen(
            filters, callback_data.page, scope, staff, catalog, year, settings.tz
        )
        await show(callback, *screen)

    @router.callback_query(QueueCb.filter(F.action == QueueAction.f_status))
    async def choose_status(
        callback: CallbackQuery, callback_data: QueueCb, scope: Scope, catalog: Catalog
    ) -> None:
        await show(callback, *status_chooser(Filters.of(callback_data, scope, catalog)))

    @router.callback_query(QueueCb.filter(F.action == QueueAction.f_college))
    async def choose_college(
        callback: CallbackQuery, callback_data: QueueCb, scope: Scope, catalog: Catalog
    ) -> None:
        filters = Filters.of(callback_data, scope, catalog)
        if scope.college_id is None:
            await show(callback, *college_chooser(filters, catalog))
        else:  # staff of one college choose among its specialties only
            await show(callback, *specialty_chooser(filters, scope, catalog))

    @router.callback_query(QueueCb.filter(F.action == QueueAction.f_spec))
    async def choose_specialty(
        callback: CallbackQuery, callback_data: QueueCb, scope: Scope, catalog: Catalog
    ) -> None:
        await show(
            callback, *specialty_chooser(Filters.of(callback_data, scope, catalog), scope, catalog)
        )

    @router.callback_query(QueueCb.filter(F.action == QueueAction.search))
    async def search(callback: CallbackQuery, state: FSMContext, bot: Bot) -> None:
        await state.set_state(StaffForm.search)
        await bot.send_message(
            callback.from_user.id,
            _("Type an application number (M-2027-0001, or just 1) or a surname, "
              "or /cancel."),
        )  # fmt: skip

    @router.message(StateFilter(StaffForm.search), F.text)
    async def search_typed(
        message: Message,
        state: FSMContext,
        scope: Scope,
        settings: Settings,
        staff: StaffRepository,
        applications: ApplicationRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        query = (message.text or "").strip()
        if not query or query.startswith("/") or len(query) > 100:
            await message.answer(_("Type a number or a surname, or /cancel."))
            return
        await state.clear()
        year = catalog.recent_campaign(clock.today()).year
        found = await staff.search(query, year, scope.specialty_codes(catalog), SEARCH_LIMIT)
        if len(found) == 1:
            application = await applications.get(found[0][0])
            if application is not None:
                await message.answer(
                    card_text(application, catalog, settings),
                    reply_markup=card_keyboard(application, catalog, scope),
                )
                return
        text, markup = found_screen(found, query)
        await message.answer(text, reply_markup=markup)

    @router.message(StateFilter(StaffForm.search))
    async def search_needs_text(message: Message) -> None:
        await message.answer(_("Type a number or a surname, or /cancel."))

    return router
