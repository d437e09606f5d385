"""«Add a document» to a submitted application: choose the document, send its files, «Done».
The files wait in the dialogue until «Done» adds them all at once, within the caps."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import (
    DOCUMENT_KINDS,
    MAX_FILES,
    MAX_PAGES_PER_DOCUMENT,
    REQUIRED_DOCUMENTS,
    document_steps,
    file_cap_reached,
)
from bot.domain.catalog import Catalog
from bot.domain.draft import DraftFile
from db.applications import ApplicationRepository, DocumentLimitError
from handlers.application.files import document_from_message, new_file
from handlers.application_texts import document_label
from handlers.callbacks import MyAppAction, MyAppCb
from handlers.consent import CONSENT_FLAG
from handlers.my_application.screen import (
    back_to_review_if_corrected,
    changeable,
    show_application,
)
from handlers.states import AddDocument
from handlers.ui import show, stale


def files_cap_text(cap: str) -> str:
    if cap == "kind":
        return ngettext(
            "That is {max} file for this document already: the most it can have.",
            "That is {max} files for this document already: the most it can have.",
            MAX_PAGES_PER_DOCUMENT,
        ).format(max=MAX_PAGES_PER_DOCUMENT)
    return ngettext(
        "An application can have at most {max} file in all; it has that many already.",
        "An application can have at most {max} files in all; it has that many already.",
        MAX_FILES,
    ).format(max=MAX_FILES)


def upload_text(kind: str, count: int) -> str:
    lines = [
        _("<b>Documents: {document}</b>").format(document=document_label(kind)),
        _("Send a photo or a PDF (up to 20 MB). Several pages? Send them one by one."),
    ]
    if count:
        lines.append(
            ngettext("Received: {count} file.", "Received: {count} files.", count).format(
                count=count
            )
        )
    return "\n".join(lines)


def upload_keyboard(count: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if count:
        builder.button(text=_("✅ Done"), callback_data=MyAppCb(action=MyAppAction.upload_done))
    builder.button(text=_("⬅️ Back"), callback_data=MyAppCb(action=MyAppAction.show))
    builder.adjust(1)
    return builder.as_markup()


async def received(state: FSMContext) -> tuple[str, list[DraftFile]]:
    """The document being added and the files received for it so far."""
    data = await state.get_data()
    files = [DraftFile.model_validate(f) for f in data.get("files") or []]
    return str(data.get("doc_kind") or REQUIRED_DOCUMENTS[0]), files


def get_router() -> Router:
    router = Router(name=__name__)
    gated = {CONSENT_FLAG: True}  # the gate is the including router's

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.add_doc), flags=gated)
    async def choose_document(
        callback: CallbackQuery, applications: ApplicationRepository, catalog: Catalog, clock: Clock
    ) -> None:
        application = await changeable(callback, applications, catalog, clock)
        if application is None:
            return
        if len(application.documents) >= MAX_FILES:
            await callback.answer(files_cap_text("total"), show_alert=True)
            return
        wanted = document_steps(catalog, application.data.specialties, application.data.minor)
        kinds = wanted + [k for k in DOCUMENT_KINDS if k not in wanted]
        builder = InlineKeyboardBuilder()
        for kind in kinds:
            builder.button(
                text=document_label(kind),
                callback_data=MyAppCb(action=MyAppAction.kind, value=kind),
            )
        builder.button(text=_("⬅️ Back"), callback_data=MyAppCb(action=MyAppAction.show))
        builder.adjust(1)
        await show(callback, _("Which document do you want to add?"), builder.as_markup())
        await callback.answer()

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.kind), flags=gated)
    async def upload_prompt(
        callback: CallbackQuery,
        callback_data: MyAppCb,
        state: FSMContext,
        applications: ApplicationRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        kind = callback_data.value
        if kind not in DOCUMENT_KINDS:
            await callback.answer()
            return
        application = await changeable(callback, applications, catalog, clock)
        if application is None:
            return
        cap = file_cap_reached([d.kind for d in application.documents], kind)
        if cap is not None:
            await callback.answer(files_cap_text(cap), show_alert=True)
            return
        await state.set_state(AddDocument.upload)
        await state.set_data({"doc_kind": kind, "files": []})
        await show(callback, upload_text(kind, 0), upload_keyboard(0))
        await callback.answer()

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.upload_more))
    async def upload_again(
        callback: CallbackQuery, state: FSMContext, raw_state: str | None
    ) -> None:
        """The upload prompt again (after the consent screen interrupted it)."""
        if raw_state != AddDocument.upload.state:
            await stale(callback)
            return
        kind, files = await received(state)
        await show(callback, upload_text(kind, len(files)), upload_keyboard(len(files)))
        await callback.answer()

    @router.message(StateFilter(AddDocument.upload), F.photo | F.document, flags=gated)
    async def upload(
        message: Message, state: FSMContext, clock: Clock, applications: ApplicationRepository
    ) -> None:
        kind, files = await received(state)
        ref = await document_from_message(message, kind)
        if ref is None:
            return
        application = await applications.for_user(message.chat.id)
        stored = [d.kind for d in application.documents] if application else []
        file = await new_file(message, files, ref, clock, stored)
        if file is None:
            return
        files.append(file)
        await state.update_data(files=[f.model_dump(mode="json") for f in files])
        await message.answer(
            upload_text(kind, len(files)), reply_markup=upload_keyboard(len(files))
        )

    @router.message(StateFilter(AddDocument.upload))
    async def upload_needs_a_file(message: Message) -> None:
        await message.answer(
            _("Here I need a photo or a PDF file of the document, not text.")
            + " "
            + _("Or /cancel to stop.")
        )

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.upload_done), flags=gated)
    async def upload_done(
        callback: CallbackQuery,
        state: FSMContext,
        raw_state: str | None,
        applications: ApplicationRepository,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
    ) -> None:
        if raw_state != AddDocument.upload.state:
            await stale(callback)
            return
        _kind, files = await received(state)
        application = await changeable(callback, applications, catalog, clock)
        if application is None:
            return
        if not files:
            await callback.answer(_("Send at least one file first."), show_alert=True)
            return
        try:
            await applications.add_documents(application.id, [f.ref() for f in files], clock.now())
        except DocumentLimitError as error:
            # Another upload got there first (a second chat window): nothing was added.
            await state.clear()
            await callback.answer(
                files_cap_text("total" if error.kind is None else "kind"), show_alert=True
            )
            await show_application(callback, applications, catalog, settings, clock)
            return
        await back_to_review_if_corrected(application, settings, applications, clock)
        await state.clear()
        await callback.answer(_("Saved."))
        await show_application(
            callback, applications, catalog, settings, clock, notice=_("📎 Document added.")
        )

    return router
