"""The staff's side of the questions to the admission office: the list of unanswered
questions, a question's card with what became of each answer, and the answer, given with
«✍️ Answer» or by replying to the relay (in the private chat or in the admission group). The
asker's side is handlers/questions.py; the relay and the answer as text handlers/texts/."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length, truncate_utf16, utf16_length
from bot.services.questions import visible_question
from db.applications import ApplicationRepository
from db.questions import Question, QuestionRepository
from db.reminders import ReminderRepository
from db.users import UserRepository
from handlers.access import StaffFilter
from handlers.callbacks import (
    FaqAction,
    FaqNewCb,
    QuestionAction,
    QuestionCb,
    QueueAction,
    QueueCb,
)
from handlers.questions import leave
from handlers.states import QuestionForm
from handlers.texts.questions import TAG, asker_lines, preview, question_text, relay_call
from handlers.ui import alert, h, show

# An answer in UTF-16 units, as Telegram counts them (an emoji is two): with its heading and
# the question's preview it stays well within a message's 4096.
ANSWER_MAX = 3000
LIST_SIZE = 20
CARD_ANSWER_PREVIEW = 500  # an answer on the question's card; the asker got it whole
STAFF_ACTIONS = {QuestionAction.list, QuestionAction.open, QuestionAction.answer}
NO_PRIVATE_CHAT = (TelegramForbiddenError, TelegramBadRequest)


async def unanswered_screen(
    questions: QuestionRepository, tz: ZoneInfo, scope: Scope, catalog: Catalog
) -> tuple[str, InlineKeyboardMarkup]:
    """The staff panel's list of unanswered questions, the oldest first, then the answered
    ones whose answer could not be delivered; only what the member's scope covers."""
    codes, college = scope.specialty_codes(catalog), scope.college_id
    total = await questions.count_unanswered(codes, college)
    items = await questions.unanswered(LIST_SIZE, codes, college)
    undelivered = await questions.undelivered(LIST_SIZE, codes, college)
    lines = [
        ngettext(
            "<b>Unanswered questions: {count}</b>", "<b>Unanswered questions: {count}</b>", total
        ).format(count=total)
    ]
    if items:
        lines.append(_("The oldest first:"))
    else:
        lines.append(_("None."))
    builder = InlineKeyboardBuilder()
    for question in items:
        asked = question.asked_at.astimezone(tz).strftime("%d.%m %H:%M")
        lines.append(f"№{question.id} · {asked} · {h(preview(question))}")
        builder.button(
            text=f"№{question.id}",
            callback_data=QuestionCb(action=QuestionAction.open, id=question.id),
        )
    if undelivered:
        lines += ["", _("⚠️ <b>Answers that did not reach the asker:</b>")]
        for question in undelivered:
            lines.append(f"№{question.id} · {h(preview(question))}")
            builder.button(
                text=f"⚠️ №{question.id}",
                callback_data=QuestionCb(action=QuestionAction.open, id=question.id),
            )
    builder.adjust(4)
    builder.row(
        InlineKeyboardButton(
            text=_("⬅️ Panel"), callback_data=QueueCb(action=QueueAction.panel).pack()
        )
    )
    return "\n".join(lines), builder.as_markup()


def card_keyboard(question: Question) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✍️ Answer"), callback_data=QuestionCb(action=QuestionAction.answer, id=question.id)
    )
    builder.button(text=_("⬅️ Questions"), callback_data=QuestionCb(action=QuestionAction.list))
    builder.adjust(1)
    return builder.as_markup()


def delivery_label(status: str | None) -> str:
    """What became of an answer's delivery (the outbox row's status), for its card."""
    if status == "pending":
        return _("⏳ Not delivered yet: waiting to be sent.")
    if status == "sent":
        return _("📬 Delivered to the asker.")
    if status == "blocked":
        return _("🚫 Not delivered: the asker has blocked the bot.")
    if status == "failed":
        return _("⚠️ Not delivered: Telegram did not accept it. Try answering again.")
    return ""


