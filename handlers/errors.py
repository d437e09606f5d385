"""The error handler: the traceback goes to the log with the update's id, the failure is
counted (``bot_handler_errors_total``), the user gets a plain apology.

The update then counts as processed: the webhook answers 200 and Telegram does not deliver it
again (an update that fails every time would otherwise come back for hours, apologising each
time). Nothing the user entered is lost by this: every step of a form is stored before the next
question is shown, and a submitted application before any reply (``application.submit``).
"""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

from bot.metrics import Metrics
from bot.middlewares import press_answered
from db.users import UserRepository
from handlers.ui import main_menu_keyboard

log = logging.getLogger(__name__)


def get_router() -> Router:
    router = Router(name=__name__)

    @router.error()
    async def on_error(
        event: ErrorEvent, bot: Bot, users: UserRepository, metrics: Metrics | None = None
    ) -> bool:
        update = event.update
        user = None
        if update.message and update.message.from_user:
            user = update.message.from_user
        elif update.callback_query:
            user = update.callback_query.from_user
        if isinstance(event.exception, TelegramForbiddenError) and user is not None:
            # Blocked or deactivated: nobody to answer. Their next message makes them reachable.
            log.info("user %s is unreachable: %s", user.id, event.exception.message)
            await users.mark_unreachable(user.id)
            return True
        if metrics is not None:
            metrics.failed(update.event_type)
        log.error(
            "update %s (%s) failed: %s",
            update.update_id,
            update.event_type,
            type(event.exception).__name__,
            exc_info=event.exception,
        )
        if user is None:
            return True
        text = _(
            "Sorry, something went wrong on our side. Nothing you entered is lost: "
            "please try again, or open the menu."
        )
        if update.callback_query and not press_answered(update.callback_query.id):
            # Not when the press was answered before the failure (Telegram takes one answer);
            # the middleware answers after a failed handler too.
            with suppress(TelegramAPIError):
                await update.callback_query.answer()
        try:
            await bot.send_message(user.id, text, reply_markup=main_menu_keyboard())
        except TelegramAPIError as exc:
            log.warning("could not tell user %s about the error: %s", user.id, exc)
        return True

    return router
