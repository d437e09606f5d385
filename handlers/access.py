"""Who may use the staff screens.

``StaffFilter`` sits on the observers of the staff routers (``router.message.filter``,
``router.callback_query.filter``): it reads the role afresh on every update and hands the
handlers a typed ``scope: Scope``, as aiogram's ``examples/context_addition_from_filter.py``
adds context from a filter. A staff keyboard forwarded to someone else, or kept by a member
whose role was revoked, passes no staff handler: handlers/staff/denied.py answers «No access.».
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.domain.roles import Scope
from bot.services.staff import scope_of
from db.staff import StaffRepository


class StaffFilter(Filter):
    """Passes staff only, adding ``scope`` (what they may see) to the handler's data."""

    async def __call__(
        self, event: Message | CallbackQuery, settings: Settings, staff: StaffRepository
    ) -> bool | dict[str, Any]:
        user = event.from_user
        if user is None or user.is_bot:
            return False
        scope = await scope_of(user.id, settings.admin_ids, staff)
        return False if scope is None else {"scope": scope}


def administrator(event: Message | CallbackQuery, scope: Scope) -> bool:
    """After ``StaffFilter``: an administrator (``ADMIN_IDS``)."""
    return scope.admin
