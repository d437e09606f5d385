"""The documents step: files one document at a time (required ones first), «Done» or «Later»."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.domain.applications import REQUIRED_DOCUMENTS, document_steps
from bot.domain.catalog import Catalog
from handlers.application.draft_store import DraftStore
from handlers.application.files import document_from_message, new_file
from handlers.application.flow import go
from handlers.application.steps import DOCUMENTS, REVIEW
from handlers.callbacks import FormAction, FormCb
from handlers.consent import CONSENT_FLAG
from handlers.states import Apply


def get_router() -> Router:
    router = Router(name=__name__)
    gated = {CONSENT_FLAG: True}

    @router.message(StateFilter(Apply.documents), F.photo | F.document, flags=gated)
    async def document_received(
        message: Message, state: FSMContext, catalog: Catalog, clock: Clock
    ) -> None:
        drafts = DraftStore(state)
        draft = await drafts.load()
        ref = await document_from_message(message, draft.doc_kind or REQUIRED_DOCUMENTS[0])
        if ref is None:
            return
        file = await new_file(message, draft.documents, ref, clock)
        if file is None:
            return
        draft = draft.model_copy(update={"documents": [*draft.documents, file]})
        await drafts.save(draft)
        await go(message, state, DOCUMENTS, draft, catalog)

    @router.callback_query(
        FormCb.filter(F.action.in_({FormAction.doc_done, FormAction.doc_skip})),
        StateFilter(Apply.documents),
        flags=gated,
    )
    async def document_done(
        callback: CallbackQuery, callback_data: FormCb, state: FSMContext, catalog: Catalog
    ) -> None:
        drafts = DraftStore(state)
        draft = await drafts.load()
        kinds = document_steps(catalog, draft.specialties, bool(draft.minor))
        kind = draft.doc_kind or kinds[0]
        have = kind in draft.document_kinds()
        if callback_data.action == FormAction.doc_done and not have:
            await callback.answer(_("Send at least one file first."), show_alert=True)
            return
        if callback_data.action == FormAction.doc_skip and kind in REQUIRED_DOCUMENTS:
            await callback.answer(_("This document is required."), show_alert=True)
            return
        index = kinds.index(kind) if kind in kinds else len(kinds) - 1
        await callback.answer()
        if index + 1 < len(kinds):
            draft = draft.model_copy(update={"doc_kind": kinds[index + 1]})
            await drafts.save(draft)
            await go(callback, state, DOCUMENTS, draft, catalog)
            return
        draft = draft.model_copy(update={"editing": False})
        await drafts.save(draft)
        await go(callback, state, REVIEW, draft, catalog)

    return router
