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
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import DOCUMENTS_PAGE, needs_medical
from bot.domain.catalog import Catalog
from bot.domain.review import NEEDS_COMMENT, Decision, available, enrolment_warnings, new_status
from bot.domain.roles import Scope
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length, utf16_length
from bot.services.review import decide
from db.applications import Application, ApplicationRepository
from db.staff import StaffRepository
from handlers.access import administrator
from handlers.application_texts import (
    document_label,
    documents_lines,
    documents_of,
    form_of,
    history_lines,
    specialty_line,
    status_label,
    summary_lines,
)
from handlers.callbacks import CardAction, CardCb, QueueAction, QueueCb
from handlers.states import StaffForm
from handlers.ui import alert, current_language, fmt_number, fmt_score, h, show

COMMENT_MAX = 500  # UTF-16 units, as Telegram counts them (an emoji is two)
Handler = Callable[..., Awaitable[None]]
# The decisions taken at the first press (the others ask for a comment, or, enrolment, for
# the specialty and a confirmation).
AT_ONCE = (Decision.accept, Decision.original, Decision.medical)
ENROLMENT = (CardAction.enroll_to, CardAction.enroll_yes)
# The buttons that ask for a decision: each decision's own, and the steps of an enrolment.
DECISION_ACTIONS = frozenset({CardAction(d.value) for d in Decision} | set(ENROLMENT))


def decision_label(decision: Decision, application: Application) -> str:
    """The button of a decision on the card."""
    if decision == Decision.undo:
        return _("↩️ Cancel «{status}»").format(status=status_label(application.status))
    return {
        Decision.accept: _("✅ Accept documents"),
        Decision.correct: _("✏️ Ask to correct"),
        Decision.reject: _("❌ Reject"),
        Decision.enroll: _("🎓 Enrol…"),
        Decision.original: _("📜 Original received"),
        Decision.medical: _("🩺 Medical received"),
    }[decision]


def papers_lines(application: Application, catalog: Catalog) -> list[str]:
    """Where the original certificate and the medical certificate are: a scan uploaded to the
    bot is not the paper the college must receive, so both facts are told."""
    scans = {d.kind for d in application.documents}
    if application.original_received:
        original = _("Original certificate: received")
    elif "certificate" in scans:
        original = _("Original certificate: scan uploaded, original not received")
    else:
        original = _("Original certificate: not received")
    if application.medical_received:
        medical = _("Medical certificate: received")
    elif "medical" in scans:
        medical = _("Medical certificate: scan uploaded, original not received")
    elif not needs_medical(catalog, application.data.specialties):
        medical = _("Medical certificate: not needed for the chosen specialties")
    else:
        medical = _("Medical certificate: not received")
    return [original, medical]


def card_text(
    application: Application, catalog: Catalog, settings: Settings, reserve: int = 0
) -> str:
    """The application card; with a long history (comments up to COMMENT_MAX each) the
    oldest changes give way, so the card fits in one message with ``reserve`` units to
    spare for a line before it."""
    head = [
        _("<b>Application {number}</b>").format(number=fmt_number(application.number)),
        _("Status: <b>{status}</b>").format(status=status_label(application.status)),
    ]
    if application.status == "enrolled" and application.enrolled_code:
        head.append(
            _("Enrolled to: {specialty}").format(
                specialty=specialty_line(catalog, application.enrolled_code)
            )
        )
    head += [
        *papers_lines(application, catalog),
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


def card_keyboard(application: Application, catalog: Catalog, scope: Scope) -> InlineKeyboardMarkup:
    """The documents, the decisions the application's status allows, the way back."""
    builder = InlineKeyboardBuilder()
    a = application.id
    builder.button(text=_("📎 Documents"), callback_data=CardCb(action=CardAction.docs, id=a))
    decisions = available(application, catalog, admin=scope.admin)
    for decision in decisions:
        builder.button(
            text=decision_label(decision, application),
            callback_data=CardCb(action=CardAction(decision.value), id=a),
        )
    builder.button(
        text=_("⬅️ Queue"),
        callback_data=QueueCb(action=QueueAction.queue, status=application.status),
    )
    builder.adjust(1, *([2] * (len(decisions) // 2)), *([1] * (len(decisions) % 2)), 1)
    return builder.as_markup()


def enrol_choice(application: Application, catalog: Catalog) -> tuple[str, InlineKeyboardMarkup]:
    """Which of the applicant's specialties to enrol to."""
    builder = InlineKeyboardBuilder()
    for priority, code in enumerate(application.data.specialties, start=1):
        builder.button(
            text=f"{priority}. {specialty_button(catalog, code)}",
            callback_data=CardCb(action=CardAction.enroll_to, id=application.id, code=code),
        )
    builder.button(
        text=_("⬅️ Back"), callback_data=CardCb(action=CardAction.card, id=application.id)
    )
    builder.adjust(1)
    text = _("<b>Enrol application {number}</b>: to which of the applicant's specialties?").format(
        number=fmt_number(application.number)
    )
    return text, builder.as_markup()


def specialty_button(catalog: Catalog, code: str) -> str:
    specialty = catalog.specialty(code)
    return code if specialty is None else f"{code} · {specialty.short_name.get(current_language())}"


def enrol_confirmation(
    application: Application, code: str, catalog: Catalog
) -> tuple[str, InlineKeyboardMarkup]:
    """The enrolment as it will be: who, to which specialty, and what is missing."""
    lines = [
        _("<b>Enrol application {number}?</b>").format(number=fmt_number(application.number)),
        h(application.data.full_name),
        _("Specialty: {specialty} (priority {priority})").format(
            specialty=specialty_line(catalog, code),
            priority=application.data.specialties.index(code) + 1,
        ),
        _("Average score: {score}").format(score=fmt_score(application.data.average_score)),
    ]
    warnings = enrolment_warnings(application, code, catalog)
    if "original" in warnings:
        lines.append(_("⚠️ The original certificate is not received."))
    if "medical" in warnings:
        lines.append(_("⚠️ This specialty needs a medical certificate, and it is not received."))
    lines.append(_("The applicant is told at once."))
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ Yes, enrol to {code}").format(code=code),
        callback_data=CardCb(action=CardAction.enroll_yes, id=application.id, code=code),
    )
    builder.button(
        text=_("⬅️ Back"), callback_data=CardCb(action=CardAction.card, id=application.id)
    )
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def card_cb(application: Application) -> CardCb:
    return CardCb(action=CardAction.card, id=application.id)


def not_now(application: Application) -> str:
    return _("Not possible now: the application is «{status}».").format(
        status=status_label(application.status)
    )


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
