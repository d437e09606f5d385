"""Questions typed outside any dialogue: the answer the catalogue has, shown at once, up to
two «Perhaps you meant…» buttons, and the way to a person.

The search (bot/domain/search.py) only points at what the bot already shows elsewhere (an
FAQ entry, a specialty's card, a college, a section of «How to apply», a list); nothing is
made up here. «Ask the admission office» sends the same text to the questions relay
after one confirmation; the text waits in the dialogue data meanwhile (callback data carries
no free text). A question nothing answers well is recorded for the staff
(db/unanswered.py) and the relay is offered at once.
"""

from __future__ import annotations

import re
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.search import Hit, HowtoSection, ListKind, ReplyKind, Target, TargetKind
from bot.domain.telegram_text import utf16_length
from bot.services.catalog import CatalogService
from db.questions import QuestionRepository
from db.unanswered import UnansweredRepository
from handlers.callbacks import (
    ApplyCb,
    CollegeCb,
    FaqCb,
    HowtoPage,
    MenuCb,
    QuestionAction,
    QuestionCb,
    Section,
    SpecCardCb,
    TypedAction,
    TypedCb,
)
from handlers.colleges import college_text, colleges_screen
from handlers.contacts import contacts_screen, faq_text, short
from handlers.howto import page_text
from handlers.questions import QUESTION_MAX, send_question
from handlers.specialties import button_label, specialty_card_text, specialty_list
from handlers.start import main_menu_text
from handlers.ui import ask_button, current_language, h, home_button_row, main_menu_keyboard, show

# The dialogue data key of the typed question waiting for «Ask the admission office».
PENDING = "typed_question"
# «после 9 класса» / «after 11th grade»: the list of specialties opens with that filter.
_BASE = re.compile(r"(?<!\d)(9|11)(?!\d)")

Rows = list[list[InlineKeyboardButton]]


def _rows(markup: InlineKeyboardMarkup) -> Rows:
    """A screen's buttons without its «Main menu» (the answer puts one last)."""
    home = MenuCb(to=Section.home).pack()
    rows = [[b for b in row if b.callback_data != home] for row in markup.inline_keyboard]
    return [row for row in rows if row]


def _button(text: str, data: Any) -> Rows:
    return [[InlineKeyboardButton(text=text, callback_data=data.pack())]]


def _howto(section: str, catalog: Catalog, clock: Clock) -> str:
    return page_text(HowtoPage(section), catalog, clock)


def answer_screen(
    target: Target, catalog: Catalog, clock: Clock, question: str
) -> tuple[str, Rows] | None:
    """What the bot already shows for ``target``: its text and its own buttons; None if the
    catalogue no longer has it."""
    key = target.key
    if target.kind is TargetKind.faq:
        index = int(key)
        if not 0 <= index < len(catalog.faq):
            return None
        return faq_text(catalog.faq[index], catalog, clock), []
    if target.kind is TargetKind.specialty:
        specialty = catalog.specialty(key)
        if specialty is None:
            return None
        apply = _button(_("📝 Apply"), ApplyCb(code=specialty.code))
        return specialty_card_text(specialty, catalog), apply
    if target.kind is TargetKind.college:
        college = catalog.college(key)
        if college is None:
            return None
        rows: Rows = []
        for specialty in catalog.specialties_of(college.id):
            rows += _button(button_label(specialty), SpecCardCb(code=specialty.code, college=key))
        return college_text(college, catalog), rows
    if target.kind is TargetKind.howto:
        more = _button(_("📋 How to apply"), MenuCb(to=Section.howto))
        return _howto(key, catalog, clock), more
    if target.kind is TargetKind.list and key == ListKind.specialties:
        base = _BASE.search(question)
        text, markup = specialty_list(catalog, 0, "", int(base.group(1)) if base else 0)
        return text, _rows(markup)
    if target.kind is TargetKind.list:
        text, markup = colleges_screen(catalog)
        return text, _rows(markup)
    if target.kind is TargetKind.contacts:
        text, markup = contacts_screen(catalog)
        ask = QuestionCb(action=QuestionAction.ask).pack()  # the answer has its own
        return text, [row for row in _rows(markup) if row[0].callback_data != ask]
    return main_menu_text(catalog), _rows(main_menu_keyboard())


