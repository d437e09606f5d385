"""The consent for registering for events: its text and buttons (152-ФЗ: a separate document,
for this purpose only)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import Settings
from bot.domain.catalog import Catalog, Event
from bot.domain.events import EVENT_CONSENT_VERSION
from handlers.callbacks import ConsentAction, EventConsentCb
from handlers.catalog_texts import operator_lines
from handlers.ui import current_language, h


def consent_text(event: Event, catalog: Catalog, settings: Settings) -> str:
    return "\n".join(
        [
            _("<b>Consent to the processing of personal data: registration for events</b>"),
            _("Version {version}").format(version=EVENT_CONSENT_VERSION),
            "",
            _(
                "To register you for «{title}» and for other events of the cluster, the "
                "colleges of the Metallurgy cluster (the operators) need your name and phone."
            ).format(title=h(event.title.get(current_language()))),
            _("<b>Operators:</b>"),
            *operator_lines(catalog),
            _(
                "<b>Purpose:</b> to keep your seat, to let you in, to remind you of the event "
                "and to tell you if it changes."
            ),
            _(
                "<b>How long:</b> until {days} days after the event; your registration and "
                "this consent are then deleted."
            ).format(days=settings.retention_days),
            _(
                "<b>How to withdraw:</b> cancel the registration, or /delete_my_data: "
                "everything is deleted."
            ),
            _("Under 18: register with a parent's agreement, or a parent registers for you."),
            _("This consent is separate from the consent for an application."),
        ]
    )


def consent_keyboard(event_id: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ I agree"), callback_data=EventConsentCb(action=ConsentAction.yes, event=event_id)
    )
    builder.button(
        text=_("I do not agree"),
        callback_data=EventConsentCb(action=ConsentAction.no, event=event_id),
    )
    builder.adjust(1)
    return builder.as_markup()
