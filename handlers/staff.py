"""Admission staff: the /staff panel, the review queue and the application card with its
actions. Every update re-checks the role of whoever pressed: a staff keyboard forwarded to
someone else does nothing but «no access»."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.config import Settings
from bot.domain.applications import DOCUMENTS_PAGE, STATUSES
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length, utf16_length
from bot.services.applications import change_status
from db.applications import Application, ApplicationRepository, Notice
from db.questions import QuestionRepository
from db.staff import StaffRepository
from handlers.application_texts import (
    document_label,
    documents_lines,
    history_lines,
    status_label,
    summary_lines,
)
from handlers.callbacks import (
    BroadcastAction,
    QuestionAction,
    ReportAction,
    RolesAction,
    StaffAction,
    StaffCb,
)
from handlers.my_application import documents_of, form_of
from handlers.states import StaffForm
from handlers.ui import current_language, h, show

QUEUE_SIZE = 10
SEARCH_LIMIT = 20
COMMENT_MAX = 500  # UTF-16 units, as Telegram counts them (an emoji is two)
# Review actions: the status each one sets (flags set no status).
STATUS_ACTIONS = {"accept": "accepted", "correct": "needs_correction", "reject": "rejected",
                  "enroll": "enrolled"}  # fmt: skip
NEEDS_COMMENT = ("correct", "reject")
FLAG_ACTIONS = {"original": "original_received", "medical": "medical_received"}


@dataclass(frozen=True, slots=True)
class Filters:
    """The queue's filters, checked against the catalogue and the member's scope."""

    status: str = ""
    spec: str = ""
    college: str = ""

    @classmethod
    def of(cls, data: StaffCb, scope: Scope, catalog: Catalog) -> Filters:
        status = data.status if data.status in STATUSES else ""
        college = scope.college_id or (data.college if catalog.college(data.college) else "")
        specialty = catalog.specialty(data.spec)
        spec = data.spec if specialty and scope.sees(catalog, [data.spec]) else ""
        if spec and college and specialty and college not in specialty.colleges:
            spec = ""
        return cls(status, spec, college)

    def codes(self, catalog: Catalog) -> list[str] | None:
        """The specialties an application must choose one of; None: any."""
        if self.spec:
            return [self.spec]
        if self.college:
            return [s.code for s in catalog.specialties_of(self.college)]
        return None

    def cb(self, action: StaffAction, **changes: Any) -> StaffCb:
        fields = {"status": self.status, "spec": self.spec, "college": self.college, "page": 0}
        return StaffCb(action=action, **{**fields, **changes})


async def scope_of(user_id: int, settings: Settings, staff: StaffRepository) -> Scope | None:
    """The staff scope of a user, read afresh on every update; None: not staff."""
    if user_id in settings.admin_ids:
        return Scope(user_id, None, admin=True)
    role = await staff.role(user_id)
    return None if role is None else Scope(user_id, role[0])


async def panel(
    scope: Scope, staff: StaffRepository, catalog: Catalog, clock: Clock, unanswered: int
) -> tuple[str, InlineKeyboardMarkup]:
    year = catalog.recent_campaign(clock.today()).year
    counts = await staff.counts_by_status(year, scope.specialty_codes(catalog))
    lines = [_("<b>Admission {year}: applications</b>").format(year=year)]
    college = catalog.college(scope.college_id) if scope.college_id else None
    if college is not None:
        lines.append(
            _("College: {value}").format(value=h(college.short_name.get(current_language())))
        )
    lines.append("")
    builder = InlineKeyboardBuilder()
    for status in STATUSES:
        n = counts.get(status, 0)
        lines.append(f"{status_label(status)}: {n}")
        if n:
            builder.button(
                text=f"{status_label(status)} ({n})",
                callback_data=StaffCb(action=StaffAction.queue, status=status),
            )
    lines += ["", _("Total: {count}").format(count=sum(counts.values()))]
    statuses = len(list(builder.buttons))
    rows = [2] * (statuses // 2) + [1] * (statuses % 2)
    builder.button(text=_("📥 All applications"), callback_data=StaffCb(action=StaffAction.queue))
    builder.button(text=_("🔎 Search"), callback_data=StaffCb(action=StaffAction.search))
    # The other staff features import this module, hence the late imports.
    from handlers.broadcast import BroadcastCb
    from handlers.questions import QuestionCb
    from handlers.staff_reports import ReportCb
    from handlers.staff_roles import RolesCb

    builder.button(
        text=_("❓ Questions ({count})").format(count=unanswered),
        callback_data=QuestionCb(action=QuestionAction.list),
    )
    builder.button(text=_("📊 Reports"), callback_data=ReportCb(action=ReportAction.menu))
    builder.button(text=_("📣 Broadcast"), callback_data=BroadcastCb(action=BroadcastAction.new))
    if scope.admin:
        builder.button(text=_("👥 Staff"), callback_data=RolesCb(action=RolesAction.list))
    builder.adjust(*rows, 2, 2, 2)
    return "\n".join(lines), builder.as_markup()


def card_text(
    application: Application, catalog: Catalog, settings: Settings, reserve: int = 0
) -> str:
    """The application card; with a long history (comments up to COMMENT_MAX each) the
    oldest changes give way, so the card fits in one message with ``reserve`` units to
    spare for a line before it."""
    head = [
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
    # Room for a line put before the card (e.g. «Done: …» after a comment).
    room = MESSAGE_LIMIT - telegram_length("\n".join(head)) - max(reserve, 100)
    return "\n".join([*head, *history_lines(application.history, settings.tz, room)])


def card_keyboard(application: Application) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    a = application.id
    builder.button(text=_("📎 Documents"), callback_data=StaffCb(action=StaffAction.docs, id=a))
    builder.button(
        text=_("✅ Accept documents"), callback_data=StaffCb(action=StaffAction.accept, id=a)
    )
    builder.button(
        text=_("✏️ Ask to correct"), callback_data=StaffCb(action=StaffAction.correct, id=a)
    )
    builder.button(text=_("❌ Reject"), callback_data=StaffCb(action=StaffAction.reject, id=a))
    builder.button(
        text=_("📜 Original received"), callback_data=StaffCb(action=StaffAction.original, id=a)
    )
    builder.button(
        text=_("🩺 Medical received"), callback_data=StaffCb(action=StaffAction.medical, id=a)
    )
    builder.button(text=_("🎓 Enrolled"), callback_data=StaffCb(action=StaffAction.enroll, id=a))
    builder.button(
        text=_("⬅️ Queue"),
        callback_data=StaffCb(action=StaffAction.queue, status=application.status),
    )
    builder.adjust(1, 2, 2, 2, 1, 1)
    return builder.as_markup()


async def member_or_deny(
    event: Message | CallbackQuery, settings: Settings, staff: StaffRepository
) -> Scope | None:
    """The scope of whoever sent this update, or None after answering «No access»."""
    user = event.from_user
    scope = None if user is None else await scope_of(user.id, settings, staff)
    if scope is not None:
        return scope
    if isinstance(event, CallbackQuery):
        await event.answer(_("No access."), show_alert=True)
    else:
        await event.answer(_("No access."))
    return None


def get_router() -> Router:
    router = Router(name=__name__)

    @router.message(Command("staff"))
    async def staff_panel(
        message: Message,
        settings: Settings,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
        questions: QuestionRepository,
    ) -> None:
        scope = await member_or_deny(message, settings, staff)
        if scope is None:
            return
        unanswered = await questions.count_unanswered(scope.specialty_codes(catalog))
        text, markup = await panel(scope, staff, catalog, clock, unanswered)
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
        scope = await member_or_deny(callback, settings, staff)
        if scope is None:
            return
        applications: ApplicationRepository = deps["applications"]
        catalog: Catalog = deps["catalog"]
        clock: Clock = deps["clock"]
        action = callback_data.action
        if action == "panel":
            unanswered = await deps["questions"].count_unanswered(scope.specialty_codes(catalog))
            await show(callback, *await panel(scope, staff, catalog, clock, unanswered))
            await callback.answer()
            return
        if action in ("queue", "f_status", "f_college", "f_spec"):
            filters = Filters.of(callback_data, scope, catalog)
            if action == "queue":
                year = catalog.recent_campaign(clock.today()).year
                screen = await queue_screen(
                    filters, callback_data.page, scope, staff, catalog, year
                )
            else:
                screen = filter_chooser(action, filters, scope, catalog)
            await show(callback, *screen)
            await callback.answer()
            return
        if action == "search":
            await state.set_state(StaffForm.search)
            await callback.answer()
            await bot.send_message(
                callback.from_user.id,
                _("Type an application number (М-2027-0001, or just 1) or a surname, "
                  "or /cancel."),
            )  # fmt: skip
            return
        application = await applications.get(callback_data.id)
        if application is None:
            await callback.answer(_("This application no longer exists."), show_alert=True)
            return
        if not scope.sees(catalog, application.data.specialties):
            await callback.answer(_("No access."), show_alert=True)
            return
        if action == "card":
            await show(
                callback, card_text(application, catalog, settings), card_keyboard(application)
            )
            await callback.answer()
        elif action == "docs":
            await callback.answer()
            await send_documents(bot, callback.from_user.id, application, callback_data.page)
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

    @router.message(StateFilter(StaffForm.search), F.text)
    async def search_typed(message: Message, state: FSMContext, **deps: Any) -> None:
        settings: Settings = deps["settings"]
        staff: StaffRepository = deps["staff"]
        scope = await member_or_deny(message, settings, staff)
        if scope is None:
            await state.clear()
            return
        query = (message.text or "").strip()
        if not query or query.startswith("/") or len(query) > 100:
            await message.answer(_("Type a number or a surname, or /cancel."))
            return
        await state.clear()
        catalog: Catalog = deps["catalog"]
        year = catalog.recent_campaign(deps["clock"].today()).year
        found = await staff.search(query, year, scope.specialty_codes(catalog), SEARCH_LIMIT)
        applications: ApplicationRepository = deps["applications"]
        if len(found) == 1:
            application = await applications.get(found[0][0])
            if application is not None:
                await message.answer(
                    card_text(application, catalog, settings),
                    reply_markup=card_keyboard(application),
                )
                return
        builder = InlineKeyboardBuilder()
        for application_id, number, status in found:
            builder.button(
                text=f"{number} · {status_label(status)}",
                callback_data=StaffCb(action=StaffAction.card, id=application_id),
            )
        builder.button(text=_("🔎 Search again"), callback_data=StaffCb(action=StaffAction.search))
        builder.button(text=_("⬅️ Panel"), callback_data=StaffCb(action=StaffAction.panel))
        builder.adjust(1)
        text = (
            _("Found: {count}").format(count=len(found))
            if found
            else _("Nothing found for «{query}».").format(query=h(query))
        )
        await message.answer(text, reply_markup=builder.as_markup())

    @router.message(StateFilter(StaffForm.search))
    async def search_needs_text(message: Message) -> None:
        await message.answer(_("Type a number or a surname, or /cancel."))

    @router.message(StateFilter(StaffForm.comment), F.text)
    async def comment_typed(message: Message, state: FSMContext, **deps: Any) -> None:
        settings: Settings = deps["settings"]
        staff: StaffRepository = deps["staff"]
        scope = await member_or_deny(message, settings, staff)
        if scope is None:
            await state.clear()
            return
        text = (message.text or "").strip()
        if text.startswith("/") or not text:
            await message.answer(_("Type the comment as text, or /cancel."))
            return
        if utf16_length(text) > COMMENT_MAX:
            # Refused, not cut: the applicant must read what the staff member wrote.
            await message.answer(
                _("The comment is too long: {count} characters, at most {limit}. Make it "
                  "shorter, or /cancel.").format(count=utf16_length(text), limit=COMMENT_MAX)
            )  # fmt: skip
            return
        data = await state.get_data()
        applications: ApplicationRepository = deps["applications"]
        application = await applications.get(int(data.get("application_id") or 0))
        await state.clear()
        if application is None or data.get("staff_action") not in NEEDS_COMMENT:
            await message.answer(_("This application no longer exists."))
            return
        if not scope.sees(deps["catalog"], application.data.specialties):
            await message.answer(_("No access."))
            return
        status = STATUS_ACTIONS[data["staff_action"]]
        await apply_status(message.chat.id, application, status, text, deps)
        fresh = await applications.get(application.id)
        assert fresh is not None
        done = _("Done: {status}.").format(status=status_label(status)) + "\n\n"
        await message.answer(
            done + card_text(fresh, deps["catalog"], settings, telegram_length(done)),
            reply_markup=card_keyboard(fresh),
        )

    @router.message(StateFilter(StaffForm.comment))
    async def comment_needs_text(message: Message) -> None:
        await message.answer(_("Type the comment as text, or /cancel."))

    return router


async def queue_screen(
    filters: Filters, page: int, scope: Scope, staff: StaffRepository, catalog: Catalog, year: int
) -> tuple[str, InlineKeyboardMarkup]:
    """Applications matching the filters, oldest first, a page at a time."""
    codes = filters.codes(catalog)
    codes_or_scope: Collection[str] | None = (
        scope.specialty_codes(catalog)
        if codes is None
        else [c for c in codes if scope.sees(catalog, [c])]
    )
    page = max(page, 0)
    items, total = await staff.queue(
        filters.status, year, QUEUE_SIZE, codes=codes_or_scope, offset=page * QUEUE_SIZE
    )
    pages = max(1, -(-total // QUEUE_SIZE))
    builder = InlineKeyboardBuilder()
    for application_id, number in items:
        builder.button(
            text=number, callback_data=StaffCb(action=StaffAction.card, id=application_id)
        )
    sizes = [2] * ((len(items) + 1) // 2)
    nav = []
    if page > 0:
        builder.button(text="◀️", callback_data=filters.cb(StaffAction.queue, page=page - 1))
        nav.append(1)
    if page + 1 < pages:
        builder.button(text="▶️", callback_data=filters.cb(StaffAction.queue, page=page + 1))
        nav.append(1)
    builder.button(text=_("📌 Status"), callback_data=filters.cb(StaffAction.f_status))
    if scope.college_id is None:
        builder.button(text=_("🏫 College"), callback_data=filters.cb(StaffAction.f_college))
    builder.button(text=_("🎓 Specialty"), callback_data=filters.cb(StaffAction.f_spec))
    builder.button(text=_("⬅️ Panel"), callback_data=StaffCb(action=StaffAction.panel))
    builder.adjust(*sizes, *([len(nav)] if nav else []), 3 if scope.college_id is None else 2, 1)
    lines = [
        _("<b>Applications</b>, the oldest first"),
        _("Status: {value}").format(
            value=status_label(filters.status) if filters.status else _("any")
        ),
        _("College: {value}").format(value=college_name(catalog, filters.college)),
        _("Specialty: {value}").format(value=specialty_name(catalog, filters.spec)),
        _("Found: {count}").format(count=total)
        + (" · " + _("page {page} of {pages}").format(page=page + 1, pages=pages)
           if pages > 1 else ""),
    ]  # fmt: skip
    if not items:
        lines.append(_("None."))
    return "\n".join(lines), builder.as_markup()


def filter_chooser(
    action: str, filters: Filters, scope: Scope, catalog: Catalog
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    if action == "f_status":
        text = _("Show applications with the status:")
        builder.button(text=_("Any"), callback_data=filters.cb(StaffAction.queue, status=""))
        for status in STATUSES:
            builder.button(
                text=status_label(status),
                callback_data=filters.cb(StaffAction.queue, status=status),
            )
    elif action == "f_college" and scope.college_id is None:
        text = _("Show applications to the college:")
        builder.button(
            text=_("Any"), callback_data=filters.cb(StaffAction.queue, college="", spec="")
        )
        for college in catalog.colleges:
            builder.button(
                text=college.short_name.get(current_language()),
                callback_data=filters.cb(StaffAction.queue, college=college.id, spec=""),
            )
    else:
        text = _("Show applications to the specialty:")
        builder.button(text=_("Any"), callback_data=filters.cb(StaffAction.queue, spec=""))
        college_id = filters.college or scope.college_id
        specialties = catalog.specialties_of(college_id) if college_id else catalog.specialties
        for specialty in specialties:
            builder.button(
                text=f"{specialty.code} {specialty.short_name.get(current_language())}",
                callback_data=filters.cb(StaffAction.queue, spec=specialty.code),
            )
    builder.button(text=_("⬅️ Back"), callback_data=filters.cb(StaffAction.queue))
    builder.adjust(1)
    return text, builder.as_markup()


def college_name(catalog: Catalog, college_id: str) -> str:
    college = catalog.college(college_id) if college_id else None
    return h(college.short_name.get(current_language())) if college else _("any")


def specialty_name(catalog: Catalog, code: str) -> str:
    specialty = catalog.specialty(code) if code else None
    if specialty is None:
        return _("any")
    return f"{specialty.code} {h(specialty.short_name.get(current_language()))}"


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


async def send_documents(bot: Bot, chat_id: int, application: Application, page: int = 0) -> None:
    """One page of the application's files (``DOCUMENTS_PAGE``); «More» sends the next."""
    documents = application.documents
    if not documents:
        await bot.send_message(chat_id, _("No documents."))
        return
    first = max(page, 0) * DOCUMENTS_PAGE
    if first >= len(documents):
        await bot.send_message(chat_id, _("No more documents."))
        return
    shown = documents[first : first + DOCUMENTS_PAGE]
    for doc in shown:
        caption = f"{application.number} · {h(document_label(doc.kind))}"
        if doc.content_type == "photo":
            await bot.send_photo(chat_id, doc.file_id, caption=caption)
        else:
            await bot.send_document(chat_id, doc.file_id, caption=caption)
    left = len(documents) - first - len(shown)
    if first == 0 and not left:
        return
    text = _("Application {number}: files {first}–{last} of {total}.").format(
        number=application.number, first=first + 1, last=first + len(shown), total=len(documents)
    )
    builder = InlineKeyboardBuilder()
    if left:
        builder.button(
            text=ngettext("📎 More ({count} file left)", "📎 More ({count} files left)", left)
            .format(count=left),
            callback_data=StaffCb(action=StaffAction.docs, id=application.id, page=page + 1),
        )  # fmt: skip
    await bot.send_message(chat_id, text, reply_markup=builder.as_markup() if left else None)
