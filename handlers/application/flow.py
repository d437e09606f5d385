"""Moving through the form: ask a step, what comes after an answer, going back, starting, and
where a draft goes on after the applicant left the form."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardMarkup

from bot.domain.applications import document_steps, next_document
from bot.domain.catalog import Catalog
from bot.domain.draft import Draft
from handlers.application.draft_store import DraftStore
from handlers.application.steps import (
    ASKED,
    CHANNEL,
    DOCUMENTS,
    FULL_NAME,
    REVIEW,
    Step,
    following,
    previous,
    question,
)
from handlers.ui import bot_of, show


async def go(
    target: Message | CallbackQuery,
    state: FSMContext,
    step: Step,
    draft: Draft,
    catalog: Catalog,
    *,
    notice: str | None = None,
) -> None:
    """Ask ``step``: its state becomes the dialogue's, its question is shown (below
    ``notice``, when there is one: a hint, what was just received)."""
    await state.set_state(step.state)
    text, markup = question(step, draft, catalog)
    if notice:
        text = notice + "\n\n" + text
    if isinstance(markup, ReplyKeyboardMarkup):
        message = target.message if isinstance(target, CallbackQuery) else target
        if isinstance(target, CallbackQuery) and isinstance(message, Message):
            await message.edit_reply_markup(reply_markup=None)
        assert target.from_user is not None
        await bot_of(target).send_message(target.from_user.id, text, reply_markup=markup)
        return
    await show(target, text, markup)


def documents_from(draft: Draft, catalog: Catalog) -> Draft:
    """The documents step begins at the first document without a file."""
    kinds = document_steps(catalog, draft.specialties, bool(draft.minor))
    first = next_document(kinds, "", draft.document_kinds()) or kinds[0]
    return draft.model_copy(update={"doc_kind": first})


def after(step: Step, draft: Draft, catalog: Catalog) -> tuple[Step, Draft]:
    """What comes after an answer at ``step``: the review again when one answer was being
    changed, else the next row (the documents start with the first one without a file)."""
    if draft.editing:
        return REVIEW, draft.model_copy(update={"editing": False})
    next_step = following(step)
    if next_step is DOCUMENTS:
        draft = documents_from(draft, catalog)
    return next_step, draft


async def advance(
    target: Message | CallbackQuery,
    state: FSMContext,
    drafts: DraftStore,
    step: Step,
    draft: Draft,
    catalog: Catalog,
    *,
    notice: str | None = None,
) -> None:
    """Store the draft answered at ``step`` and ask what comes next."""
    next_step, draft = after(step, draft, catalog)
    await drafts.save(draft)
    await go(target, state, next_step, draft, catalog, notice=notice)


async def button_answer(
    callback: CallbackQuery,
    state: FSMContext,
    step: Step,
    catalog: Catalog,
    *,
    notice: str | None = None,
    **answers: object,
) -> None:
    """An answer given by a button at ``step``: into the draft, stored, on to what comes next."""
    drafts = DraftStore(state)
    draft = (await drafts.load()).model_copy(update=answers)
    await advance(callback, state, drafts, step, draft, catalog, notice=notice)


async def go_back(
    target: Message | CallbackQuery,
    state: FSMContext,
    drafts: DraftStore,
    step: Step,
    draft: Draft,
    catalog: Catalog,
) -> None:
    """Back from ``step``: to the review when one answer was being changed, to the previous
    document on the documents step, else to the previous question."""
    if draft.editing:
        draft = draft.model_copy(update={"editing": False})
        await drafts.save(draft)
        await go(target, state, REVIEW, draft, catalog)
        return
    if step is not DOCUMENTS:
        await go(target, state, previous(step), draft, catalog)
        return
    kinds = document_steps(catalog, draft.specialties, bool(draft.minor))
    kind = draft.doc_kind or kinds[0]
    index = kinds.index(kind) if kind in kinds else 0
    if index == 0:
        await go(target, state, CHANNEL, draft, catalog)
        return
    draft = draft.model_copy(update={"doc_kind": kinds[index - 1]})
    await drafts.save(draft)
    await go(target, state, DOCUMENTS, draft, catalog)


async def start_form(
    target: Message | CallbackQuery,
    state: FSMContext,
    drafts: DraftStore,
    catalog: Catalog,
    preselect: str = "",
) -> None:
    """The first question; «Apply» on a specialty's card has chosen that specialty already."""
    chosen = [preselect] if catalog.specialty(preselect) is not None else []
    draft = Draft(preselect=preselect, specialties=chosen)
    await drafts.save(draft)
    await go(target, state, FULL_NAME, draft, catalog)


def resume_point(draft: Draft, catalog: Catalog) -> tuple[Step, Draft]:
    """Where a draft goes on after the applicant left the form (the dialogue's state went to
    another dialogue): the first question without an answer; with all answered, the documents
    unless they were gone through, else the review."""
    draft = draft.model_copy(update={"editing": False})
    if draft.application_id is not None:
        return REVIEW, draft
    for step in ASKED:
        if step.answered is not None and not step.answered(draft, catalog):
            return step, draft
    if not draft.documents_done:
        return DOCUMENTS, documents_from(draft, catalog)
    return REVIEW, draft
