"""Questions to the admission office as text: the relay the staff get (tagged ``#Q17``, so a
reply names the question) and the answer the asker gets. Used by the routers and by the outbox
renderer (handlers/notices.py), which renders both when they are sent."""

from __future__ import annotations

import re
from typing import Any

from aiogram.methods import SendDocument, SendMessage, SendPhoto, TelegramMethod
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.domain.telegram_text import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    telegram_length,
    truncate_utf16,
    utf16_length,
)
from db.applications import ApplicationRepository
from db.questions import Answer, Question
from db.reminders import ReminderRepository
from db.users import UserRepository
from handlers.application_texts import status_label
from handlers.callbacks import QuestionAction, QuestionCb
from handlers.ui import current_language, fmt_number, h, home_button_row

PREVIEW = 60
# The relay starts with the tag: a reply to it names the question, in any language.
TAG = re.compile(r"#Q(\d+)\b")


def tag(question_id: int) -> str:
    return f"#Q{question_id}"


def preview(question: Question, length: int = PREVIEW) -> str:
    text = truncate_utf16(" ".join(question.text.split()), length)
    mark = {"photo": "📷", "document": "📎"}.get(question.content_type)
    return f"{mark} {text}".strip() if mark else text


async def asker_lines(
    user_id: int,
    *,
    users: UserRepository,
    applications: ApplicationRepository,
    reminders: ReminderRepository,
    catalog: Catalog,
    scope: Scope | None = None,
) -> list[str]:
    """Who asks: what the staff need to answer well, and no more than the bot already has.

    With ``scope`` (a staff member's), only what that member may see: the application if
    it chooses one of their college's specialties, the student registration if it is at
    their college. Without it, everything: the staff chat and administrators see all.
    """
    lines = [_("Telegram user id: {id}").format(id=user_id)]
    user = await users.get(user_id)
    if user is not None:
        lines.append(_("Language: {language}").format(language=user.language))
    application = await applications.for_user(user_id)
    if application is not None and (
        scope is None or scope.sees(catalog, application.data.specialties)
    ):
        lines.append(
            _("Application {number}: {status}").format(
                number=fmt_number(application.number), status=status_label(application.status)
            )
        )
    student = await reminders.student(user_id)
    if student is not None and (scope is None or scope.sees_college(student.college_id)):
        college = catalog.college(student.college_id)
        name = college.short_name.get(current_language()) if college else student.college_id
        lines.append(
            _("Student: {college}, group {group}").format(
                college=h(name), group=h(student.group_name)
            )
        )
    return lines


def question_text(question: Question, context: list[str], limit: int = MESSAGE_LIMIT) -> str:
    """The question as the staff see it, tag first; the question's text is shortened until
    the whole fits in ``limit`` (UTF-16 units after entity parsing, as Telegram counts)."""

    about = (
        [_("🧰 About the work placement, to the staff of the college {college}").format(
            college=h(question.college_id)
        )]
        if question.college_id
        else []
    )  # fmt: skip

    def render(body: str) -> str:
        return "\n".join(
            [
                tag(question.id)
                + " · "
                + _("❓ <b>Question №{number}</b>").format(number=question.id),
                *about,
                "",
                h(body) if body else _("(no text)"),
                "",
                *context,
            ]
        )

    text = render(question.text)
    over = telegram_length(text) - limit
    if over <= 0 or not question.text:
        return text
    # The escaped body counts as the body itself: the rest of the text is fixed.
    return render(truncate_utf16(question.text, max(0, utf16_length(question.text) - over)))


def answer_button(question_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✍️ Answer"), callback_data=QuestionCb(action=QuestionAction.answer, id=question_id)
    )
    return builder.as_markup()


def relay_call(chat_id: int, question: Question, context: list[str]) -> TelegramMethod[Any]:
    """The relay of a question to a staff chat: the file with the question as its caption."""
    markup = answer_button(question.id)
    if question.content_type == "photo" and question.file_id:
        caption = question_text(question, context, CAPTION_LIMIT)
        return SendPhoto(
            chat_id=chat_id, photo=question.file_id, caption=caption, reply_markup=markup
        )
    if question.content_type == "document" and question.file_id:
        caption = question_text(question, context, CAPTION_LIMIT)
        return SendDocument(
            chat_id=chat_id, document=question.file_id, caption=caption, reply_markup=markup
        )
    return SendMessage(chat_id=chat_id, text=question_text(question, context), reply_markup=markup)


def answer_message(chat_id: int, question: Question, answer: Answer) -> SendMessage:
    """An answer as the asker gets it, in their language."""
    heading = (
        _("📬 <b>Answer of the work placement staff to your question №{number}:</b>")
        if question.college_id
        else _("📬 <b>Answer of the admission office to your question №{number}:</b>")
    )
    lines = [
        heading.format(number=question.id),
        "",
        h(answer.text),
    ]
    if question.text:
        lines += ["", _("Your question: «{text}»").format(text=h(preview(question, 200)))]
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✍️ Ask another question"), callback_data=QuestionCb(action=QuestionAction.ask)
    )
    home_button_row(builder)
    builder.adjust(1)
    return SendMessage(chat_id=chat_id, text="\n".join(lines), reply_markup=builder.as_markup())
