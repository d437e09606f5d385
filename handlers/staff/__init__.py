"""The admission staff's screens, as one router tree.

The parent router's observers carry ``StaffFilter`` (handlers/access.py): every handler below
runs for staff only, with their ``scope: Scope``, the role read afresh on every update.
Whoever is not staff falls through to the router of ``denied.py``, which comes right after the
tree and answers «No access.».

    catalog    /catalog: the catalogue as a workbook, its versions (before work placement: an
               edited workbook is an XLSX file too)
    work placement  /practicum, /practicum_add, CSV/XLSX files (administrators)
    panel      /staff and «⬅️ Panel»
    queue      the queue with its filters, the search
    card       an application's card, its documents, the review actions and their comments
    closing    a specialty's ranking list published to its applicants, its enrolment order
    reports    /reports: ranking lists, Excel and CSV, statistics
    broadcast  a broadcast from its message to its delivery
    event_editor  creating and editing an event
    events     events: the list, a card, the people registered and attendance (a scanned
               entry code: handlers/links.py), the Excel file, cancelling
    posters    printable posters with a QR code and a source label
    roles      the staff list, invites, revoking (administrators)
    questions  unanswered questions, a question's card, answers (the asker's side is
               handlers/questions.py)
    unanswered what applicants typed and the bot could not answer
    faq        a staff answer made an FAQ entry (last: its steps take whatever is sent)

Outside the tree: ``get_invite_router`` (someone not yet staff joins by an invite link, before
/start), ``get_cancel_router`` (a staff member's /cancel returns to the panel, before the
menu's /cancel), ``get_denied_router`` (after the tree) and ``get_group_router`` (replies to relayed
questions in the admission chat).
"""

from __future__ import annotations

from aiogram import F, Router

from handlers.access import StaffFilter
from handlers.staff import (
    broadcast,
    card,
    catalog,
    closing,
    denied,
    event_editor,
    events,
    faq,
    panel,
    posters,
    practicum,
    questions,
    queue,
    reports,
    roles,
    unanswered,
)

get_invite_router = roles.get_invite_router
get_cancel_router = panel.get_cancel_router
get_denied_router = denied.get_router
get_group_router = questions.get_group_router


def get_router() -> Router:
    """The tree, in the order its handlers are tried (a command before a dialogue state of a
    later router, as the staff expect: /staff and /practicum work in the middle of a search).
    Private messages only; callback queries also from the admission group (a button under a
    relayed question)."""
    router = Router(name=__name__)
    # The chat first: a message in the admission group costs no look-up of the role.
    router.message.filter(F.chat.type == "private", StaffFilter())
    router.callback_query.filter(StaffFilter())
    router.include_routers(
        catalog.get_router(),
        practicum.get_router(),
        panel.get_router(),
        queue.get_router(),
        card.get_router(),
        # Before reports: a closing step on a specialty the member does not see falls through
        # to the reports' «No access.».
        closing.get_router(),
        reports.get_router(),
        broadcast.get_router(),
        # The editor first: its «new» and «edit» before the events' catch-all of their buttons.
        event_editor.get_router(),
        events.get_router(),
        posters.get_router(),
        roles.get_router(),
        questions.get_router(),
        unanswered.get_router(),
        faq.get_router(),
    )
    return router
