"""The campaign's closing steps, from a specialty's ranking list (/reports → 🏆): publish the
list to its applicants (each told their place and the budget line; numbers, not names, in the
list; a second publication tells only those whose place changed), and the enrolment order
(selected from the ranking, pre-filled within the state-funded places left, confirmed once; each
enrolled applicant congratulated, each of the others told what remains possible).

The selection of an order is kept in the dialogue storage under a destiny of its own
(``order``), so a search or a comment in between does not lose it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import needs_medical, surname_initials
from bot.domain.catalog import Catalog
from bot.domain.closing import may_enrol, moved, places_left, preselected
from bot.services.closing import issue_order, publish_ranking
from bot.services.reports import SpecialtyInfo
from db.applications import ApplicationRepository, RankingEntry
from db.closing import ClosingRepository
from db.staff import StaffRepository
from handlers.callbacks import OrderAction, OrderCb, ReportAction, ReportCb
from handlers.staff.reports import visible_specialty
from handlers.texts.ranking import places_text
from handlers.ui import alert, fmt_date, fmt_number, fmt_score, h, page_buttons, page_of, show

ORDER_PAGE = 10
ORDER_DESTINY = "order"
NUMBERS_SHOWN = 30  # the confirmation names this many enrolled applications, then counts


class Selection:
    """The applicants selected for the order being prepared, of one specialty and campaign."""

    def __init__(self, state: FSMContext) -> None:
        self.context = FSMContext(
            storage=state.storage, key=replace(state.key, destiny=ORDER_DESTINY)
        )

    async def load(self, code: str, year: int) -> set[int] | None:
        """The selection, or None when the one kept is of another order (or none)."""
        data = await self.context.get_data()
        if data.get("code") != code or data.get("year") != year:
            return None
        return {int(i) for i in data.get("selected", [])}

    async def save(self, code: str, year: int, selected: set[int]) -> None:
        await self.context.set_data({"code": code, "year": year, "selected": sorted(selected)})

    async def clear(self) -> None:
        await self.context.set_data({})


def spec_title(specialty: SpecialtyInfo) -> str:
    return f"{specialty.code} · {h(specialty.name)}"


def local_time(moment: datetime, settings: Settings) -> str:
    local = moment.astimezone(settings.tz)
    return f"{fmt_date(local.date())} {local:%H:%M}"


# --- publishing -------------------------------------------------------------------------------


def publish_question(
    specialty: SpecialtyInfo, ranking: list[RankingEntry], told: int, last: str | None
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        _("<b>Publish the ranking list of {specialty} to its applicants?</b>").format(
            specialty=spec_title(specialty)
        ),
        ngettext(
            "{count} applicant is in it now; state-funded places: {places}.",
            "{count} applicants are in it now; state-funded places: {places}.",
            len(ranking),
        ).format(count=len(ranking), places=places_text(specialty.budget_places)),
        _("The list shows application numbers, not names."),
        _("Last published: {when}.").format(when=last) if last else _("Not published yet."),
        ngettext(
            "Told their place and the budget line (new in the list, or moved): {count} applicant.",
            "Told their place and the budget line (new in the list, or moved): {count} applicants.",
            told,
        ).format(count=told),
    ]
    builder = InlineKeyboardBuilder()
    if ranking:
        builder.button(
            text=_("✅ Publish"),
            callback_data=ReportCb(action=ReportAction.publish_yes, code=specialty.code),
        )
    builder.button(
        text=_("⬅️ Back"), callback_data=ReportCb(action=ReportAction.rank, code=specialty.code)
    )
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


# --- the order --------------------------------------------------------------------------------


def order_line(place: int, entry: RankingEntry, selected: bool, code: str, catalog: Catalog) -> str:
    """«3. ☑️ М-2027-0002 Петров П. · 4,80 ✓»: selected or not, and why one cannot be."""
    if entry.status == "enrolled":
        mark = "🎓"
    elif not may_enrol(entry):
        mark = "⛔"
    else:
        mark = "☑️" if selected else "◻️"
    line = (
        f"{place}. {mark} {fmt_number(entry.number)} {h(surname_initials(entry.full_name))} · "
        f"{fmt_score(entry.average_score)}"
    )
    if entry.original_received:
        line += " ✓"
    if needs_medical(catalog, [code]) and not entry.medical_received:
        line += " 🩺"
    return line


def order_screen(
    specialty: SpecialtyInfo,
    ranking: list[RankingEntry],
    selected: set[int],
    page: int,
    catalog: Catalog,
) -> tuple[str, InlineKeyboardMarkup]:
    code = specialty.code
    enrolled = sum(1 for e in ranking if e.status == "enrolled")
    left = places_left(specialty.budget_places, enrolled)
    chosen = [e for e in ranking if e.application_id in selected and may_enrol(e)]
    shown, page, pages = page_of(list(enumerate(ranking, start=1)), page, ORDER_PAGE)
    lines = [
        _("<b>Enrolment order: {specialty}</b>").format(specialty=spec_title(specialty)),
        _("State-funded places: {places} · enrolled: {enrolled} · left: {left}").format(
            places=places_text(specialty.budget_places),
            enrolled=enrolled,
            left=places_text(left),
        ),
        ngettext("Selected: {count} applicant", "Selected: {count} applicants", len(chosen))
        .format(count=len(chosen)),
    ]  # fmt: skip
    if left is not None and len(chosen) > left:
        lines.append(_("⚠️ More than the places left."))
    lines += [
        _("Selected at first: the best of those with the documents accepted and the original "
          "received, as many as the places left."),
        _("☑️ selected · ✓ original received · ⛔ documents not accepted · 🎓 enrolled · "
          "🩺 no medical certificate"),
        "",
    ]  # fmt: skip
    if pages > 1:
        lines.insert(3, _("page {page} of {pages}").format(page=page + 1, pages=pages))
    builder = InlineKeyboardBuilder()
    toggles = 0
    for place, entry in shown:
        lines.append(order_line(place, entry, entry.application_id in selected, code, catalog))
        if entry.status != "enrolled" and may_enrol(entry):
            mark = "☑️" if entry.application_id in selected else "◻️"
            builder.button(
                text=f"{mark} {place}. {fmt_number(entry.number)}",
                callback_data=OrderCb(
                    action=OrderAction.toggle, code=code, id=entry.application_id, page=page
                ),
            )
            toggles += 1
    if not ranking:
        lines.append(_("No applications yet."))
    nav = page_buttons(
        builder, page, pages, lambda p: OrderCb(action=OrderAction.page, code=code, page=p)
    )
    if chosen:
        builder.button(
            text=ngettext("✅ Issue the order: {count}", "✅ Issue the order: {count}", len(chosen))
            .format(count=len(chosen)),
            callback_data=OrderCb(action=OrderAction.confirm, code=code),
        )  # fmt: skip
    builder.button(text=_("⬅️ Ranking"), callback_data=ReportCb(action=ReportAction.rank, code=code))
    builder.adjust(*([2] * (toggles // 2)), *([1] * (toggles % 2)), *([nav] if nav else []),
                   *([1] if chosen else []), 1)  # fmt: skip
    return "\n".join(lines), builder.as_markup()


def order_question(
    specialty: SpecialtyInfo, ranking: list[RankingEntry], selected: set[int]
) -> tuple[str, InlineKeyboardMarkup]:
    chosen = [e for e in ranking if e.application_id in selected and may_enrol(e)]
    others = [e for e in ranking if e not in chosen and e.status != "enrolled"]
    enrolled = sum(1 for e in ranking if e.status == "enrolled")
    left = places_left(specialty.budget_places, enrolled)
    numbers = ", ".join(fmt_number(e.number) for e in chosen[:NUMBERS_SHOWN])
    if len(chosen) > NUMBERS_SHOWN:
        numbers += " " + ngettext(
            "and {count} more", "and {count} more", len(chosen) - NUMBERS_SHOWN
        ).format(count=len(chosen) - NUMBERS_SHOWN)
    lines = [
        _("<b>Issue the enrolment order for {specialty}?</b>").format(
            specialty=spec_title(specialty)
        ),
        ngettext(
            "To enrol: {count} applicant: {numbers}",
            "To enrol: {count} applicants: {numbers}",
            len(chosen),
        ).format(count=len(chosen), numbers=numbers),
    ]
    without = sum(1 for e in chosen if not e.original_received)
    if without:
        lines.append(
            ngettext(
                "⚠️ {count} of them has no original certificate received.",
                "⚠️ {count} of them have no original certificate received.",
                without,
            ).format(count=without)
        )
    if left is not None and len(chosen) > left:
        lines.append(_("⚠️ More than the state-funded places left: {left}.").format(left=left))
    lines += [
        ngettext(
            "The {count} other applicant of this list is told what remains possible.",
            "The {count} other applicants of this list are told what remains possible.",
            len(others),
        ).format(count=len(others)),
        _("Each enrolled applicant is told at once. An enrolment is undone only one by one, by "
          "an administrator."),
    ]  # fmt: skip
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ Yes, issue the order"),
        callback_data=OrderCb(action=OrderAction.issue, code=specialty.code),
    )
    builder.button(
        text=_("⬅️ Back"), callback_data=OrderCb(action=OrderAction.page, code=specialty.code)
    )
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def after_keyboard(code: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Ranking"), callback_data=ReportCb(action=ReportAction.rank, code=code))
    builder.button(text=_("⬅️ Reports"), callback_data=ReportCb(action=ReportAction.menu))
    builder.adjust(1)
    return builder.as_markup()


# --- the router -------------------------------------------------------------------------------


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(ReportCb.filter(F.action == ReportAction.publish), visible_specialty)
    async def publish(
        callback: CallbackQuery,
        specialty: SpecialtyInfo,
        applications: ApplicationRepository,
        closing: ClosingRepository,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
    ) -> None:
        year = catalog.recent_campaign(clock.today()).year
        ranking = await applications.ranking(specialty.code, year)
        last = await closing.publication(year, specialty.code)
        previous = {p.application_id: p.place for p in last.places} if last else {}
        when = local_time(last.published_at, settings) if last else None
        await show(
            callback, *publish_question(specialty, ranking, len(moved(previous, ranking)), when)
        )

    @router.callback_query(ReportCb.filter(F.action == ReportAction.publish_yes), visible_specialty)
    async def publish_yes(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        specialty: SpecialtyInfo,
        applications: ApplicationRepository,
        closing: ClosingRepository,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        year = catalog.recent_campaign(clock.today()).year
        published = await publish_ranking(
            applications, closing, staff, specialty.code, year, callback.from_user.id, clock.now()
        )
        callback_answer.text = _("Published.")
        text = "\n".join(
            [
                _("📢 The ranking list of {specialty} is published.").format(
                    specialty=spec_title(specialty)
                ),
                ngettext(
                    "Told their place: {count} applicant (the others' places did not change).",
                    "Told their place: {count} applicants (the others' places did not change).",
                    published.told,
                ).format(count=published.told),
            ]
        )
        await show(callback, text, after_keyboard(specialty.code))

    @router.callback_query(
        OrderCb.filter(F.action.in_({OrderAction.open, OrderAction.page, OrderAction.toggle})),
        visible_specialty,
    )
    async def order(
        callback: CallbackQuery,
        callback_data: OrderCb,
        callback_answer: CallbackAnswer,
        specialty: SpecialtyInfo,
        state: FSMContext,
        applications: ApplicationRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        year = catalog.recent_campaign(clock.today()).year
        ranking = await applications.ranking(specialty.code, year)
        store = Selection(state)
        selected = await store.load(specialty.code, year)
        if selected is None or callback_data.action == OrderAction.open:
            enrolled = sum(1 for e in ranking if e.status == "enrolled")
            left = places_left(specialty.budget_places, enrolled)
            selected = set(preselected(ranking, left))
        if callback_data.action == OrderAction.toggle:
            entry = next((e for e in ranking if e.application_id == callback_data.id), None)
            if entry is None or entry.status == "enrolled" or not may_enrol(entry):
                alert(callback_answer, _("This applicant cannot be enrolled now."))
            else:
                selected ^= {entry.application_id}
        await store.save(specialty.code, year, selected)
        await show(
            callback, *order_screen(specialty, ranking, selected, callback_data.page, catalog)
        )

    @router.callback_query(OrderCb.filter(F.action == OrderAction.confirm), visible_specialty)
    async def confirm(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        specialty: SpecialtyInfo,
        state: FSMContext,
        applications: ApplicationRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        year = catalog.recent_campaign(clock.today()).year
        selected = await Selection(state).load(specialty.code, year)
        ranking = await applications.ranking(specialty.code, year)
        if not selected or not any(e.application_id in selected and may_enrol(e) for e in ranking):
            alert(callback_answer, _("Nobody is selected: open the order again."))
            return
        await show(callback, *order_question(specialty, ranking, selected))

    @router.callback_query(OrderCb.filter(F.action == OrderAction.issue), visible_specialty)
    async def issue(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        specialty: SpecialtyInfo,
        state: FSMContext,
        applications: ApplicationRepository,
        closing: ClosingRepository,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        year = catalog.recent_campaign(clock.today()).year
        store = Selection(state)
        selected = await store.load(specialty.code, year)
        if not selected:
            alert(
                callback_answer, _("This order is issued already, or not prepared: open it again.")
            )
            return
        # Cleared first: a second press finds nothing to issue.
        await store.clear()
        result = await issue_order(
            applications, closing, staff, specialty.code, year, selected, callback.from_user.id,
            clock.now(),
        )  # fmt: skip
        callback_answer.text = _("The order is issued.")
        lines = [
            _("📜 Order №{number} for {specialty} is issued.").format(
                number=result.order_id, specialty=spec_title(specialty)
            ),
            ngettext(
                "Enrolled: {count} applicant, each told with a congratulation.",
                "Enrolled: {count} applicants, each told with a congratulation.",
                result.enrolled,
            ).format(count=result.enrolled),
            ngettext(
                "Told what remains possible: {count} applicant.",
                "Told what remains possible: {count} applicants.",
                result.others,
            ).format(count=result.others),
        ]
        if result.skipped:
            lines.append(
                ngettext(
                    "⚠️ Not enrolled: {count} selected applicant whose documents are no longer "
                    "accepted.",
                    "⚠️ Not enrolled: {count} selected applicants whose documents are no longer "
                    "accepted.",
                    result.skipped,
                ).format(count=result.skipped)
            )
        await show(callback, "\n".join(lines), after_keyboard(specialty.code))

    @router.callback_query(OrderCb.filter())
    async def not_visible(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
        alert(callback_answer, _("No access."))

    return router
