"""/catalog: the staff keep the catalogue current from Telegram (bot/services/catalog.py).

Download the catalogue as a workbook, edit it, send it back. The file is read whole: a file
with any problem is refused with every problem at its sheet, row and column; a correct one is
shown as the list of what it changes and waits, as a draft, for «✅ Apply». Administrators
change anything; staff of a college only its rows (a change outside them refuses the file).
Every version is kept with who made it and when; going back to an older one is a change like
any other (a new version, shown and confirmed first).

Generic over the workbook's sheets (bot/services/catalog_workbook.py ``SHEETS``): the lines
shown are the workbook's own.
"""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter, or_f
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length
from bot.services.catalog import (
    FROM_ANSWER,
    FROM_VERSION,
    FROM_WORKBOOK,
    CatalogService,
    Edit,
    Refusal,
    checksum,
)
from bot.services.catalog_workbook import workbook_bytes
from bot.services.reminders import ReminderService
from db.catalog import VersionInfo
from handlers.callbacks import CatalogAction, CatalogCb, QueueAction, QueueCb
from handlers.staff.uploads import downloaded
from handlers.states import CatalogForm
from handlers.ui import alert, current_language, h, show

VERSIONS_SHOWN = 10
# Room left in a message for the list of changes or problems (the heading and the question
# under it take the rest).
LIST_ROOM = MESSAGE_LIMIT - 600


def exported_name(version: int) -> str:
    return f"catalog-v{version}.xlsx"


def catalogue_file(message: Message) -> bool:
    """A workbook named as the bot names the catalogue (``catalog-v12.xlsx``): taken for one
    outside the upload step too (an administrator's other XLSX files are work placement periods)."""
    name = (message.document.file_name or "").casefold() if message.document else ""
    return name.startswith("catalog") and name.endswith(".xlsx")


def fitted(lines: list[str], room: int = LIST_ROOM) -> list[str]:
    """Escaped ``lines`` as many as fit in ``room`` (as Telegram counts), then how many more."""
    shown: list[str] = []
    used = 0
    for line in lines:
        text = "• " + h(line)
        size = telegram_length(text) + 1
        if used + size > room:
            break
        shown.append(text)
        used += size
    more = len(lines) - len(shown)
    if more:
        shown.append(ngettext("…and {count} more.", "…and {count} more.", more).format(count=more))
    return shown


def who(version: VersionInfo) -> str:
    """Who made a version ("" for the catalogue shipped with the bot)."""
    if version.loaded_by is None:
        return "" if version.source == "default" else _("from the shell")
    if version.name:
        return h(version.name)
    return _("id {id}").format(id=version.loaded_by)


def what(version: VersionInfo) -> str:
    """How a version came about, from its ``source``."""
    source = version.source
    if source == "default":
        return _("the catalogue shipped with the bot")
    if source.startswith(FROM_WORKBOOK):
        return _("workbook {name}").format(name=h(source.removeprefix(FROM_WORKBOOK)))
    if source.startswith(FROM_VERSION):
        return _("back to version №{number}").format(number=source.removeprefix(FROM_VERSION))
    if source.startswith(FROM_ANSWER):
        return _("FAQ entry from the answer to question №{number}").format(
            number=source.removeprefix(FROM_ANSWER)
        )
    return _("file {name}").format(name=h(source))


def version_line(version: VersionInfo, tz: ZoneInfo, current: int) -> str:
    when = version.loaded_at.astimezone(tz).strftime("%d.%m.%Y %H:%M")
    line = " · ".join(
        part for part in (f"№{version.id}", when, who(version), what(version)) if part
    )
    return line + _(" ← current") if version.id == current else line


def rights(scope: Scope, catalog: Catalog) -> str:
    """What the member may change."""
    if scope.admin:
        return _("As an administrator you may change everything.")
    if scope.college_id is None:
        return _(
            "You may change the colleges' rows and their specialties; the admission dates and "
            "the FAQ are changed by the administrators."
        )
    college = catalog.college(scope.college_id)
    name = h(college.short_name.get(current_language())) if college else h(scope.college_id)
    return _(
        "You may change the rows of {college}: its row on the sheet «Колледжи» and the "
        "specialties it teaches. Leave the other rows as they are."
    ).format(college=name)


def catalog_button(text: str, action: CatalogAction, id: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=CatalogCb(action=action, id=id).pack())


def menu_row() -> list[InlineKeyboardButton]:
    return [
        catalog_button(_("⬅️ Catalogue"), CatalogAction.menu),
        InlineKeyboardButton(
            text=_("⬅️ Panel"), callback_data=QueueCb(action=QueueAction.panel).pack()
        ),
    ]


