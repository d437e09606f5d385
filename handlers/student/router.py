"""The students' router: its parts in the order they are tried."""

from __future__ import annotations

from aiogram import Router

from handlers.student import entry, group, practicum


def get_router() -> Router:
    router = Router(name=__name__)
    router.include_routers(
        entry.get_router(),
        group.get_router(),
        practicum.get_router(),
    )
    return router
