"""Whoever is not staff, pressing or typing a staff thing: a forwarded staff keyboard, a
command, a reply to a relayed question, or the open dialogue of a member whose role was just
revoked. Nothing is done; they are told «No access.» (an alert for a button).

Right after the staff tree, so an update comes here when ``StaffFilter`` turned it away, or
when no staff handler took it. Hence every button, command and dialogue step matched here has
a handler in the tree for whatever a member may send (tests/test_staff_tree.py walks them).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter, or_f
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from handlers.callbacks import (
    BroadcastCb,
    CardCb,
    CatalogCb,
    EventEditCb,
    FaqNewCb,
    PosterCb,
    QuestionCb,
    QueueCb,
    ReportCb,
    RolesCb,
    StaffEventCb,
    UnansweredCb,
)
from handlers.questions import leave
from handlers.staff.faq import leave as leave_faq
from handlers.staff.practicum import COMMANDS as PRACTICUM_COMMANDS
from handlers.staff.questions import STAFF_ACTIONS, relayed_question
from handlers.states import (
    BroadcastForm,
    CatalogForm,
    FaqForm,
    QuestionForm,
    StaffEventForm,
    StaffForm,
)
from handlers.ui import alert

STAFF_BUTTONS = or_f(
    QueueCb.filter(),
    CardCb.filter(),
    ReportCb.filter(),
    RolesCb.filter(),
    BroadcastCb.filter(),
    QuestionCb.filter(F.action.in_(STAFF_ACTIONS)),
    StaffEventCb.filter(),
    EventEditCb.filter(),
    PosterCb.filter(),
    CatalogCb.filter(),
    FaqNewCb.filter(),
    UnansweredCb.filter(),
)


def get_router() -> Router:
    router = Router(name=__name__)

    # Only the steps the tree answers whatever a member sends (its handlers without a filter
    # on the content): in the others a member's message goes on past the tree and must not
    # be taken for a stranger's (choosing the segment of a broadcast is done with buttons).
    @router.message(StateFilter(StaffForm, StaffEventForm, BroadcastForm.message))
    async def staff_dialogue(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer(_("No access."))

    @router.message(StateFilter(QuestionForm.answer))
    async def answering(message: Message, state: FSMContext) -> None:
        await leave(state)  # an unfinished application of theirs is kept
        await message.answer(_("No access."))

    # A command typed at these steps goes on (the tree leaves commands it does not know to
    # the other routers).
    @router.message(StateFilter(CatalogForm, FaqForm), ~F.text.startswith("/"))
    async def content_dialogue(message: Message, state: FSMContext) -> None:
        await leave_faq(state)  # an unfinished application of theirs is kept
        await message.answer(_("No access."))

    @router.message(Command("staff", "reports", "catalog"))
    async def command(message: Message) -> None:
        await message.answer(_("No access."))

    @router.message(Command(*PRACTICUM_COMMANDS))
    async def practicum_command(message: Message) -> None:
        await message.answer(_("This command is for the admission staff."))

    @router.message(relayed_question)
    async def reply_to_relay(message: Message) -> None:
        await message.answer(_("No access."))

    @router.callback_query(STAFF_BUTTONS)
    async def button(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        raw_state: str | None,
    ) -> None:
        if raw_state in BroadcastForm.__all_states_names__:
            await state.clear()  # a revoked member's broadcast in preparation goes with it
        alert(callback_answer, _("No access."))

    return router
