"""The staff's notices about an application: the post of a new one with its files, a status
change or the applicant's action, and what the applicant changed."""

from __future__ import annotations

from typing import Any

from aiogram.methods import SendDocument, SendMessage, SendPhoto, TelegramMethod
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.applications import DOCUMENTS_PAGE
from bot.domain.catalog import Catalog
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length, truncate_utf16
from db.applications import Application, FieldChange
from db.outbox import OutboxMessage
from handlers.application_texts import (
    change_line,
    document_label,
    documents_lines,
    documents_of,
    form_of,
    status_label,
    summary_lines,
)
from handlers.ui import fmt_number, h


def staff_application(
    chat_id: int, application: Application, catalog: Catalog
) -> list[TelegramMethod[Any]]:
    """The staff's post of a new application: its summary, then a page of its files."""
    lines = [
        _("🆕 <b>New application {number}</b>").format(number=fmt_number(application.number)),
        _("Status: <b>{status}</b>").format(status=status_label(application.status)),
        "",
        *summary_lines(form_of(application), catalog),
        *documents_lines(documents_of(application)),
    ]
    if application.data.minor:
        lines.append(_("⚠️ Under 18: a parent's consent is needed."))
    lines.append(_("Telegram user id: {id}").format(id=application.user_id))
    # One page of files here; the rest from the card, a page a press (a group chat takes
    # 20 messages a minute).
    sent = application.documents[:DOCUMENTS_PAGE]
    rest = len(application.documents) - len(sent)
    if rest:
        lines.append(
            ngettext(
                "📎 {count} more file: «📎 Documents» on the application's card (/staff).",
                "📎 {count} more files: «📎 Documents» on the application's card (/staff).",
                rest,
            ).format(count=rest)
        )
    calls: list[TelegramMethod[Any]] = [SendMessage(chat_id=chat_id, text="\n".join(lines))]
    counts: dict[str, int] = {}
    totals: dict[str, int] = {}
    for doc in application.documents:
        totals[doc.kind] = totals.get(doc.kind, 0) + 1
    for doc in sent:
        counts[doc.kind] = counts.get(doc.kind, 0) + 1
        caption = f"{fmt_number(application.number)} · {h(document_label(doc.kind))}"
        if totals[doc.kind] > 1:
            caption += f" ({counts[doc.kind]}/{totals[doc.kind]})"
        if doc.content_type == "photo":
            calls.append(SendPhoto(chat_id=chat_id, photo=doc.file_id, caption=caption))
        else:
            calls.append(SendDocument(chat_id=chat_id, document=doc.file_id, caption=caption))
    return calls


def staff_event(message: OutboxMessage, application: Application) -> str:
    """A status change or the applicant's action, or several joined while the notice waited."""
    events = message.payload.get("events") or [message.payload.get("event")]
    if len(events) == 1:
        return staff_event_line(events[0], application)
    # Several changes joined while the notice waited: the latest few, and where it is now.
    lines = [staff_event_line(event, application) for event in events[-3:]]
    if len(events) > 3:
        lines.insert(
            0,
            ngettext("… and {count} earlier change", "… and {count} earlier changes",
                     len(events) - 3).format(count=len(events) - 3),
        )  # fmt: skip
    lines.append(_("Status now: «{status}».").format(status=status_label(application.status)))
    return "\n".join(lines)


def staff_event_line(event: str | None, application: Application) -> str:
    number = fmt_number(application.number)
    if event == "withdrawn":
        return _("↩️ Application {number} was withdrawn by the applicant.").format(number=number)
    if event == "corrected":
        return _("✏️ Application {number} was corrected by the applicant.").format(number=number)
    if event == "resubmitted":
        return _("🔁 Application {number} was submitted again by the applicant.").format(
            number=number
        )
    return _("Application {number}: {status}").format(
        number=number, status=status_label(application.status)
    )


def staff_changes(
    message: OutboxMessage, application: Application, changes: list[FieldChange]
) -> list[TelegramMethod[Any]]:
    """What the applicant changed, old → new and documents added: after a correction
    (sent for review), or in a submitted application (a burst of changes in one)."""
    number = fmt_number(application.number)
    if message.payload.get("event") == "corrected":
        head = _(
            "✏️ Application {number}: the applicant corrected it and sent it for review."
        ).format(number=number)
    else:
        head = _("✏️ Application {number}: the applicant changed it.").format(number=number)
    lines = [head]
    lines += ["• " + change_line(change) for change in changes]
    if not changes:
        lines.append(_("(The changes were undone: the application is as it was.)"))
    lines.append(_("Status now: «{status}».").format(status=status_label(application.status)))
    text = "\n".join(lines)
    if telegram_length(text) > MESSAGE_LIMIT:
        text = truncate_utf16(text, MESSAGE_LIMIT - 1) + "…"
    return [SendMessage(chat_id=message.chat_id, text=text)]
