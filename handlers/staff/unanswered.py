"""What applicants typed and the bot could not answer (db/unanswered.py), for the staff: the
most frequent first, with how often and by how many people, and whether the bot answers it now
(an FAQ entry made since). Staff of a college see what its applicants and people without an
application typed, as with questions. The texts go with their author's «delete my data» and
after ``RETENTION_DAYS``."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.domain.roles import Scope
from bot.domain.search import ReplyKind
from bot.domain.telegram_text import MESSAGE_LIMIT, telegram_length, truncate_utf16
from bot.services.catalog import CatalogService
from db.unanswered import UnansweredGroup, UnansweredRepository
from handlers.callbacks import QueueAction, QueueCb, UnansweredCb
from handlers.ui import h, show

LIST_SIZE = 30
EXAMPLE_MAX = 150  # a typed question on the list, in UTF-16 units


def group_line(group: UnansweredGroup, answered: bool) -> str:
    counts = [
        ngettext("{count} time", "{count} times", group.count).format(count=group.count),
        ngettext("{count} person", "{count} people", group.askers).format(count=group.askers),
    ]
    if group.relayed:
        counts.append(
            ngettext(
                "{count} sent to the committee", "{count} sent to the committee", group.relayed
            ).format(count=group.relayed)
        )
    mark = " ✅" if answered else ""
    example = h(truncate_utf16(" ".join(group.example.split()), EXAMPLE_MAX))
    return f"• «{example}» — {', '.join(counts)}{mark}"


async def unanswered_screen(
    scope: Scope,
    catalog: Catalog,
    catalogs: CatalogService,
    unanswered: UnansweredRepository,
    settings: Settings,
) -> tuple[str, InlineKeyboardMarkup]:
    codes = scope.specialty_codes(catalog)
    total, different = await unanswered.totals(codes)
    groups = await unanswered.most_asked(LIST_SIZE, codes)
    index = await catalogs.search_index(catalog)
    lines = [
        _("<b>What applicants typed and the bot could not answer</b>"),
        ngettext(
            "{count} question, {different} different.",
            "{count} questions, {different} different.",
            total,
        ).format(count=total, different=different),
        "",
    ]
    tail = [
        "",
        _("✅: the bot answers it now."),
        _(
            "To teach the bot an answer: answer such a question from an applicant, then press "
            "«➕ To the FAQ»."
        ),
        _(
            "The texts are erased {days} days after they were typed, and when their author "
            "deletes their data."
        ).format(days=settings.retention_days),
    ]
    room = MESSAGE_LIMIT - telegram_length("\n".join(lines + tail)) - 50
    shown = 0
    for group in groups:
        line = group_line(group, index.ask(group.example).kind is ReplyKind.answer)
        room -= telegram_length(line) + 1
        if room < 0:
            break
        lines.append(line)
        shown += 1
    if not groups:
        lines.append(_("Nothing yet."))
    elif shown < different:
        more = different - shown
        lines.append(
            ngettext(
                "…and {count} more, asked less often.", "…and {count} more, asked less often.", more
            ).format(count=more)
        )
    panel = InlineKeyboardButton(
        text=_("⬅️ Panel"), callback_data=QueueCb(action=QueueAction.panel).pack()
    )
    return "\n".join(lines + tail), InlineKeyboardMarkup(inline_keyboard=[[panel]])


def get_router() -> Router:
    """Inside the staff tree: ``scope`` is given."""
    router = Router(name=__name__)

    @router.callback_query(UnansweredCb.filter())
    async def unanswered_list(
        callback: CallbackQuery,
        scope: Scope,
        catalog: Catalog,
        catalogs: CatalogService,
        unanswered: UnansweredRepository,
        settings: Settings,
    ) -> None:
        await show(
            callback, *await unanswered_screen(scope, catalog, catalogs, unanswered, settings)
        )

    return router
