"""Printable posters (A4, PNG and PDF) with the QR code of a deep link (the bot's menu, a
specialty, a college, an event) and an optional source label («школа 37»): each new user who
comes through it is counted under the label (the statistics' «Where they came from»).
"""

from __future__ import annotations

import asyncio

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.domain.catalog import Catalog
from bot.domain.links import LinkKind, link_url, payload
from bot.domain.roles import Scope
from bot.services.posters import PosterTexts, poster
from db.events import EventRepository, SourceCount
from handlers.callbacks import (
    PosterCb,
    StaffEventAction,
)
from handlers.event_texts import (
    fmt_moment,
)
from handlers.staff.events import back_button, cb
from handlers.states import StaffEventForm
from handlers.ui import current_language, h, show

POSTER_KEY = "poster"
LABEL_MAX = 60


# --- posters ----------------------------------------------------------------------------------


def poster_choice(kind: str, catalog: Catalog, scope: Scope) -> tuple[str, InlineKeyboardMarkup]:
    lang = current_language()
    builder = InlineKeyboardBuilder()
    if kind == LinkKind.specialty:
        text = _("A poster of which specialty?")
        codes = scope.specialty_codes(catalog)
        for s in catalog.specialties:
            if codes is None or s.code in codes:
                builder.button(
                    text=f"{s.code} · {s.short_name.get(lang)}",
                    callback_data=PosterCb(kind=kind, ref=s.code),
                )
    elif kind == LinkKind.college:
        text = _("A poster of which college?")
        for college in catalog.colleges:
            if scope.sees_college(college.id):
                builder.button(
                    text=college.short_name.get(lang),
                    callback_data=PosterCb(kind=kind, ref=college.id),
                )
    else:
        text = _(
            "<b>Posters</b>: an A4 page (PNG and PDF) with a QR code that opens the bot on a "
            "card. A label (e.g. «школа 37») tells which poster brought whom: see the statistics."
        )
        builder.button(
            text=_("🤖 The bot's menu"), callback_data=PosterCb(kind=LinkKind.menu, ref="-")
        )
        builder.button(text=_("🎓 A specialty"), callback_data=PosterCb(kind=LinkKind.specialty))
        builder.button(text=_("🏫 A college"), callback_data=PosterCb(kind=LinkKind.college))
    back_button(builder)
    builder.adjust(1)
    return text, builder.as_markup()


def poster_texts(kind: LinkKind, ref: str, catalog: Catalog) -> tuple[str, str] | None:
    """The title and the short text of a poster; None when its subject is gone."""
    lang = current_language()
    scan = _("Point your phone's camera at the code: the bot of the Metallurgy cluster opens")
    if kind is LinkKind.specialty and (specialty := catalog.specialty(ref)):
        title = f"{specialty.code} {specialty.name.get(lang)}"
        return title, _("{scan} on this specialty: where it is taught, how to apply.").format(
            scan=scan
        )
    if kind is LinkKind.college and (college := catalog.college(ref)):
        return college.name.get(lang), _("{scan} on this college and its specialties.").format(
            scan=scan
        )
    if kind is LinkKind.event and (event := catalog.event(ref)):
        title = f"{event.title.get(lang)}\n{fmt_moment(event.start)}"
        return title, _("{scan}: register in two taps.").format(scan=scan)
    if kind is LinkKind.menu:
        return catalog.cluster.name.get(lang), _(
            "{scan}: specialties, colleges, how to apply, open days."
        ).format(scan=scan)
    return None


async def send_poster(
    bot: Bot,
    chat_id: int,
    kind: LinkKind,
    ref: str,
    label: str,
    catalog: Catalog,
    registrations: EventRepository,
    staff_id: int,
    clock: Clock,
) -> bool:
    texts = poster_texts(kind, ref, catalog)
    if texts is None:
        return False
    source = await registrations.source_id(label, staff_id, clock.now()) if label else None
    me = await bot.me()
    url = link_url(me.username or "", payload(kind, "" if kind is LinkKind.menu else ref, source))
    title, text = texts
    page = PosterTexts(title, text, url.removeprefix("https://"), label)
    png, pdf = await asyncio.gather(
        asyncio.to_thread(poster, url, page, "png"), asyncio.to_thread(poster, url, page, "pdf")
    )
    name = f"poster-{kind.value}-{(ref if ref != '-' else 'bot')}" + (
        f"-s{source}" if source else ""
    )
    caption = _("🖨 A4 poster. Link: {url}").format(url=h(url))
    if label:
        caption += "\n" + _("Label: {label}").format(label=h(label))
    await bot.send_document(
        chat_id, BufferedInputFile(png, filename=f"{name}.png"), caption=caption
    )
    await bot.send_document(chat_id, BufferedInputFile(pdf, filename=f"{name}.pdf"))
    return True


