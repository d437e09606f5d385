"""The registration's dialogue: its own data, choosing the college, registering, leaving."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.catalog import Catalog
from bot.domain.students import consent_current
from db.reminders import ReminderRepository, Student
from handlers.callbacks import StudentAction, StudentCb
from handlers.student.screens import practicum_screen
from handlers.ui import current_language, home_button_row, main_menu_keyboard, show

STUDENT_KEYS = ("student_consent", "student_college", "student_typed", "student_warned")


async def forget_flow(state: FSMContext) -> None:
    """Out of the registration: its own data goes, anything else of the dialogue stays."""
    data = await state.get_data()
    await state.set_data({k: v for k, v in data.items() if k not in STUDENT_KEYS})
    await state.set_state(None)


async def choose_college(target: CallbackQuery, catalog: Catalog) -> None:
    builder = InlineKeyboardBuilder()
    for college in catalog.colleges:
        builder.button(
            text=college.short_name.get(current_language()),
            callback_data=StudentCb(action=StudentAction.college, value=college.id),
        )
    home_button_row(builder)
    builder.adjust(1)
    await show(
        target,
        _(
            "<b>For students</b>\n\nRegister with your college and group to see your "
            "work placement dates and get reminders. Which college do you study at?"
        ),
        builder.as_markup(),
    )


async def register(
    target: Message | CallbackQuery,
    state: FSMContext,
    student: Student,
    reminders: ReminderRepository,
    catalog: Catalog,
    clock: Clock,
) -> None:
    await reminders.register_student(student, clock.now())
    await forget_flow(state)
    text, markup = await practicum_screen(student, reminders, catalog, clock)
    await show(target, _("✅ Registered.") + "\n\n" + text, markup)


async def remove(
    callback: CallbackQuery, state: FSMContext, reminders: ReminderRepository, told: str
) -> bool:
    """The registration goes (with the flow's data): ``told`` and the menu if there was
    one; returns whether there was."""
    await forget_flow(state)
    removed = await reminders.remove_student(callback.from_user.id)
    if removed:
        await show(callback, told + "\n\n" + _("Choose a section:"), main_menu_keyboard())
    return removed


async def consented(
    user_id: int, state: FSMContext, reminders: ReminderRepository, catalog: Catalog
) -> bool:
    student = await reminders.student(user_id)
    if student is not None and consent_current(student.consent_version, catalog):
        return True
    return consent_current((await state.get_data()).get("student_consent"), catalog)
