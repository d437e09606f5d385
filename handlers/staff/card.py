"""An application's card for the staff, its documents, and the review actions: accept
documents, ask to correct or reject (each with a comment for the applicant), enrolled, the
original and the medical certificate received. The applicant is told of each (through the
outbox, bot/services/review.py); every action is audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import DOCUMENTS_PAGE
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length, utf16_length
from bot.services.review import mark_received, set_status
from db.applications import Application, ApplicationRepository
from db.staff import StaffRepository
from handlers.application_texts import (
    document_label,
    documents_lines,
    documents_of,
    form_of,
    history_lines,
    status_label,
    summary_lines,
)
from handlers.callbacks import CardAction, CardCb, QueueAction, QueueCb
from handlers.states import StaffForm
from handlers.ui import alert, fmt_number, h, show

COMMENT_MAX = 500  # UTF-16 units, as Telegram counts them (an emoji is two)
# The status each review action sets, and those that need a comment for the applicant.
STATUS_OF = {
    CardAction.accept: "accepted",
    CardAction.correct: "needs_correction",
    CardAction.reject: "rejected",
    CardAction.enroll: "enrolled",
}
Handler = Callable[..., Awaitable[None]]
NEEDS_COMMENT = (CardAction.correct, CardAction.reject)
RECEIVED_BY = {CardAction.original: "original_received", CardAction.medical: "medical_received"}


def card_text(
    application: Application, catalog: Catalog, settings: Settings, reserve: int = 0
) -> str:
    """The application card; with a long history (comments up to COMMENT_MAX each) the
    oldest changes give way, so the card fits in one message with ``reserve`` units to
    spare for a line before it."""
    head = [
        _("<b>Application {number}</b>").format(number=fmt_number(application.number)),
        _("Status: <b>{status}</b>").format(status=status_label(application.status)),
        _("Original certificate: {value}").format(
            value=_("received") if application.original_received else _("not received")
        ),
        _("Medical certificate: {value}").format(
            value=_("received") if application.medical_received else _("not received")
        ),
        "",
        *summary_lines(form_of(application), catalog),
        *documents_lines(documents_of(application)),
        _("Telegram user id: {id}").format(id=application.user_id),
        "",
        _("<b>History</b>"),
    ]
    # Room for a line put before the card (e.g. «Done: …» after a comment).
    room = MESSAGE_LIMIT - telegram_length("\n".join(head)) - max(reserve, 100)
    return "\n".join([*head, *history_lines(application.history, settings.tz, room)])


def card_keyboard(application: Application) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    a = application.id
    builder.button(text=_("📎 Documents"), callback_data=CardCb(action=CardAction.docs, id=a))
    builder.button(
        text=_("✅ Accept documents"), callback_data=CardCb(action=CardAction.accept, id=a)
    )
    builder.button(
        text=_("✏️ Ask to correct"), callback_data=CardCb(action=CardAction.correct, id=a)
    )
    builder.button(text=_("❌ Reject"), callback_data=CardCb(action=CardAction.reject, id=a))
    builder.button(
        text=_("📜 Original received"), callback_data=CardCb(action=CardAction.original, id=a)
    )
    builder.button(
        text=_("🩺 Medical received"), callback_data=CardCb(action=CardAction.medical, id=a)
    )
    builder.button(text=_("🎓 Enrolled"), callback_data=CardCb(action=CardAction.enroll, id=a))
    builder.button(
        text=_("⬅️ Queue"),
        callback_data=QueueCb(action=QueueAction.queue, status=application.status),
    )
    builder.adjust(1, 2, 2, 2, 1, 1)
    return builder.as_markup()


async def send_documents(bot: Bot, chat_id: int, application: Application, page: int = 0) -> None:
    """One page of the application's files (``DOCUMENTS_PAGE``); «More» sends the next."""
    documents = application.documents
    if not documents:
        await bot.send_message(chat_id, _("No documents."))
        return
    first = max(page, 0) * DOCUMENTS_PAGE
    if first >= len(documents):
        await bot.send_message(chat_id, _("No more documents."))
        return
    shown = documents[first : first + DOCUMENTS_PAGE]
    for doc in shown:
        caption = f"{fmt_number(application.number)} · {h(document_label(doc.kind))}"
        if doc.content_type == "photo":
            await bot.send_photo(chat_id, doc.file_id, caption=caption)
        else:
            await bot.send_document(chat_id, doc.file_id, caption=caption)
    left = len(documents) - first - len(shown)
    if first == 0 and not left:
        return
    text = _("Application {number}: files {first}–{last} of {total}.").format(
        number=fmt_number(application.number),
        first=first + 1,
        last=first + len(shown),
        total=len(documents),
    )
    builder = InlineKeyboardBuilder()
    if left:
        builder.button(
            text=ngettext("📎 More ({count} file left)", "📎 More ({count} files left)", left)
            .format(count=left),
            callback_data=CardCb(action=CardAction.docs, id=application.id, page=page + 1),
        )  # fmt: skip
    await bot.send_message(chat_id, text, reply_markup=builder.as_markup() if left else None)


