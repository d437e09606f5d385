"""A staff answer turned into an FAQ entry: «➕ To the FAQ» under the confirmation of an answer.

The entry is the question as the asker typed it (the staff may reword it: applicants will read
it, so nothing personal may stay in it) and the staff's answer; then its English version, or
Russian only (English readers get the Russian text with a note). It goes into a new catalogue
version, recorded with who and when (bot/services/catalog.py), and the search answers it at
once: the index is built per catalogue version. The dialogue runs in the private chat, also
when the button is pressed in the admission group.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.domain.telegram_text import truncate_utf16
from bot.services.catalog import FROM_ANSWER, RUSSIAN_ONLY, CatalogService, has_faq_question
from bot.services.questions import visible_question
from db.applications import ApplicationRepository
from db.questions import Answer, QuestionRepository
from handlers.callbacks import FaqAction, FaqNewCb
from handlers.staff.questions import NO_PRIVATE_CHAT, private_context
from handlers.states import FaqForm
from handlers.ui import alert, h, show

TEXT_MAX = 2000  # a text of an FAQ entry (bot/domain/catalog.py ``Text``), in characters
PREVIEW_MAX = 1200  # the question and the answer on the prompt, so that it fits a message
ANSWER_KEY, QUESTION_KEY = "faq_answer", "faq_question"


def prompt(question: str, answer: str) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join(
        [
            _("<b>New FAQ entry</b>"),
            _("Question: «{text}»").format(text=h(truncate_utf16(question, PREVIEW_MAX))),
            _("Answer: «{text}»").format(text=h(truncate_utf16(answer, PREVIEW_MAX))),
            "",
            _(
                "Applicants will read the question as it is written here: take out names, "
                "phone numbers and anything personal («✏️ Reword the question»)."
            ),
            "",
            _(
                "Now send the English version: the question on the first line, the answer "
                "below it. Or keep the entry in Russian only: English readers get the Russian "
                "text with a note."
            ),
        ]
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🇷🇺 Russian only"), callback_data=FaqNewCb(action=FaqAction.russian))
    builder.button(text=_("✏️ Reword the question"), callback_data=FaqNewCb(action=FaqAction.reword))
    builder.button(text=_("✖️ Cancel"), callback_data=FaqNewCb(action=FaqAction.cancel))
    builder.adjust(1)
    return text, builder.as_markup()


def reword_prompt() -> str:
    return _("Type the question as applicants will read it in the FAQ (in Russian), or /cancel.")


async def leave(state: FSMContext) -> None:
    """Out of the FAQ dialogue; other data (an unfinished application) is kept."""
    data = await state.get_data()
    for key in (ANSWER_KEY, QUESTION_KEY):
        data.pop(key, None)
    await state.set_data(data)
    await state.set_state(None)


async def answer_of(
    answer_id: int,
    scope: Scope,
    questions: QuestionRepository,
    applications: ApplicationRepository,
    catalog: Catalog,
) -> tuple[Answer | None, str]:
    """The answer if its question is still there and the member sees it, or why not."""
    answer = await questions.get_answer(answer_id)
    if answer is None:
        return None, _("This question no longer exists.")
    question = await visible_question(answer.question_id, scope, questions, applications, catalog)
    return (answer, "") if question is not None else (None, _("No access."))


def get_router() -> Router:
    """Inside the staff tree, last: its dialogue steps take whatever a member sends, after the
    tree's commands."""
    router = Router(name=__name__)

    @router.callback_query(FaqNewCb.filter(F.action == FaqAction.new))
    async def new(
        callback: CallbackQuery,
        callback_data: FaqNewCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        bot: Bot,
        scope: Scope,
        questions: QuestionRepository,
        applications: ApplicationRepository,
        catalog: Catalog,
    ) -> None:
        answer, why = await answer_of(callback_data.id, scope, questions, applications, catalog)
        if answer is None:
            alert(callback_answer, why)
            return
        if len(answer.text) > TEXT_MAX:
            alert(
                callback_answer,
                _("The answer is too long for an FAQ entry: at most {limit} characters.").format(
                    limit=TEXT_MAX
                ),
            )
            return
        question = await questions.get(answer.question_id)
        assert question is not None
        wording = question.text.strip()
        user_id = callback.from_user.id
        reword = not wording or len(wording) > TEXT_MAX  # a file without a caption, say
        try:
            if reword:
                await bot.send_message(user_id, reword_prompt())
            else:
                text, markup = prompt(wording, answer.text)
                await bot.send_message(user_id, text, reply_markup=markup)
        except NO_PRIVATE_CHAT:
            alert(callback_answer, _("Open a private chat with the bot first."))
            return
        private = private_context(state, bot, user_id)
        await private.update_data({ANSWER_KEY: answer.id, QUESTION_KEY: wording})
        await private.set_state(FaqForm.question if reword else FaqForm.english)

    @router.callback_query(FaqNewCb.filter(F.action == FaqAction.reword), StateFilter(FaqForm))
    async def reword(callback: CallbackQuery, state: FSMContext) -> None:
        await state.set_state(FaqForm.question)
        await show(callback, reword_prompt())

    @router.callback_query(FaqNewCb.filter(F.action == FaqAction.cancel), StateFilter(FaqForm))
    async def cancel(callback: CallbackQuery, state: FSMContext) -> None:
        await leave(state)
        await show(callback, _("Not added to the FAQ."))

    @router.callback_query(FaqNewCb.filter(F.action == FaqAction.russian), StateFilter(FaqForm))
    async def russian_only(
        callback: CallbackQuery,
        state: FSMContext,
        scope: Scope,
        questions: QuestionRepository,
        applications: ApplicationRepository,
        catalogs: CatalogService,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        data = await state.get_data()
        text = await save(data, None, state, callback.from_user.id, scope, questions,
                          applications, catalogs, catalog, clock)  # fmt: skip
        await show(callback, text)

    @router.callback_query(FaqNewCb.filter())
    async def outdated(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
        """A button of an FAQ entry added, cancelled, or replaced by a newer one."""
        alert(callback_answer, _("This button is out of date."))

    @router.message(StateFilter(FaqForm.question))
    async def question_typed(
        message: Message,
        state: FSMContext,
        scope: Scope,
        questions: QuestionRepository,
        applications: ApplicationRepository,
        catalog: Catalog,
    ) -> None:
        text = (message.text or "").strip()
        if not text or text.startswith("/") or len(text) > TEXT_MAX:
            await message.answer(reword_prompt())
            return
        answer_id = int((await state.get_data()).get(ANSWER_KEY) or 0)
        answer, why = await answer_of(answer_id, scope, questions, applications, catalog)
        if answer is None:
            await leave(state)
            await message.answer(why)
            return
        await state.update_data({QUESTION_KEY: text})
        await state.set_state(FaqForm.english)
        prompt_text, markup = prompt(text, answer.text)
        await message.answer(prompt_text, reply_markup=markup)

    @router.message(StateFilter(FaqForm.english))
    async def english_typed(
        message: Message,
        state: FSMContext,
        scope: Scope,
        questions: QuestionRepository,
        applications: ApplicationRepository,
        catalogs: CatalogService,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        question, _newline, answer = (message.text or "").strip().partition("\n")
        question, answer = question.strip(), answer.strip()
        if not question or not answer or question.startswith("/"):
            await message.answer(
                _(
                    "Send the English version as text: the question on the first line, the "
                    "answer below it. Or press «🇷🇺 Russian only», or /cancel."
                )
            )
            return
        data = await state.get_data()
        english = (question, answer)
        text = await save(data, english, state, message.chat.id, scope, questions, applications,
                          catalogs, catalog, clock)  # fmt: skip
        await message.answer(text)

    return router


async def save(
    data: dict[str, Any],
    english: tuple[str, str] | None,
    state: FSMContext,
    user_id: int,
    scope: Scope,
    questions: QuestionRepository,
    applications: ApplicationRepository,
    catalogs: CatalogService,
    catalog: Catalog,
    clock: Clock,
) -> str:
    """Add the entry; what to tell the staff member."""
    answer, why = await answer_of(
        int(data.get(ANSWER_KEY) or 0), scope, questions, applications, catalog
    )
    if answer is None:
        await leave(state)
        return why
    question = str(data.get(QUESTION_KEY) or "")
    if has_faq_question(await catalogs.current(), question):
        await state.set_state(FaqForm.question)
        return "\n\n".join([_("The FAQ has an entry with this question already."), reword_prompt()])
    if english is None:
        english = (question, f"{RUSSIAN_ONLY}\n\n{answer.text}")
    version, problems = await catalogs.add_faq(
        {"ru": question, "en": english[0]},
        {"ru": answer.text, "en": english[1]},
        source=f"Ответ приёмной комиссии, {clock.today():%d.%m.%Y}",
        origin=f"{FROM_ANSWER}{answer.question_id}",
        by=user_id,
    )
    if version is None:
        lines = [_("<b>Not added</b>: the entry does not fit the catalogue.")]
        lines += [h(str(problem)) for problem in problems[:5]]
        return "\n".join(lines)
    await leave(state)
    return _(
        "✅ <b>Added to the FAQ</b> (catalogue version №{number}). From now on the bot answers "
        "this question itself."
    ).format(number=version)
