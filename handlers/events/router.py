"""The events' router: its parts in the order they are tried."""

from __future__ import annotations

from aiogram import Router

from handlers.events import listing, mine, registration


def get_router() -> Router:
    router = Router(name=__name__)
    router.include_routers(
        listing.get_router(),
        registration.get_router(),
        mine.get_router(),
    )
    return router
