"""«I am a student»: a short consent, then the college and the group from buttons (the
specialty follows from the group); «My practicum» with the group's periods, its calendar file,
a question to the college's practicum staff, and leaving.

A typed group is matched forgivingly (bot/domain/groups.py): the group itself, «did you
mean…?», or a group the college has not listed, accepted only after a clear warning (with the
specialty from what the catalogue says the college teaches). When the staff load that group,
the student is attached and told (db/reminders.py).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.groups import clean_group, match_group
from bot.domain.students import STUDENT_CONSENT_VERSION, consent_current
from db.reminders import ReminderRepository, Student, StudentGroup
from handlers.callbacks import MenuCb, QuestionAction, QuestionCb, Section, StudentAction, StudentCb
from handlers.catalog_texts import (
    button_label,
    choice_label,
    operator_lines,
    unconfirmed_legend,
)
from handlers.questions import prompt_warning
from handlers.states import QuestionForm, StudentForm
from handlers.texts.practicum import calendar_caption, calendar_file, period_lines
from handlers.ui import (
    alert,
    current_language,
    h,
    home_button_row,
    main_menu_keyboard,
    show,
    stale,
)

GROUPS_PAGE = 24  # buttons of groups on one screen, three in a row
STUDENT_KEYS = ("student_consent", "student_college", "student_typed", "student_warned")


def consent_text(catalog: Catalog, settings: Settings) -> str:
    return "\n".join(
        [
            _("<b>Consent to the processing of personal data (students)</b>"),
            "",
            _(
                "To send you your practicum dates and reminders, the bot keeps your Telegram "
                "id, your college, your group and its specialty. Purpose: practicum dates and "
                "reminders, and your questions to the college's practicum staff."
            ),
            _("Operators:"),
            *operator_lines(catalog),
            ngettext(
                "Kept until you leave («I have graduated or left» in «My practicum», or "
                "/delete_my_data), and at most {days} day after your group's last practicum "
                "report. You may withdraw this consent the same way at any time.",
                "Kept until you leave («I have graduated or left» in «My practicum», or "
                "/delete_my_data), and at most {days} days after your group's last practicum "
                "report. You may withdraw this consent the same way at any time.",
                settings.retention_days,
            ).format(days=settings.retention_days),
            _("Under 18: agree together with a parent or legal representative."),
            _("Version {version}").format(version=STUDENT_CONSENT_VERSION),
        ]
    )


def consent_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ I agree"), callback_data=StudentCb(action=StudentAction.consent_yes))
    builder.button(text=_("✖️ No, thanks"), callback_data=StudentCb(action=StudentAction.consent_no))
    builder.adjust(1)
    return builder.as_markup()


def college_name(catalog: Catalog, college_id: str) -> str:
    college = catalog.college(college_id)
    return college.short_name.get(current_language()) if college else college_id


async def practicum_screen(
    student: Student, repo: ReminderRepository, catalog: Catalog, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    group = await repo.group_named(student.college_id, student.group_name)
    specialty = catalog.specialty(student.specialty_code)
    lines = [
        _("<b>My practicum</b>"),
        _("Group {group} · {college}").format(
            group=h(student.group_name), college=h(college_name(catalog, student.college_id))
        ),
    ]
    if specialty:
        lines.append(h(button_label(specialty)))
    lines.append("")
    if group is None:
        lines += [
            _(
                "⚠️ Your college has not listed the group {group} yet: no practicum dates or "
                "reminders can reach you until it does. Check the name in your timetable "
                "(«✏️ Change group»). When the college adds the group, you will be told."
            ).format(group=h(student.group_name)),
            "",
        ]
    periods = [
        p
        for p in await repo.periods_of_group(student.college_id, student.group_name)
        if p.report_deadline >= clock.today()
    ]
    if not periods and group is not None:
        lines.append(
            _(
                "No practicum dates for your group yet. When the college adds them, you will "
                "get reminders 7 days and 1 day before the start, on the first morning, and "
                "before the report deadline."
            )
        )
    for period in periods:
        lines += [*period_lines(period), ""]
    builder = InlineKeyboardBuilder()
    if periods:
        builder.button(
            text=_("📅 Add to my calendar (.ics)"),
            callback_data=StudentCb(action=StudentAction.calendar),
        )
    builder.button(
        text=_("❓ Ask the practicum staff"), callback_data=StudentCb(action=StudentAction.ask)
    )
    builder.button(text=_("✏️ Change group"), callback_data=StudentCb(action=StudentAction.register))
    builder.button(text=_("🔔 Reminder settings"), callback_data=MenuCb(to=Section.reminders))
    builder.button(
        text=_("🚪 I have graduated or left"), callback_data=StudentCb(action=StudentAction.leave)
    )
    home_button_row(builder)
    builder.adjust(1)
    return "\n".join(lines).strip(), builder.as_markup()


def groups_screen(
    catalog: Catalog, college_id: str, groups: list[StudentGroup], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    name = h(college_name(catalog, college_id))
    builder = InlineKeyboardBuilder()
    if groups:
        pages = (len(groups) + GROUPS_PAGE - 1) // GROUPS_PAGE
        page = min(max(page, 0), pages - 1)
        text = _(
            "<b>{college}</b>\n\nChoose your group, or type it as it is written in the timetable."
        ).format(college=name)
        for group in groups[page * GROUPS_PAGE : (page + 1) * GROUPS_PAGE]:
            builder.button(
                text=group.name, callback_data=StudentCb(action=StudentAction.group, id=group.id)
            )
        builder.adjust(3)
        nav = []
        if page > 0:
            nav.append(
                InlineKeyboardButton(
                    text="◀️",
                    callback_data=StudentCb(
                        action=StudentAction.college, value=college_id, id=page - 1
                    ).pack(),
                )
            )
        if page < pages - 1:
            nav.append(
                InlineKeyboardButton(
                    text="▶️",
                    callback_data=StudentCb(
                        action=StudentAction.college, value=college_id, id=page + 1
                    ).pack(),
                )
            )
        if nav:
            builder.row(*nav)
    else:
        text = _(
            "<b>{college}</b>\n\nThe college has not listed its groups in the bot yet. Type "
            "your group as it is written in the timetable, for example МП-26-1."
        ).format(college=name)
    builder.row(
        InlineKeyboardButton(
            text=_("⬅️ Colleges"),
            callback_data=StudentCb(action=StudentAction.register).pack(),
        )
    )
    return text, builder.as_markup()


def specialties_screen(catalog: Catalog, college_id: str) -> tuple[str, InlineKeyboardMarkup]:
    """What the catalogue says the college teaches (unconfirmed ones marked), then those whose
    college is not known yet, apart; never a specialty the catalogue places elsewhere."""
    found = catalog.browse(college_id)
    lines = [
        _("<b>{college}</b>: your specialty?").format(college=h(college_name(catalog, college_id)))
    ]
    builder = InlineKeyboardBuilder()
    for specialty in found.matches:
        builder.button(
            text=choice_label(specialty),
            callback_data=StudentCb(action=StudentAction.specialty, value=specialty.code),
        )
    if not found.matches:
        lines.append(_("The list of specialties taught at this college is being confirmed."))
    unconfirmed = sum(1 for s in found.matches if not s.confirmed)
    if unconfirmed:
        lines.append(unconfirmed_legend(unconfirmed))
    if found.unknown:
        lines.append(
            ngettext(
                "Where {count} specialty is taught is being confirmed: it is listed after "
                "the college's own, marked 📍❔.",
                "Where {count} specialties are taught is being confirmed: they are listed "
                "after the college's own, marked 📍❔.",
                len(found.unknown),
            ).format(count=len(found.unknown))
        )
        for specialty in found.unknown:
            builder.button(
                text=f"📍❔ {button_label(specialty)}",
                callback_data=StudentCb(action=StudentAction.specialty, value=specialty.code),
            )
    builder.button(text=_("⬅️ Back"), callback_data=StudentCb(action=StudentAction.register))
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def unknown_group_screen(
    catalog: Catalog, college_id: str, typed: str
) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "⚠️ <b>{college} has not listed a group {group}.</b>\n\nCheck the name in your "
        "timetable. You can register with it anyway, but until the college adds this group, "
        "no practicum dates or reminders will reach you. When it does, you will be attached "
        "to it and told."
    ).format(college=h(college_name(catalog, college_id)), group=h(typed))
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✏️ Type it again"), callback_data=StudentCb(action=StudentAction.retype))
    builder.button(
        text=_("Register with {group} anyway").format(group=typed),
        callback_data=StudentCb(action=StudentAction.keep),
    )
    builder.button(
        text=_("⬅️ Groups"),
        callback_data=StudentCb(action=StudentAction.college, value=college_id),
    )
    builder.adjust(1)
    return text, builder.as_markup()


async def forget_flow(state: FSMContext) -> None:
    """Out of the registration: its own data goes, anything else of the dialogue stays."""
    data = await state.get_data()
    await state.set_data({k: v for k, v in data.items() if k not in STUDENT_KEYS})
    await state.set_state(None)


def get_router() -> Router:
    router = Router(name=__name__)

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
                "practicum dates and get reminders. Which college do you study at?"
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
        if student is not None and consent_current(student.consent_version):
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
                STUDENT_CONSENT_VERSION,
            )
            await reminders.register_student(renewed, clock.now())
            await show(callback, *await practicum_screen(renewed, reminders, catalog, clock))
            return
        await state.update_data(student_consent=STUDENT_CONSENT_VERSION)
        await choose_college(callback, catalog)

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

    @router.callback_query(StudentCb.filter(F.action == StudentAction.consent_no))
    async def consent_no(
        callback: CallbackQuery, state: FSMContext, reminders: ReminderRepository
    ) -> None:
        told = _("Your registration is removed: the bot no longer keeps your college and group.")
        if not await remove(callback, state, reminders, told):
            text = _(
                "Nothing is stored. Without the consent the bot cannot remind you of the "
                "practicum; the rest of the bot works as before."
            )
            await show(callback, text + "\n\n" + _("Choose a section:"), main_menu_keyboard())

    async def consented(user_id: int, state: FSMContext, reminders: ReminderRepository) -> bool:
        student = await reminders.student(user_id)
        if student is not None and consent_current(student.consent_version):
            return True
        return consent_current((await state.get_data()).get("student_consent"))

    @router.callback_query(StudentCb.filter(F.action == StudentAction.register))
    async def change_group(
        callback: CallbackQuery,
        state: FSMContext,
        reminders: ReminderRepository,
        catalog: Catalog,
        settings: Settings,
    ) -> None:
        if not await consented(callback.from_user.id, state, reminders):
            await show(callback, consent_text(catalog, settings), consent_keyboard())
            return
        await state.set_state(None)
        await choose_college(callback, catalog)

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
        if not await consented(callback.from_user.id, state, reminders):
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
        if not await consented(callback.from_user.id, state, reminders) or group is None:
            await forget_flow(state)
            await stale(callback, callback_answer)
            return
        student = Student(
            callback.from_user.id,
            group.college_id,
            group.specialty_code,
            group.name,
            STUDENT_CONSENT_VERSION,
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
        if not await consented(message.from_user.id, state, reminders):
            await forget_flow(state)
            await message.answer(_("Choose a section:"), reply_markup=main_menu_keyboard())
            return
        if found.exact is not None:
            student = Student(
                message.from_user.id,
                college_id,
                found.exact.specialty_code,
                found.exact.name,
                STUDENT_CONSENT_VERSION,
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
        if not await consented(callback.from_user.id, state, reminders):
            await stale(callback, callback_answer)
            return
        student = Student(
            callback.from_user.id, college_id, specialty.code, typed, STUDENT_CONSENT_VERSION
        )
        await register(callback, state, student, reminders, catalog, clock)

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
            alert(callback_answer, _("No practicum dates yet: there is nothing to add."))
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
                _("<b>Question to the practicum staff of {college}</b>").format(
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
                "specialty, and send no more practicum reminders. To erase everything else "
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
