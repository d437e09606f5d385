"""The form as data: one row per step, in the order asked.

A row names the state that asks it and says how its question reads (lines, the answer given so
far, buttons and their layout, or a screen of its own), how a typed answer is taken (a parser
of ``bot/domain/validation.py``), the hint for each error code that parser raises, whether the
answer is needed to submit, and its button on the review. ``question()`` renders any row; the
handlers look up the row of the dialogue's state and ask ``ORDER`` what comes next. Adding a
step is adding a row here and its state in ``handlers/states.py`` (and a handler for an answer
given by button).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from aiogram.fsm.state import State
from aiogram.types import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.applications import document_steps, is_minor, representative_applies
from bot.domain.catalog import Catalog
from bot.domain.draft import Draft
from bot.domain.validation import (
    AGE_MIN,
    Invalid,
    is_skip,
    parse_birth_date,
    parse_email,
    parse_full_name,
    parse_phone,
    parse_score,
    score_is_low,
)
from handlers.application.screens import (
    allowed_specialties,
    documents_screen,
    nav_row,
    specialties_screen,
)
from handlers.application_texts import checklist_lines, summary_lines
from handlers.callbacks import FormAction, FormCb
from handlers.states import Apply
from handlers.ui import fmt_phone, fmt_score, h

Screen = tuple[str, InlineKeyboardMarkup | ReplyKeyboardMarkup]
Hint = Callable[[Mapping[str, object]], str]


@dataclass(frozen=True)
class Taken:
    """A typed answer taken into the draft."""

    draft: Draft
    said: str | None = None  # told at once, in a message of its own
    detour: State | None = None  # asked instead of the next step (a low score to confirm)


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


# --- how typed answers are taken ------------------------------------------------------------


def take_full_name(draft: Draft, text: str, today: date) -> Taken:
    return Taken(draft.model_copy(update={"full_name": parse_full_name(text)}))


def take_birth_date(draft: Draft, text: str, today: date) -> Taken:
    """The date of birth; under 18 is derived from it (a parent's consent is needed), under 14
    the representative confirms first that they apply."""
    birth = parse_birth_date(text, today)
    if representative_applies(birth, today) and not draft.representative:
        # Under 14 nobody applies alone (ГК РФ ст. 28): the representative confirms first.
        return Taken(
            draft.model_copy(update={"pending_birth_date": birth}), detour=Apply.representative
        )
    minor = is_minor(birth, today)
    draft = draft.model_copy(update={"birth_date": birth, "minor": minor})
    if minor:
        return Taken(draft, said=minor_notice())
    return Taken(draft)


def minor_notice() -> str:
    return _(
        "You are under 18, so a parent or legal representative also signs a consent to the "
        "processing of your data. You can send a photo of it with the documents, or the college "
        "will ask for it."
    )


def take_phone(draft: Draft, text: str, today: date) -> Taken:
    phone = parse_phone(text)
    said = _("Phone number: {phone} ✅").format(phone=fmt_phone(phone))
    return Taken(draft.model_copy(update={"phone": phone}), said=said)


def take_email(draft: Draft, text: str, today: date) -> Taken:
    email = "" if is_skip(text) else parse_email(text)
    return Taken(draft.model_copy(update={"email": email}))


def take_score(draft: Draft, text: str, today: date) -> Taken:
    score = parse_score(text)
    if score_is_low(score):
        return Taken(draft.model_copy(update={"pending_score": score}), detour=Apply.score_confirm)
    return Taken(draft.model_copy(update={"average_score": score, "pending_score": None}))


def phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Share my number"), request_contact=True)],
            [KeyboardButton(text=_("⬅️ Back")), KeyboardButton(text=_("✖️ Cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


# --- the hints, by error code ---------------------------------------------------------------


def _count(value: object) -> int:
    """A number among an error's parameters, for the plural form of its hint."""
    return value if isinstance(value, int) else 0


NAME_HINTS: dict[str, Hint] = {
    "name_empty": lambda p: _("Please type your full name."),
    "name_chars": lambda p: _(
        "The name can contain only letters, spaces, hyphens and apostrophes; "
        "«{char}» is not allowed."
    ).format(char=h(str(p.get("char", "")))),
    "name_words": lambda p: _(
        "Please type your surname, first name and patronymic (if you have one): from 2 to 4 words."
    ),
    "name_length": lambda p: ngettext(
        "The name is too long: at most {max} character.",
        "The name is too long: at most {max} characters.",
        _count(p.get("max")),
    ).format(max=p.get("max")),
    "name_punctuation": lambda p: _(
        "A hyphen or an apostrophe may only join letters, as in «Римский-Корсаков»."
    ),
    "name_mixed_alphabet": lambda p: _(
        "A word mixes Russian and Latin letters. Please type the name in one alphabet."
    ),
}
DATE_HINTS: dict[str, Hint] = {
    "date_format": lambda p: _("Please type the date as DD.MM.YYYY, for example 05.03.2010."),
    "date_unreal": lambda p: _("There is no such date. Please check the day and the month."),
    "date_future": lambda p: _("This date is in the future. Please check the year."),
    "age_range": lambda p: age_hint(_count(p.get("age"))),
}


def age_hint(age: int) -> str:
    """Why an age is not taken: too young for a college, or a year that looks mistyped."""
    if age < AGE_MIN:
        return ngettext(
            "By this date you are {age} year old. Colleges admit after 9 classes, usually at "
            "15 or 16. Please check the year of birth.",
            "By this date you are {age} years old. Colleges admit after 9 classes, usually at "
            "15 or 16. Please check the year of birth.",
            age,
        ).format(age=age)
    return ngettext(
        "By this date you are {age} year old: that looks like a mistyped year. Please check "
        "it. If it is right, please apply at the college in person.",
        "By this date you are {age} years old: that looks like a mistyped year. Please check "
        "it. If it is right, please apply at the college in person.",
        age,
    ).format(age=age)


PHONE_HINTS: dict[str, Hint] = {
    "phone_format": lambda p: _(
        "Please type a phone number like +7 913 123-45-67 or 8 913 123 45 67, "
        "or press «Share my number»."
    ),
    "phone_invalid": lambda p: _("This number does not exist. Please check the digits."),
    "phone_not_russian": lambda p: _("Please give a Russian phone number (+7, 10 digits)."),
}
EMAIL_HINTS: dict[str, Hint] = {
    "email": lambda p: _(
        "This does not look like an e-mail address (name@example.ru). Please type it again."
    ),
}
SCORE_HINTS: dict[str, Hint] = {
    "score_format": lambda p: _(
        "Please type the average score as a number, for example {score}."
    ).format(score=fmt_score("4.25")),
    "score_range": lambda p: _("The average score is from {min} to {max}.").format(
        min=fmt_score(str(p.get("min", "2.00"))), max=fmt_score(str(p.get("max", "5.00")))
    ),
    "score_decimals": lambda p: _(
        "The certificate gives the average score with two decimals at most. Please type it "
        "rounded: {score}."
    ).format(score=fmt_score(str(p.get("rounded", "0")))),
}


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
        _("It helps the admission committee not to count you twice."),
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
