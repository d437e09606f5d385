"""An application's card for the staff, its documents, and the decisions on it: accept
documents, ask to correct or reject (each with a comment for the applicant), enrol (to one of
the applicant's specialties, confirmed, with a warning of missing papers), the original and
the medical certificate received, and an administrator's cancellation of the latest decision
(with a reason). The card offers only what the state machine (bot/domain/review.py) allows
from the application's status; a press on an older card is checked again. The applicant is
told of each (through the outbox, bot/services/review.py); every decision is audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter, invert_f
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import DOCUMENTS_PAGE
from bot.domain.catalog import Catalog
from bot.domain.review import NEEDS_COMMENT, Decision, new_status
from bot.domain.roles import Scope
from bot.domain.telegram_text import telegram_length, utf16_length
from bot.services.review import decide
from db.applications import Application, ApplicationRepository
from db.staff import StaffRepository
from handlers.access import administrator
from handlers.application_texts import (
    document_label,
    status_label,
)
from handlers.callbacks import CardAction, CardCb
from handlers.staff.card_screens import (
    COMMENT_MAX,
    card_keyboard,
    card_text,
    enrol_choice,
    enrol_confirmation,
    not_now,
)
from handlers.states import StaffForm
from handlers.ui import alert, fmt_number, h, show

Handler = Callable[..., Awaitable[None]]
# The decisions taken at the first press (the others ask for a comment, or, enrolment, for
# the specialty and a confirmation).
AT_ONCE = (Decision.accept, Decision.original, Decision.medical)
ENROLMENT = (CardAction.enroll_to, CardAction.enroll_yes)
# The buttons that ask for a decision: each decision's own, and the steps of an enrolment.
DECISION_ACTIONS = frozenset({CardAction(d.value) for d in Decision} | set(ENROLMENT))


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
        callback: CallbackQuery,
        application: Application,
        scope: Scope,
        catalog: Catalog,
        settings: Settings,
    ) -> None:
        await show_card(callback, application, scope, catalog, settings)

    # Answered at once: the files may take a while.
    @router.callback_query(
        action(CardAction.docs), visible_application, flags={"callback_answer": {"pre": True}}
    )
    async def docs(
        callback: CallbackQuery, callback_data: CardCb, application: Application, bot: Bot
    ) -> None:
        await send_documents(bot, callback.from_user.id, application, callback_data.page)

    @router.callback_query(action(CardAction.undo), invert_f(administrator))
    async def undo_not_admin(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
        alert(callback_answer, _("Only administrators can cancel a decision."))

    # A decision the application's status no longer allows (a card left open, a second
    # press): said, and the card shown as it is now.
    @router.callback_query(
        CardCb.filter(F.action.in_(DECISION_ACTIONS)), visible_application, refused
    )
    async def not_allowed(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        application: Application,
        scope: Scope,
        catalog: Catalog,
        settings: Settings,
    ) -> None:
        alert(callback_answer, not_now(application))
        await show_card(callback, application, scope, catalog, settings)

    for decision in AT_ONCE:
        router.callback_query.register(at_once(decision), action(CardAction(decision.value)),
                                       visible_application)  # fmt: skip
    for decision in NEEDS_COMMENT:
        router.callback_query.register(ask_comment(decision), action(CardAction(decision.value)),
                                       visible_application)  # fmt: skip

    @router.callback_query(action(CardAction.enroll), visible_application)
    async def enroll(callback: CallbackQuery, application: Application, catalog: Catalog) -> None:
        choices = application.data.specialties
        if len(choices) == 1:
            await show(callback, *enrol_confirmation(application, choices[0], catalog))
        else:
            await show(callback, *enrol_choice(application, catalog))

    @router.callback_query(action(CardAction.enroll_to), visible_application, chosen_specialty)
    async def enroll_to(
        callback: CallbackQuery, callback_data: CardCb, application: Application, catalog: Catalog
    ) -> None:
        await show(callback, *enrol_confirmation(application, callback_data.code, catalog))

    @router.callback_query(action(CardAction.enroll_yes), visible_application, chosen_specialty)
    async def enroll_yes(
        callback: CallbackQuery,
        callback_data: CardCb,
        callback_answer: CallbackAnswer,
        application: Application,
        scope: Scope,
        applications: ApplicationRepository,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
    ) -> None:
        status = await decide(
            applications, staff, application, Decision.enroll, callback.from_user.id, clock.now(),
            code=callback_data.code,
        )  # fmt: skip
        fresh = await applications.get(application.id)
        assert fresh is not None
        if status is None:
            alert(callback_answer, not_now(fresh))
        else:
            callback_answer.text = _("Done: {status}.").format(status=status_label(status))
        await show_card(callback, fresh, scope, catalog, settings)

    @router.callback_query(CardCb.filter(F.action.in_(ENROLMENT)), visible_application)
    async def not_a_choice(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
        """An enrolment to a specialty the applicant has not chosen (any more)."""
        alert(callback_answer, _("The applicant has not chosen this specialty."))

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
        if application is None or what not in {d.value for d in NEEDS_COMMENT}:
            await message.answer(_("This application no longer exists."))
            return
        if not scope.sees(catalog, application.data.specialties):
            await message.answer(_("No access."))
            return
        decision = Decision(what)
        if decision == Decision.undo and not scope.admin:
            await message.answer(_("Only administrators can cancel a decision."))
            return
        status = await decide(
            applications, staff, application, decision, message.chat.id, clock.now(), comment=text
        )
        fresh = await applications.get(application.id)
        assert fresh is not None
        if status is None:
            done = not_now(fresh) + " " + _("Nothing was changed.") + "\n\n"
        else:
            done = _("Done: {status}.").format(status=status_label(status)) + "\n\n"
        await message.answer(
            done + card_text(fresh, catalog, settings, telegram_length(done)),
            reply_markup=card_keyboard(fresh, catalog, scope),
        )

    @router.message(StateFilter(StaffForm.comment))
    async def comment_needs_text(message: Message) -> None:
        await message.answer(_("Type the comment as text, or /cancel."))

    return router


async def show_card(
    callback: CallbackQuery,
    application: Application,
    scope: Scope,
    catalog: Catalog,
    settings: Settings,
) -> None:
    await show(
        callback,
        card_text(application, catalog, settings),
        card_keyboard(application, catalog, scope),
    )


def refused(callback: CallbackQuery, callback_data: CardCb, application: Application) -> bool:
    """A filter after ``visible_application``: the press asks for a decision the status of the
    application does not allow now."""
    action = callback_data.action
    decision = Decision.enroll if action in ENROLMENT else Decision(action.value)
    return new_status(application, decision) is None


def chosen_specialty(
    callback: CallbackQuery, callback_data: CardCb, application: Application
) -> bool:
    """A filter: the specialty of an enrolment is one of the applicant's choices."""
    return callback_data.code in application.data.specialties


