"""The students' section: «My work placement» or the consent first, the consent given or declined,
«✏️ Change group»."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.students import consent_current, student_consent_version
from db.reminders import ReminderRepository, Student
from handlers.callbacks import MenuCb, Section, StudentAction, StudentCb
from handlers.student.flow import choose_college, consented, forget_flow, remove
from handlers.student.screens import consent_keyboard, consent_text, practicum_screen
from handlers.ui import main_menu_keyboard, show


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(MenuCb.filter(F.to == Section.student))
    async def student_entry(
        callback: CallbackQuery,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
    ) -> None:
        student = await reminders.student(callback.from_user.id)
        if student is not None and consent_current(student.consent_version, catalog):
            await show(callback, *await practicum_screen(student, reminders, catalog, clock))
        else:  # not registered, or registered under an older text: the consent first
            await forget_flow(state)
            await show(callback, consent_text(catalog, settings), consent_keyboard())

    @router.callback_query(StudentCb.filter(F.action == StudentAction.consent_yes))
    async def consent_yes(
        callback: CallbackQuery,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        student = await reminders.student(callback.from_user.id)
        if student is not None:  # a new version of the text, agreed to: nothing else changes
            renewed = Student(
                student.user_id,
                student.college_id,
                student.specialty_code,
                student.group_name,
                student_consent_version(catalog),
            )
            await reminders.register_student(renewed, clock.now())
            await show(callback, *await practicum_screen(renewed, reminders, catalog, clock))
            return
        await state.update_data(student_consent=student_consent_version(catalog))
        await choose_college(callback, catalog)

    @router.callback_query(StudentCb.filter(F.action == StudentAction.consent_no))
    async def consent_no(
        callback: CallbackQuery, state: FSMContext, reminders: ReminderRepository
    ) -> None:
        told = _("Your registration is removed: the bot no longer keeps your college and group.")
        if not await remove(callback, state, reminders, told):
            text = _(
                "Nothing is stored. Without the consent the bot cannot remind you of the "
                "work placement; the rest of the bot works as before."
            )
            await show(callback, text + "\n\n" + _("Choose a section:"), main_menu_keyboard())

    @router.callback_query(StudentCb.filter(F.action == StudentAction.register))
    async def change_group(
        callback: CallbackQuery,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
        settings: Settings,
    ) -> None:
        if not await consented(callback.from_user.id, state, reminders, catalog):
            await show(callback, consent_text(catalog, settings), consent_keyboard())
            return
        await state.set_state(None)
        await choose_college(callback, catalog)

    return router
