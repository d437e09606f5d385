"""The phone step's reply keyboard («📱 Share my number», Back, Cancel) goes once its step is
over, whichever way the step ended: the number given, Back, Cancel, /start, a button of an
older message, the menu. A reply keyboard stays on the phone until a message removes it, and
over the menu it only confuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import ReplyKeyboardRemove, TelegramObject, User

from handlers.states import Apply

# The only step with a reply keyboard.
WITH_KEYBOARD = Apply.phone.state


class ReplyKeyboardGone(BaseMiddleware):
    """Outer, on messages and button presses: after an update that moved the dialogue away
    from the phone step, the keyboard is removed by a message that is deleted at once (so the
    chat keeps only what the handler said)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        before = data.get("raw_state")
        result = await handler(event, data)
        state: FSMContext | None = data.get("state")
        user: User | None = data.get("event_from_user")
        bot: Bot | None = data.get("bot")
        if before != WITH_KEYBOARD or state is None or user is None or bot is None:
            return result
        if await state.get_state() == WITH_KEYBOARD:
            return result
        removal = await bot.send_message(user.id, "⌨️", reply_markup=ReplyKeyboardRemove())
        try:
            await bot.delete_message(user.id, removal.message_id)
        except TelegramBadRequest:
            pass  # the keyboard is gone all the same; the little message stays
        return result
