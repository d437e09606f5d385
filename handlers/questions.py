"""Questions to the admission committee.

Anyone asks from «Questions and contacts» (text, a photo or a document). The question is
relayed to the staff (the admission chat, or each administrator) with the asker's context
and the tag ``#Q<number>``; a staff member answers with «✍️ Answer» or by replying to the
relay, and the answer reaches the asker in their language. Every staff update re-checks the
role of whoever sent it.
"""

from __future__ import annotations

import logging
import re
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import SendDocument, SendMessage, SendPhoto, TelegramMethod
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.catalog import Catalog
from bot.clock import Clock
from bot.config import Settings
from db.applications import ApplicationRepository
from db.questions import Answer, Question, QuestionRepository
from db.reminders import ReminderRepository
from db.staff import StaffRepository
from db.users import UserRepository
from handlers.application_form import staff_recipients
from handlers.application_texts import status_label
from handlers.staff import StaffCb, scope_of
from handlers.start import main_menu_text
from handlers.ui import current_language, h, home_button_row, main_menu_keyboard, show

log = logging.getLogger(__name__)

QUESTION_MAX = 2000
ANSWER_MAX = 3000
MAX_OPEN = 5  # unanswered questions one person may have at once
LIST_SIZE = 20
PREVIEW = 60
CAPTION_MAX = 1000  # Telegram allows 1024 characters; a margin for how it counts them
# The relay starts with the tag: a reply to it names the question, in any language.
TAG = re.compile(r"#Q(\d+)\b")


class QuestionCb(CallbackData, prefix="q"):
    action: str  # ask | cancel (the asker) · list | open | answer (the staff)
    id: int = 0


class QuestionForm(StatesGroup):
    question = State()
    answer = State()


# --- texts ---------------------------------------------------------------------------------


def tag(question_id: int) -> str:
    return f"#Q{question_id}"


def preview(question: Question, length: int = PREVIEW) -> str:
    text = " ".join(question.text.split())
    if len(text) > length:
        text = text[: length - 1] + "…"
    mark = {"photo": "📷", "document": "📎"}.get(question.content_type)
    return f"{mark} {text}".strip() if mark else text


async def asker_lines(
    user_id: int,
    *,
    users: UserRepository,
    applications: ApplicationRepository,
    reminders: ReminderRepository,
    catalog: Catalog,
) -> list[str]:
    """Who asks: what the staff need to answer well, and no more than the bot already has."""
    lines = [_("Telegram user id: {id}").format(id=user_id)]
    user = await users.get(user_id)
    if user is not None:
        lines.append(_("Language: {language}").format(language=user.language))
    application = await applications.for_user(user_id)
    if application is not None:
        lines.append(
            _("Application {number}: {status}").format(
                number=application.number, status=status_label(application.status)
            )
        )
    student = await reminders.student(user_id)
    if student is not None:
        college = catalog.college(student.college_id)
        name = college.short_name.get(current_language()) if college else student.college_id
        lines.append(
            _("Student: {college}, group {group}").format(
                college=h(name), group=h(student.group_name)
            )
        )
    return lines


def question_text(question: Question, context: list[str], limit: int | None = None) -> str:
    """The question as the staff see it, tag first. With ``limit`` (a caption), the
    question's text is shortened until the whole fits."""
    body = question.text
    while True:
        text = "\n".join(
            [
                tag(question.id)
                + " · "
                + _("❓ <b>Question №{number}</b>").format(number=question.id),
                "",
                h(body) if body else _("(no text)"),
                "",
                *context,
            ]
        )
        over = 0 if limit is None else _plain_length(text) - limit
        if over <= 0 or not body:
            return text
        body = body[: max(0, len(body) - over - 1)] + "…" if len(body) > over + 1 else ""


def _plain_length(html_text: str) -> int:
    """The length Telegram checks: of the text without tags, in UTF-16 code units."""
    return len(unescape(re.sub(r"<[^>]*>", "", html_text)).encode("utf-16-le")) // 2


