"""The documents step: «Document n of N», one document at a time. A file moves the form on by
itself (most documents are one page); «One more page» brings the document back for another,
and the other photos of an album sent at once join the first one's document. Each document
has «Later»: everything can be sent after submitting, from «My application»."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.clock import Clock
from bot.domain.applications import document_steps, next_document
from bot.domain.catalog import Catalog
from bot.domain.draft import Draft
from handlers.application.draft_store import DraftStore
from handlers.application.files import document_from_message, new_file
from handlers.application.flow import go
from handlers.application.steps import DOCUMENTS, REVIEW
from handlers.application_texts import document_label
from handlers.callbacks import FormAction, FormCb
from handlers.consent import CONSENT_FLAG
from handlers.states import Apply
from handlers.ui import alert


async def go_on(
    target: Message | CallbackQuery,
    state: FSMContext,
    drafts: DraftStore,
    draft: Draft,
    catalog: Catalog,
    current: str,
    *,
    notice: str | None = None,
) -> None:
    """On from the document ``current``: the next one without a file, else the review."""
    kinds = document_steps(catalog, draft.specialties, bool(draft.minor))
    following = next_document(kinds, current, draft.document_kinds())
    if following is None:
        draft = draft.model_copy(update={"editing": False, "documents_done": True})
        await drafts.save(draft)
        await go(target, state, REVIEW, draft, catalog, notice=notice)
        return
    draft = draft.model_copy(update={"doc_kind": following})
    await drafts.save(draft)
    await go(target, state, DOCUMENTS, draft, catalog, notice=notice)


def received_line(kind: str, count: int) -> str:
    return ngettext(
        "✅ {document}: {count} file received.",
        "✅ {document}: {count} files received.",
        count,
    ).format(document=document_label(kind), count=count)


def get_router() -> Router:
    router = Router(name=__name__)
    gated = {CONSENT_FLAG: True}

    @router.message(StateFilter(Apply.documents), F.photo | F.document, flags=gated)
    async def document_received(
        message: Message, state: FSMContext, catalog: Catalog, clock: Clock
    ) -> None:
        drafts = DraftStore(state)
        draft = await drafts.load()
        kinds = document_steps(catalog, draft.specialties, bool(draft.minor))
        kind = draft.doc_kind if draft.doc_kind in kinds else kinds[0]
        album = message.media_group_id
        same_album = album is not None and album == draft.album and draft.last_kind is not None
        if same_album:
            assert draft.last_kind is not None
            kind = draft.last_kind  # the next photo of an album: a page of the same document
        ref = await document_from_message(message, kind)
        if ref is None:
            return
        taken = await new_file(message, draft.documents, ref, clock)
        if taken is None:
            return
        draft = draft.model_copy(
            update={"documents": [*draft.documents, taken], "album": album, "last_kind": kind}
        )
        notice = received_line(kind, draft.document_kinds().count(kind))
        if same_album:
            await drafts.save(draft)  # the form has moved on already: the same screen again
            await go(message, state, DOCUMENTS, draft, catalog, notice=notice)
            return
        await go_on(message, state, drafts, draft, catalog, kind, notice=notice)

    @router.callback_query(
        FormCb.filter(F.action.in_({FormAction.doc_done, FormAction.doc_skip})),
        StateFilter(Apply.documents),
        flags=gated,
    )
    async def document_done(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
        """«Next» after the files of a document, or «Later» without any."""
        drafts = DraftStore(state)
        draft = await drafts.load()
        kinds = document_steps(catalog, draft.specialties, bool(draft.minor))
        kind = draft.doc_kind if draft.doc_kind in kinds else kinds[0]
        await go_on(callback, state, drafts, draft, catalog, kind)

    @router.callback_query(
        FormCb.filter(F.action == FormAction.doc_more), StateFilter(Apply.documents), flags=gated
    )
    async def one_more_page(
        callback: CallbackQuery,
        callback_data: FormCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        catalog: Catalog,
    ) -> None:
        """Back to the document just sent, for another page of it."""
        drafts = DraftStore(state)
        draft = await drafts.load()
        kinds = document_steps(catalog, draft.specialties, bool(draft.minor))
        if callback_data.value not in kinds:
            alert(callback_answer, _("This document is not asked for any more."))
            return
        draft = draft.model_copy(update={"doc_kind": callback_data.value, "album": None})
        await drafts.save(draft)
        await go(callback, state, DOCUMENTS, draft, catalog)

    return router
