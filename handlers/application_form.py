"""Applying: consent first, then the form one question at a time, documents, review, submit.

The answers live in the FSM data (SQLite), under ``form``; ``step`` names the question being
asked, so a restart of the bot, a /start in the middle or a stale button resumes where the
applicant was. Nothing personal is asked or stored before the consent is given.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.applications import (
    ACCEPTED_MIME_TYPES,
    CONSENT_VERSION,
    MAX_FILE_BYTES,
    MAX_PAGES_PER_DOCUMENT,
    REQUIRED_DOCUMENTS,
    document_steps,
    is_minor,
)
from bot.catalog import Catalog
from bot.clock import Clock
from bot.config import Settings
from bot.validation import (
    Invalid,
    is_skip,
    parse_birth_date,
    parse_email,
    parse_full_name,
    parse_phone,
    parse_score,
    score_is_low,
)
from db.applications import (
    ApplicationData,
    ApplicationRepository,
    ConsentRepository,
    DocumentRef,
    Notice,
)
from handlers.application_texts import document_label, documents_lines, summary_lines
from handlers.callbacks import ApplyCb, MenuCb, Section
from handlers.ui import (
    current_language,
    fmt_phone,
    fmt_score,
    h,
    home_button_row,
    main_menu_keyboard,
    show,
    stale,
)

log = logging.getLogger(__name__)

MAX_CHOICES = 3
PRIORITY_MARKS = ("1️⃣", "2️⃣", "3️⃣")


class Apply(StatesGroup):
    consent = State()
    minor = State()
    full_name = State()
    birth_date = State()
    phone = State()
    email = State()
    education_base = State()
    average_score = State()
    score_confirm = State()
    specialties = State()
    dormitory = State()
    channel = State()
    documents = State()
    review = State()


# The questions in order; Back goes one up. ``score_confirm`` and ``consent`` are side steps.
STEPS = (
    "minor",
    "full_name",
    "birth_date",
    "phone",
    "email",
    "education_base",
    "average_score",
    "specialties",
    "dormitory",
    "channel",
    "documents",
    "review",
)
TEXT_STEPS = ("full_name", "birth_date", "phone", "email", "average_score")


class FormCb(CallbackData, prefix="af"):
    action: str
    value: str = ""


# --- small helpers ---------------------------------------------------------------------------


async def get_form(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get("form") or {})


async def save_form(state: FSMContext, form: dict[str, Any]) -> None:
    await state.update_data(form=form)


def nav_row(builder: InlineKeyboardBuilder, *, back: bool = True) -> None:
    if back:
        builder.button(text=_("⬅️ Back"), callback_data=FormCb(action="back"))
    builder.button(text=_("✖️ Cancel"), callback_data=FormCb(action="cancel"))


def step_number(step: str) -> str:
    questions = STEPS[1:-1]
    if step not in questions:
        return ""
    return _("Step {n} of {total}").format(n=questions.index(step) + 1, total=len(questions))


def wrong_input_hint(step: str) -> str:
    if step == "documents":
        return _("Here I need a photo or a PDF file of the document, not text.")
    if step in TEXT_STEPS:
        return _("Please answer with a text message.")
    return _("Please use the buttons under the question.")


HINTS = {
    "name_empty": lambda p: _("Please type your full name."),
    "name_chars": lambda p: _(
        "The name can contain only letters, spaces, hyphens and apostrophes; "
        "«{char}» is not allowed."
    ).format(char=h(str(p.get("char", "")))),
    "name_words": lambda p: _(
        "Please type your surname, first name and patronymic (if you have one): from 2 to 4 words."
    ),
    "name_length": lambda p: _("The name is too long: at most {max} characters.").format(
        max=p.get("max", 100)
    ),
    "name_punctuation": lambda p: _(
        "A hyphen or an apostrophe may only join letters, as in «Римский-Корсаков»."
    ),
    "name_mixed_alphabet": lambda p: _(
        "A word mixes Russian and Latin letters. Please type the name in one alphabet."
    ),
    "date_format": lambda p: _("Please type the date as DD.MM.YYYY, for example 05.03.2010."),
    "date_unreal": lambda p: _("There is no such date. Please check the day and the month."),
    "date_future": lambda p: _("This date is in the future. Please check the year."),
    "age_range": lambda p: _(
        "Applicants must be from {min} to {max} years old; with this date you are {age}. "
        "Please check the year."
    ).format(min=p.get("min"), max=p.get("max"), age=p.get("age")),
    "phone_format": lambda p: _(
        "Please type a phone number like +7 913 123-45-67 or 8 913 123 45 67, "
        "or press «Share my number»."
    ),
    "phone_invalid": lambda p: _("This number does not exist. Please check the digits."),
    "phone_not_russian": lambda p: _("Please give a Russian phone number (+7, 10 digits)."),
    "email": lambda p: _(
        "This does not look like an e-mail address (name@example.ru). Type it again or skip."
    ),
    "score_format": lambda p: _(
        "Please type the average score as a number, for example 4.25 or 4,25."
    ),
    "score_range": lambda p: _("The average score is from {min} to {max}.").format(
        min=p.get("min", "2.00"), max=p.get("max", "5.00")
    ),
}


def hint_for(error: Invalid) -> str:
    render = HINTS.get(error.code)
    return render(error.params) if render else _("Please check the answer and try again.")


# --- the questions ---------------------------------------------------------------------------


def question(
    step: str, form: dict[str, Any], catalog: Catalog, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]:
    """Text and keyboard of a question; the current answer is shown when there is one."""
    builder = InlineKeyboardBuilder()
    editing = bool(data.get("editing"))
    head = step_number(step)
    lines = [f"<i>{head}</i>"] if head and not editing else []

    def current(value: str | None) -> None:
        if value:
            lines.append(_("Now: {value}").format(value=h(value)))

    if step == "minor":
        lines = [
            _("<b>Are you under 18?</b>"),
            _("If so, a parent or legal representative must also give their consent."),
        ]
        builder.button(
            text=_("Yes, I am under 18"), callback_data=FormCb(action="minor", value="1")
        )
        builder.button(
            text=_("No, I am 18 or older"), callback_data=FormCb(action="minor", value="0")
        )
        builder.button(text=_("✖️ Cancel"), callback_data=FormCb(action="cancel"))
        builder.adjust(1)
        return "\n".join(lines), builder.as_markup()
    if step == "full_name":
        lines += [
            _("<b>Your full name</b>"),
            _("Surname, first name and patronymic, as in the passport."),
            _("Example: Иванова Анна Сергеевна"),
        ]
        current(form.get("full_name"))
    elif step == "birth_date":
        lines += [_("<b>Date of birth</b>"), _("As DD.MM.YYYY, for example 05.03.2010.")]
        current(
            form.get("birth_date") and date.fromisoformat(form["birth_date"]).strftime("%d.%m.%Y")
        )
    elif step == "phone":
        lines += [
            _("<b>Your phone number</b>"),
            _("Press «Share my number» below, or type it: +7 913 123-45-67."),
        ]
        current(form.get("phone") and fmt_phone(form["phone"]))
        keyboard = ReplyKeyboardMarkup(
            keyboard=[
                [KeyboardButton(text=_("📱 Share my number"), request_contact=True)],
                [KeyboardButton(text=_("⬅️ Back")), KeyboardButton(text=_("✖️ Cancel"))],
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        return "\n".join(lines), keyboard
    elif step == "email":
        lines += [_("<b>E-mail</b> (optional)"), _("Type it, or press «Skip».")]
        current(form.get("email"))
        builder.button(text=_("Skip"), callback_data=FormCb(action="email_skip"))
    elif step == "education_base":
        lines += [_("<b>Your education when you apply</b>")]
        builder.button(text=_("After 9 classes"), callback_data=FormCb(action="base", value="9"))
        builder.button(text=_("After 11 classes"), callback_data=FormCb(action="base", value="11"))
    elif step == "average_score":
        lines += [
            _("<b>Average score of your certificate</b>"),
            _("From 2.00 to 5.00, for example 4.25. Places are given by this score."),
        ]
        current(form.get("average_score") and fmt_score(form["average_score"]))
    elif step == "score_confirm":
        lines = [
            _("An average score of {score} is below 3. Is that right?").format(
                score=fmt_score(data.get("pending_score") or "0")
            )
        ]
        builder.button(text=_("Yes, that is right"), callback_data=FormCb(action="score_ok"))
        builder.button(text=_("No, type it again"), callback_data=FormCb(action="score_redo"))
        builder.adjust(1)
        return "\n".join(lines), builder.as_markup()
    elif step == "specialties":
        return specialties_question(form, catalog, lines)
    elif step == "dormitory":
        lines += [_("<b>Do you need a place in a dormitory?</b>")]
        builder.button(text=_("Yes, I need one"), callback_data=FormCb(action="dorm", value="1"))
        builder.button(text=_("No"), callback_data=FormCb(action="dorm", value="0"))
    elif step == "channel":
        lines += [
            _("<b>How else do you apply?</b>"),
            _("It helps the admission committee not to count you twice."),
        ]
        builder.button(text=_("Only here"), callback_data=FormCb(action="channel", value="bot"))
        builder.button(
            text=_("Also on Gosuslugi"), callback_data=FormCb(action="channel", value="gosuslugi")
        )
        builder.button(
            text=_("Also in person"), callback_data=FormCb(action="channel", value="in_person")
        )
    elif step == "documents":
        return documents_question(form, catalog, data, lines)
    elif step == "review":
        return review_screen(form, catalog, data)
    nav_row(builder, back=True)
    sizes = {"education_base": [2, 2], "dormitory": [2, 2], "channel": [1, 1, 1, 2]}
    builder.adjust(*sizes.get(step, [1, 2] if step == "email" else [2]))
    return "\n".join(lines), builder.as_markup()


def allowed_specialties(catalog: Catalog, base: int | None) -> list[str]:
    return [s.code for s in catalog.filter_specialties("", base or 0)]


def specialties_question(
    form: dict[str, Any], catalog: Catalog, lines: list[str]
) -> tuple[str, InlineKeyboardMarkup]:
    lang = current_language()
    chosen: list[str] = form.get("specialties") or []
    lines += [
        _("<b>Choose up to 3 specialties in order of priority</b>"),
        _("Press them one by one: the first is the one you want most. Press again to remove."),
    ]
    builder = InlineKeyboardBuilder()
    codes = allowed_specialties(catalog, form.get("education_base"))
    for code in codes:
        specialty = catalog.specialty(code)
        assert specialty is not None
        mark = PRIORITY_MARKS[chosen.index(code)] + " " if code in chosen else ""
        builder.button(
            text=f"{mark}{code} · {specialty.short_name.get(lang)}",
            callback_data=FormCb(action="pick", value=code),
        )
    if chosen:
        builder.button(text=_("✅ Done"), callback_data=FormCb(action="picks_done"))
    nav_row(builder)
    builder.adjust(*([1] * (len(codes) + (1 if chosen else 0))), 2)
    return "\n".join(lines), builder.as_markup()


def documents_question(
    form: dict[str, Any], catalog: Catalog, data: dict[str, Any], lines: list[str]
) -> tuple[str, InlineKeyboardMarkup]:
    kind = data.get("doc_kind") or "passport"
    count = sum(1 for d in form.get("documents", []) if d["kind"] == kind)
    lines += [_("<b>Documents: {document}</b>").format(document=document_label(kind))]
    if kind == "medical":
        lines.append(
            _("Your specialty requires a medical certificate (form 086/у). You can send it later.")
        )
    elif kind == "parent_consent":
        lines.append(
            _(
                "A parent or legal representative signs a consent to personal-data processing "
                "at the college (with their passport). If you already have it signed, send a "
                "photo of it; otherwise skip: the college will ask for it."
            )
        )
    lines.append(_("Send a photo or a PDF (up to 20 MB). Several pages? Send them one by one."))
    if count:
        lines.append(
            ngettext("Received: {count} file.", "Received: {count} files.", count).format(
                count=count
            )
        )
    builder = InlineKeyboardBuilder()
    if count:
        builder.button(text=_("✅ Done"), callback_data=FormCb(action="doc_done"))
    elif kind not in REQUIRED_DOCUMENTS:
        builder.button(text=_("Later"), callback_data=FormCb(action="doc_skip"))
    nav_row(builder)
    builder.adjust(1, 2)
    return "\n".join(lines), builder.as_markup()


def review_screen(
    form: dict[str, Any], catalog: Catalog, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    editing_submitted = data.get("application_id") is not None
    lines = [_("<b>Please check your application</b>"), ""]
    lines += summary_lines(form, catalog)
    lines += documents_lines(form.get("documents") or [])
    if not editing_submitted:
        lines += ["", _("Press «Submit» when everything is right, or change any answer.")]
    builder = InlineKeyboardBuilder()
    edits = [
        ("full_name", _("✏️ Name")),
        ("birth_date", _("✏️ Date of birth")),
        ("phone", _("✏️ Phone")),
        ("email", _("✏️ E-mail")),
        ("education_base", _("✏️ Education")),
        ("average_score", _("✏️ Score")),
        ("specialties", _("✏️ Specialties")),
        ("dormitory", _("✏️ Dormitory")),
        ("channel", _("✏️ How you apply")),
    ]
    if not editing_submitted:
        edits.append(("documents", _("✏️ Documents")))
    for field, label in edits:
        builder.button(text=label, callback_data=FormCb(action="edit", value=field))
    if editing_submitted:
        builder.button(text=_("💾 Save changes"), callback_data=FormCb(action="submit"))
    else:
        builder.button(text=_("✅ Submit"), callback_data=FormCb(action="submit"))
    builder.button(text=_("✖️ Cancel"), callback_data=FormCb(action="cancel"))
    builder.adjust(2, 2, 2, 2, 2, 1, 1)
    return "\n".join(lines), builder.as_markup()


# --- moving between questions -----------------------------------------------------------------


async def go(
    target: Message | CallbackQuery,
    state: FSMContext,
    step: str,
    catalog: Catalog,
    *,
    notice: str | None = None,
) -> None:
    """Ask ``step``: set the state, remember the step, show the question."""
    await state.set_state(getattr(Apply, step))
    await state.update_data(step=step)
    data = await state.get_data()
    form = dict(data.get("form") or {})
    text, markup = question(step, form, catalog, data)
    if notice:
        text = notice + "\n\n" + text
    if isinstance(markup, ReplyKeyboardMarkup):
        message = target.message if isinstance(target, CallbackQuery) else target
        if isinstance(target, CallbackQuery) and isinstance(message, Message):
            await message.edit_reply_markup(reply_markup=None)
        await target.bot.send_message(target.from_user.id, text, reply_markup=markup)
        return
    if isinstance(target, Message) and data.get("reply_keyboard_shown"):
        await target.answer(_("Saved."), reply_markup=ReplyKeyboardRemove())
    await state.update_data(reply_keyboard_shown=False)
    await show(target, text, markup)


async def after_answer(
    target: Message | CallbackQuery, state: FSMContext, step: str, catalog: Catalog
) -> None:
    """The next question: back to the review when editing one answer, else the next step."""
    data = await state.get_data()
    if data.get("editing"):
        await state.update_data(editing=False)
        await go(target, state, "review", catalog)
        return
    following = STEPS[STEPS.index(step) + 1]
    if following == "documents":
        await state.update_data(doc_kind=REQUIRED_DOCUMENTS[0])
    await go(target, state, following, catalog)


async def start_form(
    target: Message | CallbackQuery, state: FSMContext, catalog: Catalog, preselect: str = ""
) -> None:
    await state.set_data({"form": {}, "preselect": preselect})
    await go(target, state, "minor", catalog)


def consent_text(catalog: Catalog, clock: Clock, retention_days: int) -> str:
    year = catalog.campaign_for(clock.today()).year
    return "\n".join(
        [
            _("<b>Consent to the processing of personal data</b>"),
            _("Version {version}").format(version=CONSENT_VERSION),
            "",
            _(
                "To accept your application here, the colleges of the cluster «Металлургия» "
                "(the operators) need your personal data: full name, date of birth, phone, "
                "e-mail, education, average score of the certificate, the chosen specialties, "
                "the need of a dormitory, and the scans of your documents (passport, "
                "education certificate, photo, medical certificate)."
            ),
            "",
            _(
                "<b>Purpose:</b> admission to the colleges of the cluster in {year}: checking "
                "the documents, the ranking, messages to you about your application."
            ).format(year=year),
            _(
                "<b>What is done with it:</b> collecting, recording, storing, using, passing it "
                "to the admission committee of the colleges you choose, deleting."
            ),
            _(
                "<b>How long:</b> until the end of the admission campaign and {days} days after "
                "it; if you are enrolled, the college keeps it by its own rules."
            ).format(days=retention_days),
            _(
                "<b>How to withdraw:</b> at any time, in «My application» → «Delete my data», "
                "or by a written request to the college. The data are then deleted."
            ),
            "",
            _(
                "This consent is a separate document (152-ФЗ). Without it you can still apply "
                "at the college in person or on Gosuslugi."
            ),
        ]
    )


def consent_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ I agree"), callback_data=FormCb(action="consent_yes"))
    builder.button(text=_("I do not agree"), callback_data=FormCb(action="consent_no"))
    builder.adjust(1)
    return builder.as_markup()


# --- the router --------------------------------------------------------------------------------


def get_router() -> Router:
    router = Router(name=__name__)

    async def begin(
        callback: CallbackQuery,
        state: FSMContext,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
        applications: ApplicationRepository,
        consents: ConsentRepository,
        preselect: str,
    ) -> None:
        user_id = callback.from_user.id
        if await applications.id_for_user(user_id) is not None:
            from handlers.my_application import show_application

            await show_application(callback, applications, catalog, settings, clock, state)
            await callback.answer(_("You have already applied: here is your application."))
            return
        consent = await consents.current(user_id)
        data = await state.get_data()
        if consent is None or consent.version != CONSENT_VERSION:
            await state.set_state(Apply.consent)
            await state.set_data({"preselect": preselect})
            await show(
                callback,
                consent_text(catalog, clock, settings.retention_days),
                consent_keyboard(),
            )
        elif data.get("form") and data.get("step"):
            builder = InlineKeyboardBuilder()
            builder.button(text=_("▶️ Continue"), callback_data=FormCb(action="resume"))
            builder.button(text=_("🔄 Start over"), callback_data=FormCb(action="restart"))
            home_button_row(builder)
            builder.adjust(2, 1)
            await show(
                callback,
                _("You have an unfinished application. Continue where you stopped?"),
                builder.as_markup(),
            )
        else:
            await start_form(callback, state, catalog, preselect)
        await callback.answer()

    @router.callback_query(MenuCb.filter(F.to == Section.apply))
    async def apply_from_menu(callback: CallbackQuery, **deps: Any) -> None:
        await begin(callback, preselect="", **_deps(deps))

    @router.callback_query(ApplyCb.filter())
    async def apply_from_card(callback: CallbackQuery, callback_data: ApplyCb, **deps: Any) -> None:
        await begin(callback, preselect=callback_data.code, **_deps(deps))

    @router.callback_query(FormCb.filter(F.action == "consent_yes"))
    async def consent_given(
        callback: CallbackQuery,
        state: FSMContext,
        consents: ConsentRepository,
        clock: Clock,
        catalog: Catalog,
        applications: ApplicationRepository,
    ) -> None:
        user_id = callback.from_user.id
        consent = await consents.current(user_id)
        if (consent is not None and consent.version == CONSENT_VERSION) or (
            await applications.id_for_user(user_id) is not None
        ):
            await stale(callback)  # a second click: the first one already went on
            return
        await consents.give(user_id, CONSENT_VERSION, clock.now())
        preselect = (await state.get_data()).get("preselect", "")
        await start_form(callback, state, catalog, preselect)
        await callback.answer(_("Thank you, your consent is saved."))

    @router.callback_query(FormCb.filter(F.action == "consent_no"))
    async def consent_declined(
        callback: CallbackQuery, state: FSMContext, consents: ConsentRepository
    ) -> None:
        await state.clear()
        await consents.count_declined()
        builder = InlineKeyboardBuilder()
        builder.button(text=_("📋 How to apply"), callback_data=MenuCb(to=Section.howto))
        home_button_row(builder)
        builder.adjust(1)
        await show(
            callback,
            _(
                "Understood: nothing was saved. Without the consent the application cannot be "
                "accepted in the bot, but you can apply at the college in person or on "
                "Gosuslugi."
            ),
            builder.as_markup(),
        )
        await callback.answer()

    @router.callback_query(FormCb.filter(F.action.in_({"resume", "restart"})))
    async def resume_or_restart(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        data = await state.get_data()
        if not data.get("form"):
            await stale(callback)
            return
        if callback_data.action == "resume" and data.get("step"):
            await go(callback, state, data["step"], catalog)
        else:
            await start_form(callback, state, catalog, data.get("preselect", ""))
        await callback.answer()

    # --- navigation -------------------------------------------------------------------

    @router.callback_query(FormCb.filter(F.action == "back"))
    async def back(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
        data = await state.get_data()
        step = data.get("step")
        if step not in STEPS or await state.get_state() is None:
            await stale(callback)
            return
        if data.get("editing"):
            await state.update_data(editing=False)
            await go(callback, state, "review", catalog)
        elif step == "documents":
            await documents_back(callback, state, catalog, data)
        else:
            previous = STEPS[max(STEPS.index(step) - 1, 0)]
            await go(callback, state, previous, catalog)
        await callback.answer()

    async def documents_back(
        callback: CallbackQuery, state: FSMContext, catalog: Catalog, data: dict[str, Any]
    ) -> None:
        form = data.get("form") or {}
        kinds = document_steps(catalog, form.get("specialties") or [], bool(form.get("minor")))
        kind = data.get("doc_kind") or kinds[0]
        index = kinds.index(kind) if kind in kinds else 0
        if index == 0:
            await go(callback, state, "channel", catalog)
        else:
            await state.update_data(doc_kind=kinds[index - 1])
            await go(callback, state, "documents", catalog)

    @router.callback_query(FormCb.filter(F.action == "cancel"))
    async def cancel_asked(callback: CallbackQuery, state: FSMContext) -> None:
        if await state.get_state() is None:
            await stale(callback)
            return
        builder = InlineKeyboardBuilder()
        builder.button(text=_("Yes, cancel"), callback_data=FormCb(action="cancel_yes"))
        builder.button(text=_("No, continue"), callback_data=FormCb(action="cancel_no"))
        builder.adjust(2)
        await show(
            callback,
            _("Cancel the application? The answers you have given will be deleted."),
            builder.as_markup(),
        )
        await callback.answer()

    @router.callback_query(FormCb.filter(F.action == "cancel_yes"))
    async def cancel_confirmed(
        callback: CallbackQuery, state: FSMContext, catalog: Catalog
    ) -> None:
        await state.clear()
        from handlers.start import main_menu_text

        await show(
            callback,
            _("The application is cancelled; your answers are deleted.")
            + "\n\n"
            + main_menu_text(catalog),
            main_menu_keyboard(),
        )
        await callback.answer()

    @router.callback_query(FormCb.filter(F.action == "cancel_no"))
    async def cancel_declined(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
        step = (await state.get_data()).get("step")
        if not step or await state.get_state() is None:
            await stale(callback)
            return
        await go(callback, state, step, catalog)
        await callback.answer()

    @router.callback_query(FormCb.filter(F.action == "edit"), StateFilter(Apply.review))
    async def edit_field(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        if callback_data.value not in STEPS:
            await callback.answer()
            return
        await state.update_data(editing=True)
        if callback_data.value == "documents":
            await state.update_data(doc_kind=REQUIRED_DOCUMENTS[0])
        await go(callback, state, callback_data.value, catalog)
        await callback.answer()

    # --- answers by button --------------------------------------------------------------

    @router.callback_query(FormCb.filter(F.action == "minor"), StateFilter(Apply.minor))
    async def minor_answered(
        callback: CallbackQuery,
        callback_data: FormCb,
        state: FSMContext,
        catalog: Catalog,
        consents: ConsentRepository,
    ) -> None:
        minor = callback_data.value == "1"
        form = await get_form(state)
        form["minor"] = minor
        await save_form(state, form)
        await consents.set_minor(callback.from_user.id, minor)
        notice = (
            _(
                "Noted: as you are under 18, a parent or legal representative also signs a "
                "consent. The college will ask for it; you can also send a photo of it with "
                "the documents."
            )
            if minor
            else None
        )
        await state.set_state(Apply.full_name)
        await state.update_data(step="full_name")
        await go(callback, state, "full_name", catalog, notice=notice)
        await callback.answer()

    @router.callback_query(FormCb.filter(F.action == "email_skip"), StateFilter(Apply.email))
    async def email_skipped(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
        form = await get_form(state)
        form["email"] = None
        await save_form(state, form)
        await after_answer(callback, state, "email", catalog)
        await callback.answer()

    @router.callback_query(FormCb.filter(F.action == "base"), StateFilter(Apply.education_base))
    async def base_answered(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        base = 11 if callback_data.value == "11" else 9
        form = await get_form(state)
        form["education_base"] = base
        allowed = set(allowed_specialties(catalog, base))
        chosen = form.get("specialties") or []
        if "specialties" not in form:
            # The first answer after «Apply» on a specialty card: that specialty comes first,
            # if this education base admits it.
            preselect = (await state.get_data()).get("preselect", "")
            if preselect in allowed:
                chosen = [preselect]
        kept = [code for code in chosen if code in allowed]
        form["specialties"] = kept
        await save_form(state, form)
        await callback.answer()
        if len(kept) != len(chosen):
            await state.update_data(editing=False)
            await go(
                callback,
                state,
                "specialties",
                catalog,
                notice=_("Some chosen specialties do not admit after {base} classes.").format(
                    base=base
                ),
            )
            return
        await after_answer(callback, state, "education_base", catalog)

    @router.callback_query(FormCb.filter(F.action == "score_ok"), StateFilter(Apply.score_confirm))
    async def low_score_confirmed(
        callback: CallbackQuery, state: FSMContext, catalog: Catalog
    ) -> None:
        data = await state.get_data()
        form = dict(data.get("form") or {})
        form["average_score"] = data.get("pending_score")
        await save_form(state, form)
        await after_answer(callback, state, "average_score", catalog)
        await callback.answer()

    @router.callback_query(
        FormCb.filter(F.action == "score_redo"), StateFilter(Apply.score_confirm)
    )
    async def low_score_redo(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
        await go(callback, state, "average_score", catalog)
        await callback.answer()

    @router.callback_query(FormCb.filter(F.action == "pick"), StateFilter(Apply.specialties))
    async def pick(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        form = await get_form(state)
        chosen: list[str] = list(form.get("specialties") or [])
        code = callback_data.value
        if code not in allowed_specialties(catalog, form.get("education_base")):
            await callback.answer(_("This specialty is not available."), show_alert=True)
            return
        if code in chosen:
            chosen.remove(code)
        elif len(chosen) >= MAX_CHOICES:
            await callback.answer(
                _("At most 3 specialties. Remove one to choose another."), show_alert=True
            )
            return
        else:
            chosen.append(code)
        form["specialties"] = chosen
        await save_form(state, form)
        await go(callback, state, "specialties", catalog)
        await callback.answer()

    @router.callback_query(FormCb.filter(F.action == "picks_done"), StateFilter(Apply.specialties))
    async def picks_done(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
        form = await get_form(state)
        if not form.get("specialties"):
            await callback.answer(_("Choose at least one specialty."), show_alert=True)
            return
        await after_answer(callback, state, "specialties", catalog)
        await callback.answer()

    @router.callback_query(FormCb.filter(F.action == "dorm"), StateFilter(Apply.dormitory))
    async def dormitory(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        form = await get_form(state)
        form["dormitory"] = callback_data.value == "1"
        await save_form(state, form)
        await after_answer(callback, state, "dormitory", catalog)
        await callback.answer()

    @router.callback_query(FormCb.filter(F.action == "channel"), StateFilter(Apply.channel))
    async def channel(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        if callback_data.value not in ("bot", "gosuslugi", "in_person"):
            await callback.answer()
            return
        form = await get_form(state)
        form["channel"] = callback_data.value
        await save_form(state, form)
        await after_answer(callback, state, "channel", catalog)
        await callback.answer()

    # --- answers by text ----------------------------------------------------------------

    async def phone_back(message: Message, state: FSMContext, catalog: Catalog) -> None:
        await message.answer(_("Going back."), reply_markup=ReplyKeyboardRemove())
        data = await state.get_data()
        if data.get("editing"):
            await state.update_data(editing=False)
            await go(message, state, "review", catalog)
        else:
            await go(message, state, "birth_date", catalog)

    async def phone_cancel(message: Message) -> None:
        builder = InlineKeyboardBuilder()
        builder.button(text=_("Yes, cancel"), callback_data=FormCb(action="cancel_yes"))
        builder.button(text=_("No, continue"), callback_data=FormCb(action="cancel_no"))
        await message.answer(_("Closing the keyboard."), reply_markup=ReplyKeyboardRemove())
        await message.answer(
            _("Cancel the application? The answers you have given will be deleted."),
            reply_markup=builder.as_markup(),
        )

    @router.message(StateFilter(Apply.phone), F.contact)
    async def phone_shared(message: Message, state: FSMContext, catalog: Catalog) -> None:
        contact = message.contact
        assert contact is not None and message.from_user is not None
        if contact.user_id != message.from_user.id:
            await message.answer(
                _("This is someone else's contact. Please share your own number or type it.")
            )
            return
        await accept_phone(message, state, catalog, contact.phone_number)

    async def accept_phone(message: Message, state: FSMContext, catalog: Catalog, raw: str) -> None:
        try:
            phone = parse_phone(raw)
        except Invalid as error:
            await message.answer(hint_for(error))
            return
        form = await get_form(state)
        form["phone"] = phone
        await save_form(state, form)
        await message.answer(
            _("Phone saved: {phone}").format(phone=fmt_phone(phone)),
            reply_markup=ReplyKeyboardRemove(),
        )
        await after_answer(message, state, "phone", catalog)

    @router.message(StateFilter(*(getattr(Apply, s) for s in TEXT_STEPS)), F.text)
    async def text_answer(
        message: Message, state: FSMContext, catalog: Catalog, clock: Clock
    ) -> None:
        text = message.text or ""
        step = (await state.get_data()).get("step") or ""
        if text.startswith("/"):
            await message.answer(
                _("Commands do not work inside the form. Answer the question, or /cancel.")
            )
            return
        if step == "phone":
            # The phone question has a reply keyboard: its Back and Cancel arrive as text.
            if text == _("⬅️ Back"):
                await phone_back(message, state, catalog)
            elif text == _("✖️ Cancel"):
                await phone_cancel(message)
            else:
                await accept_phone(message, state, catalog, text)
            return
        form = await get_form(state)
        try:
            if step == "full_name":
                form["full_name"] = parse_full_name(text)
            elif step == "birth_date":
                birth = parse_birth_date(text, clock.today())
                form["birth_date"] = birth.isoformat()
                if is_minor(birth, clock.today()) and not form.get("minor"):
                    form["minor"] = True
                    await message.answer(
                        _(
                            "By this date you are under 18: a parent or legal representative "
                            "also signs a consent. The college will ask for it."
                        )
                    )
            elif step == "email":
                form["email"] = None if is_skip(text) else parse_email(text)
            elif step == "average_score":
                score = parse_score(text)
                if score_is_low(score):
                    await state.update_data(pending_score=f"{score:.2f}")
                    await go(message, state, "score_confirm", catalog)
                    return
                form["average_score"] = f"{score:.2f}"
            else:
                return
        except Invalid as error:
            await message.answer(hint_for(error) + "\n" + _("Please try again."))
            return
        await save_form(state, form)
        await after_answer(message, state, step, catalog)

    # --- documents ----------------------------------------------------------------------

    @router.message(StateFilter(Apply.documents), F.photo | F.document)
    async def document_received(
        message: Message, state: FSMContext, catalog: Catalog, clock: Clock
    ) -> None:
        data = await state.get_data()
        kind = data.get("doc_kind") or REQUIRED_DOCUMENTS[0]
        ref = await document_from_message(message, kind)
        if ref is None:
            return
        form = dict(data.get("form") or {})
        documents = list(form.get("documents") or [])
        same_kind = [d for d in documents if d["kind"] == kind]
        entry = await new_file_entry(message, same_kind, ref, clock)
        if entry is None:
            return
        documents.append(entry)
        form["documents"] = documents
        await save_form(state, form)
        await go(message, state, "documents", catalog)

    @router.callback_query(
        FormCb.filter(F.action.in_({"doc_done", "doc_skip"})), StateFilter(Apply.documents)
    )
    async def document_done(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        data = await state.get_data()
        form = dict(data.get("form") or {})
        kinds = document_steps(catalog, form.get("specialties") or [], bool(form.get("minor")))
        kind = data.get("doc_kind") or kinds[0]
        have = any(d["kind"] == kind for d in form.get("documents") or [])
        if callback_data.action == "doc_done" and not have:
            await callback.answer(_("Send at least one file first."), show_alert=True)
            return
        if callback_data.action == "doc_skip" and kind in REQUIRED_DOCUMENTS:
            await callback.answer(_("This document is required."), show_alert=True)
            return
        index = kinds.index(kind) if kind in kinds else len(kinds) - 1
        await callback.answer()
        if index + 1 < len(kinds):
            await state.update_data(doc_kind=kinds[index + 1])
            await go(callback, state, "documents", catalog)
            return
        await state.update_data(editing=False)
        await go(callback, state, "review", catalog)

    # --- submit -------------------------------------------------------------------------

    @router.callback_query(FormCb.filter(F.action == "submit"))
    async def submit(
        callback: CallbackQuery,
        state: FSMContext,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
        applications: ApplicationRepository,
    ) -> None:
        from handlers.my_application import show_application

        data = await state.get_data()
        if await state.get_state() != Apply.review.state:
            # A second click on Submit, a replayed button: the first one did the work.
            if await applications.id_for_user(callback.from_user.id) is not None:
                await callback.answer(_("Your application has already been submitted."))
            else:
                await stale(callback)
            return
        form = dict(data.get("form") or {})
        missing = missing_answers(form, catalog)
        if missing:
            await callback.answer()
            await go(
                callback,
                state,
                missing,
                catalog,
                notice=_("One answer is missing: please answer this question."),
            )
            return
        application_data = to_application_data(form)
        now = clock.now()
        if data.get("application_id") is not None:
            from handlers.my_application import back_to_review_if_corrected

            edited = await applications.get(int(data["application_id"]))
            if edited is None or edited.user_id != callback.from_user.id:
                await state.clear()
                await stale(callback)
                return
            await applications.update_data(edited.id, application_data, now)
            await back_to_review_if_corrected(edited, settings, applications, clock)
            await state.clear()
            await callback.answer(_("Changes saved."))
            await show_application(callback, applications, catalog, settings, clock, state)
            return
        documents = [
            DocumentRef(
                kind=d["kind"],
                file_id=d["file_id"],
                file_unique_id=d["file_unique_id"],
                content_type=d["content_type"],
                file_size=d.get("file_size"),
            )
            for d in form.get("documents") or []
        ]
        application_id, created = await applications.submit(
            user_id=callback.from_user.id,
            campaign_year=catalog.campaign_for(clock.today()).year,
            data=application_data,
            documents=documents,
            now=now,
            notices=staff_notices(settings),
        )
        await state.clear()  # the answers now live in the application, not in the dialogue
        if created:
            log.info("application %s submitted by user %s", application_id, callback.from_user.id)
        await callback.answer(_("Submitted!") if created else _("Already submitted."))
        await show_application(
            callback,
            applications,
            catalog,
            settings,
            clock,
            state,
            notice=_("✅ Your application is submitted. The admission committee will check it.")
            if created
            else None,
        )

    @router.message(StateFilter(Apply))
    async def wrong_kind_of_answer(message: Message, state: FSMContext) -> None:
        step = (await state.get_data()).get("step") or ""
        await message.answer(wrong_input_hint(step) + " " + _("Or /cancel to stop."))

    return router


async def document_from_message(message: Message, kind: str) -> DocumentRef | None:
    """The file of a message as a document reference, or ``None`` after telling why not."""
    if message.photo:
        photo = message.photo[-1]  # the largest size
        ref = DocumentRef(kind, photo.file_id, photo.file_unique_id, "photo", photo.file_size)
    elif message.document:
        document = message.document
        mime = (document.mime_type or "").lower()
        if mime not in ACCEPTED_MIME_TYPES:
            await message.answer(
                _(
                    "This file type ({type}) is not accepted. Please send a photo, "
                    "a PDF, a JPEG or a PNG."
                ).format(type=h(mime or _("unknown")))
            )
            return None
        ref = DocumentRef(kind, document.file_id, document.file_unique_id, mime, document.file_size)
    else:
        return None
    if ref.file_size is not None and ref.file_size > MAX_FILE_BYTES:
        await message.answer(
            _(
                "The file is {size} MB, more than the 20 MB limit. Please send a smaller "
                "scan or a photo."
            ).format(size=f"{ref.file_size / 1024 / 1024:.1f}")
        )
        return None
    return ref


async def new_file_entry(
    message: Message, same_kind: list[dict[str, Any]], ref: DocumentRef, clock: Clock
) -> dict[str, Any] | None:
    """The stored form of one more page of a document, or ``None`` after telling why not
    (the same file twice, too many pages)."""
    if any(d["file_unique_id"] == ref.file_unique_id for d in same_kind):
        await message.answer(_("This file is already here."))
        return None
    if len(same_kind) >= MAX_PAGES_PER_DOCUMENT:
        await message.answer(
            _("That is {max} files for this document already. Press «Done».").format(
                max=MAX_PAGES_PER_DOCUMENT
            )
        )
        return None
    return {
        "kind": ref.kind,
        "file_id": ref.file_id,
        "file_unique_id": ref.file_unique_id,
        "content_type": ref.content_type,
        "file_size": ref.file_size,
        "added_at": clock.now().isoformat(),
    }


def _deps(deps: dict[str, Any]) -> dict[str, Any]:
    names = ("state", "catalog", "clock", "settings", "applications", "consents")
    return {name: deps[name] for name in names}


def missing_answers(form: dict[str, Any], catalog: Catalog) -> str | None:
    """The first question without an answer (or with one the catalogue no longer allows)."""
    for step in ("full_name", "birth_date", "phone", "education_base", "average_score"):
        if not form.get(step):
            return step
    allowed = set(allowed_specialties(catalog, form.get("education_base")))
    codes = form.get("specialties") or []
    if not codes or any(code not in allowed for code in codes):
        return "specialties"
    for step in ("dormitory", "channel"):
        if form.get(step) is None:
            return step
    return None


def to_application_data(form: dict[str, Any]) -> ApplicationData:
    return ApplicationData(
        full_name=form["full_name"],
        birth_date=date.fromisoformat(form["birth_date"]),
        phone=form["phone"],
        email=form.get("email"),
        education_base=int(form["education_base"]),
        average_score=Decimal(form["average_score"]),
        specialties=tuple(form["specialties"]),
        dormitory=bool(form["dormitory"]),
        channel=form["channel"],
        minor=bool(form.get("minor")),
    )


def staff_recipients(settings: Settings) -> list[int]:
    if settings.admission_chat_id is not None:
        return [settings.admission_chat_id]
    return sorted(settings.admin_ids)


def staff_notices(settings: Settings) -> list[Notice]:
    return [
        Notice(
            chat_id=chat_id,
            kind="staff_application",
            key=f"staff:{{application_id}}:{chat_id}",
            payload={},
        )
        for chat_id in staff_recipients(settings)
    ]