async def visible_application(
    callback: CallbackQuery,
    callback_data: CardCb,
    scope: Scope,
    applications: ApplicationRepository,
    catalog: Catalog,
) -> bool | dict[str, Any]:
    """A filter after ``CardCb.filter()``: the application pressed on, if it still exists and
    the member's scope covers it (``application`` for the handler). The others come to
    ``unavailable`` below, which says which it is."""
    application = await applications.get(callback_data.id)
    if application is None or not scope.sees(catalog, application.data.specialties):
        return False
    return {"application": application}


def get_router() -> Router:
    router = Router(name=__name__)

    def action(name: CardAction) -> CallbackQueryFilter:
        return CardCb.filter(F.action == name)

    @router.callback_query(action(CardAction.card), visible_application)
    async def card(
        callback: CallbackQuery, application: Application, catalog: Catalog, settings: Settings
    ) -> None:
        await show(callback, card_text(application, catalog, settings), card_keyboard(application))

    # Answered at once: the files may take a while.
    @router.callback_query(
        action(CardAction.docs), visible_application, flags={"callback_answer": {"pre": True}}
    )
    async def docs(
        callback: CallbackQuery, callback_data: CardCb, application: Application, bot: Bot
    ) -> None:
        await send_documents(bot, callback.from_user.id, application, callback_data.page)

    # One handler for each action; those that differ only in what they set are made alike.
    for what in (*STATUS_OF, *RECEIVED_BY):
        make = ask_comment if what in NEEDS_COMMENT else at_once
        router.callback_query.register(make(what), action(what), visible_application)

    @router.callback_query(CardCb.filter())
    async def unavailable(
        callback: CallbackQuery,
        callback_data: CardCb,
        callback_answer: CallbackAnswer,
        applications: ApplicationRepository,
    ) -> None:
        """Any card action on an application that is gone or outside the member's scope."""
        if await applications.get(callback_data.id) is None:
            alert(callback_answer, _("This application no longer exists."))
        else:
            alert(callback_answer, _("No access."))

    @router.message(StateFilter(StaffForm.comment), F.text)
    async def comment_typed(
        message: Message,
        state: FSMContext,
        scope: Scope,
        applications: ApplicationRepository,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
    ) -> None:
        text = (message.text or "").strip()
        if text.startswith("/") or not text:
            await message.answer(_("Type the comment as text, or /cancel."))
            return
        if utf16_length(text) > COMMENT_MAX:
            # Refused, not cut: the applicant must read what the staff member wrote.
            length = utf16_length(text)
            await message.answer(
                ngettext(
                    "The comment is too long: {count} character, at most {limit}. Make it "
                    "shorter, or /cancel.",
                    "The comment is too long: {count} characters, at most {limit}. Make it "
                    "shorter, or /cancel.",
                    length,
                ).format(count=length, limit=COMMENT_MAX)
            )
            return
        data = await state.get_data()
        application = await applications.get(int(data.get("application_id") or 0))
        await state.clear()
        what = data.get("staff_action")
        if application is None or what not in NEEDS_COMMENT:
            await message.answer(_("This application no longer exists."))
            return
        if not scope.sees(catalog, application.data.specialties):
            await message.answer(_("No access."))
            return
        status = STATUS_OF[CardAction(what)]
        await set_status(applications, staff, application, status, message.chat.id, clock.now(),
                         text)  # fmt: skip
        fresh = await applications.get(application.id)
        assert fresh is not None
        done = _("Done: {status}.").format(status=status_label(status)) + "\n\n"
        await message.answer(
            done + card_text(fresh, catalog, settings, telegram_length(done)),
            reply_markup=card_keyboard(fresh),
        )

    @router.message(StateFilter(StaffForm.comment))
    async def comment_needs_text(message: Message) -> None:
        await message.answer(_("Type the comment as text, or /cancel."))

    return router


def at_once(what: CardAction) -> Handler:
    """The handler of an action done at once: a status (accept, enrolled) or a paper received
    (the original, the medical certificate); then the card as the action left it."""

    async def handler(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        application: Application,
        applications: ApplicationRepository,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
    ) -> None:
        actor = callback.from_user.id
        if what in RECEIVED_BY:
            await mark_received(
                applications, staff, application, RECEIVED_BY[what], actor, clock.now()
            )
            callback_answer.text = _("Done.")
        else:
            status = STATUS_OF[what]
            await set_status(applications, staff, application, status, actor, clock.now())
            callback_answer.text = _("Done: {status}.").format(status=status_label(status))
        fresh = await applications.get(application.id)
        assert fresh is not None
        await show(callback, card_text(fresh, catalog, settings), card_keyboard(fresh))

    return handler


def ask_comment(what: CardAction) -> Handler:
    """The handler of an action whose status needs a comment for the applicant (ask to
    correct, reject): the comment is asked for, and typed next (``comment_typed``)."""

    async def handler(
        callback: CallbackQuery, state: FSMContext, bot: Bot, application: Application
    ) -> None:
        await state.set_state(StaffForm.comment)
        await state.set_data({"staff_action": what.value, "application_id": application.id})
        await bot.send_message(
            callback.from_user.id,
            _("Application {number}: type the comment for the applicant (what to fix, or "
              "the reason), or /cancel.").format(number=fmt_number(application.number)),
        )  # fmt: skip

    return handler