def at_once(decision: Decision) -> Handler:
    """The handler of a decision taken at the first press (documents accepted, a paper
    received); then the card as the decision left it."""

    async def handler(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        application: Application,
        scope: Scope,
        applications: ApplicationRepository,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
        settings: Settings,
    ) -> None:
        status = await decide(
            applications, staff, application, decision, callback.from_user.id, clock.now()
        )
        fresh = await applications.get(application.id)
        assert fresh is not None
        if status is None:
            alert(callback_answer, not_now(fresh))
        elif decision == Decision.accept:
            callback_answer.text = _("Done: {status}.").format(status=status_label(status))
        else:
            callback_answer.text = _("Done.")
        await show_card(callback, fresh, scope, catalog, settings)

    return handler


def ask_comment(decision: Decision) -> Handler:
    """The handler of a decision the applicant is told the reason of (ask to correct, reject,
    cancel the latest decision): the comment is asked for, and typed next
    (``comment_typed``)."""

    async def handler(
        callback: CallbackQuery, state: FSMContext, bot: Bot, application: Application
    ) -> None:
        await state.set_state(StaffForm.comment)
        await state.set_data({"staff_action": decision.value, "application_id": application.id})
        if decision == Decision.undo:
            text = _(
                "Application {number}: type the reason for cancelling «{status}» (the applicant "
                "will read it), or /cancel. The status goes back to «{previous}»."
            ).format(
                number=fmt_number(application.number),
                status=status_label(application.status),
                previous=status_label(new_status(application, decision) or application.status),
            )
        else:
            text = _(
                "Application {number}: type the comment for the applicant (what to fix, or "
                "the reason), or /cancel."
            ).format(number=fmt_number(application.number))
        await bot.send_message(callback.from_user.id, text)

    return handler
