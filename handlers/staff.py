"""Admission staff: the /staff panel, the review queue and the application card with its
actions. Every update re-checks the role of whoever pressed: a staff keyboard forwarded to
someone else does nothing but «no access»."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.applications import STATUSES, change_status
from bot.catalog import Catalog
from bot.clock import Clock
from bot.config import Settings
from bot.roles import Scope
from db.applications import Application, ApplicationRepository, Notice
from db.staff import StaffRepository
from handlers.application_texts import (
    document_label,
    documents_lines,
    history_line,
    status_label,
    summary_lines,
)
from handlers.my_application import documents_of, form_of
from handlers.ui import h, show

QUEUE_SIZE = 10
COMMENT_MAX = 500
# Review actions: the status each one sets (flags set no status).
STATUS_ACTIONS = {"accept": "accepted", "correct": "needs_correction", "reject": "rejected",
                  "enroll": "enrolled"}  # fmt: skip
NEEDS_COMMENT = ("correct", "reject")
FLAG_ACTIONS = {"original": "original_received", "medical": "medical_received"}


class StaffCb(CallbackData, prefix="sf2"):
    action: (
        str  # panel | queue | card | docs | accept | correct | reject | enroll | original | medical
    )
    id: int = 0
    status: str = ""


class StaffForm(StatesGroup):
    comment = State()


async def scope_of(user_id: int, settings: Settings, staff: StaffRepository) -> Scope | None:
    """The staff scope of a user, read afresh on every update; None: not staff."""
    if user_id in settings.admin_ids:
        return Scope(user_id, None, admin=True)
    role = await staff.role(user_id)
    return None if role is None else Scope(user_id, role[0])


async def has_access(user_id: int, settings: Settings, staff: StaffRepository) -> bool:
    return await scope_of(user_id, settings, staff) is not None


async def panel(
    staff: StaffRepository, catalog: Catalog, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    year = catalog.campaign_for(clock.today()).year
    counts = await staff.counts_by_status(year)
    lines = [_("<b>Admission {year}: applications</b>").format(year=year), ""]
    builder = InlineKeyboardBuilder()
    for status in STATUSES:
        n = counts.get(status, 0)
        lines.append(f"{status_label(status)}: {n}")
        if n:
            builder.button(
                text=f"{status_label(status)} ({n})",
                callback_data=StaffCb(action="queue", status=status),
            )
    lines += ["", _("Total: {count}").format(count=sum(counts.values()))]
    builder.adjust(2)
    return "\n".join(lines), builder.as_markup()


def card_text(application: Application, catalog: Catalog, settings: Settings) -> str:
    lines = [
        _("<b>Application {number}</b>").format(number=application.number),
        _("Status: <b>{status}</b>").format(status=status_label(application.status)),
        _("Original certificate: {value}").format(
            value=_("received") if application.original_received else _("not received")
        ),
        _("Medical certificate: {value}").format(
            value=_("received") if application.medical_received else _("not received")
        ),
        "",
        *summary_lines(form_of(application), catalog),
        *documents_lines(documents_of(application)),
        _("Telegram user id: {id}").format(id=application.user_id),
        "",
        _("<b>History</b>"),
    ]
    lines += [
        history_line(c.status, c.changed_at, settings.tz, c.comment) for c in application.history
    ]
    return "\n".join(lines)


def card_keyboard(application: Application) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    a = application.id
    builder.button(text=_("📎 Documents"), callback_data=StaffCb(action="docs", id=a))
    builder.button(text=_("✅ Accept documents"), callback_data=StaffCb(action="accept", id=a))
    builder.button(text=_("✏️ Ask to correct"), callback_data=StaffCb(action="correct", id=a))
    builder.button(text=_("❌ Reject"), callback_data=StaffCb(action="reject", id=a))
    builder.button(text=_("📜 Original received"), callback_data=StaffCb(action="original", id=a))
    builder.button(text=_("🩺 Medical received"), callback_data=StaffCb(action="medical", id=a))
    builder.button(text=_("🎓 Enrolled"), callback_data=StaffCb(action="enroll", id=a))
    builder.button(
        text=_("⬅️ Queue"), callback_data=StaffCb(action="queue", status=application.status)
    )
    builder.adjust(1, 2, 2, 2, 1, 1)
    return builder.as_markup()


def get_router() -> Router:
    router = Router(name=__name__)

    async def denied(
        event: Message | CallbackQuery, settings: Settings, staff: StaffRepository
    ) -> bool:
        user = event.from_user
        if user is not None and await has_access(user.id, settings, staff):
            return False
        if isinstance(event, CallbackQuery):
            await event.answer(_("No access."), show_alert=True)
        else:
            await event.answer(_("No access."))
        return True

    @router.message(Command("staff"))
    async def staff_panel(
        message: Message, settings: Settings, staff: StaffRepository, catalog: Catalog, clock: Clock
    ) -> None:
        if await denied(message, settings, staff):
            return
        text, markup = await panel(staff, catalog, clock)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(StaffCb.filter())
    async def staff_button(
        callback: CallbackQuery,
        callback_data: StaffCb,
        state: FSMContext,
        bot: Bot,
        **deps: Any,
    ) -> None:
        settings: Settings = deps["settings"]
        staff: StaffRepository = deps["staff"]
        if await denied(callback, settings, staff):
            return
        applications: ApplicationRepository = deps["applications"]
        catalog: Catalog = deps["catalog"]
        clock: Clock = deps["clock"]
        action = callback_data.action
        if action == "panel":
            await show(callback, *await panel(staff, catalog, clock))
            await callback.answer()
            return
        if action == "queue":
            await show_queue(callback, callback_data.status, staff, catalog, clock)
            return
        application = await applications.get(callback_data.id)
        if application is None:
            await callback.answer(_("This application no longer exists."), show_alert=True)
            return
        if action == "card":
            await show(
                callback, card_text(application, catalog, settings), card_keyboard(application)
            )
            await callback.answer()
        elif action == "docs":
            await callback.answer()
            await send_documents(bot, callback.from_user.id, application)
        elif action in NEEDS_COMMENT:
            await state.set_state(StaffForm.comment)
            await state.set_data({"staff_action": action, "application_id": application.id})
            await callback.answer()
            await bot.send_message(
                callback.from_user.id,
                _("Application {number}: type the comment for the applicant (what to fix, or "
                  "the reason), or /cancel.").format(number=application.number),
            )  # fmt: skip
        elif action in STATUS_ACTIONS:
            await apply_status(
                callback.from_user.id, application, STATUS_ACTIONS[action], None, deps
            )
            await callback.answer(
                _("Done: {status}.").format(status=status_label(STATUS_ACTIONS[action]))
            )
            fresh = await applications.get(application.id)
            assert fresh is not None
            await show(callback, card_text(fresh, catalog, settings), card_keyboard(fresh))
        elif action in FLAG_ACTIONS:
            flag = FLAG_ACTIONS[action]
            await applications.mark_received(
                application.id,
                flag,
                clock.now(),
                [
                    Notice(
                        application.user_id,
                        "received",
                        f"received:{{application_id}}:{flag}",
                        {"flag": flag},
                    )
                ],
            )
            await staff.audit(callback.from_user.id, action, application.number, None, clock.now())
            await callback.answer(_("Done."))
            fresh = await applications.get(application.id)
            assert fresh is not None
            await show(callback, card_text(fresh, catalog, settings), card_keyboard(fresh))
        else:
            await callback.answer()

    async def show_queue(
        callback: CallbackQuery, status: str, staff: StaffRepository, catalog: Catalog, clock: Clock
    ) -> None:
        if status not in STATUSES:
            await callback.answer()
            return
        year = catalog.campaign_for(clock.today()).year
        items = await staff.queue(status, year, QUEUE_SIZE)
        builder = InlineKeyboardBuilder()
        for application_id, number in items:
            builder.button(text=number, callback_data=StaffCb(action="card", id=application_id))
        builder.button(text=_("⬅️ Panel"), callback_data=StaffCb(action="panel"))
        builder.adjust(2)
        text = _("<b>{status}</b>: the oldest first").format(status=status_label(status))
        if not items:
            text += "\n" + _("None.")
        await show(callback, text, builder.as_markup())
        await callback.answer()

    @router.message(StateFilter(StaffForm.comment), F.text)
    async def comment_typed(message: Message, state: FSMContext, **deps: Any) -> None:
        settings: Settings = deps["settings"]
        staff: StaffRepository = deps["staff"]
        if await denied(message, settings, staff):
            await state.clear()
            return
        text = (message.text or "").strip()
        if text.startswith("/") or not text:
            await message.answer(_("Type the comment as text, or /cancel."))
            return
        data = await state.get_data()
        applications: ApplicationRepository = deps["applications"]
        application = await applications.get(int(data.get("application_id") or 0))
        await state.clear()
        if application is None or data.get("staff_action") not in NEEDS_COMMENT:
            await message.answer(_("This application no longer exists."))
            return
        status = STATUS_ACTIONS[data["staff_action"]]
        await apply_status(message.chat.id, application, status, text[:COMMENT_MAX], deps)
        fresh = await applications.get(application.id)
        assert fresh is not None
        await message.answer(
            _("Done: {status}.").format(status=status_label(status)) + "\n\n"
            + card_text(fresh, deps["catalog"], settings),
            reply_markup=card_keyboard(fresh),
        )  # fmt: skip

    @router.message(StateFilter(StaffForm.comment))
    async def comment_needs_text(message: Message) -> None:
        await message.answer(_("Type the comment as text, or /cancel."))

    return router


async def apply_status(
    actor_id: int, application: Application, status: str, comment: str | None, deps: dict[str, Any]
) -> None:
    """The status change, the applicant's notice (same transaction) and the audit entry."""
    clock: Clock = deps["clock"]
    await change_status(
        deps["applications"], application, status, clock.now(), actor_id=actor_id, comment=comment
    )
    await deps["staff"].audit(
        actor_id, f"status:{status}", application.number, comment, clock.now()
    )


async def send_documents(bot: Bot, chat_id: int, application: Application) -> None:
    if not application.documents:
        await bot.send_message(chat_id, _("No documents."))
        return
    for doc in application.documents:
        caption = f"{application.number} · {h(document_label(doc.kind))}"
        if doc.content_type == "photo":
            await bot.send_photo(chat_id, doc.file_id, caption=caption)
        else:
            await bot.send_document(chat_id, doc.file_id, caption=caption)
