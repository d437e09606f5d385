"""The college and the group: by button, or typed and matched forgivingly («did you mean…?», a
group the college has not listed), then the specialty for a group not listed."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.groups import clean_group, match_group
from bot.domain.students import student_consent_version
from db.reminders import ReminderRepository, Student
from handlers.callbacks import StudentAction, StudentCb
from handlers.states import StudentForm
from handlers.student.flow import consented, forget_flow, register
from handlers.student.screens import (
    consent_keyboard,
    consent_text,
    groups_screen,
    specialties_screen,
    unknown_group_screen,
)
from handlers.ui import alert, h, main_menu_keyboard, show, stale


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(StudentCb.filter(F.action == StudentAction.college))
    async def college_chosen(
        callback: CallbackQuery,
        callback_data: StudentCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
        settings: Settings,
    ) -> None:
        if catalog.college(callback_data.value) is None:
            alert(callback_answer, _("This college is no longer in the list."))
            return
        if not await consented(callback.from_user.id, state, reminders, catalog):
            await show(callback, consent_text(catalog, settings), consent_keyboard())
            return
        await state.set_state(StudentForm.group)  # typing the group works on this screen
        await state.update_data(student_college=callback_data.value)
        groups = await reminders.groups_of(callback_data.value)
        await show(callback, *groups_screen(catalog, callback_data.value, groups, callback_data.id))

    @router.callback_query(StudentCb.filter(F.action == StudentAction.group))
    async def group_chosen(
        callback: CallbackQuery,
        callback_data: StudentCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        group = await reminders.group(callback_data.id)
        if not await consented(callback.from_user.id, state, reminders, catalog) or group is None:
            await forget_flow(state)
            await stale(callback, callback_answer)
            return
        student = Student(
            callback.from_user.id,
            group.college_id,
            group.specialty_code,
            group.name,
            student_consent_version(catalog),
        )
        await register(callback, state, student, reminders, catalog, clock)

    @router.message(StateFilter(StudentForm.group), F.text)
    async def group_typed(
        message: Message,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        text = message.text or ""
        typed = clean_group(text)
        if typed is None or text.startswith("/"):
            await message.answer(
                _("A group is 1–20 letters, digits, hyphens or spaces, like МП-26-1. Try again.")
            )
            return
        assert message.from_user is not None
        data = await state.get_data()
        college_id = str(data.get("student_college") or "")
        groups = await reminders.groups_of(college_id)
        found = match_group(typed, groups)
        if not await consented(message.from_user.id, state, reminders, catalog):
            await forget_flow(state)
            await message.answer(_("Choose a section:"), reply_markup=main_menu_keyboard())
            return
        if found.exact is not None:
            student = Student(
                message.from_user.id,
                college_id,
                found.exact.specialty_code,
                found.exact.name,
                student_consent_version(catalog),
            )
            await register(message, state, student, reminders, catalog, clock)
            return
        await state.update_data(student_typed=typed)
        if not found.suggestions:
            await state.update_data(student_warned=typed)
            text, markup = unknown_group_screen(catalog, college_id, typed)
            await message.answer(text, reply_markup=markup)
            return
        builder = InlineKeyboardBuilder()
        for group in found.suggestions:
            builder.button(
                text=_("✅ {group}").format(group=group.name),
                callback_data=StudentCb(action=StudentAction.group, id=group.id),
            )
        builder.button(
            text=_("No, my group is {group}").format(group=typed),
            callback_data=StudentCb(action=StudentAction.keep),
        )
        builder.adjust(1)
        names = ", ".join(h(g.name) for g in found.suggestions)
        await message.answer(
            _("Did you mean {groups}?").format(groups=names), reply_markup=builder.as_markup()
        )

    @router.message(StateFilter(StudentForm.group))
    async def group_needs_text(message: Message) -> None:
        await message.answer(_("Please type the group as text, like МП-26-1, or /cancel."))

    @router.callback_query(StudentCb.filter(F.action == StudentAction.retype))
    async def retype(
        callback: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext
    ) -> None:
        if not (await state.get_data()).get("student_college"):
            await stale(callback, callback_answer)
            return
        await state.set_state(StudentForm.group)
        await show(callback, _("Type your group as it is written in the timetable, like МП-26-1."))

    @router.callback_query(StudentCb.filter(F.action == StudentAction.keep))
    async def keep_typed(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
    ) -> None:
        data = await state.get_data()
        college_id, typed = data.get("student_college"), data.get("student_typed")
        if not college_id or not typed:
            await stale(callback, callback_answer)
            return
        groups = await reminders.groups_of(college_id)
        if match_group(typed, groups).exact is None and data.get("student_warned") != typed:
            # A «no, my group is…» after «did you mean»: the warning is said once, clearly.
            await state.update_data(student_warned=typed)
            await show(callback, *unknown_group_screen(catalog, college_id, typed))
            return
        await state.set_state(None)
        await show(callback, *specialties_screen(catalog, college_id))

    @router.callback_query(StudentCb.filter(F.action == StudentAction.specialty))
    async def specialty_chosen(
        callback: CallbackQuery,
        callback_data: StudentCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        data = await state.get_data()
        college_id, typed = data.get("student_college"), data.get("student_typed")
        specialty = catalog.specialty(callback_data.value)
        offered = specialty is not None and specialty in catalog.browse(str(college_id)).all
        if not college_id or not typed or not offered or specialty is None:
            await stale(callback, callback_answer)
            return
        if not await consented(callback.from_user.id, state, reminders, catalog):
            await stale(callback, callback_answer)
            return
        student = Student(
            callback.from_user.id,
            college_id,
            specialty.code,
            typed,
            student_consent_version(catalog),
        )
        await register(callback, state, student, reminders, catalog, clock)

    return router