def suggestion(target: Target, catalog: Catalog) -> Rows:
    """A «Perhaps you meant…» button: it opens the screen that holds ``target``."""
    lang = current_language()
    key = target.key
    if target.kind is TargetKind.faq:
        index = int(key)
        if not 0 <= index < len(catalog.faq):
            return []
        return _button("❓ " + short(catalog.faq[index].question.get(lang)), FaqCb(index=index))
    if target.kind is TargetKind.specialty:
        specialty = catalog.specialty(key)
        return _button(button_label(specialty), SpecCardCb(code=key)) if specialty else []
    if target.kind is TargetKind.college:
        college = catalog.college(key)
        return _button(college.short_name.get(lang), CollegeCb(id=key)) if college else []
    labels = {
        Target(TargetKind.howto, HowtoSection.dates): _("📅 Admission dates"),
        Target(TargetKind.howto, HowtoSection.documents): _("📄 Documents for admission"),
        Target(TargetKind.howto, HowtoSection.ranking): _("🏆 How places are given"),
        Target(TargetKind.howto, HowtoSection.gosuslugi): _("🌐 Applying on Gosuslugi"),
        Target(TargetKind.list, ListKind.specialties): _("🎓 Specialties"),
        Target(TargetKind.list, ListKind.colleges): _("🏫 Colleges"),
        Target(TargetKind.contacts): _("❓ Questions and contacts"),
        Target(TargetKind.cluster): _("ℹ️ About the cluster"),
    }
    sections = {
        TargetKind.howto: Section.howto,
        TargetKind.list: Section.specialties if key == ListKind.specialties else Section.colleges,
        TargetKind.contacts: Section.contacts,
        TargetKind.cluster: Section.home,
    }
    label = labels.get(target)
    return _button(label, MenuCb(to=sections[target.kind])) if label else []


def ask_row(text: str, typed_id: int) -> Rows:
    """«Ask the admission office» for this text (or the empty prompt, when it is too long
    to be a question as it is)."""
    builder = InlineKeyboardBuilder()
    if utf16_length(text) <= QUESTION_MAX:
        builder.button(
            text=_("✍️ Ask the admission office"),
            callback_data=TypedCb(action=TypedAction.ask, id=typed_id),
        )
    else:
        ask_button(builder)
    return builder.export()


def keyboard(*parts: Rows) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    home_button_row(builder)
    rows = [row for part in parts for row in part]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, *builder.export()])


async def answer_typed(
    message: Message,
    state: FSMContext,
    text: str,
    *,
    catalog: Catalog,
    catalogs: CatalogService,
    clock: Clock,
    unanswered: UnansweredRepository,
) -> None:
    """Answer a question typed outside any dialogue."""
    index = await catalogs.search_index(catalog)
    reply = index.ask(text)
    if reply.kind is ReplyKind.greeting:
        await message.answer(
            _("Hello! Type your question, for example “when to apply”, or choose a section:"),
            reply_markup=main_menu_keyboard(),
        )  # fmt: skip
        return
    if reply.kind is ReplyKind.thanks:
        await message.answer(
            _("You are welcome! Type if you have another question, or choose a section:"),
            reply_markup=main_menu_keyboard(),
        )
        return
    if reply.kind is ReplyKind.empty:
        await message.answer(
            _("Type your question in words, for example “how many state-funded places”, or use "
              "the buttons below and the commands /menu and /help."),
            reply_markup=main_menu_keyboard(),
        )  # fmt: skip
        return
    best = reply.best
    screen = answer_screen(best.target, catalog, clock, text) if best else None
    typed_id = message.message_id
    pending: dict[str, Any] = {"id": typed_id, "text": text, "unanswered": 0}
    if reply.kind is ReplyKind.answer and best is not None and screen is not None:
        body, own = screen
        others = _suggestions(reply.hits[1:], catalog)
        if others:
            body += "\n\n" + _("<i>Perhaps you meant:</i>")
        await state.update_data({PENDING: pending})
        await message.answer(body, reply_markup=keyboard(own, others, ask_row(text, typed_id)))
        return
    pending["unanswered"] = await unanswered.record(
        message.chat.id, text, reply.normalized, current_language(), clock.now()
    )
    await state.update_data({PENDING: pending})
    others = _suggestions(reply.hits, catalog)
    if others:
        lines = [
            _("I am not sure I understood. Perhaps you meant one of the buttons below."),
            _("Or I can pass your question to the admission office: the answer will come "
              "here, in this chat."),
        ]  # fmt: skip
        markup = keyboard(others, ask_row(text, typed_id))
    else:  # the relay at once, and the sections
        lines = [
            _("I have no answer to this."),
            _("I can pass your question to the admission office: the answer will come here, "
              "in this chat. Or choose a section: /menu"),
        ]  # fmt: skip
        markup = InlineKeyboardMarkup(
            inline_keyboard=[*ask_row(text, typed_id), *main_menu_keyboard().inline_keyboard]
        )
    await message.answer("\n\n".join(lines), reply_markup=markup)


