"""Questions to the admission committee.

Anyone asks from «Questions and contacts» (text, a photo or a document). The question is
relayed to the staff (the admission chat, or each administrator) with the asker's context
and the tag ``#Q<number>``; a staff member answers with «✍️ Answer» or by replying to the
relay, and the answer reaches the asker in their language. Every staff update re-checks the
role of whoever sent it.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.domain.telegram_text import (
    MESSAGE_LIMIT,
    telegram_length,
    truncate_utf16,
    utf16_length,
)
from db.applications import ApplicationRepository
from db.questions import Question, QuestionRepository
from db.staff import StaffRepository
from db.users import UserRepository
from handlers.callbacks import QuestionAction, QuestionCb, StaffAction
from handlers.staff import StaffCb, scope_of
from handlers.start import main_menu_text
from handlers.states import QuestionForm
from handlers.texts.questions import TAG, asker_lines, preview, question_text, relay_call
from handlers.ui import h, home_button_row, main_menu_keyboard, show

log = logging.getLogger(__name__)

# Lengths in UTF-16 units, as Telegram counts them (an emoji is two): a question with the
# asker's context, and an answer with its heading and the question's preview, stay well
# within a message's 4096.
QUESTION_MAX = 2000
ANSWER_MAX = 3000
MAX_OPEN = 5  # unanswered questions one person may have at once
LIST_SIZE = 20
CARD_ANSWER_PREVIEW = 500  # an answer on the question's card; the asker got it whole


# --- texts ---------------------------------------------------------------------------------


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
    questions: QuestionRepository, tz: ZoneInfo, scope: Scope, catalog: Catalog
) -> tuple[str, InlineKeyboardMarkup]:
    """The staff panel's list of unanswered questions, the oldest first, then the answered
    ones whose answer could not be delivered; only what the member's scope covers."""
    codes = scope.specialty_codes(catalog)
    total = await questions.count_unanswered(codes)
    items = await questions.unanswered(LIST_SIZE, codes)
    undelivered = await questions.undelivered(LIST_SIZE, codes)
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
            text=_("⬅️ Panel"), callback_data=StaffCb(action=StaffAction.panel).pack()
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


async def visible_question(
    question_id: int, scope: Scope, questions: QuestionRepository, deps: dict[str, Any]
) -> Question | None:
    """The question if it exists and ``scope`` covers its asker (``Scope.sees_asker``)."""
    question = await questions.get(question_id)
    if question is None:
        return None
    applications: ApplicationRepository = deps["applications"]
    application = await applications.for_user(question.user_id)
    chosen = None if application is None else application.data.specialties
    return question if scope.sees_asker(deps["catalog"], chosen) else None


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
    if utf16_length(text) > ANSWER_MAX:
        return _("The answer is too long: {count} characters, at most {limit}.").format(
            count=utf16_length(text), limit=ANSWER_MAX
        )
    return None


