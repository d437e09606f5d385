"""The application form's router: its parts in the order they are tried, behind the consent
gate (every answer, file and submit needs the current consent; a new text is asked again)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.domain.catalog import Catalog
from handlers.application import answers, documents, entry, submit
from handlers.application.draft_store import DraftStore
from handlers.application.flow import go
from handlers.application.steps import step_of, wrong_input_hint
from handlers.callbacks import FormAction, FormCb
from handlers.consent import ConsentGate
from handlers.states import Apply


def get_router() -> Router:
    router = Router(name=__name__)
    # After «I agree», a typed answer or a file is not sent again: its question is shown again.
    gate = ConsentGate(resume=FormCb(action=FormAction.resume).pack())
    router.message.middleware(gate)  # inner middlewares reach the routers included below
    router.callback_query.middleware(gate)
    router.include_routers(
        entry.get_router(),
        answers.get_router(),
        documents.get_router(),
        submit.get_router(),
        wrong_kind_router(),  # last: anything else sent while in the form
    )
    return router


def wrong_kind_router() -> Router:
    router = Router(name=f"{__name__}.wrong_kind")

    @router.message(StateFilter(Apply))
    async def wrong_kind_of_answer(
        message: Message, state: FSMContext, raw_state: str | None, catalog: Catalog
    ) -> None:
        """The hint, and the question again below it (the old one is off-screen by now)."""
        step = step_of(raw_state)
        hint = "❗ " + wrong_input_hint(step)
        if step is None:  # the consent screen
            await message.answer(hint + " " + _("Or /cancel to stop."))
            return
        await go(message, state, step, await DraftStore(state).load(), catalog, notice=hint)

    return router
