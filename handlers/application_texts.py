"""Labels and summaries of applications, shared by the form, «My application», the staff's
cards and the notices. A leaf: it imports no router."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.applications import Position
from bot.domain.catalog import Catalog
from bot.domain.draft import Draft
from bot.domain.telegram_text import telegram_length, truncate_utf16, utf16_length
from db.applications import Application, StatusChange
from handlers.ui import current_language, fmt_date, fmt_phone, fmt_score, h

# A screen shows the latest status changes only: an application withdrawn and submitted again
# for weeks must not grow its screen past Telegram's 4,096 characters.
HISTORY_SHOWN = 10
# Comments of older changes are cut to this many characters there; the latest one is whole.
OLD_COMMENT_SHOWN = 100


def status_label(status: str) -> str:
    return {
        "submitted": _("submitted"),
        "needs_correction": _("needs correction"),
        "accepted": _("documents accepted"),
        "rejected": _("rejected"),
        "enrolled": _("enrolled"),
        "withdrawn": _("withdrawn"),
    }.get(status, status)


def document_label(kind: str) -> str:
    return {
        "passport": _("Passport (main page)"),
        "certificate": _("Education certificate with the grades insert"),
        "photo": _("Photo"),
        "medical": _("Medical certificate 086/у"),
        "parent_consent": _("Parent's consent"),
    }.get(kind, kind)


def channel_label(channel: str) -> str:
    return {
        "bot": _("only in this bot"),
        "gosuslugi": _("also on Gosuslugi"),
        "in_person": _("also in person at the college"),
    }.get(channel, channel)


def base_text(base: int | None) -> str:
    if base == 9:
        return _("9 classes")
    if base == 11:
        return _("11 classes")
    return "—"


def specialty_line(catalog: Catalog, code: str) -> str:
    specialty = catalog.specialty(code)
    if specialty is None:
        return f"{code} · " + _("no longer offered")
    return f"{code} · {h(specialty.short_name.get(current_language()))}"


def form_of(application: Application) -> Draft:
    """The answers of an application, as the summary shows them."""
    return Draft.of_application(application)


def documents_of(application: Application) -> list[str]:
    """The kinds of an application's files, one per file."""
    return [d.kind for d in application.documents]


def summary_lines(form: Draft, catalog: Catalog) -> list[str]:
    """The applicant's answers, escaped for HTML; unanswered fields show a dash."""
    dash = "—"
    dormitory = form.dormitory
    lines = [
        _("👤 Full name: {value}").format(value=h(form.full_name or dash)),
        _("🎂 Date of birth: {value}").format(
            value=fmt_date(form.birth_date) if form.birth_date else dash
        ),
        _("📱 Phone: {value}").format(value=fmt_phone(form.phone) if form.phone else dash),
        _("✉️ E-mail: {value}").format(value=h(form.email or _("not given"))),
        _("📚 Education: {value}").format(value=base_text(form.education_base)),
        _("📊 Average score: {value}").format(
            value=fmt_score(form.average_score) if form.average_score else dash
        ),
        _("🛏 Dormitory: {value}").format(
            value=dash if dormitory is None else (_("needed") if dormitory else _("not needed"))
        ),
        _("🏛 How you apply: {value}").format(
            value=channel_label(form.channel) if form.channel else dash
        ),
        _("🎓 Specialties in order of priority:"),
    ]
    codes = form.specialties
    lines += [f"  {i}. {specialty_line(catalog, code)}" for i, code in enumerate(codes, 1)]
    if not codes:
        lines.append("  " + dash)
    return lines


def documents_lines(kinds: Iterable[str]) -> list[str]:
    """How many files of each document, given the kind of each file."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return [_("📎 Documents: none yet")]
    lines = [_("📎 Documents:")]
    lines += [
        "  "
        + ngettext("{document}: {count} file", "{document}: {count} files", n).format(
            document=document_label(k), count=n
        )
        for k, n in counts.items()
    ]
    return lines


def position_line(catalog: Catalog, position: Position) -> str:
    name = specialty_line(catalog, position.specialty_code)
    if position.place is None:
        return _("{specialty}: not in the ranking").format(specialty=name)
    places = (
        str(position.budget_places) if position.budget_places is not None else _("to be confirmed")
    )
    return _("{specialty}: you are {place} of {total}; budget places: {places}").format(
        specialty=name, place=position.place, total=position.total, places=places
    )


def history_line(status: str, changed_at: datetime, tz: Any, comment: str | None) -> str:
    local = changed_at.astimezone(tz)
    line = f"{fmt_date(local.date())} {local:%H:%M} — {status_label(status)}"
    if comment:
        line += f": {h(comment)}"
    return line


def history_lines(history: Sequence[StatusChange], tz: Any, room: int) -> list[str]:
    """The latest status changes, oldest first, that fit in ``room`` characters (as Telegram
    counts them), at most ``HISTORY_SHOWN``, after a line counting the earlier ones. The latest
    comment is whole, older ones are cut short."""
    room -= 60  # the line «… and K earlier changes»
    picked: list[str] = []
    for index in range(len(history) - 1, max(len(history) - HISTORY_SHOWN, 0) - 1, -1):
        change = history[index]
        comment = change.comment
        if comment and index < len(history) - 1 and utf16_length(comment) > OLD_COMMENT_SHOWN:
            comment = truncate_utf16(comment, OLD_COMMENT_SHOWN - 1) + "…"
        line = history_line(change.status, change.changed_at, tz, comment)
        room -= telegram_length(line) + 1
        if room < 0 and picked:
            break
        picked.append(line)
    earlier = len(history) - len(picked)
    lines = []
    if earlier:
        lines.append(
            ngettext("… and {count} earlier change", "… and {count} earlier changes", earlier)
            .format(count=earlier)
        )  # fmt: skip
    return lines + picked[::-1]