async def send_answer(
    message: Message, question_id: int, text: str, scope: Scope, deps: dict[str, Any]
) -> None:
    """Store the answer and queue it for the asker; tell the staff member just that.

    The answer goes out through the outbox, so the confirmation says it is queued, not that
    it arrived; the question's card shows what became of it (delivered, blocked, failed).
    """
    questions: QuestionRepository = deps["questions"]
    clock: Clock = deps["clock"]
    question = await visible_question(question_id, scope, questions, deps)
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
    users: UserRepository = deps["users"]
    asker = await users.get(question.user_id)
    if asker is not None and asker.unreachable:
        lines.append(_("⚠️ The asker has blocked the bot: the answer will probably not reach them."))
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📨 Question №{number}").format(number=question_id),
        callback_data=QuestionCb(action=QuestionAction.open, id=question_id),
    )
    if message.chat.type == "private":
        builder.button(
            text=_("❓ Unanswered questions"), callback_data=QuestionCb(action=QuestionAction.list)
        )
        builder.adjust(1)
        await message.answer("\n\n".join(lines), reply_markup=builder.as_markup())
    else:
        await message.reply("\n\n".join(lines), reply_markup=builder.as_markup())


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
        builder.button(text=_("✖️ Cancel"), callback_data=QuestionCb(action=QuestionAction.cancel))
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
        recipients = settings.staff_chats
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
        **deps: Any,
    ) -> None:
        scope = await scope_of(message.chat.id, settings, staff)
        if scope is None:
            await message.answer(_("No access."))
            return
        text = (message.text or "").strip()
        problem = answer_problem(text)
        if problem is not None:
            await message.answer(problem)
            return
        await send_answer(message, question_id, text, scope, deps)

    # The asker's question (after the replies: a reply to a relay is an answer) -------------

    @router.message(StateFilter(QuestionForm.question), F.text)
    async def typed(message: Message, state: FSMContext, **deps: Any) -> None:
        text = (message.text or "").strip()
        if not text or text.startswith("/"):
            await message.answer(_("Type your question as a message, or /cancel."))
            return
        if utf16_length(text) > QUESTION_MAX:
            await message.answer(
                _("The question is too long: {count} characters, at most {limit}.").format(
                    count=utf16_length(text), limit=QUESTION_MAX
                )
            )
            return
        await submit(message, state, deps, "text", text)

    @router.message(StateFilter(QuestionForm.question), F.photo)
    async def photo(message: Message, state: FSMContext, **deps: Any) -> None:
        assert message.photo
        caption = truncate_utf16((message.caption or "").strip(), QUESTION_MAX)
        await submit(message, state, deps, "photo", caption, message.photo[-1].file_id)

    @router.message(StateFilter(QuestionForm.question), F.document)
    async def document(message: Message, state: FSMContext, **deps: Any) -> None:
        assert message.document
        caption = truncate_utf16((message.caption or "").strip(), QUESTION_MAX)
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
        scope = await scope_of(user_id, settings, staff)
        if scope is None:
            await callback.answer(_("No access."), show_alert=True)
            return
        if callback_data.action == "list":
            await show(
                callback, *await unanswered_screen(questions, settings.tz, scope, deps["catalog"])
            )
            await callback.answer()
            return
        question = await visible_question(callback_data.id, scope, questions, deps)
        if question is None:
            exists = await questions.get(callback_data.id) is not None
            await callback.answer(
                _("No access.") if exists else _("This question no longer exists."),
                show_alert=True,
            )
            return
        if callback_data.action == "open":
            text = await card_text(question, questions, deps, settings.tz, scope)
            in_private = callback.message is not None and callback.message.chat.type == "private"
            if in_private:
                await show(callback, text, card_keyboard(question))
            else:  # pressed under a confirmation in the group: the card comes privately
                try:
                    await bot.send_message(user_id, text, reply_markup=card_keyboard(question))
                except (TelegramForbiddenError, TelegramBadRequest):
                    await callback.answer(
                        _("Open a private chat with the bot first, or reply to the question "
                          "message."),
                        show_alert=True,
                    )  # fmt: skip
                    return
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
        **deps: Any,
    ) -> None:
        scope = await scope_of(message.chat.id, settings, staff)
        if scope is None:
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
        await send_answer(message, question_id, text, scope, deps)

    @router.message(StateFilter(QuestionForm.answer))
    async def answer_needs_text(message: Message) -> None:
        await message.answer(_("Type the answer as text, or /cancel."))

    return router


async def card_text(
    question: Question,
    questions: QuestionRepository,
    deps: dict[str, Any],
    tz: ZoneInfo,
    scope: Scope | None = None,
) -> str:
    """A question opened from the panel: the text, the asker (what ``scope`` may see), the
    answers so far and what became of each one's delivery. The newest answers come first in
    the room a message has; older ones give way, and the question's text is shortened last."""
    context = await asker_lines(
        question.user_id,
        users=deps["users"],
        applications=deps["applications"],
        reminders=deps["reminders"],
        catalog=deps["catalog"],
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
        **deps: Any,
    ) -> None:
        user = message.from_user
        scope = None if user is None or user.is_bot else await scope_of(user.id, settings, staff)
        if scope is None:
            return
        text = (message.text or "").strip()
        problem = answer_problem(text)
        if problem is not None:
            await message.reply(problem)
            return
        await send_answer(message, question_id, text, scope, deps)

    return router
