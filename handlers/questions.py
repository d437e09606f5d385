"""Questions to the admission office: the asker's side.

Anyone asks from «Questions and contacts» (text, a photo or a document). The question is
stored and relayed to the staff (the admission chat, or each administrator) through the
outbox, with the asker's context and the tag ``#Q<number>`` (handlers/texts/questions.py);
the answer comes back in the asker's language. The staff's side is handlers/staff/questions.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.telegram_text import truncate_utf16, utf16_length
from db.questions import QuestionRepository
from db.staff import StaffRepository
from handlers.callbacks import QuestionAction, QuestionCb
from handlers.start import main_menu_text
from handlers.states import QuestionForm
from handlers.ui import home_button_row, main_menu_keyboard, show

log = logging.getLogger(__name__)

# In UTF-16 units, as Telegram counts them (an emoji is two): a question with the asker's
# context stays well within a message's 4096.
QUESTION_MAX = 2000
MAX_OPEN = 5  # unanswered questions one person may have at once
# The question dialogues' own data: the question a staff member answers; the college whose
# practicum staff a student asks (handlers/student/practicum.py starts that dialogue).
QUESTION_KEYS = frozenset({"answer_question_id", "question_college"})


def prompt_text() -> str:
    return "\n\n".join(
        [
            _("<b>Question to the admission office</b>"),
            _(
                "Type your question in one message. You can also send a photo or a document "
                "with a caption. The answer will come here, in this chat."
            ),
            prompt_warning(),
        ]
    )


def prompt_warning() -> str:
    return _(
        "⚠️ Do not send passport or SNILS numbers, or photos of your documents here: "
        "documents go with the application (the «Apply» section)."
    )


def too_many_text() -> str:
    return ngettext(
        "You already have {count} question waiting for an answer. Please wait for the "
        "answer before asking more: the admission office will reply here.",
        "You already have {count} questions waiting for an answer. Please wait for the "
        "answers before asking more: the admission office will reply here.",
        MAX_OPEN,
    ).format(count=MAX_OPEN)


async def leave(state: FSMContext) -> None:
    """Out of the question states; other data (an unfinished application) is kept."""
    data = await state.get_data()
    if QUESTION_KEYS & data.keys():
        await state.set_data({k: v for k, v in data.items() if k not in QUESTION_KEYS})
    await state.set_state(None)


async def send_question(
    target: Message | CallbackQuery,
    user_id: int,
    content_type: str,
    text: str,
    file_id: str | None,
    state: FSMContext,
    *,
    settings: Settings,
    questions: QuestionRepository,
    clock: Clock,
    college_id: str | None = None,
    college_staff: Sequence[int] = (),
) -> int | None:
    """Store a question, queue its relay to the staff, leave the question dialogue and tell
    the asker on ``target`` (a new message, or the pressed one). Returns its number, or None
    when the asker already has MAX_OPEN unanswered questions. Also the way typed questions
    reach the committee (handlers/typed.py). ``college_id``: a student's question to that
    college's work placement staff, relayed to ``college_staff`` (its staff members) too."""
    recipients = [
        *settings.staff_chats,
        *(c for c in college_staff if c not in settings.staff_chats),
    ]
    if not recipients:
        log.warning("a question came, but neither ADMISSION_CHAT_ID nor ADMIN_IDS is set")
    number = await questions.ask(
        user_id,
        content_type,
        text,
        file_id,
        clock.now(),
        recipients,
        max_open=MAX_OPEN,
        college_id=college_id,
    )
    await leave(state)
    if number is None:
        await show(target, too_many_text(), main_menu_keyboard())
        return None
    sent = (
        _(
            "✅ Question №{number} is sent to the college's work placement staff. The answer will "
            "come here, in this chat."
        )
        if college_id
        else _(
            "✅ Question №{number} is sent to the admission office. The answer will come "
            "here, in this chat."
        )
    )
    await show(
        target,
        sent.format(number=number) + "\n\n" + _("Choose a section:"),
        main_menu_keyboard(),
    )
    return number


async def submit(
    message: Message,
    state: FSMContext,
    questions: QuestionRepository,
    settings: Settings,
    staff: StaffRepository,
    clock: Clock,
    content_type: str,
    text: str,
    file_id: str | None = None,
) -> None:
    """A question the asker sent in the question dialogue: to the admission office, or
    (``question_college`` in the dialogue) to that college's work placement staff."""
    college_id = (await state.get_data()).get("question_college")
    college_staff = (
        [m.user_id for m in await staff.members() if m.college_id == college_id]
        if college_id
        else []
    )
    await send_question(
        message,
        message.chat.id,
        content_type,
        text,
        file_id,
        state,
        settings=settings,
        questions=questions,
        clock=clock,
        college_id=college_id,
        college_staff=college_staff,
    )


# --- routers ---------------------------------------------------------------------------------


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(QuestionCb.filter(F.action == QuestionAction.ask))
    async def ask(
        callback: CallbackQuery, state: FSMContext, questions: QuestionRepository
    ) -> None:
        if await questions.open_count(callback.from_user.id) >= MAX_OPEN:
            builder = InlineKeyboardBuilder()
            home_button_row(builder)
            await show(callback, too_many_text(), builder.as_markup())
            return
        await state.set_state(QuestionForm.question)
        builder = InlineKeyboardBuilder()
        builder.button(text=_("✖️ Cancel"), callback_data=QuestionCb(action=QuestionAction.cancel))
        await show(callback, prompt_text(), builder.as_markup())

    @router.callback_query(QuestionCb.filter(F.action == QuestionAction.cancel))
    async def cancel(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
        if await state.get_state() == QuestionForm.question.state:
            await leave(state)
        await show(callback, main_menu_text(catalog), main_menu_keyboard())

    # After the staff tree: a staff member's reply to a relay is an answer, in any state.

    @router.message(StateFilter(QuestionForm.question), F.text)
    async def typed(
        message: Message,
        state: FSMContext,
        questions: QuestionRepository,
        settings: Settings,
        staff: StaffRepository,
        clock: Clock,
    ) -> None:
        text = (message.text or "").strip()
        if not text or text.startswith("/"):
            await message.answer(_("Type your question as a message, or /cancel."))
            return
        if utf16_length(text) > QUESTION_MAX:
            length = utf16_length(text)
            await message.answer(
                ngettext(
                    "The question is too long: {count} character, at most {limit}.",
                    "The question is too long: {count} characters, at most {limit}.",
                    length,
                ).format(count=length, limit=QUESTION_MAX)
            )
            return
        await submit(message, state, questions, settings, staff, clock, "text", text)

    @router.message(StateFilter(QuestionForm.question), F.photo | F.document)
    async def with_file(
        message: Message,
        state: FSMContext,
        questions: QuestionRepository,
        settings: Settings,
        staff: StaffRepository,
        clock: Clock,
    ) -> None:
        caption = truncate_utf16((message.caption or "").strip(), QUESTION_MAX)
        if message.photo:
            file_id, kind = message.photo[-1].file_id, "photo"
        else:
            assert message.document
            file_id, kind = message.document.file_id, "document"
        await submit(message, state, questions, settings, staff, clock, kind, caption, file_id)

    @router.message(StateFilter(QuestionForm.question))
    async def unreadable(message: Message) -> None:
        await message.answer(
            _(
                "I can pass on text, a photo or a document, not this. Type your question, "
                "or /cancel."
            )
        )

    return router