def answer_button(question_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✍️ Answer"), callback_data=QuestionCb(action="answer", id=question_id))
    return builder.as_markup()


def relay_call(chat_id: int, question: Question, context: list[str]) -> TelegramMethod[Any]:
    """The relay of a question to a staff chat: the file with the question as its caption."""
    markup = answer_button(question.id)
    if question.content_type == "photo" and question.file_id:
        caption = question_text(question, context, CAPTION_MAX)
        return SendPhoto(
            chat_id=chat_id, photo=question.file_id, caption=caption, reply_markup=markup
        )
    if question.content_type == "document" and question.file_id:
        caption = question_text(question, context, CAPTION_MAX)
        return SendDocument(
            chat_id=chat_id, document=question.file_id, caption=caption, reply_markup=markup
        )
    return SendMessage(chat_id=chat_id, text=question_text(question, context), reply_markup=markup)


def answer_message(chat_id: int, question: Question, answer: Answer) -> SendMessage:
    """An answer as the asker gets it, in their language."""
    lines = [
        _("📬 <b>Answer of the admission committee to your question №{number}:</b>").format(
            number=question.id
        ),
        "",
        h(answer.text),
    ]
    if question.text:
        lines += ["", _("Your question: «{text}»").format(text=h(preview(question, 200)))]
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✍️ Ask another question"), callback_data=QuestionCb(action="ask"))
    home_button_row(builder)
    builder.adjust(1)
    return SendMessage(chat_id=chat_id, text="\n".join(lines), reply_markup=builder.as_markup())


def prompt_text() -> str:
    return "\n\n".join(
        [
            _("<b>Question to the admission committee</b>"),
            _(
                "Type your question in one message. You can also send a photo or a document "
                "with a caption. The answer will come here, in this chat."
            ),
            _(
                "⚠️ Do not send passport or SNILS numbers, or photos of your documents here: "
                "documents go with the application (the «Apply» section)."
            ),
        ]
    )


def too_many_text() -> str:
    return _(
        "You already have {count} questions waiting for an answer. Please wait for the "
        "answers before asking more: the admission committee will reply here."
    ).format(count=MAX_OPEN)


async def unanswered_screen(
    questions: QuestionRepository, tz: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup]:
    """The staff panel's list of unanswered questions, the oldest first."""
    total = await questions.count_unanswered()
    items = await questions.unanswered(LIST_SIZE)
    lines = [_("<b>Unanswered questions: {count}</b>").format(count=total)]
    if items:
        lines.append(_("The oldest first:"))
    else:
        lines.append(_("None."))
    builder = InlineKeyboardBuilder()
    for question in items:
        asked = question.asked_at.astimezone(tz).strftime("%d.%m %H:%M")
        lines.append(f"№{question.id} · {asked} · {h(preview(question))}")
        builder.button(
            text=f"№{question.id}", callback_data=QuestionCb(action="open", id=question.id)
        )
    builder.adjust(4)
    builder.row(
        InlineKeyboardButton(text=_("⬅️ Panel"), callback_data=StaffCb(action="panel").pack())
    )
    return "\n".join(lines), builder.as_markup()


def card_keyboard(question: Question) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✍️ Answer"), callback_data=QuestionCb(action="answer", id=question.id))
    builder.button(text=_("⬅️ Questions"), callback_data=QuestionCb(action="list"))
    builder.adjust(1)
    return builder.as_markup()


# --- replies to a relay ------------------------------------------------------------------


def relayed_question(message: Message, bot: Bot) -> dict[str, int] | bool:
    """A reply to a question the bot relayed: ``question_id`` from the tag it starts with."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot.id:
        return False
    match = TAG.match(replied.text or replied.caption or "")
    return {"question_id": int(match.group(1))} if match else False


def in_admission_chat(message: Message, settings: Settings) -> bool:
    return settings.admission_chat_id is not None and message.chat.id == settings.admission_chat_id


def answer_problem(text: str) -> str | None:
    """Why a staff member's text cannot be sent as an answer, or None."""
    if not text or text.startswith("/"):
        return _("Type the answer as text, or /cancel.")
    if len(text) > ANSWER_MAX:
        return _("The answer is too long: {count} characters, at most {limit}.").format(
            count=len(text), limit=ANSWER_MAX
        )
    return None


async def send_answer(
    message: Message, question_id: int, text: str, questions: QuestionRepository, clock: Clock
) -> None:
    """Store the answer, queue it for the asker, confirm to the staff member."""
    staff_id = message.from_user.id if message.from_user else message.chat.id
    answer = await questions.answer(question_id, staff_id, text, clock.now())
    if answer is None:
        await message.reply(_("This question no longer exists."))
        return
    done = _("✅ The answer to question №{number} is sent to the asker.").format(number=question_id)
    if message.chat.type == "private":
        builder = InlineKeyboardBuilder()
        builder.button(text=_("❓ Unanswered questions"), callback_data=QuestionCb(action="list"))
        await message.answer(done, reply_markup=builder.as_markup())
    else:
        await message.reply(done)


async def leave(state: FSMContext) -> None:
    """Out of the question states; other data (an unfinished application) is kept."""
    data = await state.get_data()
    if "answer_question_id" in data:
        del data["answer_question_id"]
        await state.set_data(data)
    await state.set_state(None)


# --- routers ---------------------------------------------------------------------------------


def get_router() -> Router:
    router = Router(name=__name__)

    # The asker -------------------------------------------------------------------------

    @router.callback_query(QuestionCb.filter(F.action == "ask"))
    async def ask(
        callback: CallbackQuery, state: FSMContext, questions: QuestionRepository
    ) -> None:
        if await questions.open_count(callback.from_user.id) >= MAX_OPEN:
            builder = InlineKeyboardBuilder()
            home_button_row(builder)
            await show(callback, too_many_text(), builder.as_markup())
            await callback.answer()
            return
        await state.set_state(QuestionForm.question)
        builder = InlineKeyboardBuilder()
        builder.button(text=_("✖️ Cancel"), callback_data=QuestionCb(action="cancel"))
        await show(callback, prompt_text(), builder.as_markup())
        await callback.answer()

    @router.callback_query(QuestionCb.filter(F.action == "cancel"))
    async def cancel(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
        if await state.get_state() == QuestionForm.question.state:
            await leave(state)
        await show(callback, main_menu_text(catalog), main_menu_keyboard())
        await callback.answer()

    async def submit(
        message: Message,
        state: FSMContext,
        deps: dict[str, Any],
        content_type: str,
        text: str,
        file_id: str | None = None,
    ) -> None:
        settings: Settings = deps["settings"]
        questions: QuestionRepository = deps["questions"]
        clock: Clock = deps["clock"]
        recipients = staff_recipients(settings)
        if not recipients:
            log.warning("a question came, but neither ADMISSION_CHAT_ID nor ADMIN_IDS is set")
        number = await questions.ask(
            message.chat.id, content_type, text, file_id, clock.now(), recipients, max_open=MAX_OPEN
        )
        await leave(state)
        if number is None:
            await message.answer(too_many_text(), reply_markup=main_menu_keyboard())
            return
        await message.answer(
            _(
                "✅ Question №{number} is sent to the admission committee. The answer will come "
                "here, in this chat."
            ).format(number=number)
            + "\n\n"
            + _("Choose a section:"),
            reply_markup=main_menu_keyboard(),
        )

    # Staff ---------------------------------------------------------------------------------

    @router.message(relayed_question)
    async def reply_in_private(
        message: Message,
        question_id: int,
        settings: Settings,
        staff: StaffRepository,
        questions: QuestionRepository,
        clock: Clock,
    ) -> None:
        if await scope_of(message.chat.id, settings, staff) is None:
            await message.answer(_("No access."))
            return
        text = (message.text or "").strip()
        problem = answer_problem(text)
        if problem is not None:
            await message.answer(problem)
            return
        await send_answer(message, question_id, text, questions, clock)

    # The asker's question (after the replies: a reply to a relay is an answer) -------------

    @router.message(StateFilter(QuestionForm.question), F.text)
    async def typed(message: Message, state: FSMContext, **deps: Any) -> None:
        text = (message.text or "").strip()
        if not text or text.startswith("/"):
            await message.answer(_("Type your question as a message, or /cancel."))
            return
        if len(text) > QUESTION_MAX:
            await message.answer(
                _("The question is too long: {count} characters, at most {limit}.").format(
                    count=len(text), limit=QUESTION_MAX
                )
            )
            return
        await submit(message, state, deps, "text", text)

    @router.message(StateFilter(QuestionForm.question), F.photo)
    async def photo(message: Message, state: FSMContext, **deps: Any) -> None:
        assert message.photo
        caption = (message.caption or "").strip()[:QUESTION_MAX]
        await submit(message, state, deps, "photo", caption, message.photo[-1].file_id)

    @router.message(StateFilter(QuestionForm.question), F.document)
    async def document(message: Message, state: FSMContext, **deps: Any) -> None:
        assert message.document
        caption = (message.caption or "").strip()[:QUESTION_MAX]
        await submit(message, state, deps, "document", caption, message.document.file_id)

    @router.message(StateFilter(QuestionForm.question))
    async def unreadable(message: Message) -> None:
        await message.answer(
            _(
                "I can pass on text, a photo or a document, not this. Type your question, "
                "or /cancel."
            )
        )

    @router.callback_query(QuestionCb.filter(F.action.in_({"list", "open", "answer"})))
    async def staff_button(
        callback: CallbackQuery,
        callback_data: QuestionCb,
        state: FSMContext,
        bot: Bot,
        settings: Settings,
        staff: StaffRepository,
        questions: QuestionRepository,
        **deps: Any,
    ) -> None:
        user_id = callback.from_user.id
        if await scope_of(user_id, settings, staff) is None:
            await callback.answer(_("No access."), show_alert=True)
            return
        if callback_data.action == "list":
            await show(callback, *await unanswered_screen(questions, settings.tz))
            await callback.answer()
            return
        question = await questions.get(callback_data.id)
        if question is None:
            await callback.answer(_("This question no longer exists."), show_alert=True)
            return
        if callback_data.action == "open":
            await show(
                callback,
                await card_text(question, questions, deps, settings.tz),
                card_keyboard(question),
            )
            await callback.answer()
            if question.file_id:  # the file itself, tagged: a reply to it answers too
                await bot(relay_call(user_id, question, []))
            return
        # «Answer»: the answer is typed in the private chat, also when pressed in the group.
        try:
            await bot.send_message(
                user_id,
                _("Question №{number}: type the answer for the asker, or /cancel.").format(
                    number=question.id
                ),
            )
        except (TelegramForbiddenError, TelegramBadRequest):
            await callback.answer(
                _("Open a private chat with the bot first, or reply to the question message."),
                show_alert=True,
            )
            return
        private = FSMContext(
            storage=state.storage, key=StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id)
        )
        await private.set_state(QuestionForm.answer)
        await private.update_data(answer_question_id=question.id)
        await callback.answer()

    @router.message(StateFilter(QuestionForm.answer), F.text)
    async def answer_typed(
        message: Message,
        state: FSMContext,
        settings: Settings,
        staff: StaffRepository,
        questions: QuestionRepository,
        clock: Clock,
    ) -> None:
        if await scope_of(message.chat.id, settings, staff) is None:
            await leave(state)
            await message.answer(_("No access."))
            return
        text = (message.text or "").strip()
        problem = answer_problem(text)
        if problem is not None:
            await message.answer(problem)
            return
        question_id = int((await state.get_data()).get("answer_question_id") or 0)
        await leave(state)
        await send_answer(message, question_id, text, questions, clock)

    @router.message(StateFilter(QuestionForm.answer))
    async def answer_needs_text(message: Message) -> None:
        await message.answer(_("Type the answer as text, or /cancel."))

    return router


async def card_text(
    question: Question, questions: QuestionRepository, deps: dict[str, Any], tz: ZoneInfo
) -> str:
    """A question opened from the panel: the whole text, the asker, the answers so far."""
    context = await asker_lines(
        question.user_id,
        users=deps["users"],
        applications=deps["applications"],
        reminders=deps["reminders"],
        catalog=deps["catalog"],
    )
    asked = question.asked_at.astimezone(tz).strftime("%d.%m.%Y %H:%M")
    lines = [question_text(question, [_("Asked: {when}").format(when=asked), *context])]
    for answer in await questions.answers(question.id):
        when = answer.answered_at.astimezone(tz).strftime("%d.%m.%Y %H:%M")
        lines += ["", _("✅ Answered {when}: {text}").format(when=when, text=h(answer.text))]
    return "\n".join(lines)


def get_group_router() -> Router:
    """Replies in the admission chat (a group). Not behind the private-chat filter: register
    it without it. Anyone but staff is ignored there in silence."""
    router = Router(name=f"{__name__}.group")
    router.message.filter(in_admission_chat)

    @router.message(relayed_question)
    async def reply_in_group(
        message: Message,
        question_id: int,
        settings: Settings,
        staff: StaffRepository,
        questions: QuestionRepository,
        clock: Clock,
    ) -> None:
        user = message.from_user
        if user is None or user.is_bot or await scope_of(user.id, settings, staff) is None:
            return
        text = (message.text or "").strip()
        problem = answer_problem(text)
        if problem is not None:
            await message.reply(problem)
            return
        await send_answer(message, question_id, text, questions, clock)

    return router
