"""The staff's application card as text and buttons: the card itself, where the papers are,
the buttons the status allows, and the steps of an enrolment (the specialty, the
confirmation with its warnings). Pure rendering; the handlers are in card.py."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import Settings
from bot.domain.applications import needs_medical
from bot.domain.catalog import Catalog
from bot.domain.review import Decision, available, enrolment_warnings
from bot.domain.roles import Scope
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length
from db.applications import Application
from handlers.application_texts import (
    documents_lines,
    documents_of,
    form_of,
    history_lines,
    specialty_line,
    status_label,
    summary_lines,
)
from handlers.callbacks import CardAction, CardCb, QueueAction, QueueCb
from handlers.ui import current_language, fmt_number, fmt_score, h

COMMENT_MAX = 500  # UTF-16 units, as Telegram counts them (an emoji is two)


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
