"""«Add a document» to a submitted application: choose the document, send its files, «Done».
The files wait in the dialogue until «Done» adds them all at once, within the caps."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import (
    DOCUMENT_KINDS,
    MAX_FILES,
    REQUIRED_DOCUMENTS,
    document_steps,
    documents_added,
    file_cap_reached,
    missing_documents,
)
from bot.domain.catalog import Catalog
from bot.domain.draft import DraftFile
from db.applications import ApplicationRepository, DocumentLimitError
from handlers.application.files import document_from_message, files_cap_text, new_file
from handlers.application_texts import document_help, document_label
from handlers.callbacks import MyAppAction, MyAppCb
from handlers.consent import CONSENT_FLAG
from handlers.my_application.screen import (
    changeable,
    follow_up,
    show_application,
    staff_change_notices,
)
from handlers.states import AddDocument
from handlers.ui import alert, show, stale


def upload_text(kind: str, count: int) -> str:
    lines = [
        f"<b>{document_label(kind)}</b>",
        document_help(kind),
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
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        applications: ApplicationRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        application = await changeable(callback, callback_answer, applications, catalog, clock)
        if application is None:
            return
        if len(application.documents) >= MAX_FILES:
            alert(callback_answer, files_cap_text("total"))
            return
        missing = missing_documents(catalog, application)
        wanted = document_steps(catalog, application.data.specialties, application.data.minor)
        # What is missing first, marked, then the rest.
        kinds = missing + [k for k in (*wanted, *DOCUMENT_KINDS) if k not in missing]
        builder = InlineKeyboardBuilder()
        for kind in dict.fromkeys(kinds):
            mark = "⬜ " if kind in missing else ""
            builder.button(
                text=mark + document_label(kind),
                callback_data=MyAppCb(action=MyAppAction.kind, value=kind),
            )
        builder.button(text=_("⬅️ Back"), callback_data=MyAppCb(action=MyAppAction.show))
        builder.adjust(1)
        await show(callback, _("Which document do you want to add?"), builder.as_markup())

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.kind), flags=gated)
    async def upload_prompt(
        callback: CallbackQuery,
        callback_data: MyAppCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        applications: ApplicationRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        kind = callback_data.value
        if kind not in DOCUMENT_KINDS:
            return
        application = await changeable(callback, callback_answer, applications, catalog, clock)
        if application is None:
            return
        cap = file_cap_reached([d.kind for d in application.documents], kind)
        if cap is not None:
            alert(callback_answer, files_cap_text(cap))
            return
        await state.set_state(AddDocument.upload)
        await state.set_data({"doc_kind": kind, "files": []})
        await show(callback, upload_text(kind, 0), upload_keyboard(0))

    @router.callback_query(MyAppCb.filter(F.action == MyAppAction.upload_more))
    async def upload_again(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        raw_state: str | None,
    ) -> None:
        """The upload prompt again (after the consent screen interrupted it)."""
        if raw_state != AddDocument.upload.state:
            await stale(callback, callback_answer)
            return
        kind, files = await received(state)
        await show(callback, upload_text(kind, len(files)), upload_keyboard(len(files)))

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
        callback_answer: CallbackAnswer,
        state: FSMContext,
        raw_state: str | None,
        applications: ApplicationRepository,
        catalog: Catalog,
        settings: Settings,
        clock: Clock,
    ) -> None:
        if raw_state != AddDocument.upload.state:
            await stale(callback, callback_answer)
            return
        _kind, files = await received(state)
        application = await changeable(callback, callback_answer, applications, catalog, clock)
        if application is None:
            return
        if not files:
            alert(callback_answer, _("Send at least one file first."))
            return
        try:
            await applications.add_documents(
                application.id,
                [f.ref() for f in files],
                clock.now(),
                changes=documents_added(f.kind for f in files),
                notices=staff_change_notices(settings, application),
            )
        except DocumentLimitError as error:
            # Another upload got there first (a second chat window): nothing was added.
            await state.clear()
            alert(callback_answer, files_cap_text("total" if error.kind is None else "kind"))
            await show_application(callback, applications, catalog, settings, clock)
            return
        await state.clear()
        await show_application(
            callback,
            applications,
            catalog,
            settings,
            clock,
            notice=_("📎 Document added.") + " " + follow_up(application),
        )

    return router
