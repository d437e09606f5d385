"""Broadcasts by the admission staff: the message (text, or a photo with a caption), the
segment, a preview with the number of recipients, then delivery through the outbox with a
progress message that is kept current (bot/services/broadcasts.py)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.delivery.accepted import record
from bot.domain.applications import STATUSES
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.domain.telegram_text import CAPTION_LIMIT, MESSAGE_LIMIT, telegram_length
from bot.services.broadcasts import Segment, allowed, queue_broadcast, recipients
from db.broadcasts import BroadcastRepository
from db.staff import StaffRepository
from handlers.application_texts import status_label
from handlers.callbacks import BroadcastAction, BroadcastCb
from handlers.states import BroadcastForm
from handlers.texts.broadcast import describe, progress_text
from handlers.ui import alert, current_language, show

# The steps after the message is given: they need it, kept in the dialogue.
NEEDS_MESSAGE = {
    BroadcastAction.no_english,
    BroadcastAction.segments,
    BroadcastAction.kind,
    BroadcastAction.pick,
    BroadcastAction.confirm,
}


def kinds_keyboard(scope: Scope) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if scope.college_id is None:
        builder.button(
            text=_("👥 All users"),
            callback_data=BroadcastCb(action=BroadcastAction.pick, kind="all"),
        )
    for text, kind in (
        (_("🎓 Applicants of a specialty"), "specialty"),
        (_("🏫 Applicants of a college"), "college"),
        (_("📌 Applicants with a status"), "status"),
        (_("👷 Students of a group"), "group"),
    ):
        builder.button(text=text, callback_data=BroadcastCb(action=BroadcastAction.kind, kind=kind))
    builder.button(text=_("✖️ Cancel"), callback_data=BroadcastCb(action=BroadcastAction.cancel))
    builder.adjust(1)
    return builder.as_markup()


async def prepared(callback: CallbackQuery, state: FSMContext) -> bool | dict[str, Any]:
    """A filter: a broadcast being prepared (its message given); ``draft`` for the handler."""
    data = await state.get_data()
    return {"draft": data} if "text" in data else False


def get_router() -> Router:
    router = Router(name=__name__)

    def action(name: BroadcastAction) -> CallbackQueryFilter:
        return BroadcastCb.filter(F.action == name)

    @router.callback_query(action(BroadcastAction.new))
    async def new(callback: CallbackQuery, state: FSMContext, bot: Bot) -> None:
        await state.set_state(BroadcastForm.message)
        await state.set_data({})
        await bot.send_message(
            callback.from_user.id,
            _("<b>New broadcast</b>\nSend the message: text, or one photo with a caption. "
              "Bold, italics and links are kept. /cancel to stop."),
        )  # fmt: skip

    @router.callback_query(action(BroadcastAction.cancel))
    async def cancel(
        callback: CallbackQuery, callback_answer: CallbackAnswer, state: FSMContext
    ) -> None:
        await state.clear()
        callback_answer.text = _("Cancelled.")
        await show(callback, _("The broadcast is cancelled."))

    @router.callback_query(action(BroadcastAction.no_english), prepared)
    async def no_english(callback: CallbackQuery, state: FSMContext, scope: Scope) -> None:
        await state.set_state(BroadcastForm.segment)
        await show(callback, _("Who should receive it?"), kinds_keyboard(scope))

    @router.callback_query(action(BroadcastAction.segments), prepared)
    async def segments(callback: CallbackQuery, scope: Scope) -> None:
        await show(callback, _("Who should receive it?"), kinds_keyboard(scope))

    @router.callback_query(action(BroadcastAction.kind), prepared)
    async def kind(
        callback: CallbackQuery,
        callback_data: BroadcastCb,
        scope: Scope,
        state: FSMContext,
        broadcasts: BroadcastRepository,
        catalog: Catalog,
    ) -> None:
        text, markup = await values_screen(callback_data.kind, scope, state, broadcasts, catalog)
        await show(callback, text, markup)

    @router.callback_query(action(BroadcastAction.pick), prepared)
    async def pick(
        callback: CallbackQuery,
        callback_data: BroadcastCb,
        callback_answer: CallbackAnswer,
        draft: dict[str, Any],
        scope: Scope,
        state: FSMContext,
        bot: Bot,
        broadcasts: BroadcastRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        segment = chosen_segment(callback_data, draft)
        if segment is None or not allowed(scope, segment, catalog):
            alert(callback_answer, _("No access."))
            return
        await state.update_data(segment=segment.as_dict())
        await state.set_state(BroadcastForm.segment)
        year = catalog.recent_campaign(clock.today()).year
        count = len(await recipients(segment, scope, catalog, broadcasts, year))
        await preview(bot, callback.from_user.id, segment, count, draft, catalog)

    @router.callback_query(action(BroadcastAction.confirm), prepared)
    async def confirm(
        callback: CallbackQuery,
        callback_answer: CallbackAnswer,
        draft: dict[str, Any],
        scope: Scope,
        state: FSMContext,
        bot: Bot,
        broadcasts: BroadcastRepository,
        staff: StaffRepository,
        catalog: Catalog,
        clock: Clock,
    ) -> None:
        raw = draft.get("segment")
        segment = Segment(raw["kind"], raw["value"]) if raw else None
        if segment is None or not allowed(scope, segment, catalog):
            alert(callback_answer, _("Choose who should receive it first."))
            return
        year = catalog.recent_campaign(clock.today()).year
        people = await recipients(segment, scope, catalog, broadcasts, year)
        if not people:
            alert(callback_answer, _("Nobody to send it to: choose another segment."))
            return
        # Cleared before anything is sent: a second press finds nothing to confirm.
        await state.clear()
        author = callback.from_user.id
        broadcast_id = await queue_broadcast(
            broadcasts, staff, author, draft["text"], draft.get("photo"), segment, people,
            clock.now(), text_en=draft.get("text_en"),
        )  # fmt: skip
        # Queued, not sent: the progress message below reports each delivery as it happens.
        callback_answer.text = _("Queued for delivery.")
        # The preview's buttons go: nothing there may be pressed again.
        if isinstance(callback.message, Message):
            with suppress(TelegramBadRequest):
                await callback.message.edit_reply_markup(reply_markup=None)
        broadcast = await broadcasts.get(broadcast_id)
        assert broadcast is not None
        progress = await broadcasts.progress(broadcast_id)
        sent = await bot.send_message(author, progress_text(broadcast, progress, False, catalog))
        # Telegram accepted the message: if the database is busy, only the write is retried.
        await record(
            lambda: broadcasts.set_progress_message(broadcast_id, sent.chat.id, sent.message_id),
            f"the progress message of broadcast {broadcast_id}",
        )

    @router.callback_query(BroadcastCb.filter(F.action.in_(NEEDS_MESSAGE)))
    async def not_prepared(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
        alert(
            callback_answer,
            _("This broadcast is no longer being prepared: start a new one from /staff."),
        )

    @router.message(StateFilter(BroadcastForm.message), F.text | F.photo)
    async def message_given(message: Message, state: FSMContext, scope: Scope) -> None:
        if message.text and message.text.startswith("/"):
            await message.answer(_("Send the text of the broadcast, or /cancel."))
            return
        text = message.html_text if message.text or message.caption else ""
        problem = too_long(text, photo=bool(message.photo))
        if problem is not None:
            await message.answer(problem)
            return
        photo = message.photo[-1].file_id if message.photo else None
        await state.set_data({"text": text, "photo": photo})
        await state.set_state(BroadcastForm.english)
        await message.answer(english_prompt(photo=bool(photo)), reply_markup=english_keyboard())

    @router.message(StateFilter(BroadcastForm.message))
    async def message_needs_text(message: Message) -> None:
        await message.answer(
            _("A broadcast is text, or one photo with a caption. Send it again, or /cancel.")
        )

    @router.message(StateFilter(BroadcastForm.english), F.text)
    async def english_given(message: Message, state: FSMContext, scope: Scope) -> None:
        """The English version of the text (or of the caption), optional."""
        if (message.text or "").startswith("/"):
            await message.answer(english_prompt(photo=False), reply_markup=english_keyboard())
            return
        data = await state.get_data()
        text_en = message.html_text
        problem = too_long(text_en, photo=bool(data.get("photo")))
        if problem is not None:
            await message.answer(problem)
            return
        await state.update_data(text_en=text_en)
        await state.set_state(BroadcastForm.segment)
        await message.answer(_("Who should receive it?"), reply_markup=kinds_keyboard(scope))

    @router.message(StateFilter(BroadcastForm.english))
    async def english_needs_text(message: Message) -> None:
        await message.answer(
            _("The English version is text only. Send it, or press «No English version».")
        )

    return router


def english_prompt(*, photo: bool) -> str:
    return (
        _(
            "Now the English version of the caption, for those who read the bot in English "
            "(optional). Without it they get the Russian one with a note in English."
        )
        if photo
        else _(
            "Now the English version, for those who read the bot in English (optional). "
            "Without it they get the Russian text with a note in English."
        )
    )


def english_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("No English version"), callback_data=BroadcastCb(action=BroadcastAction.no_english)
    )
    builder.button(text=_("✖️ Cancel"), callback_data=BroadcastCb(action=BroadcastAction.cancel))
    builder.adjust(1)
    return builder.as_markup()


def too_long(html_text: str, *, photo: bool) -> str | None:
    """Why Telegram would refuse the broadcast, or None. A Premium user may write a caption
    longer than a bot may send (1024 units), and the limits count UTF-16 units after the
    HTML is parsed: checked here, before anyone is told it is on its way."""
    length = telegram_length(html_text)
    if photo and length > CAPTION_LIMIT:
        return ngettext(
            "The caption is too long: {count} character, at most {limit}. Shorten it and "
            "send the photo again, or /cancel.",
            "The caption is too long: {count} characters, at most {limit}. Shorten it and "
            "send the photo again, or /cancel.",
            length,
        ).format(count=length, limit=CAPTION_LIMIT)
    if length > MESSAGE_LIMIT:
        return ngettext(
            "The message is too long: {count} character, at most {limit}. Shorten it and "
            "send it again, or /cancel.",
            "The message is too long: {count} characters, at most {limit}. Shorten it and "
            "send it again, or /cancel.",
            length,
        ).format(count=length, limit=MESSAGE_LIMIT)
    return None


async def values_screen(
    kind: str, scope: Scope, state: FSMContext, broadcasts: BroadcastRepository, catalog: Catalog
) -> tuple[str, InlineKeyboardMarkup]:
    language = current_language()
    builder = InlineKeyboardBuilder()
    if kind == "specialty":
        text = _("Applicants of which specialty?")
        codes = scope.specialty_codes(catalog)
        for s in catalog.specialties:
            if codes is None or s.code in codes:
                builder.button(
                    text=f"{s.code} {s.short_name.get(language)}",
                    callback_data=BroadcastCb(
                        action=BroadcastAction.pick, kind="specialty", value=s.code
                    ),
                )
    elif kind == "college":
        text = _("Applicants of which college?")
        for c in catalog.colleges:
            if scope.college_id in (None, c.id):
                builder.button(
                    text=c.short_name.get(language),
                    callback_data=BroadcastCb(
                        action=BroadcastAction.pick, kind="college", value=c.id
                    ),
                )
    elif kind == "status":
        text = _("Applicants with which status?")
        for status in STATUSES:
            builder.button(
                text=status_label(status),
                callback_data=BroadcastCb(action=BroadcastAction.pick, kind="status", value=status),
            )
    else:
        groups = await broadcasts.groups(scope.college_id)
        await state.update_data(groups=[f"{c}/{g}" for c, g in groups])
        text = _("Students of which group?") if groups else _("No student has registered yet.")
        for index, (college_id, group) in enumerate(groups):
            college = catalog.college(college_id)
            name = college.short_name.get(language) if college else college_id
            builder.button(
                text=f"{group} · {name}",
                callback_data=BroadcastCb(action=BroadcastAction.pick, kind="group", index=index),
            )
    builder.button(text=_("⬅️ Back"), callback_data=BroadcastCb(action=BroadcastAction.segments))
    builder.adjust(1)
    return text, builder.as_markup()


def chosen_segment(data: BroadcastCb, state_data: dict[str, Any]) -> Segment | None:
    if data.kind == "group":
        groups = state_data.get("groups") or []
        return Segment("group", groups[data.index]) if 0 <= data.index < len(groups) else None
    return Segment(data.kind, data.value)


async def preview(
    bot: Bot, chat_id: int, segment: Segment, count: int, draft: dict[str, Any], catalog: Catalog
) -> None:
    """The message exactly as recipients will see it, then who and how many."""
    await bot.send_message(chat_id, _("Preview:"))
    if draft.get("photo"):
        await bot.send_photo(chat_id, draft["photo"], caption=draft["text"] or None)
    else:
        await bot.send_message(chat_id, draft["text"])
    if draft.get("text_en"):
        await bot.send_message(chat_id, _("In English:"))
        await bot.send_message(chat_id, draft["text_en"])
    lines = [
        _("To: {segment}").format(segment=describe(segment.as_dict(), catalog)),
        ngettext("Recipients: {count}", "Recipients: {count}", count).format(count=count),
        _("Messages are not sent between 22:00 and 08:00: those wait until the morning."),
    ]
    builder = InlineKeyboardBuilder()
    if count:
        builder.button(
            text=ngettext("✅ Send to {count}", "✅ Send to {count}", count).format(count=count),
            callback_data=BroadcastCb(action=BroadcastAction.confirm),
        )
    else:
        lines.append(_("Nobody to send it to: choose another segment."))
    builder.button(
        text=_("🎯 Another segment"), callback_data=BroadcastCb(action=BroadcastAction.segments)
    )
    builder.button(text=_("✖️ Cancel"), callback_data=BroadcastCb(action=BroadcastAction.cancel))
    builder.adjust(1)
    await bot.send_message(chat_id, "\n".join(lines), reply_markup=builder.as_markup())