async def card_text(
    question: Question,
    scope: Scope,
    questions: QuestionRepository,
    users: UserRepository,
    applications: ApplicationRepository,
    reminders: ReminderRepository,
    catalog: Catalog,
    tz: ZoneInfo,
) -> str:
    """A question opened from the panel: the text, the asker (what ``scope`` may see), the
    answers so far and what became of each one's delivery. The newest answers come first in
    the room a message has; older ones give way, and the question's text is shortened last."""
    context = await asker_lines(
        question.user_id,
        users=users,
        applications=applications,
        reminders=reminders,
        catalog=catalog,
        scope=scope,
    )
    asked = question.asked_at.astimezone(tz).strftime("%d.%m.%Y %H:%M")
    deliveries = await questions.deliveries(question.id)
    blocks = []
    for answer in await questions.answers(question.id):
        when = answer.answered_at.astimezone(tz).strftime("%d.%m.%Y %H:%M")
        text = h(truncate_utf16(answer.text, CARD_ANSWER_PREVIEW))
        block = _("✅ Answered {when}: {text}").format(when=when, text=text)
        status = delivery_label(deliveries.get(answer.id))
        blocks.append(f"{block}\n{status}" if status else block)
    shown: list[str] = []
    room = MESSAGE_LIMIT // 2
    for block in reversed(blocks):
        room -= telegram_length(block) + 2
        if room < 0 and shown:
            break
        shown.insert(0, block)
    hidden = len(blocks) - len(shown)
    if hidden:
        shown.insert(
            0,
            ngettext(
                "({count} earlier answer is not shown)",
                "({count} earlier answers are not shown)",
                hidden,
            ).format(count=hidden),
        )
    tail_text = "".join("\n\n" + block for block in shown)
    head = question_text(
        question,
        [_("Asked: {when}").format(when=asked), *context],
        MESSAGE_LIMIT - telegram_length(tail_text),
    )
    return head + tail_text


# --- the answer ----------------------------------------------------------------------------


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
    if utf16_length(text) > ANSWER_MAX:
        length = utf16_length(text)
        return ngettext(
            "The answer is too long: {count} character, at most {limit}.",
            "The answer is too long: {count} characters, at most {limit}.",
            length,
        ).format(count=length, limit=ANSWER_MAX)
    return None


async def respond(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """In the private chat a message of its own; in the group a reply, so it is clear what it
    is about."""
    if message.chat.type == "private":
        await message.answer(text, reply_markup=markup)
    else:
        await message.reply(text, reply_markup=markup)


async def answer_question(
    message: Message,
    question_id: int,
    scope: Scope,
    questions: QuestionRepository,
    applications: ApplicationRepository,
    users: UserRepository,
    catalog: Catalog,
    clock: Clock,
) -> None:
    """The staff member's text as the answer: stored and queued for the asker, and the staff
    member told just that. The one handler of a reply to a relayed question, in the private
    chat (the staff tree; «No access.» for others, handlers/staff/denied.py) and in the
    admission group (``get_group_router``; others are ignored there in silence); also the end
    of «✍️ Answer» (``answer_typed``).

    The answer goes out through the outbox, so the confirmation says it is queued, not that
    it arrived; the question's card shows what became of it (delivered, blocked, failed).
    """
    text = (message.text or "").strip()
    problem = answer_problem(text)
    if problem is not None:
        await respond(message, problem)
        return
    question = await visible_question(question_id, scope, questions, applications, catalog)
    if question is None:
        exists = await questions.get(question_id) is not None
        await message.reply(_("No access.") if exists else _("This question no longer exists."))
        return
    staff_id = message.from_user.id if message.from_user else message.chat.id
    answer = await questions.answer(question_id, staff_id, text, clock.now())
    if answer is None:
        await message.reply(_("This question no longer exists."))
        return
    lines = [
        _(
            "✅ The answer to question №{number} is saved and queued: it goes out to the "
            "asker now. The question's card shows whether it was delivered."
        ).format(number=question_id)
    ]
    asker = await users.get(question.user_id)
    if asker is not None and asker.unreachable:
        lines.append(_("⚠️ The asker has blocked the bot: the answer will probably not reach them."))
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📨 Question №{number}").format(number=question_id),
        callback_data=QuestionCb(action=QuestionAction.open, id=question_id),
    )
    # The answer as an FAQ entry: the bot answers the same question itself from then on.
    builder.button(
        text=_("➕ To the FAQ"), callback_data=FaqNewCb(action=FaqAction.new, id=answer.id)
    )
    if message.chat.type == "private":
        builder.button(
            text=_("❓ Unanswered questions"), callback_data=QuestionCb(action=QuestionAction.list)
        )
    builder.adjust(1)
    await respond(message, "\n\n".join(lines), builder.as_markup())


def private_context(state: FSMContext, bot: Bot, user_id: int) -> FSMContext:
    """The dialogue of ``user_id``'s private chat with the bot, whichever chat a button was
    pressed in (a staff dialogue started in the admission group goes on in private)."""
    return FSMContext(
        storage=state.storage, key=StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id)
    )


