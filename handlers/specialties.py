"""Specialties: the list with filters and pages, the card, and a search by name or code."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.admission import Admission, Phase, admission_on
from bot.domain.catalog import Campaign, Catalog, Event, Specialty, SpecialtyKind, StudyForm
from bot.domain.events import local_now
from bot.domain.search import SearchIndex, TargetKind
from bot.services.catalog import CatalogService
from db.reminders import ReminderRepository
from handlers.callbacks import (
    ApplyCb,
    EventAction,
    EventsCb,
    FilterKind,
    FollowCb,
    MenuCb,
    Section,
    SpecCardCb,
    SpecFilterCb,
    SpecListCb,
)
from handlers.catalog_texts import (
    button_label,
    choice_label,
    membership_note,
    source_lines,
    unconfirmed_legend,
    unknown_group_line,
)
from handlers.event_texts import fmt_moment
from handlers.states import SearchForm
from handlers.ui import (
    alert,
    current_language,
    fmt_date,
    h,
    home_button_row,
    screens,
    show,
    unknown,
)

PAGE_SIZE = 8
SEARCH_RESULTS_LIMIT = 10
EVENTS_ON_CARD = 3  # the nearest upcoming events of the specialty; the rest behind a button


__all__ = [
    "base_label",
    "button_label",
    "get_router",
    "search",
    "specialty_card",
    "specialty_card_text",
]


def _opening_promise(campaign: Campaign) -> str:
    if campaign.acceptance_start_exact:
        return _("I will remind you before admission {year} opens on {date}.").format(
            year=campaign.year, date=fmt_date(campaign.acceptance_start)
        )
    # The rules set only the latest day it may open.
    return _("I will remind you before admission {year} opens: no later than {date}.").format(
        year=campaign.year, date=fmt_date(campaign.acceptance_start)
    )


def reminder_promise(admission: Admission) -> str:
    """What «Remind me» promises today (a toast, at most 200 characters): the opening ahead,
    or, once it has passed, what is open now and which opening will be reminded of."""
    campaign = admission.campaign
    if campaign is None:
        return _("I will remind you once the dates of the next admission are announced.")
    if admission.phase is Phase.upcoming:
        return _opening_promise(campaign)
    if admission.phase is Phase.open:
        return _(
            "Admission {year} is open now, until {end}: you can apply. I will remind you before "
            "it ends."
        ).format(year=campaign.year, end=fmt_date(campaign.acceptance_end))
    now = (
        _(
            "Admission {year} is over; remaining state-funded places are filled until {date}."
        ).format(year=campaign.year, date=fmt_date(campaign.extra_acceptance_end))
        if admission.phase is Phase.extra and campaign.extra_acceptance_end is not None
        else _("Admission {year} is over.").format(year=campaign.year)
    )
    later = (
        _opening_promise(admission.following)
        if admission.following is not None
        else _("I will remind you once the dates of the next admission are announced.")
    )
    return f"{now} {later}"


def base_label(base: int) -> str:
    if base == 9:
        return _("after 9 classes")
    if base == 11:
        return _("after 11 classes")
    return _("any education base")


def _kind_label(kind: SpecialtyKind) -> str:
    return (
        _("Specialty (mid-level specialist)")
        if kind is SpecialtyKind.specialty
        else _("Profession (skilled worker)")
    )


def _form_label(form: StudyForm | None) -> str:
    return (
        {
            StudyForm.full_time: _("full-time"),
            StudyForm.part_time: _("part-time (evening)"),
            StudyForm.extramural: _("extramural"),
        }.get(form, unknown())
        if form
        else unknown()
    )


def _bases_label(bases: list[int]) -> str:
    if not bases:
        return unknown()
    return ", ".join(base_label(b) for b in bases)


def medical_label(required: bool | None) -> str:
    if required is None:
        return unknown()
    return _("required (form 086/u)") if required else _("not required")


def _tests_label(tests: bool | None) -> str:
    if tests is None:
        return unknown()
    return _("yes") if tests else _("no, ranking by average score")


def specialty_card_text(
    specialty: Specialty, catalog: Catalog, events: Sequence[Event] = ()
) -> str:
    lang = current_language()
    college_names = [
        h(college.name.get(lang))
        for college in (catalog.college(cid) for cid in specialty.colleges)
        if college is not None
    ]
    kind = _kind_label(specialty.kind)
    if specialty.new_programme:
        kind += " · " + _("new programme")
    lines = [
        f"<b>{specialty.code} {h(specialty.name.get(lang))}</b>",
        f"<i>{kind}</i>",
    ]
    if not specialty.confirmed:
        lines.append(f"<i>{membership_note()}</i>")
    if specialty.former_codes:
        lines.append(
            ngettext(
                "Former code: {codes}", "Former codes: {codes}", len(specialty.former_codes)
            ).format(codes=", ".join(specialty.former_codes))
        )
    lines += [
        "",
        _("🎓 Qualification: {value}").format(
            value=h(specialty.qualification.get(lang)) if specialty.qualification else unknown()
        ),
        _("🏫 Where: {value}").format(
            value="; ".join(college_names) if college_names else unknown()
        ),
        _("📚 Admission: {value}").format(value=_bases_label(specialty.education_base)),
        _("⏱ Duration: {value}").format(
            value=h(specialty.duration.get(lang)) if specialty.duration else unknown()
        ),
        _("🗓 Form of study: {value}").format(value=_form_label(specialty.form_of_study)),
        _("💺 State-funded places: {value}").format(
            value=specialty.budget_places if specialty.budget_places is not None else unknown()
        ),
        _("🩺 Medical certificate: {value}").format(
            value=medical_label(specialty.medical_certificate)
        ),
        _("✍️ Entrance tests: {value}").format(value=_tests_label(specialty.entrance_tests)),
    ]
    if specialty.description:
        lines += ["", h(specialty.description.get(lang))]
    if specialty.career:
        lines += [
            "",
            _("<b>At {employer}:</b> {career}").format(
                employer=h(catalog.cluster.employer.get(lang)),
                career=h(specialty.career.get(lang)),
            ),
        ]
    if events:
        lines += ["", _("<b>📅 Upcoming events:</b>")]
        lines += [
            f"• {fmt_moment(event.start)} — {h(event.title.get(lang))}"
            for event in events[:EVENTS_ON_CARD]
        ]
    sources = source_lines(specialty, catalog)
    if sources:
        lines += ["", *sources]
    return "\n".join(lines)


def specialty_card_keyboard(
    specialty: Specialty, back: SpecListCb, following: bool = False, events: int = 0
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📝 Apply"), callback_data=ApplyCb(code=specialty.code))
    builder.button(
        text=_("🔕 Do not remind me") if following else _("🔔 Remind me when admission opens"),
        callback_data=FollowCb(
            code=specialty.code, page=back.page, college=back.college, base=back.base
        ),
    )
    if events:
        builder.button(
            text=_("📅 Events ({count})").format(count=events),
            callback_data=EventsCb(action=EventAction.list, spec=specialty.code),
        )
    builder.button(text=_("⬅️ To the list"), callback_data=back)
    home_button_row(builder)
    builder.adjust(1, 1, *([1] if events else []), 2)
    return builder.as_markup()


def specialty_card(
    specialty: Specialty,
    catalog: Catalog,
    clock: Clock,
    back: SpecListCb,
    following: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    """The card with the specialty's upcoming events (also what its link opens)."""
    events = catalog.upcoming_events(local_now(clock.now(), clock.tz), specialty=specialty.code)
    return (
        specialty_card_text(specialty, catalog, events),
        specialty_card_keyboard(specialty, back, following, len(events)),
    )