async def menu_screen(
    scope: Scope, catalogs: CatalogService, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    _version, catalog = await catalogs.current_version()
    lines = [_("<b>📚 Catalogue</b>")]
    for latest in await catalogs.versions(1):
        lines.append(
            _("Current version: {line}").format(line=version_line(latest, settings.tz, -1))
        )
    lines += [
        "",
        _(
            "Download the workbook, edit it in Excel and send it back here as a file. I check "
            "it whole, show what it changes, and change nothing until you confirm."
        ),
        rights(scope, catalog),
    ]
    keyboard = [
        [catalog_button(_("📥 Download the workbook"), CatalogAction.download)],
        [catalog_button(_("📤 Send an edited workbook"), CatalogAction.upload)],
        [catalog_button(_("🗂 Versions"), CatalogAction.versions)],
        [
            InlineKeyboardButton(
                text=_("⬅️ Panel"), callback_data=QueueCb(action=QueueAction.panel).pack()
            )
        ],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=keyboard)


async def versions_screen(
    catalogs: CatalogService, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    current, _catalog = await catalogs.current_version()
    versions = await catalogs.versions(VERSIONS_SHOWN)
    lines = [_("<b>Versions of the catalogue</b>, the newest first:"), ""]
    lines += [version_line(v, settings.tz, current) for v in versions]
    builder = InlineKeyboardBuilder()
    for version in versions:
        if version.id != current:
            builder.button(
                text=_("↩️ №{number}").format(number=version.id),
                callback_data=CatalogCb(action=CatalogAction.version, id=version.id),
            )
    if len(versions) > 1:
        lines += ["", _("To go back to a version, press its number: I show what it changes first.")]
    builder.adjust(4)
    builder.row(*menu_row())
    return "\n".join(lines), builder.as_markup()


def problems_text(edit: Edit) -> str:
    lines = [
        ngettext(
            "<b>The workbook was not accepted</b>: {count} problem. Nothing was changed. Fix it "
            "and send the file again:",
            "<b>The workbook was not accepted</b>: {count} problems. Nothing was changed. Fix "
            "them and send the file again:",
            len(edit.problems),
        ).format(count=len(edit.problems)),
        *fitted([str(p) for p in edit.problems]),
    ]
    return "\n".join(lines)


def refused_text(edit: Edit, scope: Scope, catalog: Catalog) -> str:
    return "\n".join(
        [
            _("<b>Nothing was changed</b>: these changes are not yours to make."),
            rights(scope, catalog),
            "",
            *fitted([str(c) for c in edit.refused]),
        ]
    )


def draft_screen(edit: Edit, draft_id: int, heading: str) -> tuple[str, InlineKeyboardMarkup]:
    count = len(edit.changes)
    lines = [
        heading,
        ngettext("{count} change:", "{count} changes:", count).format(count=count),
        *fitted([str(c) for c in edit.changes]),
        "",
        _("Nothing is changed until you press «✅ Apply»."),
    ]
    keyboard = [
        [
            catalog_button(_("✅ Apply"), CatalogAction.apply, draft_id),
            catalog_button(_("✖️ Cancel"), CatalogAction.drop, draft_id),
        ]
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=keyboard)


def get_router() -> Router:
    """Inside the staff tree (``scope`` is given); before the work placement router, which takes an
    administrator's other XLSX files."""
    router = Router(name=__name__)

    @router.message(Command("catalog"))
    async def catalog_command(
        message: Message, scope: Scope, catalogs: CatalogService, settings: Settings
    ) -> None:
        text, markup = await menu_screen(scope, catalogs, settings)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(CatalogCb.filter(F.action == CatalogAction.menu))
    async def menu(
        callback: CallbackQuery, scope: Scope, catalogs: CatalogService, settings: Settings
    ) -> None:
        await show(callback, *await menu_screen(scope, catalogs, settings))

    @router.callback_query(CatalogCb.filter(F.action == CatalogAction.download))
    async def download(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        scope: Scope,
        state: FSMContext,
        bot: Bot,
        catalogs: CatalogService,
    ) -> None:
        # Answered before the file is built, with a word of what is coming.
        callback_answer.disable()
        await callback.answer(_("Preparing the file…"))
        version, catalog = await catalogs.current_version()
        content = await asyncio.to_thread(workbook_bytes, catalog)
        caption = [
            _(
                "Catalogue, version №{number}. Edit it and send it back here as a file; keep "
                "the sheets and the names of the columns."
            ).format(number=version)
        ]
        if not scope.admin:
            caption.append(_("Change only the rows that are yours to change (see /catalog)."))
        await bot.send_document(
            callback.from_user.id,
            BufferedInputFile(content, filename=exported_name(version)),
            caption="\n".join(caption),
        )
        await state.set_state(CatalogForm.upload)

    @router.callback_query(CatalogCb.filter(F.action == CatalogAction.upload))
    async def upload(callback: CallbackQuery, state: FSMContext) -> None:
        await state.set_state(CatalogForm.upload)
        await show(
            callback,
            _("Send the edited workbook here as a file (.xlsx), or /cancel."),
            InlineKeyboardMarkup(inline_keyboard=[menu_row()]),
        )

    @router.message(F.document, or_f(StateFilter(CatalogForm.upload), catalogue_file))
    async def workbook(
        message: Message,
        state: FSMContext,
        scope: Scope,
        bot: Bot,
        catalogs: CatalogService,
    ) -> None:
        assert message.document is not None and message.from_user is not None
        name = message.document.file_name or "catalog.xlsx"
        if not name.casefold().endswith(".xlsx"):
            await message.answer(_("Send the catalogue as an Excel workbook (.xlsx), or /cancel."))
            return
        content = await downloaded(message, bot)
        if content is None:
            return
        edit = await catalogs.read_workbook(content, scope)
        if edit.catalog is None:
            await state.set_state(CatalogForm.upload)  # the corrected file is awaited
            await message.answer(problems_text(edit))
            return
        if edit.refused:
            await state.set_state(CatalogForm.upload)
            await message.answer(refused_text(edit, scope, edit.base))
            return
        if await state.get_state() == CatalogForm.upload:
            await state.set_state(None)
        if not edit.changes:
            await message.answer(
                _("The workbook changes nothing: it is the same as version №{number}.").format(
                    number=edit.base_id
                ),
                reply_markup=InlineKeyboardMarkup(inline_keyboard=[menu_row()]),
            )
            return
        draft_id = await catalogs.save_draft(
            edit, message.from_user.id, FROM_WORKBOOK + name, checksum(content)
        )
        heading = _("<b>The workbook is correct.</b>")
        text, markup = draft_screen(edit, draft_id, heading)
        await message.answer(text, reply_markup=markup)

    @router.message(StateFilter(CatalogForm.upload), ~F.text.startswith("/"))
    async def not_a_file(message: Message) -> None:
        await message.answer(_("Send the edited workbook here as a file (.xlsx), or /cancel."))

    @router.callback_query(CatalogCb.filter(F.action == CatalogAction.versions))
    async def versions(
        callback: CallbackQuery, catalogs: CatalogService, settings: Settings
    ) -> None:
        await show(callback, *await versions_screen(catalogs, settings))

    @router.callback_query(CatalogCb.filter(F.action == CatalogAction.version))
    async def version(
        callback: CallbackQuery,
        callback_data: CatalogCb,
        callback_answer: CallbackAnswer,
        scope: Scope,
        catalogs: CatalogService,
    ) -> None:
        edit = await catalogs.older(callback_data.id, scope)
        if edit is None:
            alert(callback_answer, _("There is no such version."))
            return
        if not edit.changes:
            alert(callback_answer, _("This version is the same as the current one."))
            return
        if edit.refused:
            await show(
                callback,
                refused_text(edit, scope, edit.base),
                InlineKeyboardMarkup(inline_keyboard=[menu_row()]),
            )
            return
        assert edit.catalog is not None
        draft_id = await catalogs.save_draft(
            edit,
            callback.from_user.id,
            f"{FROM_VERSION}{callback_data.id}",
            checksum(edit.catalog.to_json()),
        )
        heading = _("<b>Back to version №{number}</b>: the values it had come back.").format(
            number=callback_data.id
        )
        await show(callback, *draft_screen(edit, draft_id, heading))

    @router.callback_query(CatalogCb.filter(F.action == CatalogAction.apply))
    async def apply(
        callback: CallbackQuery,
        callback_data: CatalogCb,
        callback_answer: CallbackAnswer,
        scope: Scope,
        catalogs: CatalogService,
        reminder_service: ReminderService,
    ) -> None:
        version, refusal = await catalogs.apply_draft(
            callback_data.id, callback.from_user.id, scope
        )
        if refusal is Refusal.gone:
            alert(callback_answer, _("This change was applied or cancelled already."))
            return
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[catalog_button(_("🗂 Versions"), CatalogAction.versions)], menu_row()]
        )
        if refusal is Refusal.stale:
            current, _catalog = await catalogs.current_version()
            text = _(
                "<b>Nothing was changed</b>: the catalogue was changed by someone else meanwhile "
                "(it is version №{number} now). Download it again and make your changes there."
            ).format(number=current)
        elif refusal is Refusal.refused:
            text = _("<b>Nothing was changed</b>: these changes are no longer yours to make.")
        else:
            text = _(
                "✅ <b>Done: catalogue version №{number}.</b> Applicants see the new values now; "
                "those who asked to be reminded of a specialty are told what became known."
            ).format(number=version)
            await reminder_service.plan_now()  # the dates may have moved
        await show(callback, text, markup)

    @router.callback_query(CatalogCb.filter(F.action == CatalogAction.drop))
    async def drop(
        callback: CallbackQuery,
        callback_data: CatalogCb,
        scope: Scope,
        catalogs: CatalogService,
        settings: Settings,
    ) -> None:
        await catalogs.drop_draft(callback_data.id, callback.from_user.id)
        text, markup = await menu_screen(scope, catalogs, settings)
        await show(callback, _("Cancelled: nothing was changed.") + "\n\n" + text, markup)

    return router
