"""One router per feature (the staff's screens: one tree, handlers/staff/). Routers are built
fresh on every call (one dispatcher each)."""

from __future__ import annotations

from aiogram import F, Router

from handlers import (
    colleges,
    consent,
    contacts,
    errors,
    fallback,
    howto,
    links,
    questions,
    ranking,
    reminder_settings,
    specialties,
    staff,
    start,
    typed,
)
from handlers.application import router as application_form
from handlers.events import router as events_router
from handlers.my_application import router as my_application
from handlers.student import router as student_router


def get_routers() -> list[Router]:
    """The routers in the order they must be tried: the fallback comes last."""
    staff_tree = staff.get_router()  # private messages only, checked before the role
    routers = [
        errors.get_router(),
        # Before start: /start staff_<token> is an invite, not the menu.
        staff.get_invite_router(),
        # Before start too: /start <payload> of a link or a QR code opens its card.
        links.get_router(),
        # Before start too: a staff member's /cancel returns to the staff panel.
        staff.get_cancel_router(),
        start.get_router(),
        specialties.get_router(),
        colleges.get_router(),
        howto.get_router(),
        contacts.get_router(),
        events_router.get_router(),
        consent.get_router(),
        application_form.get_router(),
        my_application.get_router(),
        student_router.get_router(),
        ranking.get_router(),
        reminder_settings.get_router(),
        staff_tree,
        # Right after the tree: whoever it turned away is told «No access.».
        staff.get_denied_router(),
        # After the other features, so that their dialogue states come first.
        questions.get_router(),
        typed.get_router(),
        fallback.get_router(),
    ]
    for router in routers:
        if router is not staff_tree:
            # A bot for people, not for groups: everything happens in private chats.
            router.message.filter(F.chat.type == "private")
    # The one exception: replies to relayed questions in the admission chat (ADMISSION_CHAT_ID).
    routers.append(staff.get_group_router())
    return routers
