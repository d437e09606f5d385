"""The error handler: the traceback goes to the log, the user gets a plain apology."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

from db.users import UserRepository
from handlers.ui import main_menu_keyboard

log = logging.getLogger(__name__)


def get_router() -> Router:
    router = Router(name=__name__)

    @router.error()
    async def on_error(event: ErrorEvent, bot: Bot, users: UserRepository) -> bool:
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
        log.error(
            "update %s failed: %s",
            update.update_id,
            type(event.exception).__name__,
            exc_info=event.exception,
        )
        if user is None:
            return True
        text = _(
            "Sorry, something went wrong on our side. Nothing you entered is lost: "
            "please try again, or open the menu."
        )
        try:
            if update.callback_query:
                await update.callback_query.answer()
            await bot.send_message(user.id, text, reply_markup=main_menu_keyboard())
        except TelegramAPIError as exc:
            log.warning("could not tell user %s about the error: %s", user.id, exc)
        return True

    return router
