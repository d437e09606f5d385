"""«My application»: status and history, ranking positions, documents; add a document,
edit, withdraw, submit again, delete my data."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import (
    DOCUMENT_KINDS,
    EDITABLE_STATUSES,
    MAX_FILES,
    MAX_PAGES_PER_DOCUMENT,
    MAX_WITHDRAWALS,
    STAFF_EVENT_DELAY,
    WITHDRAWABLE_STATUSES,
    document_steps,
    file_cap_reached,
    missing_documents,
    next_withdrawal_at,
)
from bot.domain.catalog import Catalog
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length
from bot.services.applications import ranking_positions
from bot.services.erasure import PersonEraser
from db.applications import (
    Application,
    ApplicationRepository,
    DocumentLimitError,
    DocumentRef,
    Notice,
    PersonErased,
)
from handlers.application_texts import (
    document_label,
    documents_lines,
    documents_of,
    form_of,
    history_lines,
    position_line,
    status_label,
    summary_lines,
)
from handlers.callbacks import MenuCb, MyAppAction, MyAppCb, Section
from handlers.consent import CONSENT_FLAG, ConsentGate
from handlers.states import AddDocument
from handlers.ui import (
    fmt_date,
    has_application,
    home_button_row,
    main_menu_keyboard,
    show,
    stale,
)


async def application_text(
    application: Application,
    applications: ApplicationRepository,
    catalog: Catalog,
    settings: Settings,
    today: date,
    notice: str | None = None,
) -> str:
    lines = [notice, ""] if notice else []
    lines += [
        _("<b>Application {number}</b>").format(number=application.number),
        _("Status: <b>{status}</b>").format(status=status_label(application.status)),
    ]
    if not catalog.accepts_changes(application.campaign_year, today):
        lines.append(
            _("Admission {year} is over: the application can no longer be changed.").format(
                year=application.campaign_year
            )
        )
    lines += ["", _("<b>Your place in the ranking</b> (by the average score):")]
    for position in await ranking_positions(applications, catalog, application):
        lines.append("• " + position_line(catalog, position))
    lines += ["", *summary_lines(form_of(application), catalog)]
    lines += documents_lines(documents_of(application))
    missing = missing_documents(catalog, application)
    if missing:
        lines.append(
            _("Still missing: {documents}").format(
                documents=", ".join(document_label(kind) for kind in missing)
            )
        )
    lines += ["", _("<b>History</b>")]
    room = MESSAGE_LIMIT - telegram_length("\n".join(lines)) - 1
    lines += history_lines(application.history, settings.tz, room)
    return "\n".join(lines)


def application_keyboard(
    application: Application, catalog: Catalog, today: date
) -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    if catalog.accepts_changes(application.campaign_year, today):
        if application.status not in ("withdrawn", "rejected", "enrolled"):
            builder.button(
                text=_("📎 Add a document"), callback_data=MyAppCb(action=MyAppAction.add_doc)
            )
        if application.status in EDITABLE_STATUSES:
            builder.button(
                text=_("✏️ Change answers"), callback_data=MyAppCb(action=MyAppAction.edit)
            )
        if application.status in WITHDRAWABLE_STATUSES:
            builder.button(text=_("↩️ Withdraw"), callback_data=MyAppCb(action=MyAppAction.withdraw))
        if application.status == "withdrawn":
            builder.button(
                text=_("🔁 Submit again"), callback_data=MyAppCb(action=MyAppAction.resubmit)
            )
    builder.button(text=_("🗑 Delete my data"), callback_data=MyAppCb(action=MyAppAction.delete))
    builder.button(text=_("🔄 Refresh"), callback_data=MyAppCb(action=MyAppAction.show))
    home_button_row(builder)
    builder.adjust(1)
    return builder


async def show_application(
    target: Message | CallbackQuery,
    applications: ApplicationRepository,
    catalog: Catalog,
    settings: Settings,
    clock: Clock,
    state: FSMContext,
    *,
    notice: str | None = None,
) -> None:
    application = await applications.for_user(target.from_user.id)  # type: ignore[union-attr]
    if application is None:
        await show(target, _("You have no application yet."), main_menu_keyboard())
        return
    today = clock.today()
    text = await application_text(application, applications, catalog, settings, today, notice)
    await show(target, text, application_keyboard(application, catalog, today).as_markup())


def staff_status_notices(settings: Settings, event: str) -> list[Notice]:
    """The staff's news of the applicant's own change. It waits ``STAFF_EVENT_DELAY`` and takes
    in the changes that follow meanwhile: a burst of changes is one message, not one each."""
    return [
        Notice(
            chat_id=chat_id,
            kind="staff_event",
            key=f"staff-event:{{application_id}}:{{history_id}}:{chat_id}",
            payload={"event": event},
            delay=STAFF_EVENT_DELAY,
            merge=True,
        )
        for chat_id in settings.staff_chats
    ]


async def back_to_review_if_corrected(
    application: Application,
    settings: Settings,
    applications: ApplicationRepository,
    clock: Clock,
) -> None:
    """An application waiting for a correction goes back to review once the applicant changed
    something; the staff are told."""
    if application.status != "needs_correction":
        return
    await applications.set_status(
        application.id,
        "submitted",
        clock.now(),
        notices=staff_status_notices(settings, "corrected"),
    )


def get_router() -> Router:
    router = Router(name=__name__)
    # Changing answers, adding files, submitting again: only with the current consent.
    gate = ConsentGate(resume=MyAppCb(action=MyAppAction.upload_more).pack())
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    gated = {CONSENT_FLAG: True}

    async def mine(
        callback: CallbackQuery, applications: ApplicationRepository
    ) -> Application | None:
        application = await applications.for_user(callback.from_user.id)
        if application is None:
            await callback.answer(_("You have no application."), show_alert=True)
        return application

    async def changeable(
        callback: CallbackQuery, applications: ApplicationRepository, catalog: Catalog, clock: Clock
    ) -> Application | None:
        """The user's application if its campaign still takes changes, else ``None`` after
        saying why."""
        application = await mine(callback, applications)
        if application is None:
            return None
        if not catalog.accepts_changes(application.campaign_year, clock.today()):
            await callback.answer(
                _("Admission {year} is over: the application can no longer be changed.").format(
                    year=application.campaign_year
                ),
                show_alert=True,
            )
            return None
        return application

    @router.callback_query(MyAppCb.filter(F.action == "show"))
    async def show_mine(callback: CallbackQuery, **deps: Any) -> None:
        await show_application(callback, **_deps(deps))
        await callback.answer()

    @router.callback_query(MyAppCb.filter(F.action == "edit"), flags=gated)
    async def edit(
        callback: CallbackQuery,
        state: FSMContext,
        applications: ApplicationRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        from handlers.application_form import go

        application = await changeable(callback, applications, catalog, clock)
        if application is None:
            return
        if application.status not in EDITABLE_STATUSES:
            await callback.answer(_("This application can no longer be changed."), show_alert=True)
            return
        form = form_of(application).model_dump(mode="json")
        form["email"] = application.data.email
        form["documents"] = []
        await state.set_data({"form": form, "application_id": application.id})
        await go(callback, state, "review", catalog)
        await callback.answer()

    @router.callback_query(MyAppCb.filter(F.action == "add_doc"), flags=gated)
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

    @router.callback_query(MyAppCb.filter(F.action == "kind"), flags=gated)
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

    @router.callback_query(MyAppCb.filter(F.action == "upload_more"))
    async def upload_again(callback: CallbackQuery, state: FSMContext) -> None:
        """The upload prompt again (after the consent screen interrupted it)."""
        if await state.get_state() != AddDocument.upload.state:
            await stale(callback)
            return
        data = await state.get_data()
        count = len(data.get("files") or [])
        await show(callback, upload_text(data.get("doc_kind", "passport"), count),
                   upload_keyboard(count))  # fmt: skip
        await callback.answer()

    @router.message(StateFilter(AddDocument.upload), F.photo | F.document, flags=gated)
    async def upload(
        message: Message, state: FSMContext, clock: Clock, applications: ApplicationRepository
    ) -> None:
        from handlers.application_form import document_from_message, new_file_entry

        data = await state.get_data()
        kind = data.get("doc_kind", "passport")
        ref = await document_from_message(message, kind)
        if ref is None:
            return
        application = await applications.for_user(message.chat.id)
        stored = [d.kind for d in application.documents] if application else []
        files = list(data.get("files") or [])
        entry = await new_file_entry(message, files, ref, clock, stored)
        if entry is None:
            return
        files.append(entry)
        await state.update_data(files=files)
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

    @router.callback_query(MyAppCb.filter(F.action == "upload_done"), flags=gated)
    async def upload_done(
        callback: CallbackQuery, state: FSMContext, clock: Clock, **deps: Any
    ) -> None:
        applications: ApplicationRepository = deps["applications"]
        data = await state.get_data()
        files = data.get("files") or []
        if await state.get_state() != AddDocument.upload.state:
            await stale(callback)
            return
        application = await changeable(callback, applications, deps["catalog"], clock)
        if application is None:
            return
        if not files:
            await callback.answer(_("Send at least one file first."), show_alert=True)
            return
        refs = [
            DocumentRef(
                kind=data["doc_kind"],
                file_id=f["file_id"],
                file_unique_id=f["file_unique_id"],
                content_type=f["content_type"],
                file_size=f.get("file_size"),
            )
            for f in files
        ]
        try:
            await applications.add_documents(application.id, refs, clock.now())
        except DocumentLimitError as error:
            # Another upload got there first (a second chat window): nothing was added.
            await state.clear()
            await callback.answer(
                files_cap_text("total" if error.kind is None else "kind"), show_alert=True
            )
            await show_application(callback, **_deps({**deps, "state": state, "clock": clock}))
            return
        await back_to_review_if_corrected(application, deps["settings"], applications, clock)
        await state.clear()
        await callback.answer(_("Saved."))
        await show_application(
            callback,
            **_deps({**deps, "state": state, "clock": clock}),
            notice=_("📎 Document added."),
        )

    @router.callback_query(MyAppCb.filter(F.action == "withdraw"))
    async def withdraw_asked(callback: CallbackQuery, **deps: Any) -> None:
        application = await changeable(
            callback, deps["applications"], deps["catalog"], deps["clock"]
        )
        if application is None:
            return
        if await withdrawal_refused(callback, application, deps):
            return
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("Yes, withdraw"), callback_data=MyAppCb(action=MyAppAction.withdraw_yes)
        )
        builder.button(text=_("No"), callback_data=MyAppCb(action=MyAppAction.show))
        builder.adjust(2)
        await show(
            callback,
            _(
                "Withdraw the application? It leaves the ranking. You can submit it again "
                "while the admission is open."
            ),
            builder.as_markup(),
        )
        await callback.answer()

    @router.callback_query(MyAppCb.filter(F.action == "withdraw_yes"))
    async def withdraw(callback: CallbackQuery, **deps: Any) -> None:
        await change_own_status(callback, WITHDRAWABLE_STATUSES, "withdrawn", "withdrawn", deps)

    @router.callback_query(MyAppCb.filter(F.action == "resubmit"), flags=gated)
    async def resubmit(callback: CallbackQuery, **deps: Any) -> None:
        await change_own_status(callback, ("withdrawn",), "submitted", "resubmitted", deps)

    async def withdrawal_refused(
        callback: CallbackQuery, application: Application, deps: dict[str, Any]
    ) -> bool:
        """Past the daily number of withdrawals: say when it is possible again."""
        clock: Clock = deps["clock"]
        again = next_withdrawal_at(application.history, clock.now())
        if again is None:
            return False
        local = again.astimezone(clock.tz)
        await callback.answer(
            ngettext(
                "You have withdrawn the application {count} time in 24 hours. You can "
                "withdraw it again on {date} after {time}.",
                "You have withdrawn the application {count} times in 24 hours. You can "
                "withdraw it again on {date} after {time}.",
                MAX_WITHDRAWALS,
            ).format(count=MAX_WITHDRAWALS, date=fmt_date(local.date()), time=f"{local:%H:%M}"),
            show_alert=True,
        )
        await show_application(callback, **_deps(deps))
        return True

    async def change_own_status(
        callback: CallbackQuery,
        allowed: tuple[str, ...],
        new: str,
        event: str,
        deps: dict[str, Any],
    ) -> None:
        applications: ApplicationRepository = deps["applications"]
        settings: Settings = deps["settings"]
        clock: Clock = deps["clock"]
        application = await changeable(callback, applications, deps["catalog"], clock)
        if application is None:
            return
        if application.status not in allowed:  # a double click, an old screen
            await callback.answer()
            await show_application(callback, **_deps(deps))
            return
        if new == "withdrawn" and await withdrawal_refused(callback, application, deps):
            return
        await applications.set_status(
            application.id,
            new,
            clock.now(),
            actor_id=None,
            notices=staff_status_notices(settings, event),
        )
        await callback.answer(_("Done."))
        await show_application(callback, **_deps(deps))

    @router.callback_query(MyAppCb.filter(F.action == "delete"))
    async def delete_asked(callback: CallbackQuery) -> None:
        await show(callback, *delete_question(MyAppCb(action=MyAppAction.show)))
        await callback.answer()

    @router.message(Command("delete_my_data"))
    async def delete_command(message: Message) -> None:
        """For everyone, with an application or without (questions, reminders, a consent)."""
        text, markup = delete_question(MenuCb(to=Section.home))
        await message.answer(text, reply_markup=markup)

    @router.callback_query(MyAppCb.filter(F.action == "delete_yes"))
    async def delete_confirmed(
        callback: CallbackQuery, state: FSMContext, eraser: PersonEraser, catalog: Catalog
    ) -> None:
        from handlers.start import main_menu_text

        await state.clear()
        erased = await eraser.erase(callback.from_user.id)
        has_application.set(False)
        await callback.answer()
        await show(
            callback,
            deleted_text(erased) + "\n\n" + main_menu_text(catalog),
            main_menu_keyboard(),
        )

    return router


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


def delete_question(back: CallbackData) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Yes, delete everything"), callback_data=MyAppCb(action=MyAppAction.delete_yes)
    )
    builder.button(text=_("No"), callback_data=back)
    builder.adjust(1)
    text = _(
        "<b>Delete all your personal data?</b>\n\nYour application, its documents, "
        "your consent and your answers will be erased for good, and your application "
        "leaves the ranking. This cannot be undone. If you have also applied at the "
        "college or on Gosuslugi, ask them separately."
    )
    more = _(
        "Your questions to the admission committee, your reminders and your student "
        "registration are erased too."
    )
    text += "\n" + more
    return text, builder.as_markup()


def deleted_text(erased: PersonErased) -> str:
    """The confirmation, and honestly what the bot cannot reach."""
    lines = [_("🗑 <b>Your personal data has been deleted.</b>")]
    if erased.staff_posts:
        lines.append(
            ngettext(
                "The bot is also deleting its {count} message about you from the admission "
                "committee's chat.",
                "The bot is also deleting its {count} messages about you from the admission "
                "committee's chat.",
                erased.staff_posts,
            ).format(count=erased.staff_posts)
        )
    lines += [
        "",
        _("What the admission committee may still have:"),
        _(
            "• what the staff downloaded, printed or forwarded, and documents you gave them "
            "in person;"
        ),
        _(
            "• the bot's messages about you older than 48 hours: Telegram does not let the bot "
            "delete them after that;"
        ),
        _("• the staff's own messages in their chat;"),
        _(
            "• backup copies of the bot's database, until newer ones replace them; if a copy "
            "is ever restored, your data is deleted from it again."
        ),
        _("To have these erased too, write to the admission committee of the college."),
    ]
    return "\n".join(lines)


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


def _deps(deps: dict[str, Any]) -> dict[str, Any]:
    names = ("applications", "catalog", "settings", "clock", "state")
    return {name: deps[name] for name in names}


__all__ = ["MenuCb", "MyAppCb", "Section", "get_router", "show_application"]