async def make_poster(
    chat_id: int,
    kind_value: str,
    ref: str,
    label: str,
    catalog: Catalog,
    registrations: EventRepository,
    clock: Clock,
    bot: Bot,
    staff_id: int,
) -> None:
    try:
        kind = LinkKind(kind_value)
    except ValueError:
        kind = None
    sent = kind is not None and await send_poster(
        bot, chat_id, kind, ref, label, catalog, registrations, staff_id, clock
    )
    if not sent:
        await bot.send_message(chat_id, _("This is no longer in the catalogue."))


def get_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(PosterCb.filter(F.kind == ""))
    @router.callback_query(PosterCb.filter(F.ref == ""))
    async def poster_menu(
        callback: CallbackQuery, callback_data: PosterCb, scope: Scope, catalog: Catalog
    ) -> None:
        await show(callback, *poster_choice(callback_data.kind, catalog, scope))

    @router.callback_query(PosterCb.filter(F.make == 1))
    async def poster_without_label(
        callback: CallbackQuery,
        callback_data: PosterCb,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        catalog: Catalog,
        registrations: EventRepository,
        clock: Clock,
        bot: Bot,
    ) -> None:
        callback_answer.disable()
        await callback.answer(_("Preparing the poster…"))
        await state.set_state(None)
        await make_poster(
            callback.from_user.id,
            callback_data.kind,
            callback_data.ref,
            "",
            catalog,
            registrations,
            clock,
            bot,
            callback.from_user.id,
        )

    @router.callback_query(PosterCb.filter())
    async def poster_label(
        callback: CallbackQuery, callback_data: PosterCb, state: FSMContext
    ) -> None:
        await state.set_state(StaffEventForm.poster_label)
        await state.update_data({POSTER_KEY: [callback_data.kind, callback_data.ref]})
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("Without a label"),
            callback_data=PosterCb(kind=callback_data.kind, ref=callback_data.ref, make=1),
        )
        builder.button(text=_("⬅️ Events"), callback_data=cb(StaffEventAction.list))
        builder.adjust(1)
        await show(
            callback,
            _(
                "Type a label for this poster, e.g. «школа 37» or «ярмарка вакансий»: the "
                "statistics will count who came through it. Or press «Without a label»."
            ),
            builder.as_markup(),
        )

    @router.message(StateFilter(StaffEventForm.poster_label), F.text)
    async def label_typed(
        message: Message,
        state: FSMContext,
        catalog: Catalog,
        registrations: EventRepository,
        clock: Clock,
        bot: Bot,
    ) -> None:
        label = " ".join((message.text or "").split())
        if not label or len(label) > LABEL_MAX:
            await message.answer(
                _("A label of 1 to {max} characters, please.").format(max=LABEL_MAX)
            )
            return
        target = (await state.get_data()).get(POSTER_KEY)
        await state.set_state(None)
        await state.update_data({POSTER_KEY: None})
        if not isinstance(target, list) or len(target) != 2:
            await message.answer(_("This poster is out of date: choose it again."))
            return
        await make_poster(
            message.chat.id,
            str(target[0]),
            str(target[1]),
            label,
            catalog,
            registrations,
            clock,
            bot,
            message.from_user.id if message.from_user else 0,
        )

    @router.message(StateFilter(StaffEventForm.poster_label))
    async def label_needs_text(message: Message) -> None:
        await message.answer(_("Please type the label as text, or press «Without a label»."))

    return router


def source_lines(sources: list[SourceCount]) -> list[str]:
    """The statistics' section: new users and applications per source label."""
    lines = [_("<b>Where they came from</b> (poster labels)")]
    if not sources:
        lines.append(_("No labelled posters yet: /staff → «📅 Events» → «🖨 Posters»."))
    for source in sources:
        users = ngettext("{count} new user", "{count} new users", source.users).format(
            count=source.users
        )
        applications = ngettext(
            "{count} application", "{count} applications", source.applications
        ).format(count=source.applications)
        lines.append(f"{h(source.label)}: {users}, {applications}")
    return lines
