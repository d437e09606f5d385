"""«I am a student»: register with college, specialty and group; see «my practicum»."""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.catalog import Catalog
from db.reminders import ReminderRepository, Student
from handlers.callbacks import MenuCb, Section, StudentAction, StudentCb
from handlers.specialties import button_label
from handlers.states import StudentForm
from handlers.ui import alert, current_language, fmt_date, h, home_button_row, show, stale

GROUP_PATTERN = re.compile(r"^[\w\- ]{1,20}$")


def normalise_group(text: str) -> str | None:
    group = " ".join(text.split()).upper()
    return group if GROUP_PATTERN.match(group) and any(c.isalnum() for c in group) else None


async def practicum_screen(
    student: Student, repo: ReminderRepository, catalog: Catalog, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    lang = current_language()
    college = catalog.college(student.college_id)
    specialty = catalog.specialty(student.specialty_code)
    lines = [
        _("<b>My practicum</b>"),
        _("Group {group} · {college}").format(
            group=h(student.group_name),
            college=h(college.short_name.get(lang)) if college else h(student.college_id),
        ),
    ]
    if specialty:
        lines.append(button_label(specialty))
    lines.append("")
    periods = [
        p
        for p in await repo.periods_of_group(student.college_id, student.group_name)
        if p.report_deadline >= clock.today()
    ]
    if not periods:
        lines.append(
            _(
                "No practicum dates for your group yet. When the college adds them, you will "
                "get reminders 7 days and 1 day before the start, on the first morning, and "
                "before the report deadline."
            )
        )
    for period in periods:
        lines += [
            _("📅 {start} – {end}").format(start=fmt_date(period.start), end=fmt_date(period.end)),
            _("📍 Place: {place}").format(place=h(period.place)),
            _("👷 Supervisor: {supervisor}").format(supervisor=h(period.supervisor)),
            _("📝 Report due: {date}").format(date=fmt_date(period.report_deadline)),
            "",
        ]
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✏️ Change group"), callback_data=StudentCb(action=StudentAction.register))
    builder.button(text=_("🔔 Reminder settings"), callback_data=MenuCb(to=Section.reminders))
    home_button_row(builder)
    builder.adjust(1)
    return "\n".join(lines).strip(), builder.as_markup()


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(MenuCb.filter(F.to == Section.student))
    async def student_entry(
        callback: CallbackQuery, reminders: ReminderRepository, catalog: Catalog, clock: Clock
    ) -> None:
        student = await reminders.student(callback.from_user.id)
        if student is None:
            await choose_college(callback, catalog)
        else:
            await show(callback, *await practicum_screen(student, reminders, catalog, clock))

    async def choose_college(callback: CallbackQuery, catalog: Catalog) -> None:
        lang = current_language()
        builder = InlineKeyboardBuilder()
        for college in catalog.colleges:
            builder.button(
                text=college.short_name.get(lang),
                callback_data=StudentCb(action=StudentAction.college, value=college.id),
            )
        home_button_row(builder)
        builder.adjust(1)
        await show(
            callback,
            _(
                "<b>For students</b>\n\nRegister with your college, specialty and group to see "
                "your practicum dates and get reminders. Which college do you study at?"
            ),
            builder.as_markup(),
        )

    @router.callback_query(StudentCb.filter(F.action == "register"))
    async def register(callback: CallbackQuery, catalog: Catalog) -> None:
        await choose_college(callback, catalog)

    @router.callback_query(StudentCb.filter(F.action == "college"))
    async def college_chosen(
        callback: CallbackQuery,
        callback_data: StudentCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        state: FSMContext,
    ) -> None:
        if catalog.college(callback_data.value) is None:
            alert(callback_answer, _("This college is no longer in the list."))
            return
        await state.set_state(None)
        await state.update_data(student_college=callback_data.value)
        specialties = catalog.specialties_of(callback_data.value) or catalog.specialties
        builder = InlineKeyboardBuilder()
        for specialty in specialties:
            builder.button(
                text=button_label(specialty),
                callback_data=StudentCb(action=StudentAction.specialty, value=specialty.code),
            )
        builder.button(text=_("⬅️ Back"), callback_data=StudentCb(action=StudentAction.register))
        builder.adjust(1)
        await show(callback, _("Your specialty?"), builder.as_markup())

    @router.callback_query(StudentCb.filter(F.action == "specialty"))
    async def specialty_chosen(
        callback: CallbackQuery,
        callback_data: StudentCb,
        callback_answer: CallbackAnswer,
        catalog: Catalog,
        state: FSMContext,
    ) -> None:
        data = await state.get_data()
        if catalog.specialty(callback_data.value) is None or not data.get("student_college"):
            await stale(callback, callback_answer)
            return
        await state.set_state(StudentForm.group)
        await state.update_data(student_specialty=callback_data.value)
        builder = InlineKeyboardBuilder()
        builder.button(text=_("⬅️ Back"), callback_data=StudentCb(action=StudentAction.register))
        await show(
            callback,
            _("Type your group as it is written in the timetable, for example МП-25-1."),
            builder.as_markup(),
        )

    @router.message(StateFilter(StudentForm.group), F.text)
    async def group_typed(
        message: Message,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        group = normalise_group(message.text or "")
        if group is None or (message.text or "").startswith("/"):
            await message.answer(
                _("A group is 1–20 letters, digits, hyphens or spaces, like МП-25-1. Try again.")
            )
            return
        data = await state.get_data()
        assert message.from_user is not None
        student = Student(
            message.from_user.id, data["student_college"], data["student_specialty"], group
        )
        await reminders.register_student(student, clock.now())
        await state.clear()
        text, markup = await practicum_screen(student, reminders, catalog, clock)
        await message.answer(_("✅ Registered.") + "\n\n" + text, reply_markup=markup)

    @router.message(StateFilter(StudentForm.group))
    async def group_needs_text(message: Message) -> None:
        await message.answer(_("Please type the group as text, like МП-25-1, or /cancel."))

    return router