def _suggestions(hits: tuple[Hit, ...], catalog: Catalog) -> Rows:
    rows: Rows = []
    for hit in hits:
        rows += suggestion(hit.target, catalog)
        if len(rows) == 2:
            break
    return rows


def confirm_text(text: str) -> str:
    return "\n\n".join(
        [
            _("<b>Send this question to the admission office?</b>"),
            "«" + h(text) + "»",
            _("The answer will come here, in this chat. Do not send passport or SNILS numbers."),
        ]
    )


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(TypedCb.filter(F.action == TypedAction.ask))
    async def ask(
        callback: CallbackQuery,
        callback_data: TypedCb,
        state: FSMContext,
        callback_answer: CallbackAnswer,
    ) -> None:
        pending = waiting(await state.get_data(), callback_data)
        if pending is None:
            await outdated(callback, callback_answer)
            return
        typed_id = callback_data.id
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("✅ Send"), callback_data=TypedCb(action=TypedAction.send, id=typed_id)
        )
        builder.button(
            text=_("✖️ Cancel"), callback_data=TypedCb(action=TypedAction.cancel, id=typed_id)
        )
        builder.adjust(2)
        await show(callback, confirm_text(pending["text"]), builder.as_markup())

    @router.callback_query(TypedCb.filter(F.action == TypedAction.send))
    async def send(
        callback: CallbackQuery,
        callback_data: TypedCb,
        state: FSMContext,
        callback_answer: CallbackAnswer,
        unanswered: UnansweredRepository,
        settings: Settings,
        questions: QuestionRepository,
        clock: Clock,
    ) -> None:
        data = await state.get_data()
        pending = waiting(data, callback_data)
        if pending is None:  # sent already (a second press), a newer question, or /start
            await outdated(callback, callback_answer)
            return
        del data[PENDING]
        await state.set_data(data)
        user_id = callback.from_user.id
        number = await send_question(
            callback,
            user_id,
            "text",
            pending["text"],
            None,
            state,
            settings=settings,
            questions=questions,
            clock=clock,
        )
        if number is not None and pending.get("unanswered"):
            await unanswered.relayed(int(pending["unanswered"]), user_id, number)

    @router.callback_query(TypedCb.filter(F.action == TypedAction.cancel))
    async def cancel(
        callback: CallbackQuery, callback_data: TypedCb, state: FSMContext, catalog: Catalog
    ) -> None:
        data = await state.get_data()
        if waiting(data, callback_data) is not None:
            del data[PENDING]
            await state.set_data(data)
        await show(
            callback, _("Not sent.") + "\n\n" + main_menu_text(catalog), main_menu_keyboard()
        )

    return router


def waiting(data: dict[str, Any], callback_data: TypedCb) -> dict[str, Any] | None:
    """The typed question the pressed button belongs to, if it is still the one waiting."""
    pending = data.get(PENDING)
    if isinstance(pending, dict) and pending.get("id") == callback_data.id:
        return pending
    return None


async def outdated(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """The typed question is no longer waiting: offer to type one anew."""
    callback_answer.text = _("This button is out of date.")
    builder = InlineKeyboardBuilder()
    ask_button(builder)
    home_button_row(builder)
    builder.adjust(1)
    await show(
        callback,
        _("Type your question again, or ask the admission office here:"),
        builder.as_markup(),
    )