# --- the routers ---------------------------------------------------------------------------


async def visible(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    scope: Scope,
    questions: QuestionRepository,
    applications: ApplicationRepository,
    catalog: Catalog,
) -> bool | dict[str, Any]:
    """A filter after ``QuestionCb.filter()``: the question pressed on, if the member may see
    it (``question`` for the handler). The others come to ``unavailable``."""
    question = await visible_question(callback_data.id, scope, questions, applications, catalog)
    return False if question is None else {"question": question}


def get_router() -> Router:
    """Inside the staff tree: ``scope`` is given, whoever is not staff never gets here."""
    router = Router(name=__name__)

    @router.callback_query(QuestionCb.filter(F.action == QuestionAction.list))
    async def unanswered(
        callback: CallbackQuery,
        scope: Scope,
        questions: QuestionRepository,
        catalog: Catalog,
        settings: Settings,
    ) -> None:
        await show(callback, *await unanswered_screen(questions, settings.tz, scope, catalog))

    @router.callback_query(QuestionCb.filter(F.action == QuestionAction.open), visible)
    async def open_card(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        question: Question,
        scope: Scope,
        bot: Bot,
        questions: QuestionRepository,
        users: UserRepository,
        applications: ApplicationRepository,
        reminders: ReminderRepository,
        catalog: Catalog,
        settings: Settings,
    ) -> None:
        user_id = callback.from_user.id
        text = await card_text(
            question, scope, questions, users, applications, reminders, catalog, settings.tz
        )
        in_private = callback.message is not None and callback.message.chat.type == "private"
        if in_private:
            await show(callback, text, card_keyboard(question))
        else:  # pressed under a confirmation in the group: the card comes privately
            try:
                await bot.send_message(user_id, text, reply_markup=card_keyboard(question))
            except NO_PRIVATE_CHAT:
                alert(
                    callback_answer,
                    _("Open a private chat with the bot first, or reply to the question message."),
                )
                return
        if question.file_id:  # the file itself, tagged: a reply to it answers too
            await bot(relay_call(user_id, question, []))

    @router.callback_query(QuestionCb.filter(F.action == QuestionAction.answer), visible)
    async def answer(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        question: Question,
        state: FSMContext,
        bot: Bot,
    ) -> None:
        """The answer is typed in the private chat, also when pressed in the group."""
        user_id = callback.from_user.id
        try:
            await bot.send_message(
                user_id,
                _("Question №{number}: type the answer for the asker, or /cancel.").format(
                    number=question.id
                ),
            )
        except NO_PRIVATE_CHAT:
            alert(
                callback_answer,
                _("Open a private chat with the bot first, or reply to the question message."),
            )
            return
        private = private_context(state, bot, user_id)
        await private.set_state(QuestionForm.answer)
        await private.update_data(answer_question_id=question.id)

    @router.callback_query(QuestionCb.filter(F.action.in_(STAFF_ACTIONS)))
    async def unavailable(
        callback: CallbackQuery,
        callback_data: QuestionCb,
        callback_answer: CallbackAnswer,
        questions: QuestionRepository,
    ) -> None:
        """A question that is gone, or whose asker is outside the member's scope."""
        exists = await questions.get(callback_data.id) is not None
        alert(callback_answer, _("No access.") if exists else _("This question no longer exists."))

    router.message.register(answer_question, relayed_question)

    @router.message(StateFilter(QuestionForm.answer), F.text)
    async def answer_typed(
        message: Message,
        state: FSMContext,
        scope: Scope,
        questions: QuestionRepository,
        applications: ApplicationRepository,
        users: UserRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        problem = answer_problem((message.text or "").strip())
        if problem is not None:  # told, and the dialogue goes on
            await message.answer(problem)
            return
        question_id = int((await state.get_data()).get("answer_question_id") or 0)
        await leave(state)
        await answer_question(
            message, question_id, scope, questions, applications, users, catalog, clock
        )

    @router.message(StateFilter(QuestionForm.answer))
    async def answer_needs_text(message: Message) -> None:
        await message.answer(_("Type the answer as text, or /cancel."))

    return router


def get_group_router() -> Router:
    """Replies in the admission chat (a group): the same handler as in the private chat. Not
    behind the private-chat filter: registered without it. Anyone but staff is ignored there
    in silence (the filter fails, nothing answers)."""
    router = Router(name=f"{__name__}.group")
    router.message.filter(in_admission_chat)
    router.message.register(answer_question, relayed_question, StaffFilter())
    return router
