"""The screen of «My application», and what the applicant's own changes tell the staff."""

from __future__ import annotations

from datetime import date

from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import (
    EDITABLE_STATUSES,
    STAFF_EVENT_DELAY,
    WITHDRAWABLE_STATUSES,
    missing_documents,
)
from bot.domain.catalog import Catalog
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length
from bot.services.applications import ranking_positions
from db.applications import Application, ApplicationRepository, Notice
from handlers.application_texts import (
    document_label,
    documents_lines,
    documents_of,
    form_of,
    history_lines,
    position_line,
    status_label,
    summary_lines,
)
from handlers.callbacks import MyAppAction, MyAppCb
from handlers.ui import home_button_row, main_menu_keyboard, show


async def application_text(
    application: Application,
    applications: ApplicationRepository,
    catalog: Catalog,
    settings: Settings,
    today: date,
    notice: str | None = None,
) -> str:
    lines = [notice, ""] if notice else []
    lines += [
        _("<b>Application {number}</b>").format(number=application.number),
        _("Status: <b>{status}</b>").format(status=status_label(application.status)),
    ]
    if not catalog.accepts_changes(application.campaign_year, today):
        lines.append(over_text(application))
    lines += ["", _("<b>Your place in the ranking</b> (by the average score):")]
    for position in await ranking_positions(applications, catalog, application):
        lines.append("• " + position_line(catalog, position))
    lines += ["", *summary_lines(form_of(application), catalog)]
    lines += documents_lines(documents_of(application))
    missing = missing_documents(catalog, application)
    if missing:
        lines.append(
            _("Still missing: {documents}").format(
                documents=", ".join(document_label(kind) for kind in missing)
            )
        )
    lines += ["", _("<b>History</b>")]
    room = MESSAGE_LIMIT - telegram_length("\n".join(lines)) - 1
    lines += history_lines(application.history, settings.tz, room)
    return "\n".join(lines)


def over_text(application: Application) -> str:
    return _("Admission {year} is over: the application can no longer be changed.").format(
        year=application.campaign_year
    )


def application_keyboard(
    application: Application, catalog: Catalog, today: date
) -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    if catalog.accepts_changes(application.campaign_year, today):
        if application.status not in ("withdrawn", "rejected", "enrolled"):
            builder.button(
                text=_("📎 Add a document"), callback_data=MyAppCb(action=MyAppAction.add_doc)
            )
        if application.status in EDITABLE_STATUSES:
            builder.button(
                text=_("✏️ Change answers"), callback_data=MyAppCb(action=MyAppAction.edit)
            )
        if application.status in WITHDRAWABLE_STATUSES:
            builder.button(text=_("↩️ Withdraw"), callback_data=MyAppCb(action=MyAppAction.withdraw))
        if application.status == "withdrawn":
            builder.button(
                text=_("🔁 Submit again"), callback_data=MyAppCb(action=MyAppAction.resubmit)
            )
    builder.button(text=_("🗑 Delete my data"), callback_data=MyAppCb(action=MyAppAction.delete))
    builder.button(text=_("🔄 Refresh"), callback_data=MyAppCb(action=MyAppAction.show))
    home_button_row(builder)
    builder.adjust(1)
    return builder


async def show_application(
    target: Message | CallbackQuery,
    applications: ApplicationRepository,
    catalog: Catalog,
    settings: Settings,
    clock: Clock,
    *,
    notice: str | None = None,
) -> None:
    assert target.from_user is not None
    application = await applications.for_user(target.from_user.id)
    if application is None:
        await show(target, _("You have no application yet."), main_menu_keyboard())
        return
    today = clock.today()
    text = await application_text(application, applications, catalog, settings, today, notice)
    await show(target, text, application_keyboard(application, catalog, today).as_markup())


async def changeable(
    callback: CallbackQuery, applications: ApplicationRepository, catalog: Catalog, clock: Clock
) -> Application | None:
    """The user's application if its campaign still takes changes, else ``None`` after saying
    why."""
    application = await applications.for_user(callback.from_user.id)
    if application is None:
        await callback.answer(_("You have no application."), show_alert=True)
        return None
    if not catalog.accepts_changes(application.campaign_year, clock.today()):
        await callback.answer(over_text(application), show_alert=True)
        return None
    return application


def staff_status_notices(settings: Settings, event: str) -> list[Notice]:
    """The staff's news of the applicant's own change. It waits ``STAFF_EVENT_DELAY`` and takes
    in the changes that follow meanwhile: a burst of changes is one message, not one each."""
    return [
        Notice(
            chat_id=chat_id,
            kind="staff_event",
            key=f"staff-event:{{application_id}}:{{history_id}}:{chat_id}",
            payload={"event": event},
            delay=STAFF_EVENT_DELAY,
            merge=True,
        )
        for chat_id in settings.staff_chats
    ]


async def back_to_review_if_corrected(
    application: Application,
    settings: Settings,
    applications: ApplicationRepository,
    clock: Clock,
) -> None:
    """An application waiting for a correction goes back to review once the applicant changed
    something; the staff are told."""
    if application.status != "needs_correction":
        return
    await applications.set_status(
        application.id,
        "submitted",
        clock.now(),
        notices=staff_status_notices(settings, "corrected"),
    )
