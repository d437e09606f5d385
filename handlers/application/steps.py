"""The form as data: one row per step, in the order asked.

A row names the state that asks it and says how its question reads (lines, the answer given so
far, buttons and their layout, or a screen of its own), how a typed answer is taken (a parser
of ``bot/domain/validation.py``), the hint for each error code that parser raises, whether the
answer is needed to submit, and its button on the review. ``question()`` renders any row; the
handlers look up the row of the dialogue's state and ask ``ORDER`` what comes next. Adding a
step is adding a row here and its state in ``handlers/states.py`` (and a handler for an answer
given by button). The functions taking typed answers live in ``typed.py``, the hints in
``hints.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from aiogram.fsm.state import State
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.applications import document_steps
from bot.domain.catalog import Catalog
from bot.domain.draft import Draft
from bot.domain.validation import Invalid
from handlers.application.hints import (
    DATE_HINTS,
    EMAIL_HINTS,
    NAME_HINTS,
    PHONE_HINTS,
    SCORE_HINTS,
    Hint,
)
from handlers.application.screens import (
    allowed_specialties,
    documents_screen,
    nav_row,
    specialties_screen,
)
from handlers.application.typed import (
    Taken,
    take_birth_date,
    take_email,
    take_full_name,
    take_phone,
    take_score,
)
from handlers.application_texts import checklist_lines, summary_lines
from handlers.callbacks import FormAction, FormCb
from handlers.states import Apply
from handlers.ui import fmt_phone, fmt_score, h

Screen = tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]


def _no_lines(draft: Draft) -> list[str]:
    return []


def _nothing(draft: Draft) -> str | None:
    return None


def _no_buttons(draft: Draft) -> list[tuple[str, FormCb]]:
    return []


@dataclass(frozen=True, eq=False)
class Step:
    state: State
    lines: Callable[[Draft], list[str]] = _no_lines  # the question: its title and help
    current: Callable[[Draft], str | None] = _nothing  # the answer given so far, as shown
    buttons: Callable[[Draft], list[tuple[str, FormCb]]] = _no_buttons  # answers by button
    layout: tuple[int, ...] = (2,)  # buttons per row, Back and Cancel included
    back: bool = True
    cancel: bool = True
    numbered: bool = True  # «Step n of N»
    asked: bool = True  # False: not asked in the flow, only changed from the review
    reply: Callable[[], ReplyKeyboardMarkup] | None = None  # a reply keyboard instead of buttons
    screen: Callable[[Draft, Catalog, list[str]], tuple[str, InlineKeyboardMarkup]] | None = None
    take: Callable[[Draft, str, date], Taken] | None = None  # a typed answer; raises Invalid
    hints: Mapping[str, Hint] = field(default_factory=dict)  # error code → hint
    try_again: bool = True  # «Please try again.» after the hint
    wrong_input: Callable[[], str] | None = None  # said to a message of the wrong kind
    answered: Callable[[Draft, Catalog], bool] | None = None  # None: not a question
    required: bool = False  # needed to submit
    edit_label: Callable[[], str] | None = None  # its button on the review

    @property
    def name(self) -> str:
        return str(self.state.state).rpartition(":")[2]


def phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Share my number"), request_contact=True)],
            [KeyboardButton(text=_("⬅️ Back")), KeyboardButton(text=_("✖️ Cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def hint_for(step: Step, error: Invalid) -> str:
    render = step.hints.get(error.code)
    return render(error.params) if render else _("Please check the answer and try again.")


def _choice(action: FormAction, value: str) -> FormCb:
    return FormCb(action=action, value=value)


def _specialties_answered(draft: Draft, catalog: Catalog) -> bool:
    allowed = set(allowed_specialties(catalog, draft.education_base))
    return bool(draft.specialties) and all(code in allowed for code in draft.specialties)


# --- the table ------------------------------------------------------------------------------

FULL_NAME = Step(
    Apply.full_name,
    lines=lambda d: [
        _("<b>Your full name</b>"),
        _("Surname, first name and patronymic, as in the passport."),
        _("Example: Ivanova Anna Sergeevna"),
    ],
    current=lambda d: d.full_name,
    take=take_full_name,
    hints=NAME_HINTS,
    answered=lambda d, c: bool(d.full_name),
    required=True,
    edit_label=lambda: _("✏️ Name"),
)
BIRTH_DATE = Step(
    Apply.birth_date,
    lines=lambda d: [
        _("<b>Date of birth</b>"),
        _("As DD.MM.YYYY, for example 05.03.2010."),
        _("Under 18? A parent's consent will be needed: the bot will tell you how."),
    ],
    current=lambda d: d.birth_date.strftime("%d.%m.%Y") if d.birth_date else None,
    take=take_birth_date,
    hints=DATE_HINTS,
    answered=lambda d, c: d.birth_date is not None,
    required=True,
    edit_label=lambda: _("✏️ Date of birth"),
)
PHONE = Step(
    Apply.phone,
    lines=lambda d: [
        _("<b>Your phone number</b>"),
        _("Press «📱 Share my number» below, or type it: +7 913 123-45-67."),
    ],
    current=lambda d: fmt_phone(d.phone) if d.phone else None,
    reply=phone_keyboard,
    take=take_phone,
    hints=PHONE_HINTS,
    try_again=False,
    answered=lambda d, c: bool(d.phone),
    required=True,
    edit_label=lambda: _("✏️ Phone"),
)
# Not asked: the committee reaches applicants by phone and here. Whoever wants to give an
# e-mail adds it from the review.
EMAIL = Step(
    Apply.email,
    lines=lambda d: [_("<b>E-mail</b> (optional)"), _("Type it, or press «No e-mail».")],
    current=lambda d: d.email,
    buttons=lambda d: [(_("No e-mail"), FormCb(action=FormAction.email_skip))],
    layout=(1, 2),
    asked=False,
    numbered=False,
    take=take_email,
    hints=EMAIL_HINTS,
    edit_label=lambda: _("✏️ E-mail"),
)
EDUCATION_BASE = Step(
    Apply.education_base,
    lines=lambda d: [_("<b>Your education when you apply</b>")],
    buttons=lambda d: [
        (_("After 9 classes"), _choice(FormAction.base, "9")),
        (_("After 11 classes"), _choice(FormAction.base, "11")),
    ],
    layout=(2, 2),
    answered=lambda d, c: d.education_base is not None,
    required=True,
    edit_label=lambda: _("✏️ Education"),
)
AVERAGE_SCORE = Step(
    Apply.average_score,
    lines=lambda d: [
        _("<b>Average score of your certificate</b>"),
        _("From {min} to {max}, for example {example}. Places are given by this score.").format(
            min=fmt_score("2"), max=fmt_score("5"), example=fmt_score("4.25")
        ),
    ],
    current=lambda d: fmt_score(d.average_score) if d.average_score else None,
    take=take_score,
    hints=SCORE_HINTS,
    answered=lambda d, c: d.average_score is not None,
    required=True,
    edit_label=lambda: _("✏️ Score"),
)
SPECIALTIES = Step(
    Apply.specialties,
    screen=specialties_screen,
    answered=_specialties_answered,
    required=True,
    edit_label=lambda: _("✏️ Specialties"),
)
DORMITORY = Step(
    Apply.dormitory,
    lines=lambda d: [_("<b>Do you need a place in a dormitory?</b>")],
    buttons=lambda d: [
        (_("Yes, I need one"), _choice(FormAction.dorm, "1")),
        (_("No"), _choice(FormAction.dorm, "0")),
    ],
    layout=(2, 2),
    answered=lambda d, c: d.dormitory is not None,
    required=True,
    edit_label=lambda: _("✏️ Dormitory"),
)
CHANNEL = Step(
    Apply.channel,
    lines=lambda d: [
        _("<b>How else do you apply?</b>"),
        _("It helps the admission office not to count you twice."),
    ],
    buttons=lambda d: [
        (_("Only here"), _choice(FormAction.channel, "bot")),
        (_("Also on Gosuslugi"), _choice(FormAction.channel, "gosuslugi")),
        (_("Also in person"), _choice(FormAction.channel, "in_person")),
    ],
    layout=(1, 1, 1, 2),
    answered=lambda d, c: d.channel is not None,
    required=True,
    edit_label=lambda: _("✏️ How you apply"),
)
DOCUMENTS = Step(
    Apply.documents,
    screen=documents_screen,
    numbered=False,  # «Document n of N» instead
    wrong_input=lambda: _("Here I need a photo or a PDF of the document, or press «Later»."),
    edit_label=lambda: _("✏️ Documents"),
)


def review_screen(
    draft: Draft, catalog: Catalog, lines: list[str]
) -> tuple[str, InlineKeyboardMarkup]:
    editing_submitted = draft.application_id is not None
    lines = [_("<b>Please check your application</b>"), ""]
    lines += summary_lines(draft, catalog)
    wanted = document_steps(catalog, draft.specialties, bool(draft.minor))
    lines += ["", *checklist_lines(wanted, draft.document_kinds())]
    if not editing_submitted:
        lines += ["", _("Press «Submit» when everything is right, or change any answer.")]
    builder = InlineKeyboardBuilder()
    edits = 0
    for step in ORDER:
        if step.edit_label is None or (editing_submitted and step is DOCUMENTS):
            continue  # the files of a submitted application are added from «My application»
        builder.button(
            text=step.edit_label(), callback_data=FormCb(action=FormAction.edit, value=step.name)
        )
        edits += 1
    if editing_submitted:
        builder.button(text=_("💾 Save changes"), callback_data=FormCb(action=FormAction.submit))
        builder.button(text=_("✖️ Discard changes"), callback_data=FormCb(action=FormAction.cancel))
    else:
        builder.button(text=_("✅ Submit"), callback_data=FormCb(action=FormAction.submit))
        builder.button(text=_("✖️ Cancel"), callback_data=FormCb(action=FormAction.cancel))
    builder.adjust(*([2] * (edits // 2)), *([1] * (edits % 2)), 1, 1)
    return "\n".join(lines), builder.as_markup()


REVIEW = Step(Apply.review, screen=review_screen, numbered=False)

# Asked when a score below 3 was typed, instead of the next question.
SCORE_CONFIRM = Step(
    Apply.score_confirm,
    lines=lambda d: [
        _("An average score of {score} is below {low}. Is that right?").format(
            score=fmt_score(d.pending_score or "0"), low=fmt_score("3")
        )
    ],
    buttons=lambda d: [
        (_("Yes, that is right"), FormCb(action=FormAction.score_ok)),
        (_("No, type it again"), FormCb(action=FormAction.score_redo)),
    ],
    layout=(1,),
    back=False,
    cancel=False,
    numbered=False,
)

# Asked when the date of birth says under 14, instead of the next question.
REPRESENTATIVE = Step(
    Apply.representative,
    lines=lambda d: [
        _(
            "By this date of birth you are under 14: a parent or legal representative applies "
            "for you and gives the consent. Please ask them to go on with this form (with your "
            "data) and confirm below, or type another date."
        )
    ],
    buttons=lambda d: [
        (
            _("✅ I am the parent or legal representative"),
            FormCb(action=FormAction.representative),
        ),
    ],
    layout=(1, 2),
    numbered=False,
    take=take_birth_date,  # or another date typed instead
    hints=DATE_HINTS,
)

ORDER: tuple[Step, ...] = (
    FULL_NAME,
    BIRTH_DATE,
    PHONE,
    EMAIL,
    EDUCATION_BASE,
    AVERAGE_SCORE,
    SPECIALTIES,
    DORMITORY,
    CHANNEL,
    DOCUMENTS,
    REVIEW,
)
BY_STATE: dict[str, Step] = {str(s.state.state): s for s in (*ORDER, SCORE_CONFIRM, REPRESENTATIVE)}
BY_NAME: dict[str, Step] = {s.name: s for s in ORDER}
NUMBERED: tuple[Step, ...] = tuple(s for s in ORDER if s.numbered and s.asked)
TYPED: tuple[Step, ...] = tuple(s for s in (*ORDER, REPRESENTATIVE) if s.take is not None)


def step_of(state: str | None) -> Step | None:
    """The row of the dialogue's state, or ``None`` outside the form's steps."""
    return BY_STATE.get(state or "")


def step_number(step: Step) -> str:
    if step not in NUMBERED:
        return ""
    return _("Step {n} of {total}").format(n=NUMBERED.index(step) + 1, total=len(NUMBERED))


def question(step: Step, draft: Draft, catalog: Catalog) -> Screen:
    """Text and keyboard of a step; the answer given so far is shown when there is one."""
    head = step_number(step)
    lines = [f"<i>{head}</i>"] if head and not draft.editing else []
    if step.screen is not None:
        return step.screen(draft, catalog, lines)
    lines += step.lines(draft)
    shown = step.current(draft)
    if shown:
        lines.append(_("Now: {value}").format(value=h(shown)))
    if step.reply is not None:
        return "\n".join(lines), step.reply()
    builder = InlineKeyboardBuilder()
    for text, data in step.buttons(draft):
        builder.button(text=text, callback_data=data)
    nav_row(builder, back=step.back, cancel=step.cancel)
    builder.adjust(*step.layout)
    return "\n".join(lines), builder.as_markup()


def wrong_input_hint(step: Step | None) -> str:
    if step is not None and step.wrong_input is not None:
        return step.wrong_input()
    if step is not None and step.take is not None:
        return _("Please answer with a text message.")
    return _("Please answer with the buttons below.")


# A side step stands in the order where the question it comes from stands.
ORIGIN: dict[Step, Step] = {REPRESENTATIVE: BIRTH_DATE}


ASKED: tuple[Step, ...] = tuple(s for s in ORDER if s.asked)


def following(step: Step) -> Step:
    """The row asked after ``step`` in the order (a row not asked is skipped)."""
    step = ORIGIN.get(step, step)
    return next(s for s in ORDER[ORDER.index(step) + 1 :] if s.asked)


def previous(step: Step) -> Step:
    if step in ORIGIN:
        return ORIGIN[step]  # back to the question it came from
    before = [s for s in ORDER[: ORDER.index(step)] if s.asked]
    return before[-1] if before else ORDER[0]


def missing_answer(draft: Draft, catalog: Catalog) -> Step | None:
    """The first question needed to submit without an answer (or with one the catalogue no
    longer allows)."""
    for step in ORDER:
        if step.required and step.answered is not None and not step.answered(draft, catalog):
            return step
    return None
