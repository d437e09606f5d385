"""A broadcast as text: who it goes to, and its progress (kept current by the broadcast
monitor, outside any update, in the author's language)."""

from __future__ import annotations

from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.domain.catalog import Catalog
from bot.services.catalog import CatalogService
from db.broadcasts import Broadcast, Progress
from db.users import UserRepository
from handlers.application_texts import status_label
from handlers.ui import current_language, h


def describe(segment: dict[str, str], catalog: Catalog) -> str:
    """«applicants of 22.02.01 Metallurgy» and the like, in the reader's language."""
    kind, value = segment.get("kind", ""), segment.get("value", "")
    language = current_language()
    if kind == "all":
        return _("all users of the bot")
    if kind == "specialty":
        specialty = catalog.specialty(value)
        name = f"{value} {specialty.short_name.get(language)}" if specialty else value
        return _("applicants of {specialty}").format(specialty=h(name))
    if kind == "college":
        college = catalog.college(value)
        name = college.short_name.get(language) if college else value
        return _("applicants of {college}").format(college=h(name))
    if kind == "status":
        return _("applicants with the status «{status}»").format(status=status_label(value))
    if kind == "group":
        college_id, _sep, group = value.partition("/")
        college = catalog.college(college_id)
        name = college.short_name.get(language) if college else college_id
        return _("students of the group {group} ({college})").format(
            group=h(group), college=h(name)
        )
    return h(kind)


def progress_text(
    broadcast: Broadcast, progress: Progress, finished: bool, catalog: Catalog
) -> str:
    head = (
        _("📣 Broadcast №{id} is finished.") if finished else _("📣 Broadcast №{id} is being sent…")
    ).format(id=broadcast.id)
    return "\n".join(
        [
            head,
            ngettext(
                "To: {segment}, {count} recipient",
                "To: {segment}, {count} recipients",
                broadcast.recipients,
            ).format(segment=describe(broadcast.segment, catalog), count=broadcast.recipients),
            ngettext("✅ Delivered: {count}", "✅ Delivered: {count}", progress.sent).format(
                count=progress.sent
            ),
            ngettext(
                "🚫 Blocked the bot: {count}", "🚫 Blocked the bot: {count}", progress.blocked
            ).format(count=progress.blocked),
            ngettext("⚠️ Failed: {count}", "⚠️ Failed: {count}", progress.failed).format(
                count=progress.failed
            ),
            ngettext("⏳ Waiting: {count}", "⏳ Waiting: {count}", progress.pending).format(
                count=progress.pending
            ),
        ]
    )


class ProgressTexts:
    """Renders the progress message in its author's language (for the monitor, which runs
    outside any update)."""

    def __init__(
        self, i18n: I18n, users: UserRepository, catalogs: CatalogService, settings: Settings
    ) -> None:
        self.i18n = i18n
        self.users = users
        self.catalogs = catalogs
        self.settings = settings

    async def __call__(self, broadcast: Broadcast, progress: Progress, finished: bool) -> str:
        user = await self.users.get(broadcast.author_id)
        locale = user.language if user else self.settings.default_locale
        catalog = await self.catalogs.current()
        with self.i18n.context(), self.i18n.use_locale(locale):
            return progress_text(broadcast, progress, finished, catalog)