def found_line(count: int) -> str:
    return ngettext(
        "Found: {count}. Choose the specialty:", "Found: {count}. Choose a specialty:", count
    ).format(count=count)


def specialty_list(
    catalog: Catalog, page: int, college: str, base: int
) -> tuple[str, InlineKeyboardMarkup]:
    """A page of the list: the same for everyone reading this language (built once)."""
    key = ("specialty list", current_language(), page, college, base)
    return screens.get(key, catalog, lambda: _specialty_list(catalog, page, college, base))


def _specialty_list(
    catalog: Catalog, page: int, college: str, base: int
) -> tuple[str, InlineKeyboardMarkup]:
    lang = current_language()
    if college and catalog.college(college) is None:
        college = ""
    browse = catalog.browse(college, base)
    found = browse.all
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]

    college_obj = catalog.college(college) if college else None
    lines = [
        _("<b>Specialties of the cluster</b>"),
        _("College: {college}").format(
            college=h(college_obj.short_name.get(lang)) if college_obj else _("all")
        ),
        _("Admission: {base}").format(base=base_label(base)),
    ]
    if not found:
        lines.append(_("Nothing matches these filters yet. Change a filter."))
    elif college or base:
        # What is not known is its own group: neither counted as a match nor hidden.
        lines.append(
            ngettext("Matches: {count}.", "Matches: {count}.", len(browse.matches)).format(
                count=len(browse.matches)
            )
        )
        if browse.unknown:
            lines.append(unknown_group_line(college, base, len(browse.unknown)))
    else:
        lines.append(found_line(len(found)))
    unconfirmed = sum(1 for s in found if not s.confirmed)
    if unconfirmed:
        lines.append(unconfirmed_legend(unconfirmed))
    if pages > 1:
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=pages))

    builder = InlineKeyboardBuilder()
    for specialty in shown:
        builder.button(
            text=choice_label(specialty),
            callback_data=SpecCardCb(code=specialty.code, page=page, college=college, base=base),
        )
    sizes = [1] * len(shown)
    nav = 0
    if page > 0:
        builder.button(
            text=_("◀️ Back"), callback_data=SpecListCb(page=page - 1, college=college, base=base)
        )
        nav += 1
    if page < pages - 1:
        builder.button(
            text=_("Next ▶️"), callback_data=SpecListCb(page=page + 1, college=college, base=base)
        )
        nav += 1
    if nav:
        sizes.append(nav)
    builder.button(
        text=_("🏫 Filter by college"),
        callback_data=SpecFilterCb(what=FilterKind.college, college=college, base=base),
    )
    builder.button(
        text=_("📚 Filter by education"),
        callback_data=SpecFilterCb(what=FilterKind.base, college=college, base=base),
    )
    builder.button(text=_("🔎 Search"), callback_data=MenuCb(to=Section.search))
    home_button_row(builder)
    builder.adjust(*sizes, 2, 2)
    return "\n".join(lines), builder.as_markup()


