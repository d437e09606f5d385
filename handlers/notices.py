"""Rendering of outbox rows: the staff post of a new application, status news for applicants.

Rendered when sent, in the recipient's language, from ids: a row never carries personal data,
and a row whose application was deleted renders to nothing.
"""

from __future__ import annotations

from typing import Any

from aiogram.methods import SendDocument, SendMessage, SendPhoto, TelegramMethod
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.catalog_service import CatalogService
from bot.config import Settings
from db.applications import Application, ApplicationRepository
from db.outbox import OutboxMessage
from db.users import UserRepository
from handlers.application_texts import (
    document_label,
    documents_lines,
    status_label,
    summary_lines,
)
from handlers.my_application import MyAppCb, documents_of, form_of
from handlers.ui import h


class NoticeRenderer:
    def __init__(
        self,
        *,
        i18n: I18n,
        applications: ApplicationRepository,
        users: UserRepository,
        catalogs: CatalogService,
        settings: Settings,
    ) -> None:
        self.i18n = i18n
        self.applications = applications
        self.users = users
        self.catalogs = catalogs
        self.settings = settings

    async def __call__(self, message: OutboxMessage) -> list[TelegramMethod[Any]] | None:
        user = await self.users.get(message.chat_id)
        locale = user.language if user else self.settings.default_locale
        application = None
        if "application_id" in message.payload:
            application = await self.applications.get(int(message.payload["application_id"]))
            if application is None:
                return None
        with self.i18n.context(), self.i18n.use_locale(locale):
            if message.kind == "staff_application" and application:
                return await self.staff_application(message.chat_id, application)
            if message.kind == "staff_event" and application:
                return [
                    SendMessage(
                        chat_id=message.chat_id, text=self.staff_event(message, application)
                    )
                ]
            if message.kind == "status" and application:
                return [self.status(message, application)]
        raise ValueError(f"unknown outbox kind {message.kind!r}")

    async def staff_application(
        self, chat_id: int, application: Application
    ) -> list[TelegramMethod[Any]]:
        catalog = await self.catalogs.current()
        lines = [
            _("🆕 <b>New application {number}</b>").format(number=application.number),
            _("Status: <b>{status}</b>").format(status=status_label(application.status)),
            "",
            *summary_lines(form_of(application), catalog),
            *documents_lines(documents_of(application)),
        ]
        if application.data.minor:
            lines.append(_("⚠️ Under 18: a parent's consent is needed."))
        lines.append(_("Telegram user id: {id}").format(id=application.user_id))
        calls: list[TelegramMethod[Any]] = [SendMessage(chat_id=chat_id, text="\n".join(lines))]
        counts: dict[str, int] = {}
        totals: dict[str, int] = {}
        for doc in application.documents:
            totals[doc.kind] = totals.get(doc.kind, 0) + 1
        for doc in application.documents:
            counts[doc.kind] = counts.get(doc.kind, 0) + 1
            caption = f"{application.number} · {h(document_label(doc.kind))}"
            if totals[doc.kind] > 1:
                caption += f" ({counts[doc.kind]}/{totals[doc.kind]})"
            if doc.content_type == "photo":
                calls.append(SendPhoto(chat_id=chat_id, photo=doc.file_id, caption=caption))
            else:
                calls.append(SendDocument(chat_id=chat_id, document=doc.file_id, caption=caption))
        return calls

    def staff_event(self, message: OutboxMessage, application: Application) -> str:
        event = message.payload.get("event")
        if event == "withdrawn":
            return _("↩️ Application {number} was withdrawn by the applicant.").format(
                number=application.number
            )
        if event == "resubmitted":
            return _("🔁 Application {number} was submitted again by the applicant.").format(
                number=application.number
            )
        return _("Application {number}: {status}").format(
            number=application.number, status=status_label(application.status)
        )

    def status(self, message: OutboxMessage, application: Application) -> SendMessage:
        status = str(message.payload.get("status") or application.status)
        lines = [
            _("📬 Your application {number}: the status is now «{status}».").format(
                number=application.number, status=status_label(status)
            )
        ]
        comment = message.payload.get("comment")
        if comment:
            lines.append(
                _("Comment of the admission committee: {comment}").format(comment=h(comment))
            )
        builder = InlineKeyboardBuilder()
        builder.button(text=_("📄 My application"), callback_data=MyAppCb(action="show"))
        return SendMessage(
            chat_id=message.chat_id, text="\n".join(lines), reply_markup=builder.as_markup()
        )
