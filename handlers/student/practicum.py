"""«My practicum»'s actions: the calendar file, a question to the practicum staff, leaving."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from db.reminders import ReminderRepository
from handlers.callbacks import MenuCb, QuestionAction, QuestionCb, Section, StudentAction, StudentCb
from handlers.questions import prompt_warning
from handlers.states import QuestionForm
from handlers.student.flow import remove
from handlers.student.screens import college_name
from handlers.texts.practicum import calendar_caption, calendar_file
from handlers.ui import alert, h, main_menu_keyboard, show, stale


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(StudentCb.filter(F.action == StudentAction.calendar))
    async def calendar(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        reminders: ReminderRepository,
        settings: Settings,
        clock: Clock,
    ) -> None:
        student = await reminders.student(callback.from_user.id)
        periods = (
            []
            if student is None
            else await reminders.periods_of_group(student.college_id, student.group_name)
        )
        if student is None or not periods:
            alert(callback_answer, _("No work placement dates yet: there is nothing to add."))
            return
        document = calendar_file(
            periods,
            student.group_name,
            tz=settings.tz,
            hour=settings.reminder_hour,
            now=clock.now(),
        )
        assert callback.bot is not None
        await callback.bot.send_document(
            callback.from_user.id, document, caption=calendar_caption()
        )

    @router.callback_query(StudentCb.filter(F.action == StudentAction.ask))
    async def ask(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
    ) -> None:
        student = await reminders.student(callback.from_user.id)
        if student is None:
            await stale(callback, callback_answer)
            return
        await state.set_state(QuestionForm.question)
        await state.update_data(question_college=student.college_id)
        builder = InlineKeyboardBuilder()
        builder.button(text=_("✖️ Cancel"), callback_data=QuestionCb(action=QuestionAction.cancel))
        text = "\n\n".join(
            [
                _("<b>Question to the work placement staff of {college}</b>").format(
                    college=h(college_name(catalog, student.college_id))
                ),
                _(
                    "Type your question in one message (a photo or a document with a caption "
                    "works too). The answer will come here, in this chat."
                ),
                prompt_warning(),
            ]
        )
        await show(callback, text, builder.as_markup())

    @router.callback_query(StudentCb.filter(F.action == StudentAction.leave))
    async def leave(callback: CallbackQuery) -> None:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("🚪 Yes, remove my registration"),
            callback_data=StudentCb(action=StudentAction.leave_yes),
        )
        builder.button(text=_("⬅️ Back"), callback_data=MenuCb(to=Section.student))
        builder.adjust(1)
        await show(
            callback,
            _(
                "<b>Graduated or left?</b>\n\nThe bot will forget your college, group and "
                "specialty, and send no more work placement reminders. To erase everything else "
                "the bot keeps about you too, use /delete_my_data."
            ),
            builder.as_markup(),
        )

    @router.callback_query(StudentCb.filter(F.action == StudentAction.leave_yes))
    async def leave_yes(
        callback: CallbackQuery, state: FSMContext, reminders: ReminderRepository
    ) -> None:
        told = _("✅ Your registration is removed. Good luck!")
        if not await remove(callback, state, reminders, told):
            text = _("You are not registered as a student.")
            await show(callback, text + "\n\n" + _("Choose a section:"), main_menu_keyboard())

    return router