def filter_keyboard(
    catalog: Catalog, what: str, college: str, base: int
) -> tuple[str, InlineKeyboardMarkup]:
    lang = current_language()
    builder = InlineKeyboardBuilder()
    if what == "college":
        text = _("Which college?")
        builder.button(text=_("All colleges"), callback_data=SpecListCb(college="", base=base))
        for item in catalog.colleges:
            mark = "✅ " if item.id == college else ""
            builder.button(
                text=mark + item.short_name.get(lang),
                callback_data=SpecListCb(college=item.id, base=base),
            )
    else:
        text = _("What education will you have when you apply?")
        for value in (0, 9, 11):
            mark = "✅ " if value == base else ""
            builder.button(
                text=mark + base_label(value),
                callback_data=SpecListCb(college=college, base=value),
            )
    builder.button(text=_("⬅️ To the list"), callback_data=SpecListCb(college=college, base=base))
    builder.adjust(1)
    return text, builder.as_markup()


def search(catalog: Catalog, query: str, index: SearchIndex | None = None) -> list[Specialty]:
    """Specialties whose code (a former one too), name or short name contains the query, in
    both languages; then those the typed-question search finds for it (any form of a word,
    typos, slang: «сварка» finds «сварки» and «сварочное»)."""
    needle = " ".join(query.casefold().replace("ё", "е").split())
    found = []
    for specialty in catalog.specialties:
        haystack = (
            " ".join(
                filter(
                    None,
                    [
                        *specialty.codes,
                        specialty.name.ru,
                        specialty.name.en,
                        specialty.short_name.ru,
                        specialty.short_name.en,
                        specialty.qualification.ru if specialty.qualification else None,
                    ],
                )
            )
            .casefold()
            .replace("ё", "е")
        )
        if needle in haystack:
            found.append(specialty)
    if index is not None:
        for hit in index.ask(query).hits:
            if hit.target.kind is TargetKind.specialty:
                match = catalog.specialty(hit.target.key)
                if match is not None and match not in found:
                    found.append(match)
    return found


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(MenuCb.filter(F.to == Section.specialties))
    async def open_list(callback: CallbackQuery, catalog: Catalog) -> None:
        await show(callback, *specialty_list(catalog, 0, "", 0))

    @router.callback_query(SpecListCb.filter())
    async def list_page(
        callback: CallbackQuery, callback_data: SpecListCb, catalog: Catalog
    ) -> None:
        await show(
            callback,
            *specialty_list(catalog, callback_data.page, callback_data.college, callback_data.base),
        )

    @router.callback_query(SpecFilterCb.filter())
    async def choose_filter(
        callback: CallbackQuery, callback_data: SpecFilterCb, catalog: Catalog
    ) -> None:
        await show(
            callback,
            *filter_keyboard(
                catalog, callback_data.what, callback_data.college, callback_data.base
            ),
        )

    @router.callback_query(FollowCb.filter())
    async def follow(
        callback: CallbackQuery,
        callback_data: FollowCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        reminders: ReminderRepository,
        clock: Clock,
    ) -> None:
        specialty = catalog.specialty(callback_data.code)
        if specialty is None:
            alert(callback_answer, _("This specialty is no longer in the list."))
            return
        following = await reminders.toggle_subscription(
            callback.from_user.id, specialty.code, clock.now()
        )
        back = SpecListCb(
            page=callback_data.page, college=callback_data.college, base=callback_data.base
        )
        await show(callback, *specialty_card(specialty, catalog, clock, back, following))
        callback_answer.text = (
            reminder_promise(admission_on(catalog, clock.today()))
            if following
            else _("Reminder switched off.")
        )

    @router.callback_query(SpecCardCb.filter())
    async def card(
        callback: CallbackQuery,
        callback_data: SpecCardCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        reminders: ReminderRepository,
        clock: Clock,
    ) -> None:
        specialty = catalog.specialty(callback_data.code)
        back = SpecListCb(
            page=callback_data.page, college=callback_data.college, base=callback_data.base
        )
        if specialty is None:
            alert(callback_answer, _("This specialty is no longer in the list."))
            await show(callback, *specialty_list(catalog, 0, "", 0))
            return
        following = await reminders.subscribed(callback.from_user.id, specialty.code)
        await show(callback, *specialty_card(specialty, catalog, clock, back, following))

    @router.callback_query(MenuCb.filter(F.to == Section.search))
    async def ask_query(callback: CallbackQuery, state: FSMContext) -> None:
        await state.set_state(SearchForm.query)
        builder = InlineKeyboardBuilder()
        builder.button(text=_("⬅️ To the list"), callback_data=SpecListCb())
        await show(
            callback,
            _("Type a part of the specialty's name or its code, for example «welding» or «13.02»."),
            builder.as_markup(),
        )

    @router.message(StateFilter(SearchForm.query), F.text)
    async def run_search(
        message: Message, state: FSMContext, catalog: Catalog, catalogs: CatalogService
    ) -> None:
        query = (message.text or "").strip()
        if query.startswith("/"):
            await message.answer(_("This command is unknown. Type a word to search, or /cancel."))
            return
        if len(query) < 2:
            await message.answer(_("Please type at least two letters or digits."))
            return
        found = search(catalog, query, await catalogs.search_index(catalog))
        builder = InlineKeyboardBuilder()
        if not found:
            builder.button(text=_("⬅️ To the list"), callback_data=SpecListCb())
            await message.answer(
                _("Nothing found for «{query}». Try another word, or open the list.").format(
                    query=h(query[:100])
                ),
                reply_markup=builder.as_markup(),
            )
            return
        await state.clear()
        for specialty in found[:SEARCH_RESULTS_LIMIT]:
            builder.button(
                text=choice_label(specialty), callback_data=SpecCardCb(code=specialty.code)
            )
        builder.button(text=_("🔎 Search again"), callback_data=MenuCb(to=Section.search))
        home_button_row(builder)
        builder.adjust(*([1] * min(len(found), SEARCH_RESULTS_LIMIT)), 2)
        lines = [found_line(len(found))]
        unconfirmed = sum(1 for s in found[:SEARCH_RESULTS_LIMIT] if not s.confirmed)
        if unconfirmed:
            lines.append(unconfirmed_legend(unconfirmed))
        await message.answer("\n".join(lines), reply_markup=builder.as_markup())

    @router.message(StateFilter(SearchForm.query))
    async def search_needs_text(message: Message) -> None:
        await message.answer(
            _("I can only search by text. Type a part of the name or code, or /cancel.")
        )

    return router
